"""ModelCheckpoint whose period is counted in generator updates, and that saves when the run is preempted
(SIGTERM, as SLURM sends it) or interrupted (Ctrl-C). DivergenceGuard refuses any save of a diverged state."""

import warnings
from pathlib import Path

from lightning import LightningModule, Trainer
from lightning.pytorch.callbacks import ModelCheckpoint
from lightning.pytorch.utilities.exceptions import SIGTERMException
from lightning.pytorch.utilities.rank_zero import rank_zero_info

# Lightning warns that manual-optimization checkpoints hold the state after the optimizer step: that is the intent.
warnings.filterwarnings("ignore", message="Using ModelCheckpoint with manual optimization")


class GeneratorStepCheckpoint(ModelCheckpoint):
    """Saves every `every_n_updates` generator updates and at the budget's last update (plus last.ckpt with
    `save_last`): a budget that is not a multiple of the period still ends with its final state saved.

    Lightning's `every_n_train_steps` counts optimizer steps, which under manual optimization are n_critic + 1 per
    generator update: so Lightning is asked to consider every step, and this callback hands it only the batches
    that complete a multiple of `every_n_updates` generator updates.
    """

    def __init__(self, every_n_updates: int, **kwargs) -> None:
        # No version counter: a run resumed from an earlier checkpoint overwrites last.ckpt (the files written after
        # that checkpoint are set aside first, gansuite.run.resume) instead of leaving a stale one beside last-v1.ckpt.
        super().__init__(every_n_train_steps=1, save_on_exception=True, enable_version_counter=False, **kwargs)
        self.every_n_updates = every_n_updates

    def on_train_batch_end(self, trainer: Trainer, pl_module: LightningModule, *args) -> None:
        update = pl_module.completed_generator_update
        if update is not None and (update % self.every_n_updates == 0 or update == pl_module.budget_updates):
            super().on_train_batch_end(trainer, pl_module, *args)

    def on_exception(self, trainer: Trainer, pl_module: LightningModule, exception: BaseException) -> None:
        """On SIGTERM (Lightning turns it into SIGTERMException after the current batch) or Ctrl-C, the state is
        sound: save it as this step's checkpoint and last.ckpt. Other exceptions may come from a broken state."""
        if not isinstance(exception, SIGTERMException | KeyboardInterrupt):
            return
        super().on_exception(trainer, pl_module, exception)
        reason = "SIGTERM" if isinstance(exception, SIGTERMException) else "interrupt"
        # resume= carries the run's own overrides (gansuite.run.resume); a bare ckpt_path= would revert to the defaults.
        run_dir = Path(self.dirpath).parent
        rank_zero_info(
            f"stopped by {reason} after generator update {pl_module.generator_updates}: saved {self.last_model_path}; "
            f"continue with: python train.py resume={run_dir}"
        )
