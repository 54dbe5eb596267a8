"""ModelCheckpoint whose period is counted in generator updates."""

import warnings

from lightning import LightningModule, Trainer
from lightning.pytorch.callbacks import ModelCheckpoint

# Lightning warns that manual-optimization checkpoints hold the state after the optimizer step: that is the intent.
warnings.filterwarnings("ignore", message="Using ModelCheckpoint with manual optimization")


class GeneratorStepCheckpoint(ModelCheckpoint):
    """Saves every `every_n_generator_steps` generator updates (plus last.ckpt with `save_last`).

    Lightning's `every_n_train_steps` counts optimizer steps, which under manual optimization are n_critic + 1 per
    generator update; the conversion needs the model, so it happens in `setup`.
    """

    def __init__(self, every_n_generator_steps: int, **kwargs) -> None:
        super().__init__(every_n_train_steps=every_n_generator_steps, **kwargs)
        self.every_n_generator_steps = every_n_generator_steps

    def setup(self, trainer: Trainer, pl_module: LightningModule, stage: str) -> None:
        super().setup(trainer, pl_module, stage)
        self._every_n_train_steps = self.every_n_generator_steps * pl_module.optimizer_steps_per_generator_update
