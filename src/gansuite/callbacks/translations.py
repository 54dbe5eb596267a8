"""Periodic pictures of an image-to-image model: A -> B -> A and B -> A -> B for fixed test images."""

from pathlib import Path

import torch
from lightning import LightningModule, Trainer
from torch import Tensor

from gansuite.callbacks.samples import SampleGrid
from gansuite.data.images import to_model_range
from gansuite.plots import save_image_grid


def translation_grid(pl_module: LightningModule, real_a: Tensor, real_b: Tensor) -> Tensor:
    """Six rows of len(real_a) images: real A, A -> B, A -> B -> A, real B, B -> A, B -> A -> B."""
    fake_b = pl_module.translate(real_a, "a2b")
    fake_a = pl_module.translate(real_b, "b2a")
    rows = [real_a, fake_b, pl_module.translate(fake_b, "b2a"), real_b, fake_a, pl_module.translate(fake_a, "a2b")]
    return torch.cat([row.to(pl_module.device) for row in rows])


class TranslationGrid(SampleGrid):
    """SampleGrid's schedule and files (`dirpath/gen_step_NNNNNN.png`, `samples.png` at the end), showing the
    translations of the first `num_images` test images of each domain, so grids are comparable along the run."""

    key = "translations"

    def __init__(self, dirpath: str, every_n_updates: int = 500, num_images: int = 8) -> None:
        super().__init__(dirpath, every_n_updates)
        self.num_images = num_images

    def draw(self, trainer: Trainer, pl_module: LightningModule, path: Path) -> None:
        datamodule = trainer.datamodule
        real_a = to_model_range(datamodule.test_images("a")[: self.num_images])
        real_b = to_model_range(datamodule.test_images("b")[: self.num_images])
        count = min(len(real_a), len(real_b))
        save_image_grid(translation_grid(pl_module, real_a[:count], real_b[:count]), path, nrow=count)
