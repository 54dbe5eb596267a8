"""Training faults, preemption, atomic checkpoints, appended metrics and checkpoints that do not fit
(issue 7, items 3 to 6), on the real CLI and the real Trainer."""

import csv
import re
import signal
import time
from pathlib import Path

import pytest
import torch
from gansuite_testing import HANG_GUARD_S, QUIET, TINY_MLP, TINY_TOY, compose_config
from hydra.core.hydra_config import HydraConfig
from reliability_helpers import finish, run_cli, start_cli, start_cli_in, user_error_line

from gansuite.artifacts.checkpoint_io import AtomicCheckpointIO
from gansuite.artifacts.checkpoints import read_checkpoint
from gansuite.commands.entry import user_error
from gansuite.errors import ConfigError
from gansuite.lightning_adapter import AppendingCSVLogger
from gansuite.modules.loading import load_module
from gansuite.run.train import train

# Plain SGD at learning rate 10 on the discriminator: finite for a few updates, then NaN (the config hook).
DIVERGING = ["model.optimizer_d._target_=torch.optim.SGD", "~model.optimizer_d.betas", "model.optimizer_d.lr=10"]


def wait_for(path: Path, process) -> None:
    """Until the run writes `path`; the deadline only guards against a hang (then the run is killed)."""
    deadline = time.monotonic() + HANG_GUARD_S
    while not path.exists():
        assert process.poll() is None, process.communicate()
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"{path} did not appear in {HANG_GUARD_S} s: {process.communicate()}")
        time.sleep(0.2)


def gen_steps(metrics_csv: Path) -> list[int]:
    with open(metrics_csv, newline="") as file:
        return [int(float(row["gen_step"])) for row in csv.DictReader(file) if row.get("gen_step")]


@pytest.mark.slow
def test_nan_stops_training_and_keeps_the_last_good_checkpoint(tmp_path: Path) -> None:
    run = tmp_path / "run"
    every_update = ["callbacks.model_checkpoint.every_n_updates=1", "trainer.log_every_n_steps=1"]
    status, _, err = run_cli(run, *TINY_MLP, *TINY_TOY, *QUIET, *DIVERGING, *every_update, "steps=50")
    assert status == 2
    line = user_error_line(err)
    found = re.match(r"error: training diverged: ([dg]_loss) became NaN or Inf at generator update (\d+)", line)
    assert found, line
    diverged_at = int(found.group(2))
    assert diverged_at > 1, "the hook must leave some good updates to checkpoint"
    last = run / "checkpoints" / "last.ckpt"
    assert f"the last good checkpoint is {last}" in line
    assert "lower the learning rates" in line

    checkpoint = read_checkpoint(last)
    assert all(torch.isfinite(t).all() for t in checkpoint["state_dict"].values())
    assert checkpoint["global_step"] // 2 == diverged_at - 1
    saved = sorted(int(p.stem.removeprefix("gen_step_")) for p in (run / "checkpoints").glob("gen_step_*.ckpt"))
    assert saved == list(range(1, diverged_at))
    assert not (run / "metrics.json").exists()  # the final evaluation never saw the NaN model


@pytest.mark.slow
def test_sigterm_saves_and_a_rerun_continues_appending_its_metrics(tmp_path: Path) -> None:
    run = tmp_path / "run"
    logging = ["logger=csv", "trainer.log_every_n_steps=1", "callbacks.sample_grid.every_n_updates=5"]
    process = start_cli(run, *TINY_MLP, *TINY_TOY, *QUIET, *logging, "steps=100000")
    wait_for(run / "samples" / "gen_step_000010.png", process)
    process.send_signal(signal.SIGTERM)
    status, out, err = finish(process)
    assert status == 0 and "Traceback" not in err, err
    stopped = re.search(
        r"stopped by SIGTERM after generator update (\d+): saved (\S+); continue with: python train.py (resume=\S+)",
        out + err,
    )
    assert stopped, out + err
    updates = int(stopped.group(1))
    last = run / "checkpoints" / "last.ckpt"
    assert stopped.group(2) == str(last)
    assert read_checkpoint(last)["global_step"] == 2 * updates
    assert (run / "checkpoints" / f"gen_step_{updates:06d}.ckpt").is_file()
    logged_before = gen_steps(run / "csv" / "metrics.csv")
    assert logged_before and max(logged_before) <= updates
    assert "samples at update 10" in (run / "report.html").read_text()  # the report of the run so far

    # The hint as printed, with a budget: it keeps the run's own overrides (the tiny nets, or the checkpoint would not
    # load into the default ones) and its directory.
    status, _, err = finish(start_cli_in(tmp_path, stopped.group(3), f"steps={updates + 10}"))
    assert status == 0, err
    assert read_checkpoint(last)["global_step"] == 2 * (updates + 10)
    logged = gen_steps(run / "csv" / "metrics.csv")
    assert logged[: len(logged_before)] == logged_before  # appended, not truncated
    resumed = logged[len(logged_before) :]
    assert resumed and min(resumed) > updates and max(resumed) == updates + 10  # continued, not restarted


