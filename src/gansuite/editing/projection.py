"""Projecting real images into a trained generator's latent space: the latent whose image reproduces each target,
found by optimisation, after stylegan2-ada-pytorch's projector.py (Karras et al. 2020, sec. 5) and extended to any
noise model.

Per target, Adam (lr 0.1, ramped up over the first 5% of the steps and down with a cosine over the last 25%)
minimises  mean squared pixel error + `feature_weight` x a feature distance (LPIPS, or the discriminator's features:
the caller chooses and says which) + `noise_weight` x the noise maps' autocorrelation (StyleGAN2 only). Gaussian
noise of 5% of the latents' spread is added to the latent during the first 75% of the steps, fading quadratically,
as the official projector does, so the search does not settle in the first basin it finds.

Spaces: `z` (every noise model; starts from the best of `starts` random latents per target), `w` (one w for every
layer of a style-based generator) and `w+` (a w per layer: more freedom, less faithful to the generator's prior);
both w spaces start from the average w of 10,000 mapped latents. For StyleGAN2 the per-pixel noise maps are
optimised too, per target, regularised towards white noise and renormalised after each step, as the official
projector does.
"""

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from gansuite.editing import SPACES
from gansuite.errors import ConfigError

FeatureDistance = Callable[[Tensor, Tensor], Tensor]  # (images, targets) -> a distance per image, (N,)


@dataclass
class Projection:
    """The projected `images` (N, C, H, W) in [-1, 1], their `latents` (z or w: (N, D); w+: (N, layers, D)), the
    `space`, the StyleGAN2 `noise` maps found (name -> (N, 1, H, W); empty for other generators), each image's
    reconstruction `psnr` in dB against its target (peak-to-peak 2, the [-1, 1] range), and the `feature` distance
    used beside the pixels, in words."""

    images: Tensor
    latents: Tensor
    space: str
    noise: dict[str, Tensor]
    psnr: Tensor
    feature: str


def reconstruction_psnr(images: Tensor, targets: Tensor) -> Tensor:
    """Per image, 10 log10(range^2 / MSE) with the range 2 of images in [-1, 1]."""
    mse = (images.float() - targets.float()).square().flatten(1).mean(1)
    return 10 * torch.log10(4 / mse.clamp_min(1e-12))


def noise_autocorrelation(noise: Tensor) -> Tensor:
    """Per sample, the squared autocorrelation of a noise map (N, 1, H, W) at a one-pixel shift in each direction,
    summed over the map and its 2x average-pooled versions down to 8x8: zero for white noise, large for the
    structure the optimiser would otherwise hide in the noise (the official projector's regulariser)."""
    total = noise.new_zeros(noise.shape[0])
    while True:
        total = total + (noise * noise.roll(1, dims=3)).mean(dim=(1, 2, 3)).square()
        total = total + (noise * noise.roll(1, dims=2)).mean(dim=(1, 2, 3)).square()
        if noise.shape[2] <= 8:
            return total
        noise = F.avg_pool2d(noise, 2)


@contextmanager
def trainable_noise(generator: nn.Module, n: int) -> Iterator[dict[str, Tensor]]:
    """Each StyleGAN2 layer's constant noise map replaced, inside the block, by n fresh unit-Gaussian maps (one per
    target) that the projector optimises; the trained maps are back afterwards. Empty for other generators."""
    layers = {name: m for name, m in generator.named_modules() if isinstance(getattr(m, "noise_const", None), Tensor)}
    trained = {name: layer.noise_const for name, layer in layers.items()}
    maps = {name: torch.randn(n, 1, *noise.shape, device=noise.device) for name, noise in trained.items()}
    try:
        for name, layer in layers.items():
            layer.noise_const = maps[name].requires_grad_(True)
        yield maps
    finally:
        for name, layer in layers.items():
            layer.noise_const = trained[name]


