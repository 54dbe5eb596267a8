"""ModelCheckpoint whose period is counted in generator updates, that never stores a diverged state, and that
saves when the run is preempted (SIGTERM, as SLURM sends it) or interrupted (Ctrl-C)."""

import warnings

from lightning import LightningModule, Trainer
from lightning.pytorch.callbacks import ModelCheckpoint
from lightning.pytorch.utilities.exceptions import SIGTERMException
from lightning.pytorch.utilities.rank_zero import rank_zero_info

from gansuite.callbacks.divergence import DivergenceGuard

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

    def _save_checkpoint(self, trainer: Trainer, filepath: str) -> None:
        DivergenceGuard.of(trainer).check(trainer, trainer.lightning_module)  # raises rather than save NaNs
        super()._save_checkpoint(trainer, filepath)

    def on_exception(self, trainer: Trainer, pl_module: LightningModule, exception: BaseException) -> None:
        """On SIGTERM (Lightning turns it into SIGTERMException after the current batch) or Ctrl-C, the state is
        sound: save it as this step's checkpoint and last.ckpt. Other exceptions may come from a broken state."""
        if not isinstance(exception, SIGTERMException | KeyboardInterrupt):
            return
        if self._last_global_step_saved != trainer.global_step:
            candidates = self._monitor_candidates(trainer)
            self._save_checkpoint(trainer, self.format_checkpoint_name(candidates))
            self._save_last_checkpoint(trainer, candidates)
        reason = "SIGTERM" if isinstance(exception, SIGTERMException) else "interrupt"
        rank_zero_info(
            f"stopped by {reason} after generator update {pl_module.generator_updates}: saved {self.last_model_path}; "
            f"continue with ckpt_path={self.last_model_path}"
        )
