"""Perceptual path length (Karras et al. 2019, "A Style-Based Generator Architecture for Generative Adversarial
Networks", section 4.1): how far the image moves under a small step along a latent interpolation path. It measures
how smooth (how disentangled) the latent space is, which FID does not see; lower is smoother.

The paper's protocol (100000 pairs by default), as the official code computes it (stylegan2-ada-pytorch's
metrics/perceptual_path_length.py): pairs z0, z1 ~ N(0, I) and t ~ U(0, 1) (`sampling=full`; `end`: t = 0, the
paths' ends); the images at t and t + epsilon (epsilon 1e-4) of the path, in z by spherical interpolation (slerp),
in w (a style generator: StyleGAN2's mapping, then its synthesis) by linear interpolation (lerp) of the mapped ws;
optionally the faces' center crop (`crop`, as for FFHQ); images larger than 256 pixels averaged down by the integer
factor that brings the generator's resolution to 256; the distance of the two images divided by epsilon^2; the mean
after discarding the values outside the 1st and 99th percentiles.

The protocol's distance is LPIPS on VGG16 (torchmetrics, the authors' v0.1 layers; gray images repeated to RGB, as
the official code). Its backbone is torchvision's VGG16 file: offline without it the evaluator stops with one line
naming the file. Another distance is used only when asked, and the metric's name always says which
(`ppl_zfull_lpips_vgg`, `ppl_wend_mse`, ...): LPIPS on AlexNet or SqueezeNet, or `mse`, the mean squared pixel
difference in the generator's [-1, 1] range, which needs no weights (a VGG-free number, not comparable with papers).

One departure, where the official code has no counterpart: slerp runs on the sphere of radius sqrt(latent_dim), the
typical norm of z, instead of the unit sphere. StyleGAN's mapping normalizes z first, so its values are unchanged,
and a generator that takes z as it is (DCGAN) is walked where its training latents lie, not near the origin.
"""

from collections.abc import Iterator

import numpy as np
import torch
from lightning import LightningModule
from torch import Tensor, nn

from gansuite.errors import ConfigError
from gansuite.metrics.lpips import NAMES, lpips_metric
from gansuite.modules.base import eval_mode
from gansuite.objective.adversarial import with_labels

SPACES = ("z", "w")
SAMPLINGS = ("full", "end")
LPIPS_DISTANCES = {f"lpips_{net}": net for net in NAMES}
DISTANCES = (*LPIPS_DISTANCES, "mse")
MAX_SIDE = 256  # the official code averages larger images down to this side


def slerp(a: Tensor, b: Tensor, t: Tensor, radius: float) -> Tensor:
    """Points at fractions `t` (N, 1) of the great-circle arcs from the directions of `a` to those of `b` (N, D), on
    the sphere of `radius`: the official slerp, scaled from the unit sphere."""
    a = a / a.norm(dim=-1, keepdim=True)
    b = b / b.norm(dim=-1, keepdim=True)
    cosine = (a * b).sum(dim=-1, keepdim=True).clamp(-1.0, 1.0)
    angle = t * torch.acos(cosine)
    normal = b - cosine * a
    normal = normal / normal.norm(dim=-1, keepdim=True)
    point = a * torch.cos(angle) + normal * torch.sin(angle)
    return radius * point / point.norm(dim=-1, keepdim=True)


def trimmed_mean(values: np.ndarray) -> float:
    """The mean of the values between the 1st (lower) and 99th (higher) percentiles, both kept: the official
    estimate, which a few near-singular paths would otherwise dominate."""
    low, high = np.percentile(values, 1, method="lower"), np.percentile(values, 99, method="higher")
    return float(values[(values >= low) & (values <= high)].mean())


def generator_network(pl_module: LightningModule) -> nn.Module:
    """The network that samples: the EMA generator when the module keeps one, as `generate` uses."""
    averaged = getattr(pl_module, "ema_generator", None)
    return pl_module.generator if averaged is None else averaged.module


