"""Augmentations of the discriminator's inputs, applied to real and fake batches alike.

Augmenting only the reals would teach G to produce augmented images; augmenting both with differentiable ops keeps
D's task about the data while G still gets gradients through the transform (Zhao et al. 2020, Karras et al. 2020).
Each augment is an nn.Module so that its state (ADA's p and accumulators, the noise level) is saved in checkpoints
as buffers and a resumed run continues exactly where it stopped.
"""

from collections.abc import Callable, Sequence

import torch
import torch.distributed as dist
from torch import Tensor, nn

from gansuite.errors import ConfigError
from gansuite.objective.accumulation import FollowsBatches

#: The translation shift bound as a share of the image side (Zhao et al.'s ratio).
TRANSLATION_RATIO = 0.125
#: The cutout side as a share of the image side (Zhao et al.'s ratio).
CUTOUT_RATIO = 0.5


class DiscriminatorAugment(nn.Module, FollowsBatches):
    """Transforms D's inputs; the training step calls augment(x) on every real and fake batch before D, and
    `observe(real_scores, progress=...)` after, which calls `update` (once per update accumulated from micro-batches,
    with all of their scores: FollowsBatches)."""

    #: Whether it works on images only (checked when the model is built, before any data is read).
    needs_images: bool = False

    def forward(self, x: Tensor) -> Tensor:
        raise NotImplementedError

    def update(self, real_scores: Tensor, progress: float) -> None:
        """Called once per discriminator update with D's raw outputs on the (augmented) real batch and the share of
        the training budget done (0..1). Default: nothing."""

    def log_values(self) -> dict[str, Tensor]:
        """What the trainer logs each logging step, e.g. {"augment/p": p}. Default: {}."""
        return {}


def _per_sample_uniform(x: Tensor, low: float, high: float) -> Tensor:
    """One U(low, high) draw per sample, shaped to broadcast over (C, H, W)."""
    return torch.rand(x.shape[0], 1, 1, 1, device=x.device, dtype=x.dtype) * (high - low) + low


def color(x: Tensor) -> Tensor:
    """Brightness, saturation and contrast jitter, each with its own per-sample factor.

    Brightness adds U(-0.5, 0.5); saturation scales each pixel's deviation from its channel mean by U(0, 2) (a no-op
    on one-channel images, which have no colour to saturate); contrast scales the deviation from the image mean by
    U(0.5, 1.5). The result may leave [-1, 1]: D sees it unclipped, as in the paper, so no gradient is cut off.
    """
    x = x + _per_sample_uniform(x, -0.5, 0.5)
    channel_mean = x.mean(dim=1, keepdim=True)
    x = (x - channel_mean) * _per_sample_uniform(x, 0.0, 2.0) + channel_mean
    image_mean = x.mean(dim=(1, 2, 3), keepdim=True)
    return (x - image_mean) * _per_sample_uniform(x, 0.5, 1.5) + image_mean


def translation(x: Tensor, ratio: float = TRANSLATION_RATIO) -> Tensor:
    """Per-sample integer shift in [-floor(ratio * H), floor(ratio * H)] rows and the same in columns, zero-filled.

    Implemented as a gather of each output pixel's source (its gradient is a scatter back onto the pixels, so G
    learns through it; deterministic on CUDA under torch.use_deterministic_algorithms), never in place. The bound is
    floored so a pixel never moves more than ratio * side; images under 8 pixels a side are therefore not shifted.
    """
    n, c, h, w = x.shape
    max_dy, max_dx = int(h * ratio), int(w * ratio)
    dy = torch.randint(-max_dy, max_dy + 1, (n, 1), device=x.device)
    dx = torch.randint(-max_dx, max_dx + 1, (n, 1), device=x.device)
    # Output pixel (i, j) of sample k shows input pixel (i - dy[k], j - dx[k]), or zero when that is off the image.
    rows = torch.arange(h, device=x.device).unsqueeze(0) - dy  # (N, H)
    cols = torch.arange(w, device=x.device).unsqueeze(0) - dx  # (N, W)
    valid = ((rows >= 0) & (rows < h)).unsqueeze(2) & ((cols >= 0) & (cols < w)).unsqueeze(1)  # (N, H, W)
    source = rows.clamp(0, h - 1).unsqueeze(2) * w + cols.clamp(0, w - 1).unsqueeze(1)  # (N, H, W) flat indices
    shifted = x.flatten(2).gather(2, source.view(n, 1, h * w).expand(n, c, h * w)).view(n, c, h, w)
    return shifted * valid.unsqueeze(1).to(x.dtype)


