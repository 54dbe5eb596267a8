"""The Hydra callback of every sweep (conf/hydra/default.yaml): when the sweep ends, its summary tables (one row per
job, and over seeds when jobs differ only by seed: gansuite.artifacts.sweep_summary) and its report
(gansuite.artifacts.report) are written into the sweep directory.

A job that fails leaves job_failed.json (its error and the log that holds the traceback) in its directory, so the
summary lists it as failed. Hydra's sweepers raise the first failed job's error once every job of the batch has ended,
and then never call on_multirun_end: the summary is written at exit instead, before the sweep exits non-zero."""

import atexit
import json
import os
import sys
import traceback
from pathlib import Path
from typing import Any

from hydra.core.utils import JobReturn, JobStatus
from hydra.experimental.callback import Callback
from omegaconf import DictConfig

from gansuite.artifacts.report import write_report
from gansuite.artifacts.sweep_summary import FAILED_FILE, write_summary
from gansuite.commands.entry import user_error


def job_log(config: DictConfig) -> Path | None:
    """Where a job's traceback lands: submitit's stderr file in a SLURM job (hydra/launcher=slurm), else the log Hydra
    writes in the job directory, if any."""
    if os.environ.get("SUBMITIT_EXECUTOR"):
        import submitit

        return Path(submitit.JobEnvironment().paths.stderr).resolve()
    log = Path(config.hydra.runtime.output_dir) / f"{config.hydra.job.name}.log"
    return log if log.is_file() else None


class SweepSummary(Callback):
    """Hydra callback: writes the summary table into the sweep directory when the sweep ends, failed jobs included."""

    def __init__(self) -> None:
        self.written = False

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        sweep_dir = Path(config.hydra.sweep.dir)
        atexit.register(self.write_unless_written, sweep_dir)  # when a failed job's error ends the sweep

    def on_job_end(self, config: DictConfig, job_return: JobReturn, **kwargs: Any) -> None:
        """In the job's own process (a SLURM job's, with the SLURM launcher): a failed job records why and where."""
        if job_return.status != JobStatus.FAILED or config.hydra.mode is None or config.hydra.mode.name != "MULTIRUN":
            return
        # Hydra's private field: its public `return_value` re-raises the error and logs it once more. A Hydra that
        # renames it fails tests/slurm/test_slurm.py's failing-job test (the summary would lose the failed row).
        error = job_return._return_value
        cause = user_error(error)
        if cause is None:
            traceback.print_exception(error, file=sys.stderr)
        else:  # a bad value of this job's: its one line, as a single run prints it
            print(f"error: {cause}", file=sys.stderr)
        sys.stderr.flush()
        log = job_log(config)
        record = {"error": f"{type(error).__name__}: {error}".splitlines()[0], "log": str(log) if log else None}
        (Path(config.hydra.runtime.output_dir) / FAILED_FILE).write_text(json.dumps(record) + "\n")

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        self.write_unless_written(Path(config.hydra.sweep.dir))

    def write_unless_written(self, sweep_dir: Path) -> None:
        if self.written or not any(sweep_dir.glob("*/.hydra/overrides.yaml")):
            return
        self.written = True
        rows, over_seeds = write_summary(sweep_dir)
        report = write_report(sweep_dir)
        seeds = "; mean, std and 95% interval over seeds: summary_seeds.md and .csv" if over_seeds else ""
        failed = sum(row["status"] == "failed" for row in rows)
        failures = f"; {failed} failed (their logs in the table)" if failed else ""
        print(
            f"Sweep summary of {len(rows)} jobs: {sweep_dir / 'summary.md'} (and summary.csv, {report}){seeds}"
            f"{failures}",
            flush=True,
        )