class PerceptualPathLength:
    """Evaluator `(pl_module, datamodule) -> {ppl_<space><sampling>_<distance>: value}` on the protocol of the module
    docstring; the datamodule is not read (no real images take part)."""

    def __init__(
        self,
        num_samples: int = 100000,
        space: str = "z",
        sampling: str = "full",
        epsilon: float = 1e-4,
        crop: bool = False,
        distance: str = "lpips_vgg",
        batch_size: int = 50,
        seed: int = 2020,
        conditioning: str = "none",
    ) -> None:
        """`conditioning`: the model's (`model.conditioning`); other than none, each pair is generated for one class
        drawn uniformly (seeded), the same at both ends of its step."""
        options = (("space", space, SPACES), ("sampling", sampling, SAMPLINGS), ("distance", distance, DISTANCES))
        for key, value, choices in options:
            if value not in choices:
                raise ConfigError(f"metrics.{key}={value} is unknown: choose one of {', '.join(choices)}")
        if num_samples < 1 or batch_size < 1 or not epsilon > 0:
            raise ConfigError(
                f"metrics.num_samples={num_samples}, metrics.batch_size={batch_size} and metrics.epsilon={epsilon} "
                "must be positive: the protocol's are 100000, any, and 1e-4"
            )
        self.num_samples, self.space, self.sampling, self.epsilon = num_samples, space, sampling, epsilon
        self.crop, self.distance_name, self.batch_size, self.seed = crop, distance, batch_size, seed
        self.conditional = conditioning not in (None, "none")
        self.name = f"ppl_{space}{sampling}_{distance}"
        # Resolved now, so a missing backbone stops a run before training rather than at its first evaluation.
        self.lpips: nn.Module | None = None
        if distance in LPIPS_DISTANCES:
            fix = "or pass metrics.distance=mse for a VGG-free pixel distance (named so; not comparable with papers)"
            self.lpips = lpips_metric(LPIPS_DISTANCES[distance], f"metrics.distance={distance}", fix).net

    @property
    def names(self) -> list[str]:
        return [self.name]

    def protocol(self) -> dict[str, str]:
        """How the number was made, for tables and reports."""
        if self.distance_name in LPIPS_DISTANCES:
            net = NAMES[LPIPS_DISTANCES[self.distance_name]]
            protocol = "the protocol's" if self.distance_name == "lpips_vgg" else "not the protocol's VGG16"
            distance = f"LPIPS on {net} (torchmetrics, v0.1 layers; {protocol})"
        else:
            distance = "mean squared pixel difference in [-1, 1] (VGG-free; not comparable with papers)"
        path = "z, slerp on the sphere of radius sqrt(latent_dim)" if self.space == "z" else "w, lerp of the ws"
        rows = {
            "path length": f"PPL (Karras et al. 2019) in {path}",
            "t": "uniform in [0, 1)" if self.sampling == "full" else "0 (the paths' ends)",
            "pairs": f"{self.num_samples} (seed {self.seed})",
            "epsilon": f"{self.epsilon:g}",
            "crop": "center, rows 3/8-7/8 and columns 2/8-6/8 (faces)" if self.crop else "none",
            "resize": f"averaged down to {MAX_SIDE} px when larger",
            "distance": f"{distance}, divided by epsilon^2",
            "mean": "of the values between the 1st and 99th percentiles",
        }
        if self.conditional:
            rows["labels"] = "one uniformly drawn class per pair"
        return rows

    def draws(self, latent_dim: int, num_classes: int | None = None) -> Iterator[tuple[Tensor, ...]]:
        """Batches of (z0, z1, t (N, 1), labels or None) from the seed, drawn in float64 on the CPU: the same pairs
        whatever the device and the generator's precision."""
        noise = torch.Generator().manual_seed(self.seed)
        for start in range(0, self.num_samples, self.batch_size):
            n = min(self.batch_size, self.num_samples - start)
            z0, z1 = torch.randn(2 * n, latent_dim, generator=noise, dtype=torch.float64).chunk(2)
            t = torch.rand(n, 1, generator=noise, dtype=torch.float64) * (self.sampling == "full")
            yield z0, z1, t, None if num_classes is None else torch.randint(num_classes, (n,), generator=noise)

    def images_at(self, network: nn.Module, z0: Tensor, z1: Tensor, t: Tensor, labels: Tensor | None) -> Tensor:
        """The generated images at fractions `t` of the paths from z0 to z1, in the evaluator's space."""
        if self.space == "z":
            return with_labels(network, labels)(slerp(z0, z1, t, z0.shape[1] ** 0.5))
        w0, w1 = network.ws(torch.cat([z0, z1]), None if labels is None else labels.repeat(2)).chunk(2)
        return network.synthesis(torch.lerp(w0, w1, t.view(-1, *[1] * (w0.dim() - 1))))

    def prepared(self, images: Tensor) -> Tensor:
        """The crop (when asked) and the official downsampling by an integer factor of the full resolution."""
        factor = images.shape[2] // MAX_SIDE
        if self.crop:
            side = images.shape[2] // 8
            images = images[:, :, side * 3 : side * 7, side * 2 : side * 6]
        if factor > 1:
            n, channels, height, width = images.shape
            images = images.reshape(n, channels, height // factor, factor, width // factor, factor).mean(dim=(3, 5))
        return images

    def distance(self, a: Tensor, b: Tensor) -> Tensor:
        """Per-image distance of two batches of images in [-1, 1]."""
        if self.lpips is None:
            return (a - b).square().flatten(1).mean(dim=1)
        if a.shape[1] == 1:
            a, b = a.repeat(1, 3, 1, 1), b.repeat(1, 3, 1, 1)
        return self.lpips(a.float(), b.float()).flatten()

    def path_lengths(self, network: nn.Module, z0: Tensor, z1: Tensor, t: Tensor, labels: Tensor | None) -> Tensor:
        """Per pair: the distance of the images at t and t + epsilon, divided by epsilon^2."""
        both = None if labels is None else labels.repeat(2)
        images = self.images_at(network, z0.repeat(2, 1), z1.repeat(2, 1), torch.cat([t, t + self.epsilon]), both)
        if self.crop and images.shape[2] != images.shape[3]:
            raise ConfigError(f"metrics.crop=true crops square faces, but the images are {tuple(images.shape[2:])}")
        return self.distance(*self.prepared(images).chunk(2)) / self.epsilon**2

    def __call__(self, pl_module: LightningModule, datamodule: object) -> dict[str, float]:
        network = generator_network(pl_module)
        if self.space == "w" and not hasattr(network, "synthesis"):
            raise ConfigError(
                f"metrics.space=w walks a style generator's ws (StyleGAN2's mapping and synthesis), and "
                f"{type(network).__name__} has none: use metrics.space=z"
            )
        device, dtype = pl_module.device, next(network.parameters()).dtype
        if self.lpips is not None:
            self.lpips = self.lpips.to(device)
        num_classes = pl_module.num_classes if self.conditional else None
        lengths = []
        with eval_mode(network):
            for *latents, labels in self.draws(pl_module.latent_dim, num_classes):
                z0, z1, t = (x.to(device, dtype) for x in latents)
                labels = None if labels is None else labels.to(device)
                lengths.append(self.path_lengths(network, z0, z1, t, labels).double().cpu())
        return {self.name: trimmed_mean(torch.cat(lengths).numpy())}