def cutout(x: Tensor, ratio: float = CUTOUT_RATIO) -> Tensor:
    """Per-sample zeroed rectangle of ceil(ratio * side) pixels a side, centred on a uniformly random pixel.

    The rectangle is clipped at the border (the paper's behaviour), so it zeroes between a quarter of and all of
    ceil(H/2) x ceil(W/2) pixels per channel; clipping makes a corner pixel's chance of being hidden closer to the
    centre's than keeping the whole square inside the image would.
    """
    n, _, h, w = x.shape
    size_h, size_w = int(h * ratio + 0.5), int(w * ratio + 0.5)
    top = torch.randint(0, h, (n, 1), device=x.device) - size_h // 2
    left = torch.randint(0, w, (n, 1), device=x.device) - size_w // 2
    rows = torch.arange(h, device=x.device).unsqueeze(0)
    cols = torch.arange(w, device=x.device).unsqueeze(0)
    hidden_rows = (rows >= top) & (rows < top + size_h)  # (N, H)
    hidden_cols = (cols >= left) & (cols < left + size_w)  # (N, W)
    hidden = hidden_rows.unsqueeze(2) & hidden_cols.unsqueeze(1)
    return x * (~hidden).unsqueeze(1).to(x.dtype)


#: The policy names DiffAugment accepts, in the order they are applied.
OPS: dict[str, Callable[[Tensor], Tensor]] = {"color": color, "translation": translation, "cutout": cutout}


def parse_policy(policy: str | Sequence[str]) -> list[str]:
    """The op names of a comma-separated policy ('' is the identity); a list (e.g. from YAML) is accepted too."""
    names = policy.split(",") if isinstance(policy, str) else list(policy)
    names = [name.strip() for name in names if name.strip()]
    unknown = [name for name in names if name not in OPS]
    if unknown:
        raise ConfigError(
            f"unknown augment.policy op(s) {', '.join(map(repr, unknown))}: use a comma-separated subset of "
            f"{', '.join(OPS)} (or '' for none)"
        )
    return names