@pytest.mark.slow
def test_hard_kill_loses_at_most_the_steps_since_the_last_periodic_checkpoint(tmp_path: Path) -> None:
    run = tmp_path / "run"
    periodic = ["callbacks.model_checkpoint.every_n_updates=5", "callbacks.sample_grid.every_n_updates=20"]
    process = start_cli(run, *TINY_MLP, *TINY_TOY, *QUIET, *periodic, "steps=100000")
    wait_for(run / "checkpoints" / "gen_step_000020.ckpt", process)  # renamed into place once whole
    process.kill()
    finish(process)
    # none torn, whenever the kill came; the newest holds at least update 20 and is on the periodic grid
    steps = [read_checkpoint(path)["global_step"] for path in (run / "checkpoints").glob("*.ckpt")]
    assert max(steps) >= 2 * 20 and all(step % (2 * 5) == 0 for step in steps)


class FailsToPickle:
    def __reduce__(self):
        raise RuntimeError("disk full")  # stands in for any failure halfway through a write


def test_a_failed_write_leaves_the_previous_checkpoint_whole(tmp_path: Path) -> None:
    path = tmp_path / "last.ckpt"
    io = AtomicCheckpointIO()
    io.save_checkpoint({"global_step": 10, "weights": torch.ones(1000)}, path)
    with pytest.raises(RuntimeError, match="disk full"):
        io.save_checkpoint({"global_step": 20, "weights": torch.zeros(1000), "bad": FailsToPickle()}, path)
    assert io.load_checkpoint(path)["global_step"] == 10
    assert [p.name for p in tmp_path.iterdir()] == ["last.ckpt"]


def test_resumed_csv_log_keeps_rows_and_columns(tmp_path: Path) -> None:
    first = AppendingCSVLogger(save_dir=str(tmp_path), name="csv", version="")
    first.log_metrics({"train/d_loss": 1.0, "val/kl": 0.5}, step=0)
    first.save()
    resumed = AppendingCSVLogger(save_dir=str(tmp_path), name="csv", version="")
    resumed.log_metrics({"train/d_loss": 0.9}, step=1)
    resumed.save()
    resumed.log_metrics({"train/g_loss": 0.7}, step=2)
    resumed.save()
    with open(tmp_path / "csv" / "metrics.csv", newline="") as file:
        rows = list(csv.DictReader(file))
    assert [(r["step"], r["train/d_loss"], r["val/kl"], r["train/g_loss"]) for r in rows] == [
        ("0", "1.0", "0.5", ""),
        ("1", "0.9", "", ""),
        ("2", "", "", "0.7"),
    ]


@pytest.mark.slow
def test_runs_and_sweep_jobs_get_their_own_directories(tmp_path: Path) -> None:
    """Started in the same second in the same folder, a run and a two-job sweep write to three directories."""
    env = [*TINY_MLP, *TINY_TOY, *QUIET, "steps=2", "callbacks.sample_grid.every_n_updates=100", "logger=csv"]
    single = start_cli_in(tmp_path, *env)
    sweep = start_cli_in(tmp_path, "-m", *env, "seed=0,1")
    assert finish(single)[0] == 0 and finish(sweep)[0] == 0
    runs = list((tmp_path / "logs" / "train" / "runs").iterdir())
    jobs = sorted((tmp_path / "logs" / "train" / "multiruns").glob("*/*/checkpoints/last.ckpt"))
    assert len(runs) == 1 and (runs[0] / "checkpoints" / "last.ckpt").is_file()
    assert [p.parent.parent.name for p in jobs] == ["0", "1"]
    assert [read_checkpoint(p)["gansuite"]["config"]["seed"] for p in jobs] == [0, 1]


def test_checkpoints_load_weights_only_and_one_of_another_model_is_refused(tmp_path: Path) -> None:
    tiny = [*TINY_MLP, "model.latent_dim=8", *QUIET]  # latent_dim 8: the shapes the messages below name
    first = [*tiny, *TINY_TOY, "steps=2", "callbacks.sample_grid.every_n_updates=100"]
    HydraConfig.instance().set_config(compose_config(first, tmp_path, return_hydra_config=True))  # as train.py runs
    try:
        train(compose_config(first, tmp_path))
    finally:
        HydraConfig.instance().cfg = None
    last = tmp_path / "checkpoints" / "last.ckpt"
    module, config = load_module(last)  # torch.load(weights_only=True) inside
    saved = read_checkpoint(last)["state_dict"]
    assert config.model.generator.mlp.width == 32
    assert module.state_dict().keys() == saved.keys()
    assert all(torch.equal(value, saved[name]) for name, value in module.state_dict().items())

    wider = compose_config([*tiny, *TINY_TOY, "steps=4", "model.generator.mlp.width=64", f"ckpt_path={last}"], tmp_path)
    with pytest.raises(ConfigError) as raised:
        train(wider)
    assert str(raised.value) == (
        "the checkpoint does not fit this model (generator.net.0.weight has shape (32, 8) there but (64, 8) here); "
        "it was trained with model=gan data=ring8 on data of shape (2,): pass the model and data options of the run "
        "that wrote it, or drop ckpt_path to start fresh"
    )

    images = compose_config([*tiny, "data=cifar10_subset", "metrics=none", "steps=4", f"ckpt_path={last}"], tmp_path)
    with pytest.raises(Exception) as raised:
        train(images)
    assert "has shape (2, 32) there but (3072, 32) here" in str(user_error(raised.value))

    torn = tmp_path / "torn.ckpt"
    torn.write_bytes(last.read_bytes()[:4096])
    with pytest.raises(ConfigError, match=r"cannot read checkpoint .*torn.ckpt, it is truncated or not a checkpoint"):
        train(compose_config([*tiny, *TINY_TOY, "steps=4", f"ckpt_path={torn}"], tmp_path))
