"""Real training runs: every model x loss pair a few steps on toy points and tiny images, and the README command."""

import csv
import itertools
import json
import os
import sys
from pathlib import Path

import pytest
import torch
from forked_cli import run_python
from gansuite_testing import (
    HANG_GUARD_S,
    LOG_EVERY_BATCH,
    QUIET,
    ROOT,
    TINY_CONV,
    TINY_MLP,
    compose_config,
    readme_offline_commands,
)

from gansuite.run.train import train

# Quiet, and every batch logged: assert_finite_run reads the losses of these few-update runs from the CSV log.
QUIET_LOGGED = [*QUIET, *LOG_EVERY_BATCH]
TINY_IMAGES = ["data=cifar10_subset", "data.image_size=16", "data.batch_size=8", "metrics=none"]


def valid_pairs(models):
    """Model x loss pairs that can train: the Wasserstein loss needs model=wgan's gradient penalty."""
    return [(m, loss) for m, loss in itertools.product(models, LOSSES) if loss != "wasserstein" or m == "wgan"]


LOSSES = ["minimax", "nonsaturating", "wasserstein", "hinge", "lsgan"]


def assert_finite_run(output_dir: Path) -> None:
    """The last checkpoint's parameters and every logged loss are finite."""
    checkpoint = torch.load(output_dir / "checkpoints" / "last.ckpt", weights_only=False)
    for name, tensor in checkpoint["state_dict"].items():
        assert torch.isfinite(tensor.float()).all(), name
    with open(output_dir / "csv" / "metrics.csv") as f:
        rows = list(csv.DictReader(f))
    losses = [float(row[key]) for row in rows for key in ("train/d_loss", "train/g_loss") if row.get(key)]
    assert losses and all(torch.isfinite(torch.tensor(losses)))


@pytest.mark.parametrize(("model", "loss"), valid_pairs(["gan", "wgan"]))
def test_model_and_loss_train_on_toy_points(tmp_path, model, loss):
    cfg = compose_config([f"model={model}", f"loss={loss}", "steps=3", *QUIET_LOGGED, *TINY_MLP], tmp_path)
    train(cfg)
    assert_finite_run(tmp_path)
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["generator_updates"] == 3 and 0 <= metrics["val/modes"] <= 8


@pytest.mark.parametrize(("model", "loss"), valid_pairs(["gan", "dcgan", "wgan"]))
def test_model_and_loss_train_on_tiny_images(tmp_path, data_dir, model, loss):
    tiny = TINY_MLP if model == "gan" else TINY_CONV
    train(compose_config([f"model={model}", f"loss={loss}", "steps=2", *QUIET_LOGGED, *TINY_IMAGES, *tiny], tmp_path))
    assert_finite_run(tmp_path)
    assert (tmp_path / "samples.png").is_file()


def test_feature_matching_and_label_smoothing_train(tmp_path):
    overrides = [
        "loss=minimax",
        "loss.real_label=0.9",
        "model.feature_matching=1.0",
        "steps=3",
        *QUIET_LOGGED,
        *TINY_MLP,
    ]
    train(compose_config(overrides, tmp_path))
    assert_finite_run(tmp_path)


def test_steps_count_generator_updates(tmp_path):
    """steps=4 with n_critic=5 is 4 generator and 20 critic updates: 24 optimizer steps."""
    train(compose_config(["model=wgan", "steps=4", *QUIET_LOGGED, *TINY_MLP], tmp_path))
    checkpoint = torch.load(tmp_path / "checkpoints" / "last.ckpt", weights_only=False)
    assert checkpoint["global_step"] == 24
    assert json.loads((tmp_path / "metrics.json").read_text())["generator_updates"] == 4


