"""Every use of Lightning's private members, in one place, for what its public API does not offer.

- `writes_logs_this_batch`: whether Lightning writes the logged values to the loggers at the end of this batch.
  The sync-free step logs its losses only then; a private property, since Lightning exposes no "log now?" test.
- `log_now`: writes values to every logger at once, at the step and with the epoch of Lightning's own rows
  (evaluations are computed in callbacks, outside any logging batch).
- `AppendingCSVLogger`: Lightning's CSVLogger deletes an existing metrics.csv when it opens its writer; a resumed
  run must append to it instead, and the deletion sits in a private method of the writer.

tests/test_lightning_adapter.py checks each of these against a real Trainer run and fails on the Lightning version
where one changes; pyproject.toml bounds lightning to the minor versions that test passed on.
"""

import csv

from lightning import Trainer
from lightning.pytorch.loggers import CSVLogger
from lightning.pytorch.loggers.csv_logs import ExperimentWriter
from lightning.pytorch.loggers.logger import rank_zero_experiment


def writes_logs_this_batch(trainer: Trainer) -> bool:
    """Lightning's own test (every `trainer.log_every_n_steps` batches, and when stopping)."""
    return trainer._logger_connector.should_update_logs


def log_now(trainer: Trainer, metrics: dict[str, float]) -> None:
    """`metrics` to every logger now, in the rows' step (batches) with the current epoch."""
    trainer._logger_connector.log_metrics(metrics)


class AppendingExperimentWriter(ExperimentWriter):
    def _check_log_dir_exists(self) -> None:
        """Lightning deletes an existing metrics.csv here; this keeps it and continues with its columns."""
        if self._fs.isfile(self.metrics_file_path):
            with self._fs.open(self.metrics_file_path, "r", newline="") as file:
                self.metrics_keys = next(csv.reader(file), [])


class AppendingCSVLogger(CSVLogger):
    """A CSVLogger that appends to the run's metrics.csv instead of deleting it, so a resumed run keeps its
    history."""

    @property
    @rank_zero_experiment
    def experiment(self) -> ExperimentWriter:
        if self._experiment is None:
            self._fs.makedirs(self.root_dir, exist_ok=True)
            self._experiment = AppendingExperimentWriter(log_dir=self.log_dir)
        return self._experiment
