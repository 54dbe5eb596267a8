"""Evaluator of an image-to-image model in both directions: translated test A against real test B, and
translated test B against real test A, with a set-to-set score `distance(generated, real)` on images in [-1, 1].

With FID as the distance this is the CUT paper's protocol (Park et al. 2020): all test images of each domain,
e.g. horse2zebra's 120 test horses translated and scored against its 140 test zebras (`fid_a2b`).
"""

from collections.abc import Callable

import torch
from lightning import LightningModule
from torch import Tensor

from gansuite.data.images import to_model_range


class TranslationScores:
    def __init__(self, distance: Callable[[Tensor, Tensor], float], name: str = "fid", batch_size: int = 50) -> None:
        self.distance = distance
        self.name = name
        self.batch_size = batch_size

    def translate(self, pl_module: LightningModule, images: Tensor, direction: str) -> Tensor:
        batches = to_model_range(images).split(self.batch_size)
        return torch.cat([pl_module.translate(batch, direction).cpu() for batch in batches])

    def __call__(self, pl_module: LightningModule, datamodule) -> dict[str, float]:
        real_a, real_b = datamodule.test_images("a"), datamodule.test_images("b")
        return {
            f"{self.name}_a2b": float(self.distance(self.translate(pl_module, real_a, "a2b"), to_model_range(real_b))),
            f"{self.name}_b2a": float(self.distance(self.translate(pl_module, real_b, "b2a"), to_model_range(real_a))),
        }
