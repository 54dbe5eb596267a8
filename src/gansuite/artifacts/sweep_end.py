"""The Hydra callback of every sweep (conf/hydra/default.yaml): when the sweep ends, its summary tables (one row per
job, and over seeds when jobs differ only by seed: gansuite.artifacts.sweep_summary) and its report
(gansuite.artifacts.report) are written into the sweep directory."""

from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig

from gansuite.artifacts.sweep_summary import write_summary


class SweepSummary(Callback):
    """Hydra callback: writes the summary table into the sweep directory when the sweep ends."""

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        from gansuite.artifacts.report import (
            write_report,  # matplotlib: loaded when a sweep ends, not when any run starts
        )

        sweep_dir = Path(config.hydra.sweep.dir)
        rows, over_seeds = write_summary(sweep_dir)
        report = write_report(sweep_dir)
        seeds = "; mean, std and 95% interval over seeds: summary_seeds.md and .csv" if over_seeds else ""
        print(
            f"Sweep summary of {len(rows)} jobs: {sweep_dir / 'summary.md'} (and summary.csv, {report}){seeds}",
            flush=True,
        )
