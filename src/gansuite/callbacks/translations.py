"""Periodic pictures of an image-to-image model for fixed test images: what each family shows is its own
`translation_grid` (CycleGAN: A -> B -> A and B -> A -> B; pix2pix: input | output | target per row)."""

from pathlib import Path

from lightning import LightningModule, Trainer

from gansuite.callbacks.samples import SampleGrid
from gansuite.data.images import to_model_range
from gansuite.plots import save_image_grid


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
