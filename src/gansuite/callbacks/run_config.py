"""Stores the composed run configuration and the generators' recipes in every checkpoint, so scripts can rebuild the
model, and gansuite.load its generator, from the checkpoint alone; and logs the configuration to every logger, so
dashboards can show, filter and group runs by it."""

from typing import Any

from lightning import Callback, LightningModule, Trainer


class RunConfig(Callback):
    def __init__(
        self,
        config: dict[str, Any],
        data_shape: tuple[int, ...],
        num_classes: int | None = None,
        choices: dict[str, str] | None = None,
    ) -> None:
        """`choices`: the config group options the run was composed from (model=wgan, data=ring8, ...), which the
        resolved config cannot tell apart (WGAN and GAN share one class): named when a checkpoint does not fit."""
        self.config, self.choices = config, choices or {}
        self.data_shape = tuple(data_shape)
        self.num_classes = num_classes

    def on_save_checkpoint(self, trainer: Trainer, pl_module: LightningModule, checkpoint: dict[str, Any]) -> None:
        checkpoint["gansuite"] = {
            "config": self.config,
            "data_shape": list(self.data_shape),
            "num_classes": self.num_classes,
            "choices": self.choices,
            "generators": pl_module.generator_checkpoint(),  # what gansuite.load rebuilds without this code
        }

    def on_fit_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        for logger in trainer.loggers:
            logger.log_hyperparams(self.config)
