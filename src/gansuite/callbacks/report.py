"""Writes the run report (gansuite.artifacts.report: report.html in the run directory) when training ends, and when
SIGTERM or Ctrl-C stops it, so a preempted run leaves its report beside its checkpoint. Rank zero only."""

from pathlib import Path

from lightning import Callback, LightningModule, Trainer
from lightning.pytorch.utilities.exceptions import SIGTERMException
from lightning.pytorch.utilities.rank_zero import rank_zero_info, rank_zero_warn

from gansuite.artifacts.report import write_report
from gansuite.callbacks.run_config import RunConfig


class RunReport(Callback):
    def __init__(self, run_dir: str) -> None:
        self.run_dir = Path(run_dir)

    def write(self, trainer: Trainer) -> None:
        if not trainer.is_global_zero:
            return
        for logger in trainer.loggers:  # the CSV logger buffers its last rows until it saves
            logger.save()
        config = next((callback.config for callback in trainer.callbacks if isinstance(callback, RunConfig)), None)
        try:
            rank_zero_info(f"run report: {write_report(self.run_dir, config)}")
        except Exception as error:  # the run's checkpoints and logs are sound: a report bug must not fail the run
            rank_zero_warn(f"the run report failed ({type(error).__name__}: {error}): gansuite-report {self.run_dir}")

    def on_train_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        self.write(trainer)

    def on_exception(self, trainer: Trainer, pl_module: LightningModule, exception: BaseException) -> None:
        if isinstance(exception, SIGTERMException | KeyboardInterrupt):
            self.write(trainer)
