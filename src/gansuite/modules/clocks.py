"""The clocks of a training module: generator updates, the suite's unit (`steps=`, every `every_n_updates`), read
from Lightning's global_step, which counts optimizer steps; and the wall time the run report plots against. The one
owner of the conversion between the two counts (`optimizer_steps_for`, `generator_updates_at`): nothing else
multiplies or divides by the optimizer steps per generator update. Both survive a resume without state of their own
(global_step is restored; the wall seconds travel in the checkpoint)."""

import time

from lightning import LightningModule

from gansuite.errors import ConfigError


class TrainingClocks(LightningModule):
    """A family says how many optimizer steps one generator update takes (`optimizer_steps_per_generator_update`:
    a class attribute or a property); the rest follows."""

    optimizer_steps_per_generator_update: int

    def __init__(self) -> None:
        super().__init__()
        self.train_started_at, self.wall_seconds_before = time.perf_counter(), 0.0

    def on_train_start(self) -> None:
        self.train_started_at = time.perf_counter()

    @property
    def wall_seconds(self) -> float:
        """Seconds of training: this process's, plus those its checkpoint had recorded when the run was resumed, so
        the report's wall-time axis continues across resumptions instead of restarting at 0."""
        return self.wall_seconds_before + time.perf_counter() - self.train_started_at

    def on_save_checkpoint(self, checkpoint: dict) -> None:
        checkpoint["wall_seconds"] = self.wall_seconds

    def optimizer_steps_for(self, generator_updates: int) -> int:
        """Lightning's optimizer steps (max_steps, global_step) of `generator_updates` generator updates: the one
        conversion from the suite's clock to Lightning's; `generator_updates_at` is its inverse."""
        return generator_updates * self.optimizer_steps_per_generator_update

    def generator_updates_at(self, optimizer_steps: int) -> int:
        """The generator updates completed within `optimizer_steps` optimizer steps."""
        return optimizer_steps // self.optimizer_steps_per_generator_update

    @property
    def generator_updates(self) -> int:
        """Generator updates made so far: Lightning's global_step counts every optimizer step, so this survives a
        resume without state of its own."""
        return self.generator_updates_at(self.global_step)

    @property
    def budget_updates(self) -> int | None:
        """The `steps` budget in generator updates; None outside a fit with a step budget."""
        try:
            max_steps = self.trainer.max_steps
        except RuntimeError:  # not attached to a Trainer (a module built for sampling or a unit test)
            return None
        return None if max_steps is None or max_steps <= 0 else self.generator_updates_at(max_steps)

    @property
    def completed_generator_update(self) -> int | None:
        """The generator-update count when the batch that just ran completed a generator update, else None."""
        if self.global_step == 0 or self.global_step != self.optimizer_steps_for(self.generator_updates):
            return None
        return self.generator_updates

    @property
    def steps_into_update(self) -> int:
        """Optimizer steps already taken in the generator update in progress (0 at its start): what a family's
        order of turns within an update reads."""
        return self.global_step - self.optimizer_steps_for(self.generator_updates)

    @property
    def discriminator_updates(self) -> int:
        """Discriminator updates made so far: every optimizer step that is not a generator update is one (GAN's
        critic steps, CycleGAN's step of both discriminators). Lazy regularizers count these."""
        return self.global_step - self.generator_updates

    @property
    def progress(self) -> float:
        """The share of the `steps` budget done (0 before the first update, 1 after the last), which schedules
        read; 0 outside a fit with a step budget."""
        budget = self.budget_updates
        return 0.0 if budget is None else min(self.global_step / self.optimizer_steps_for(budget), 1.0)

    def on_load_checkpoint(self, checkpoint: dict) -> None:
        self.wall_seconds_before = float(checkpoint.get("wall_seconds", 0.0))  # 0 for checkpoints of older versions
        # Lightning would restore a finished run and exit without a word: say that there is nothing left to train.
        budget = self.budget_updates
        if budget is not None and self.optimizer_steps_for(budget) <= checkpoint["global_step"]:
            updates = self.generator_updates_at(checkpoint["global_step"])
            raise ConfigError(
                f"the checkpoint is at generator update {updates}, already at or past steps={budget}: nothing to "
                f"train; pass a larger budget, e.g. steps={2 * updates}, to continue it"
            )
