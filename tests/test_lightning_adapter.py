"""gansuite.lightning_adapter holds every use of Lightning's private members. These tests run them against a real
Trainer and fail, naming the Lightning version, on the release where one of them changes."""

import csv
from pathlib import Path

import lightning
import torch
from lightning import Callback, LightningModule, Trainer
from torch.utils.data import DataLoader

from gansuite.lightning_adapter import AppendingCSVLogger, log_now, writes_logs_this_batch

BROKEN = f"gansuite.lightning_adapter no longer matches lightning {lightning.__version__}"


class Steps(LightningModule):
    """One optimizer step per batch, logging the batch index on the batches the adapter says Lightning writes."""

    def __init__(self) -> None:
        super().__init__()
        self.weight = torch.nn.Parameter(torch.zeros(1))
        self.gated: list[int] = []

    def training_step(self, batch, batch_idx: int):
        if writes_logs_this_batch(self.trainer):
            self.gated.append(batch_idx)
            self.log("batch", float(batch_idx))
        return (self.weight - batch).pow(2).mean()

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.1)


class LogNowAt(Callback):
    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx: int) -> None:
        if batch_idx == 4:
            log_now(trainer, {"now": 1.0})


def rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as file:
        return list(csv.DictReader(file))


def fit(tmp_path: Path, batches: int) -> Steps:
    module = Steps()
    trainer = Trainer(
        max_steps=batches,
        log_every_n_steps=3,
        logger=AppendingCSVLogger(tmp_path, name="csv", version=""),
        callbacks=[LogNowAt()],
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
    )
    trainer.fit(module, DataLoader(torch.arange(40.0).view(-1, 1), batch_size=1))
    return module


def test_the_private_members_exist() -> None:
    from lightning.pytorch.loggers.csv_logs import ExperimentWriter

    assert hasattr(ExperimentWriter, "_check_log_dir_exists"), BROKEN
    trainer = Trainer(logger=False, enable_progress_bar=False)
    assert isinstance(trainer._logger_connector.should_update_logs, bool), BROKEN
    assert callable(trainer._logger_connector.log_metrics), BROKEN


def test_the_log_gate_is_lightnings_and_log_now_writes_a_row_of_that_step(tmp_path: Path) -> None:
    module = fit(tmp_path, batches=9)
    assert module.gated == [2, 5, 8], BROKEN
    written = rows(tmp_path / "csv" / "metrics.csv")
    logged = [row for row in written if row.get("batch")]
    assert [(row["step"], row["batch"]) for row in logged] == [("2", "2.0"), ("5", "5.0"), ("8", "8.0")], BROKEN
    assert [row["step"] for row in written if row.get("now")] == ["4"], BROKEN


def test_the_csv_logger_appends_to_an_existing_metrics_file(tmp_path: Path) -> None:
    fit(tmp_path, batches=3)
    fit(tmp_path, batches=6)
    batches = [row["batch"] for row in rows(tmp_path / "csv" / "metrics.csv") if row.get("batch")]
    assert batches == ["2.0", "2.0", "5.0"], BROKEN


def test_pyproject_bounds_lightning_to_the_tested_minor() -> None:
    pyproject = (Path(__file__).resolve().parents[1] / "pyproject.toml").read_text()
    major, minor = lightning.__version__.split(".")[:2]
    bound = f'"lightning>=2.6,<{major}.{int(minor) + 1}"'
    assert bound in pyproject, f"lightning {lightning.__version__} runs outside the bound"
