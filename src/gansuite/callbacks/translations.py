"""Periodic pictures of an image-to-image model for fixed test images: what each translation family shows is its
own `translation_grid` (CycleGAN: A -> B -> A and B -> A -> B; pix2pix: input | output | target per row), and
super-resolution shows input | output | target crops."""

from pathlib import Path

import torch
from lightning import LightningModule, Trainer
from torch.nn import functional as F

from gansuite.artifacts.plots import save_image_grid
from gansuite.callbacks.samples import SampleGrid
from gansuite.data.images import to_model_range


class TranslationGrid(SampleGrid):
    """SampleGrid's schedule and files (`dirpath/gen_step_NNNNNN.png`, `samples.png` at the end), showing the
    translations of the first `num_images` test images of each domain, so grids are comparable along the run."""

    key = "translations"

    def __init__(self, dirpath: str, every_n_updates: int = 500, num_images: int = 8) -> None:
        super().__init__(dirpath, every_n_updates)
        self.num_images = num_images

    def draw(self, trainer: Trainer, pl_module: LightningModule, path: Path) -> None:
        datamodule = trainer.datamodule
        count = min(self.num_images, len(datamodule.test_images("a")), len(datamodule.test_images("b")))
        real_a, real_b = (to_model_range(datamodule.test_images(d)[:count]).to(pl_module.device) for d in "ab")
        images, columns = pl_module.translation_grid(real_a, real_b)
        save_image_grid(images, path, nrow=columns)


class UpscalingGrid(SampleGrid):
    """Super-resolution's picture on SampleGrid's schedule: one row per test image, input | output | target, of a
    central `crop_size` crop (the input shown with each pixel repeated `scale` times). A test image smaller than the
    crop gives a smaller crop, padded with black to the grid's cell size."""

    key = "upscaling"

    def __init__(self, dirpath: str, every_n_updates: int = 500, num_images: int = 4) -> None:
        super().__init__(dirpath, every_n_updates)
        self.num_images = num_images

    def draw(self, trainer: Trainer, pl_module: LightningModule, path: Path) -> None:
        datamodule, scale = trainer.datamodule, pl_module.scale
        rows = []
        for low, high in datamodule.test_pairs()[: self.num_images]:
            side = min(datamodule.crop_size // scale, *low.shape[1:])  # in low-resolution pixels
            top, left = (low.shape[1] - side) // 2, (low.shape[2] - side) // 2
            low = low[:, top : top + side, left : left + side]
            high = high[:, top * scale : (top + side) * scale, left * scale : (left + side) * scale]
            low = to_model_range(low[None]).to(pl_module.device)
            output = pl_module.upscale(low)
            shown = low.repeat_interleave(scale, dim=2).repeat_interleave(scale, dim=3)
            rows.append(torch.cat([shown, output, to_model_range(high[None]).to(pl_module.device)]))
        height, width = max(row.shape[2] for row in rows), max(row.shape[3] for row in rows)
        cells = [F.pad(row, (0, width - row.shape[3], 0, height - row.shape[2]), value=-1.0) for row in rows]
        save_image_grid(torch.cat(cells), path, nrow=3)
