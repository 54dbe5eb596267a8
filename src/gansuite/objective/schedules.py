"""Schedules over training progress (the share of the `steps` budget done, 0..1) for the optimizers' learning rate and
Adam's beta2, and the EMA half-life counted in images with StyleGAN's ramp-up.

Schedules are functions of progress, which the generator-update clock derives from Lightning's global_step, so a
resumed run continues exactly where it stopped without state of its own.
"""

import math
from dataclasses import dataclass

import torch

from gansuite.errors import ConfigError

KINDS = ("constant", "linear", "cosine")


def anneal(kind: str, start: float, end: float, progress: float) -> float:
    """`start` -> `end` as `progress` goes 0 -> 1: held at `start` (constant), in a straight line (linear), or along
    half a cosine (cosine: slow at both ends, as SGDR and R3GAN's schedules)."""
    progress = min(max(progress, 0.0), 1.0)
    if kind == "constant":
        return start
    if kind == "linear":
        return start + (end - start) * progress
    if kind == "cosine":
        return end + (start - end) * 0.5 * (1.0 + math.cos(math.pi * progress))
    raise ConfigError(f"unknown schedule kind {kind!r}: choose one of {', '.join(KINDS)}")


@dataclass
class OptimizerSchedule:
    """How one optimizer's learning rate and Adam's beta2 move over training.

    The learning rate goes from its configured value to `final_lr_fraction` of it by `kind`, after a linear warm-up
    from 0 over the first `warmup` share of training. With `final_beta2`, beta2 moves from its configured value to
    `final_beta2` by the same kind (linearly when the kind is constant). `model.schedule_g` and
    `model.schedule_d` are separate, so the two networks can follow different schedules (as they can take different
    rates: TTUR, Heusel et al. 2017).
    """

    kind: str = "constant"
    final_lr_fraction: float = 0.0
    warmup: float = 0.0
    final_beta2: float | None = None

    def __post_init__(self) -> None:
        anneal(self.kind, 1.0, 1.0, 0.0)  # an unknown kind fails at config time, not at the first step
        if not 0.0 <= self.warmup < 1.0:
            raise ConfigError(f"schedule warmup is a share of the training steps in [0, 1), got {self.warmup}")
        if self.final_lr_fraction < 0:
            raise ConfigError(f"schedule final_lr_fraction must be >= 0, got {self.final_lr_fraction}")
        if self.final_beta2 is not None and not 0.0 <= self.final_beta2 < 1.0:
            raise ConfigError(f"schedule final_beta2 must be in [0, 1) or null, got {self.final_beta2}")

    def lr_factor(self, progress: float) -> float:
        """The multiple of the configured learning rate at `progress`."""
        if progress < self.warmup:
            return progress / self.warmup
        after_warmup = (progress - self.warmup) / (1.0 - self.warmup)
        return anneal(self.kind, 1.0, self.final_lr_fraction, after_warmup)

    def apply(self, optimizer: torch.optim.Optimizer, progress: float) -> None:
        """Sets each parameter group's lr (and beta2) for `progress` from the values the group was built with."""
        for group in optimizer.param_groups:
            group.setdefault("initial_lr", group["lr"])
            group["lr"] = group["initial_lr"] * self.lr_factor(progress)
            if self.final_beta2 is not None:
                beta1, beta2 = group.setdefault("initial_betas", tuple(group["betas"]))
                # A constant learning rate with a final beta2 still moves beta2: in a straight line.
                kind = "linear" if self.kind == "constant" else self.kind
                group["betas"] = (beta1, anneal(kind, beta2, self.final_beta2, progress))


def ema_beta(half_life_images: float, rampup: float | None, batch_size: int, images_seen: int) -> float:
    """The EMA decay per generator update for a half-life counted in images (Karras et al.'s `ema_kimg`): the
    average forgets half its weight over `half_life_images` images, whatever the batch size. With `rampup` (StyleGAN2
    uses 0.05), the half-life is at most `rampup` times the images seen so far, so early averages do not drag in the
    random initial weights."""
    half_life = half_life_images
    if rampup is not None:
        half_life = min(half_life, images_seen * rampup)
    return 0.5 ** (batch_size / max(half_life, 1e-8))