def _check_probability(name: str, value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise ConfigError(f"augment.{name} must be a probability in [0, 1], got {value}")


class DiffAugment(DiscriminatorAugment):
    """Zhao et al. 2020: the policy's ops (color, translation, cutout), each applied to each sample with probability p.

    p = 1 is the original DiffAugment; p = 0 returns the input values unchanged. The per-sample choice is a mask, not
    a branch, so no step waits on the device to read p (ADA moves it on the device).
    """

    needs_images = True

    def __init__(self, policy: str | Sequence[str] = "color,translation,cutout", p: float = 1.0) -> None:
        super().__init__()
        _check_probability("p", p)
        self.policy = parse_policy(policy)
        self.register_buffer("p", torch.tensor(float(p)))

    def forward(self, x: Tensor) -> Tensor:
        if x.dim() != 4:
            raise ConfigError(
                f"augment={type(self).__name__} needs image data (N, C, H, W), got inputs of shape {tuple(x.shape)}: "
                "use augment=instance_noise or augment=null for point data"
            )
        for name in self.policy:
            apply = torch.rand(x.shape[0], 1, 1, 1, device=x.device) < self.p
            x = torch.where(apply, OPS[name](x), x)
        return x

    def log_values(self) -> dict[str, Tensor]:
        return {"augment/p": self.p.detach().clone()}

    def extra_repr(self) -> str:
        return f"policy={','.join(self.policy)!r}"


class AdaptiveAugment(DiffAugment):
    """Karras et al. 2020 (ADA): DiffAugment whose p follows the overfitting heuristic r_t = E[sign(D(real))].

    Every `interval` discriminator steps, p moves by sign(r_t - target) * images / speed_images, where images is
    the number of real images seen in the interval (batch_size * interval), so p can cross [0, 1] in
    `speed_images` reals; it is clamped to [0, 1]. All accounting is tensor ops on buffers: no step synchronises with
    the device, and a resumed run continues the interval it was in. Under torch.distributed the per-step statistics
    are all-reduced, so every rank moves p identically (update() must then be called on every rank).
    """

    def __init__(
        self,
        policy: str | Sequence[str] = "color,translation,cutout",
        target: float = 0.6,
        interval: int = 4,
        speed_images: int = 500_000,
        initial_p: float = 0.0,
    ) -> None:
        super().__init__(policy=policy, p=initial_p)
        if not -1.0 < target < 1.0:
            raise ConfigError(
                f"augment.target must be in (-1, 1) (a value of E[sign(D(real))]), got {target}; ADA uses 0.6"
            )
        if interval < 1:
            raise ConfigError(f"augment.interval must be at least 1 discriminator step, got {interval}; ADA uses 4")
        if speed_images <= 0:
            raise ConfigError(f"augment.speed_images must be positive, got {speed_images}; ADA uses 500000")
        self.target = target
        self.interval = interval
        self.speed_images = speed_images
        self.register_buffer("sign_sum", torch.tensor(0.0))  # sum of sign(D(real)) over the current interval
        self.register_buffer("sign_count", torch.tensor(0.0))  # number of D outputs summed (N, or N * patches)
        self.register_buffer("images", torch.tensor(0.0))  # real images seen in the current interval
        self.register_buffer("steps", torch.tensor(0, dtype=torch.long))  # discriminator steps in the interval

    def update(self, real_scores: Tensor, progress: float) -> None:
        scores = real_scores.detach()
        # float32 sums: under autocast the scores may be bfloat16, whose sums of +-1 stop being exact at 256.
        # torch.full is a fill on the device: no host-to-device copy of the counts.
        stats = torch.stack(
            [
                torch.sign(scores).sum(dtype=torch.float32),
                torch.full((), float(scores.numel()), device=scores.device),
                torch.full((), float(scores.shape[0]), device=scores.device),
            ]
        ).to(self.p.device)
        if dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
            dist.all_reduce(stats)
        self.sign_sum.add_(stats[0])
        self.sign_count.add_(stats[1])
        self.images.add_(stats[2])
        self.steps.add_(1)
        due = self.steps >= self.interval
        r_t = self.sign_sum / self.sign_count.clamp(min=1.0)
        adjusted = (self.p + torch.sign(r_t - self.target) * self.images / self.speed_images).clamp(0.0, 1.0)
        self.p.copy_(torch.where(due, adjusted, self.p))
        for accumulator in (self.sign_sum, self.sign_count, self.images, self.steps):
            accumulator.copy_(torch.where(due, torch.zeros_like(accumulator), accumulator))

    def extra_repr(self) -> str:
        return (
            f"{super().extra_repr()}, target={self.target}, interval={self.interval}, speed_images={self.speed_images}"
        )


class InstanceNoise(DiscriminatorAugment):
    """Sonderby et al. 2017 / Arjovsky & Bottou 2017: N(0, sigma^2) noise on every input, of any shape.

    Noise makes the real and fake distributions overlap, so D cannot separate them perfectly and its gradient stays
    informative; annealing sigma = std * (1 - progress) to 0 lets the end of training fit the clean data.
    """

    def __init__(self, std: float = 0.1, anneal: bool = True) -> None:
        super().__init__()
        if std < 0.0:
            raise ConfigError(f"augment.std must be non-negative (the noise's standard deviation), got {std}")
        self.std = std
        self.anneal = anneal
        self.register_buffer("sigma", torch.tensor(float(std)))

    def forward(self, x: Tensor) -> Tensor:
        return x + torch.randn_like(x) * self.sigma.to(x.dtype)

    def update(self, real_scores: Tensor, progress: float) -> None:
        if self.anneal:
            self.sigma.fill_(self.std * (1.0 - min(max(progress, 0.0), 1.0)))

    def log_values(self) -> dict[str, Tensor]:
        return {"augment/noise_std": self.sigma.detach().clone()}

    def extra_repr(self) -> str:
        return f"std={self.std}, anneal={self.anneal}"
