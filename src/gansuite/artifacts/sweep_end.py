"""The Hydra callback of every sweep (conf/hydra/default.yaml): when the sweep ends, its summary table
(gansuite.artifacts.sweep_summary) and its report (gansuite.artifacts.report) are written into the sweep directory."""

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
        rows = write_summary(sweep_dir)
        report = write_report(sweep_dir)
        print(f"Sweep summary of {len(rows)} jobs: {sweep_dir / 'summary.md'} (and summary.csv, {report})", flush=True)
