"""Preemption of a SLURM sweep job (hydra/launcher=slurm, submitit): SIGTERM, as `scancel --signal=TERM` or a time
limit sent with --signal delivers it, stops the run after its batch with a checkpoint (callbacks.checkpoint); the job
then asks SLURM to requeue it, and the requeued job, which runs the same submission in the same job directory,
continues from that checkpoint instead of from update zero (its CSV log appends, as with resume=).

submitit only requeues on its own signal (USR2, `signal_delay_s` before the time limit) and ignores SIGTERM, which is
the signal preemption sends: hence the requeue here."""

import os
import subprocess
import sys
from pathlib import Path

from lightning.pytorch.utilities.exceptions import SIGTERMException
from omegaconf import DictConfig


def in_slurm_sweep_job() -> bool:
    """True in a job that submitit started on SLURM (what hydra/launcher=slurm submits)."""
    return os.environ.get("SUBMITIT_EXECUTOR") == "slurm" and "SLURM_JOB_ID" in os.environ


def checkpoint_of_requeued_job(cfg: DictConfig) -> str | None:
    """The newest last*.ckpt of this job's directory when SLURM has requeued the job (SLURM_RESTART_COUNT > 0) and
    the command named no checkpoint of its own; None otherwise."""
    restarts = int(os.environ.get("SLURM_RESTART_COUNT") or 0)
    if not in_slurm_sweep_job() or restarts == 0 or cfg.get("ckpt_path"):
        return None
    found = sorted((Path(cfg.paths.output_dir) / "checkpoints").glob("last*.ckpt"), key=lambda p: p.stat().st_mtime)
    return str(found[-1]) if found else None


def requeue_if_preempted(error: SIGTERMException) -> None:
    """In a SLURM sweep job stopped by SIGTERM (its checkpoint saved): rank zero asks SLURM to requeue the job, and
    every rank exits without a result, so submitit keeps waiting for the requeued job's. Returns outside SLURM jobs,
    where the SIGTERMException ends the run as before."""
    if not in_slurm_sweep_job():
        return
    if os.environ.get("SLURM_PROCID", "0") == "0":
        import submitit

        job_id = submitit.JobEnvironment().job_id  # an array task's own id, 12_1
        subprocess.run(["scontrol", "requeue", job_id], check=True, timeout=60)
        print(f"preempted by SIGTERM: requeued SLURM job {job_id}, to continue from its checkpoint", file=sys.stderr)
    raise SystemExit(143) from error  # 128 + SIGTERM, as a process killed by it
