"""Periodic pictures of the generator: fixed-noise image grids, or toy scatter plots with density contours."""

from pathlib import Path

from lightning import Callback, LightningModule, Trainer

from gansuite.artifacts.plots import plot_toy, save_image_grid


class SampleGrid(Callback):
    """Every `every_n_updates` generator updates and at the end, writes `dirpath/gen_step_NNNNNN.png`.

    Images come from the model's fixed noise, so grids are comparable along the run (a conditional model's grid has
    one row per class). Toy runs plot
    `num_points` fresh samples against as many real ones and also leave `real_vs_generated.png` beside dirpath.
    """

    def __init__(self, dirpath: str, every_n_updates: int = 500, num_points: int = 2000) -> None:
        self.dirpath = Path(dirpath)
        self.every_n_updates = every_n_updates
        self.num_points = num_points

    #: The name of the pictures in loggers that take images (W&B).
    key = "samples"

    def draw(self, trainer: Trainer, pl_module: LightningModule, path: Path) -> None:
        """Writes the picture to `path`; subclasses show other things on the same schedule."""
        if len(pl_module.data_shape) == 3:
            images, per_row = pl_module.fixed_samples()
            save_image_grid(images, path, nrow=per_row)
        else:
            real = trainer.datamodule.sample(self.num_points)
            plot_toy(real, pl_module.sample(self.num_points), path, f"{path.stem}")

    def save(self, trainer: Trainer, pl_module: LightningModule, path: Path) -> None:
        self.draw(trainer, pl_module, path)
        for logger in trainer.loggers:
            if hasattr(logger, "log_image"):
                logger.log_image(key=self.key, images=[str(path)], step=trainer.global_step)

    def on_train_batch_end(self, trainer: Trainer, pl_module: LightningModule, *args) -> None:
        step = pl_module.completed_generator_update
        if step is not None and step % self.every_n_updates == 0 and trainer.is_global_zero:
            self.save(trainer, pl_module, self.dirpath / f"gen_step_{step:06d}.png")

    def on_train_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        if trainer.is_global_zero:
            name = "real_vs_generated.png" if len(pl_module.data_shape) == 1 else "samples.png"
            self.save(trainer, pl_module, self.dirpath.parent / name)