def test_an_empty_callbacks_group_trains_without_them(tmp_path):
    """callbacks=[] (the lightning-hydra-template way to drop them): no generator-update checkpoints, sample grids
    or report; the evaluation and the run's own config record stay, as train.py adds them."""
    cfg = compose_config(["callbacks=[]", "steps=2", *QUIET_LOGGED, *TINY_MLP], tmp_path)
    assert dict(cfg.callbacks) == {}
    train(cfg)
    assert json.loads((tmp_path / "metrics.json").read_text())["generator_updates"] == 2
    assert not (tmp_path / "checkpoints").exists() and not (tmp_path / "report.html").exists()


@pytest.mark.slow
def test_periodic_checkpoints_and_sample_grids_follow_generator_updates(tmp_path):
    overrides = [
        "model=wgan", "steps=6", "callbacks.model_checkpoint.every_n_updates=3",
        "callbacks.sample_grid.every_n_updates=2", *QUIET_LOGGED, *TINY_MLP,
    ]  # fmt: skip
    train(compose_config(overrides, tmp_path))
    checkpoints = sorted(p.name for p in (tmp_path / "checkpoints").iterdir())
    assert checkpoints == ["gen_step_000003.ckpt", "gen_step_000006.ckpt", "last.ckpt"]
    grids = sorted(p.name for p in (tmp_path / "samples").iterdir())
    assert grids == ["gen_step_000002.png", "gen_step_000004.png", "gen_step_000006.png"]


def test_the_last_update_is_checkpointed_when_the_budget_is_not_a_multiple_of_the_period(tmp_path):
    overrides = ["steps=5", "callbacks.model_checkpoint.every_n_updates=2", *QUIET_LOGGED, *TINY_MLP]
    train(compose_config(overrides, tmp_path))
    checkpoints = sorted(p.name for p in (tmp_path / "checkpoints").iterdir())
    assert checkpoints == ["gen_step_000002.ckpt", "gen_step_000004.ckpt", "gen_step_000005.ckpt", "last.ckpt"]
    last = torch.load(tmp_path / "checkpoints" / "last.ckpt", weights_only=True)
    assert last["global_step"] == 10  # 5 updates of the toy GAN, a discriminator and a generator step each


@pytest.mark.slow
def test_readme_command_trains_the_default_and_leaves_its_outputs(tmp_path):
    """`python train.py` as the README writes it, shrunk only by steps= (run from a scratch directory so logs land
    there). The README's time for the full run is measured apart, not here."""
    command = [sys.executable, str(ROOT / "train.py"), "steps=600"]
    result = run_python(command, tmp_path, dict(os.environ), HANG_GUARD_S)  # forked: imports done (forked_cli.py)
    assert result.returncode == 0, result.stderr[-3000:]
    (run_dir,) = (tmp_path / "logs" / "train" / "runs").iterdir()
    assert (run_dir / ".hydra" / "config.yaml").is_file()
    assert (run_dir / "checkpoints" / "last.ckpt").is_file()
    assert (run_dir / "real_vs_generated.png").stat().st_size > 10_000
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert set(metrics) == {"generator_updates", "val/modes", "val/high_quality", "val/kl"}
    assert "val/modes" in result.stdout and "Final metrics after 600 generator updates" in result.stdout
    assert result.stderr.count(f"run directory: {run_dir}") == 2  # said at the start and at the end


@pytest.mark.slow
@pytest.mark.parametrize("command", readme_offline_commands())
def test_readme_offline_commands_run_offline_as_written(command: str, tmp_path, data_dir) -> None:
    """Shrunk only by steps=2; TORCH_HOME points at an empty folder, so no Inception weights can be found."""
    arguments = [argument for argument in command.split()[2:] if not argument.startswith("steps=")]
    env = {**os.environ, "TORCH_HOME": str(tmp_path / "no_weights"), "WANDB_MODE": "offline"}
    result = run_python([sys.executable, str(ROOT / "train.py"), *arguments, "steps=2"], tmp_path, env, HANG_GUARD_S)
    assert result.returncode == 0, result.stderr[-3000:]


def test_the_readme_marks_commands_offline() -> None:
    assert len(readme_offline_commands()) == 4
