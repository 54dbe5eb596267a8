"""Sweeps through a real SLURM cluster (tests/slurm/cluster.sh): `python train.py -m hydra/launcher=slurm ...` as users
run it, every job a SLURM job submitted by submitit, its state read back from the scheduler's accounting (sacct)."""

import csv
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from forked_cli import run_python
from gansuite_testing import HANG_GUARD_S, QUIET, ROOT, TINY_CONV
from ops_helpers import run, train_command

pytestmark = [pytest.mark.slurm, pytest.mark.slow]  # jobs through a real scheduler: 20-40 s each

# One CPU and no GPU or memory request per job, so both jobs of a sweep fit the 2-CPU node at once.
LAUNCHER = [
    "hydra/launcher=slurm",
    "hydra.launcher.partition=test",
    "hydra.launcher.gpus_per_node=null",
    "hydra.launcher.mem_gb=null",
    "hydra.launcher.cpus_per_task=1",
    "hydra.launcher.timeout_min=10",
]
SHORT = ["steps=10", "metrics.every_n_updates=5", "trainer.log_every_n_steps=5", "logger=csv"]
SHORT.append("callbacks.sample_grid.every_n_updates=100")


def summary(sweep_dir: Path) -> list[dict[str, str]]:
    with (sweep_dir / "summary.csv").open() as file:
        return list(csv.DictReader(file))


def slurm_states(sweep_dir: Path, env: dict[str, str]) -> dict[str, str]:
    """{SLURM job id: final state} from sacct, for the job array that submitit submitted (its folders in .submitit/).
    submitit takes a job's result as soon as its file is written, a moment before the job's process exits: the
    scheduler may still say RUNNING or COMPLETING for a few seconds."""
    arrays = {path.name.split("_")[0] for path in (sweep_dir / ".submitit").glob("[0-9]*_[0-9]*")}
    assert len(arrays) == 1, arrays
    sacct = ["sacct", "-X", "-n", "-P", "-o", "JobID,State", "-j", arrays.pop()]
    deadline = time.monotonic() + 120
    while True:
        out = subprocess.run(sacct, capture_output=True, text=True, env=env, check=True, timeout=60).stdout
        states = dict(line.split("|") for line in out.split())
        if not {"PENDING", "RUNNING", "COMPLETING"} & set(states.values()) or time.monotonic() > deadline:
            return states
        time.sleep(1)


def test_a_sweep_runs_every_job_as_a_slurm_job_and_summarises_them(tmp_path: Path, env: dict[str, str]) -> None:
    sweep_dir = tmp_path / "sweep"
    result = run(train_command("-m", *LAUNCHER, "seed=0,1", *SHORT, f"hydra.sweep.dir={sweep_dir}"), env)
    assert f"Sweep summary of 2 jobs: {sweep_dir / 'summary.md'}" in result.stdout
    states = slurm_states(sweep_dir, env)
    assert sorted(states.values()) == ["COMPLETED", "COMPLETED"] and len(states) == 2, states
    rows = summary(sweep_dir)
    assert [row["overrides"] for row in rows] == ["seed=0", "seed=1"]
    for row in rows:
        job_dir = sweep_dir / row["job"]
        final = json.loads((job_dir / "metrics.json").read_text())
        assert row["status"] == "done" and float(row["final val/kl"]) == final["val/kl"]
        assert float(row["final generator_updates"]) == 10 and row["best val/kl"]
        assert (job_dir / "csv" / "metrics.csv").is_file() and (job_dir / ".hydra" / "config.yaml").is_file()
    logs = sorted(path.name for path in (sweep_dir / ".submitit").glob("*/*_log.out"))
    assert [name.split("_")[1] for name in logs] == ["0", "1"]  # each job's own SLURM output


def write_images(folder: Path, count: int) -> Path:
    """`count` 16x16 RGB PNGs: an image folder that a tiny DCGAN trains on in a second."""
    from PIL import Image

    folder.mkdir(parents=True)
    for index in range(count):
        Image.new("RGB", (16, 16), (index * 20, 255 - index * 20, 128)).save(folder / f"{index}.png")
    return folder


