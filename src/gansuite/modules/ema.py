"""The generator's exponential moving average (Karras et al. 2018): torch's AveragedModel, with either a fixed decay
per update or StyleGAN's half-life counted in images (gansuite.objective.schedules.ema_beta), so the average spans
the same data whatever the batch size. Plain torch: the module that keeps it says when to update it and how many
images each update saw."""

from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor, nn
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

from gansuite.errors import ConfigError
from gansuite.objective.schedules import ema_beta


class HalfLifeAverage:
    """AveragedModel's update for a half-life of `half_life_images` images with the optional `rampup`, called once
    per group of tensors of one dtype: one lerp with this update's decay; integer buffers (batch norm's counter) are
    copied, as torch's own EMA does. `images` gives (images per update, images seen so far) when called."""

    def __init__(self, half_life_images: float, rampup: float | None, images: Callable[[], tuple[int, int]]) -> None:
        self.half_life_images, self.rampup, self.images = half_life_images, rampup, images

    def __call__(self, averages: list[Tensor], currents: list[Tensor], _: Any) -> None:
        if not averages[0].is_floating_point():
            torch._foreach_copy_(averages, currents)
            return
        per_update, seen = self.images()
        beta = ema_beta(self.half_life_images, self.rampup, per_update, seen)
        torch._foreach_lerp_(averages, currents, 1.0 - beta)


def averaged_copy(
    network: nn.Module,
    decay: float | None,
    half_life_images: float | None,
    rampup: float | None,
    images: Callable[[], tuple[int, int]],
) -> AveragedModel | None:
    """The moving average of `network`'s weights and buffers (None when both `decay` and `half_life_images` are
    unset), or a ConfigError naming a bad setting."""
    if decay and half_life_images:
        raise ConfigError(
            "model.ema_decay and model.ema_half_life_images both set: choose one (a fixed decay per update, or "
            "a half-life in images) and set the other to null"
        )
    if decay and not 0 < decay < 1:
        raise ConfigError(f"model.ema_decay must be in (0, 1) (e.g. 0.999) or null to turn EMA off, got {decay}")
    if half_life_images is not None and half_life_images <= 0:
        raise ConfigError(f"model.ema_half_life_images must be > 0 (e.g. 10000) or null, got {half_life_images}")
    if decay:
        average = get_ema_multi_avg_fn(decay)
    elif half_life_images:
        average = HalfLifeAverage(half_life_images, rampup, images)
    else:
        return None
    return AveragedModel(network, multi_avg_fn=average, use_buffers=True).requires_grad_(False)
