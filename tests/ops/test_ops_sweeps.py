"""Sweeps as users run them: a grid multirun with its summary table, an Optuna search, the SLURM launcher config."""

import csv
import json
import math
import sys
from pathlib import Path

import pytest
import yaml
from forked_cli import run_python
from gansuite_testing import HANG_GUARD_S, QUIET, ROOT, TINY_MLP, compose_config
from ops_helpers import run, train_command

# Evaluations every 5 updates reach the CSV log only on logging steps: log every 5 batches too.
SHORT = [
    "steps=10",
    "metrics.every_n_updates=5",
    "trainer.log_every_n_steps=5",
    "callbacks.sample_grid.every_n_updates=100",
]
SHORT.append("logger=csv")


def job_metrics(job_dir: Path) -> tuple[float, list[float]]:
    """(final val/kl from metrics.json, periodic val/kl values from the CSV log) of one sweep job."""
    final = json.loads((job_dir / "metrics.json").read_text())["val/kl"]
    with (job_dir / "csv" / "metrics.csv").open() as file:
        periodic = [float(row["val/kl"]) for row in csv.DictReader(file) if row["val/kl"]]
    return final, periodic


@pytest.mark.slow
def test_multirun_writes_a_summary_of_every_job(tmp_path, env):
    sweep_dir = tmp_path / "sweep"
    result = run(train_command("-m", "seed=0,1", *SHORT, f"hydra.sweep.dir={sweep_dir}"), env)
    assert f"Sweep summary of 2 jobs: {sweep_dir / 'summary.md'}" in result.stdout
    with (sweep_dir / "summary.csv").open() as file:
        rows = list(csv.DictReader(file))
    assert [row["overrides"] for row in rows] == ["seed=0", "seed=1"]  # what sets each job apart
    for row in rows:
        final, periodic = job_metrics(sweep_dir / row["job"])
        assert row["status"] == "done" and float(row["final val/kl"]) == final
        assert float(row["best val/kl"]) == min(periodic) and len(periodic) == 2  # at updates 5 and 10 (the end)
        assert float(row["final generator_updates"]) == 10 and float(row["best at gen_step"]) in (5, 10)
    markdown = (sweep_dir / "summary.md").read_text().splitlines()
    assert markdown[0].startswith("| job | overrides | status | final generator_updates |") and len(markdown) == 4
    report = (sweep_dir / "report.html").read_text()  # the table and one curve per job (gansuite.artifacts.report)
    assert "Sweep report: sweep (2 jobs)" in report and "seed=0" in report and "seed=1" in report
    assert all((sweep_dir / row["job"] / "report.html").is_file() for row in rows)  # and each job's own


@pytest.mark.slow
def test_a_job_with_a_bad_value_is_one_error_line_of_its_own_and_a_failed_row(tmp_path, env):
    """A sweep's job fails on a value the user chose (n_critic=0): the job prints the one line a single run would,
    not a traceback of its own, and the summary lists it as failed with that line; the other job trains."""
    sweep_dir = tmp_path / "sweep"
    command = train_command("-m", "model.n_critic=1,0", *SHORT, f"hydra.sweep.dir={sweep_dir}")
    result = run_python(command, ROOT, env, HANG_GUARD_S)
    assert result.returncode != 0 and "1 failed" in result.stdout, result.stderr[-3000:]
    line = (
        "error: model.n_critic must be a positive integer (discriminator updates per generator update, e.g. 5), got 0"
    )
    assert result.stderr.count(line) == 1, result.stderr[-3000:]
    assert result.stderr.count("Traceback") <= 1  # Hydra's own report of the first failed job, after the sweep
    with (sweep_dir / "summary.csv").open() as file:
        rows = {row["overrides"]: row for row in csv.DictReader(file)}
    assert rows["model.n_critic=1"]["status"] == "done"
    assert (
        rows["model.n_critic=0"]["status"] == "failed"
        and line.removeprefix("error: ") in rows["model.n_critic=0"]["error"]
    )


@pytest.mark.slow
def test_summary_names_the_best_value_and_the_update_it_was_reached_at(tmp_path, env):
    """Each job's metric is lowest (1.0) at a known update (scripted_metrics.py), neither the first nor the last."""
    sweep_dir = tmp_path / "sweep"
    scripted = [f"hydra.searchpath=[file://{Path(__file__).parent / 'conf'}]", "metrics=scripted"]
    short = ["steps=20", "trainer.log_every_n_steps=5", "logger=csv", *TINY_MLP, *QUIET]
    command = [sys.executable, str(ROOT / "train.py"), "-m", *scripted, *short, "metrics.best_at=10,15"]
    run([*command, f"hydra.sweep.dir={sweep_dir}"], env)
    with (sweep_dir / "summary.csv").open() as file:
        rows = list(csv.DictReader(file))
    assert [(row["best val/distance"], row["best at gen_step"]) for row in rows] == [("1.0", "10"), ("1.0", "15")]
    assert [row["final val/distance"] for row in rows] == ["11.0", "6.0"]  # the last evaluation, at update 20


@pytest.mark.slow
def test_optuna_sweep_minimises_the_monitored_metric(tmp_path, env):
    sweep_dir = tmp_path / "optuna"
    trials = ["hydra.sweeper.n_trials=2", "hydra.sweeper.sampler.n_startup_trials=1"]
    run(train_command("hparams_search=optuna", *trials, *SHORT, f"hydra.sweep.dir={sweep_dir}"), env)
    finals = [job_metrics(sweep_dir / str(job))[0] for job in range(2)]
    results = yaml.safe_load((sweep_dir / "optimization_results.yaml").read_text())
    assert math.isclose(results["best_value"], min(finals), rel_tol=1e-12)
    assert set(results["best_params"]) == {"model.optimizer_g.lr", "model.optimizer_d.lr", "model.latent_dim"}
    assert len((sweep_dir / "summary.md").read_text().splitlines()) == 4


def test_slurm_launcher_gets_one_task_per_device_and_the_nodes_of_the_trainer(tmp_path):
    overrides = ["hydra/launcher=slurm", "trainer=ddp", "trainer.devices=4", "trainer.num_nodes=2"]
    cfg = compose_config(overrides, tmp_path, return_hydra_config=True)
    launcher = cfg.hydra.launcher
    assert launcher._target_ == "hydra_plugins.hydra_submitit_launcher.submitit_launcher.SlurmLauncher"
    assert (launcher.nodes, launcher.tasks_per_node, launcher.gpus_per_node) == (2, 4, 4)
