"""StyleGAN2 (Karras et al. 2020): the GAN recipe with StyleGAN2's networks (gansuite.nets.stylegan2) plus lazy
path-length regularization of the generator. Everything else is configuration of what the suite has: the
non-saturating logistic loss, lazy R1 (`regularizers.r1` with `every: 16`), generator EMA with its half-life in
images and ramp-up (`model.ema_half_life_images`, `model.ema_rampup`), style mixing and truncation (the generator).

Path-length regularization, as stylegan2-ada-pytorch's loss: on every `pl_every`-th generator update, half a batch
(`pl_batch_shrink`) of fresh samples gives path lengths a (gansuite.regularizers.path_lengths); the penalty is
pl_weight * pl_every * mean((a - mean_a)^2), mean_a the lengths' running mean (decay `pl_decay`), kept as a buffer
so a resumed run continues it.
"""

from typing import Any

import torch
from torch import Tensor

from gansuite.errors import ConfigError
from gansuite.modules.gan import GAN
from gansuite.regularizers import path_lengths


class StyleGAN2(GAN):
    def __init__(
        self,
        pl_weight: float = 2.0,
        pl_every: int = 4,
        pl_decay: float = 0.01,
        pl_batch_shrink: int = 2,
        **gan: Any,
    ) -> None:
        """`gan`: everything GAN takes (networks, loss, regularizers, EMA, optimizers, ...)."""
        super().__init__(**gan)
        if pl_weight < 0 or pl_every < 1 or not 0 < pl_decay <= 1 or pl_batch_shrink < 1:
            raise ConfigError(
                "model.pl_weight must be >= 0 (2 as config-f, 0 turns it off), pl_every >= 1, pl_decay in (0, 1] "
                f"and pl_batch_shrink >= 1; got {pl_weight}, {pl_every}, {pl_decay}, {pl_batch_shrink}"
            )
        if not hasattr(self.generator, "synthesis"):
            raise ConfigError("model=stylegan2 needs the StyleGAN2 generator (gansuite.nets.stylegan2)")
        self.pl_weight, self.pl_every, self.pl_decay, self.pl_batch_shrink = (
            pl_weight,
            pl_every,
            pl_decay,
            pl_batch_shrink,
        )
        self.register_buffer("pl_mean", torch.zeros(()))

    def generator_loss(self, real: Tensor, fake: Tensor, labels: Tensor | None = None) -> Tensor:
        g_loss = super().generator_loss(real, fake, labels)
        if self.pl_weight == 0 or self.generator_updates % self.pl_every != 0:
            return g_loss
        n = max(1, real.shape[0] // self.pl_batch_shrink)
        ws = self.generator.ws(self.sample_noise(n), None if labels is None else labels[:n])
        lengths = path_lengths(self.generator.synthesis(ws), ws)
        with torch.no_grad():
            self.pl_mean.lerp_(lengths.mean().float(), self.pl_decay)
        penalty = (lengths - self.pl_mean).square().mean()
        self.latest_losses["train/g_path_length_penalty"] = penalty.detach()
        return g_loss + penalty * self.pl_weight * self.pl_every