def test_a_failed_job_is_listed_as_failed_with_its_log_and_the_others_finish(
    tmp_path: Path, env: dict[str, str]
) -> None:
    sweep_dir, images, missing = tmp_path / "sweep", write_images(tmp_path / "images", 8), tmp_path / "missing"
    data = ["model=dcgan", *TINY_CONV, "data=image_folder", f"data.path={images},{missing}", "data.image_size=16"]
    data += ["data.num_workers=0", "data.batch_size=4", "metrics=none", "steps=2", "logger=csv"]
    command = [sys.executable, str(ROOT / "train.py"), "-m", *LAUNCHER, *data, *QUIET, f"hydra.sweep.dir={sweep_dir}"]
    result = run_python([*command, "callbacks.sample_grid.every_n_updates=100"], ROOT, env, HANG_GUARD_S)
    assert result.returncode != 0  # the sweep reports the failure in its status too
    assert "Sweep summary of 2 jobs" in result.stdout and "1 failed" in result.stdout, result.stderr[-3000:]
    done, failed = summary(sweep_dir)
    assert done["status"] == "no metrics"  # metrics=none: it trained, and evaluated nothing
    assert (sweep_dir / done["job"] / "checkpoints" / "last.ckpt").is_file() and not done["error"]
    assert failed["status"] == "failed" and str(missing) in failed["error"], failed
    log = Path(failed["log"])
    assert log.is_relative_to(sweep_dir / ".submitit") and str(missing) in log.read_text()
    assert "failed" in (sweep_dir / "summary.md").read_text()
    assert os.path.isdir(sweep_dir / failed["job"])  # the failed job keeps its directory (its .hydra config)


def submitted_job_id(sweep_dir: Path, deadline: float) -> str:
    """The SLURM id of a one-job sweep's job, once submitit has submitted it (its folder .submitit/<id>: a single
    job, not an array)."""
    while not (found := [path for path in (sweep_dir / ".submitit").glob("[0-9]*") if path.name.isdigit()]):
        assert time.monotonic() < deadline, "the job was never submitted"
        time.sleep(0.2)
    return found[0].name


def wait_for(path: Path, process: subprocess.Popen, deadline: float) -> None:
    while not path.is_file():
        assert process.poll() is None, f"the sweep ended before {path} was written: {process.communicate()}"
        assert time.monotonic() < deadline, f"no {path}"
        time.sleep(0.1)


def start_when_requeued(job_id: str, env: dict[str, str], deadline: float) -> None:
    """Once the job is pending again after its requeue, lets it start in two seconds: SLURM holds a requeued job back
    for minutes (its BeginTime), which would only make the test wait, but not less than that. slurmd refuses a
    credential made in the same second (whole seconds) as its revocation of the first start's ("Job 43 already
    killed, do not launch batch job"), and SLURM then fails the job: StartTime=now did so in CI."""
    show = ["squeue", "-h", "-j", job_id, "-o", "%T"]
    while subprocess.run(show, capture_output=True, text=True, env=env, timeout=60).stdout.strip() != "PENDING":
        assert time.monotonic() < deadline, "the job was never requeued"
        time.sleep(0.2)
    subprocess.run(["scontrol", "update", f"JobId={job_id}", "StartTime=now+2"], env=env, check=True, timeout=60)


