"""Reproducibility: the same seed and config on CPU give the same losses over the first 100 optimizer steps (50
generator updates); another seed does not."""

import csv
from pathlib import Path

import pytest
from gansuite_testing import QUIET, TINY_MLP, TINY_TOY, compose_config

from gansuite.run.train import train


def losses(tmp_path: Path, seed: int, logger: str = "csv") -> list[tuple[float, float]]:
    overrides = [
        *TINY_MLP,
        *QUIET,
        *(override for override in TINY_TOY if not override.startswith("metrics.")),
        f"seed={seed}",
        "steps=50",
        f"logger={logger}",
        "metrics=none",
        "callbacks.sample_grid.every_n_updates=1000",
        "callbacks.model_checkpoint.every_n_updates=1000",
        "trainer.log_every_n_steps=1",
    ]
    train(compose_config(overrides, tmp_path))
    with (tmp_path / "csv" / "metrics.csv").open() as file:
        rows = [row for row in csv.DictReader(file) if row["train/d_loss"]]
    return [(float(row["train/d_loss"]), float(row["train/g_loss"])) for row in rows]


@pytest.mark.slow
def test_same_seed_same_losses_other_seed_other_losses(tmp_path):
    first, again, other = (losses(tmp_path / name, seed) for name, seed in (("a", 0), ("b", 0), ("c", 1)))
    assert len(first) >= 45  # a row per logged batch: about one per generator update
    assert first == again
    assert all(a != b for a, b in zip(first, other, strict=True))