class LatentSpace:
    """Latents -> images for one space of `generator` (with `labels` bound for a conditional one), the starting
    latents of the search, and the spread its exploration noise is scaled by."""

    def __init__(self, generator: nn.Module, space: str, labels: Tensor | None) -> None:
        if space not in SPACES:
            raise ConfigError(f"space={space} is unknown: project into z, w or w+")
        if space != "z" and not hasattr(generator, "synthesis"):
            raise ConfigError(
                f"space={space} needs a style-based generator (model=stylegan2); {type(generator).__name__} has only "
                "z: use space=z"
            )
        self.generator, self.space, self.labels = generator, space, labels

    def images(self, latents: Tensor) -> Tensor:
        if self.space == "z":
            return self.generator(latents) if self.labels is None else self.generator(latents, labels=self.labels)
        ws = latents if self.space == "w+" else latents[:, None].expand(-1, self.generator.num_ws, -1)
        return self.generator.synthesis(ws)

    def start(self, targets: Tensor, starts: int, seed: int, latent_dim: int) -> tuple[Tensor, float]:
        """The initial latents (one per target) and the latents' spread (the official projector's w_std): in z the
        best of `starts` random latents for each target by pixel error, spread 1; in w the average w of 10,000
        mapped latents (of the target's class, for a conditional generator), spread their RMS distance to it."""
        draw = torch.Generator().manual_seed(seed)
        n, device = len(targets), targets.device
        if self.space == "z":
            candidates = torch.randn(starts, latent_dim, generator=draw).to(device)
            errors = torch.stack(
                [(self.images(z.expand(n, -1)) - targets).square().flatten(1).mean(1) for z in candidates.split(1)]
            )  # (starts, n)
            return candidates[errors.argmin(0)].clone(), 1.0
        z = torch.randn(10_000, latent_dim, generator=draw).to(device)
        if self.labels is None:
            w = self.generator.mapping(z)
            start, spread = w.mean(0).expand(n, -1), (w - w.mean(0)).square().sum(1).mean().sqrt()
        else:
            start, spreads = torch.empty(n, self.generator.w_dim, device=device), []
            for label in self.labels.unique():
                w = self.generator.mapping(z, label.expand(len(z)))
                start[self.labels == label] = w.mean(0)
                spreads.append((w - w.mean(0)).square().sum(1).mean().sqrt())
            spread = torch.stack(spreads).mean()
        if self.space == "w+":
            start = start[:, None].expand(-1, self.generator.num_ws, -1)
        return start.clone(), float(spread)


def learning_rate(progress: float, peak: float) -> float:
    """The official projector's schedule: linear ramp-up over the first 5%, cosine ramp-down over the last 25%."""
    down = min(1.0, (1.0 - progress) / 0.25)
    return peak * (0.5 - 0.5 * math.cos(down * math.pi)) * min(1.0, progress / 0.05)


def project(
    generator: nn.Module,
    targets: Tensor,
    latent_dim: int,
    space: str = "z",
    steps: int = 1000,
    feature_distance: FeatureDistance | None = None,
    feature_name: str = "a feature distance",
    feature_weight: float = 1.0,
    labels: Tensor | None = None,
    noise_weight: float = 1e5,
    lr: float = 0.1,
    starts: int = 64,
    seed: int = 0,
    on_step: Callable[[int, Tensor], None] | None = None,
) -> Projection:
    """Finds, for each of `targets` (N, C, H, W) in [-1, 1], the latent in `space` (z: `latent_dim` numbers) whose
    image under `generator` (eval mode, its weights untouched) reproduces it. `feature_distance(images, targets)` is
    added to the pixel error with `feature_weight` when given (`feature_name` says what it is); `labels` (N,)
    condition a conditional generator; `on_step(step, loss)` sees the per-target loss. Deterministic for a given
    `seed` (the starts and the exploration noise)."""
    if steps < 1:
        raise ConfigError(f"steps must be a positive number of optimisation steps (official: 1000), got {steps}")
    mapping = LatentSpace(generator, space, labels)
    was_training, trainable = generator.training, [p.requires_grad for p in generator.parameters()]
    generator.eval().requires_grad_(False)
    draw = torch.Generator().manual_seed(seed + 1)
    try:
        with torch.no_grad():
            start, spread = mapping.start(targets, starts, seed, latent_dim)
        latents = start.requires_grad_(True)
        with trainable_noise(generator, len(targets)) as noise:
            optimizer = torch.optim.Adam([latents, *noise.values()], lr=lr, betas=(0.9, 0.999))
            for step in range(steps):
                progress = step / steps
                for group in optimizer.param_groups:
                    group["lr"] = learning_rate(progress, lr)
                exploration = 0.05 * spread * max(0.0, 1 - progress / 0.75) ** 2
                jitter = torch.randn(latents.shape, generator=draw).to(latents.device) * exploration
                images = mapping.images(latents + jitter)
                loss = (images - targets).square().flatten(1).mean(1)
                if feature_distance is not None:
                    loss = loss + feature_weight * feature_distance(images, targets)
                if noise:
                    loss = loss + noise_weight * sum(noise_autocorrelation(maps) for maps in noise.values())
                optimizer.zero_grad(set_to_none=True)
                loss.sum().backward()  # the targets are independent: the sum's gradient is each one's own
                optimizer.step()
                with torch.no_grad():  # the official projector keeps each noise map at zero mean and unit variance
                    for maps in noise.values():
                        maps -= maps.mean(dim=(1, 2, 3), keepdim=True)
                        maps *= maps.square().mean(dim=(1, 2, 3), keepdim=True).rsqrt()
                if on_step is not None:
                    on_step(step, loss.detach())
            with torch.no_grad():
                found = mapping.images(latents).clamp(-1, 1)
                kept = {name: maps.detach().clone() for name, maps in noise.items()}
    finally:
        generator.train(was_training)
        for parameter, grad in zip(generator.parameters(), trainable, strict=True):
            parameter.requires_grad_(grad)
    feature = "pixels only" if feature_distance is None else feature_name
    return Projection(found, latents.detach(), space, kept, reconstruction_psnr(found, targets), feature)
