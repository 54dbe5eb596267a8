"""Callbacks that act on generator updates, the unit papers count, rather than Lightning's optimizer steps."""

from lightning import LightningModule, Trainer


def finished_generator_update(trainer: Trainer, pl_module: LightningModule) -> int | None:
    """The generator-update count when the batch that just ended made a generator update, else None."""
    per_update = pl_module.optimizer_steps_per_generator_update
    if trainer.global_step == 0 or trainer.global_step % per_update:
        return None
    return trainer.global_step // per_update