def test_a_preempted_job_is_requeued_and_continues_from_its_checkpoint(tmp_path: Path, env: dict[str, str]) -> None:
    """SIGTERM as SLURM sends it on preemption: the job saves, requeues itself, and its second start continues
    from the saved generator update into the same directory, its CSV log appended (every update logged once). The
    signal is sent once update 20 is saved: the 580 left take seconds, far more than scancel needs to arrive."""
    sweep_dir, budget, deadline = tmp_path / "sweep", 600, time.monotonic() + 600
    periodic = ["callbacks.model_checkpoint.every_n_updates=20", "metrics.every_n_updates=500"]
    logging = ["trainer.log_every_n_steps=1", "logger=csv", "callbacks.sample_grid.every_n_updates=100000"]
    command = train_command("-m", *LAUNCHER, f"steps={budget}", *periodic, *logging, f"hydra.sweep.dir={sweep_dir}")
    process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        job_id = submitted_job_id(sweep_dir, deadline)
        run_dir = sweep_dir / "0"
        wait_for(run_dir / "checkpoints" / "gen_step_000020.ckpt", process, deadline)
        subprocess.run(["scancel", "--signal=TERM", job_id], env=env, check=True, timeout=60)
        start_when_requeued(job_id, env, deadline)
        out, err = process.communicate(timeout=max(1, deadline - time.monotonic()))
    finally:
        process.kill()
    assert process.returncode == 0, err[-3000:]
    assert "Sweep summary of 1 jobs" in out
    log = (sweep_dir / ".submitit" / job_id / f"{job_id}_0_log.err").read_text()
    stopped = re.search(r"stopped by SIGTERM after generator update (\d+)", log)
    assert stopped and f"requeued SLURM job {job_id}" in log, log[-3000:]
    assert 20 <= int(stopped.group(1)) < budget  # stopped mid-run
    sacct = ["sacct", "-D", "-X", "-n", "-P", "-o", "State", "-j", job_id]
    states = subprocess.run(sacct, capture_output=True, text=True, env=env, check=True, timeout=60).stdout.split()
    assert states[0] == "REQUEUED" and len(states) == 2, states  # one start stopped, a second one
    checkpoint = torch.load(run_dir / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=False)
    assert checkpoint["global_step"] == 2 * budget  # a generator and a discriminator step per update
    assert (run_dir / "checkpoints" / f"gen_step_{budget:06d}.ckpt").is_file()
    with (run_dir / "csv" / "metrics.csv").open() as file:
        logged = [int(float(row["gen_step"])) for row in csv.DictReader(file) if row["train/g_loss"]]
    assert logged == list(range(1, budget + 1))  # no update logged twice (a restart from zero) or missing
    summary_row = summary(sweep_dir)[0]
    assert summary_row["status"] == "done" and float(summary_row["final generator_updates"]) == budget


def test_ddp_runs_its_ranks_as_slurm_tasks_that_end_identical(tmp_path: Path, env: dict[str, str]) -> None:
    """trainer=ddp with 2 CPU devices: the launcher asks SLURM for 2 tasks (tasks_per_node: ${trainer.devices}),
    Lightning finds its ranks in the SLURM environment instead of starting processes, and gloo averages them."""
    sweep_dir, states = tmp_path / "sweep", tmp_path / "ranks"
    ddp = ["trainer=ddp", "trainer.accelerator=cpu", "trainer.devices=2", "model=wgan", "model.ema_decay=0.9"]
    rank_state = ["+callbacks.rank_state._target_=rank_state.RankState", f"+callbacks.rank_state.dirpath={states}"]
    run(train_command("-m", *LAUNCHER, *ddp, *SHORT[:1], *rank_state, f"hydra.sweep.dir={sweep_dir}"), env)
    (job,) = [path for path in (sweep_dir / ".submitit").glob("[0-9]*") if path.name.isdigit()]
    logs = [(job / f"{job.name}_{task}_log.err").read_text() for task in (0, 1)]  # one SLURM task per rank
    assert all("SLURM auto-requeueing enabled" in log for log in logs)  # Lightning's SLURMEnvironment
    rank0, rank1 = (torch.load(states / f"rank{r}.pt", weights_only=False) for r in (0, 1))
    assert rank0["world_size"] == rank1["world_size"] == 2 and rank0["global_step"] == rank1["global_step"] > 0
    assert rank0["parameters"].keys() == rank1["parameters"].keys()
    for name, value in rank0["parameters"].items():
        assert torch.equal(value, rank1["parameters"][name]), name
    assert not torch.equal(rank0["first_batch"], rank1["first_batch"])  # each rank reads its own shard
