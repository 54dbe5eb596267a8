"""At the end of a sweep (`python train.py -m ...`), one table of every job: summary.csv and summary.md (and
report.html, gansuite.artifacts.report, with the table and a curve per job).

For each job: the overrides that set it apart from the other jobs, the final metrics (its metrics.json), and the
best value of the monitored metric over the periodic evaluations (its csv/metrics.csv) with the generator update
where it was reached. The monitored metric (`metrics.monitor`) is the one sweeps minimise, so lower is better.
A job that wrote no metrics.json shows as `no metrics`, so a crash is visible in the table instead of missing.
"""

import csv
import json
import math
from pathlib import Path
from typing import Any

from omegaconf import OmegaConf

from gansuite.files import write_text_atomically


def best_of(metrics_csv: Path, monitor: str) -> tuple[float, int] | tuple[None, None]:
    """(lowest value of `monitor`, generator update where it occurred) over the rows of a CSV log.

    Every evaluation row names its update in `gen_step` (callbacks.evaluation logs them together); the earliest of
    equal values wins.
    """
    if not metrics_csv.is_file():
        return None, None
    with metrics_csv.open(newline="") as file:
        rows = [row for row in csv.DictReader(file) if row.get(monitor) not in (None, "")]
    finite = [row for row in rows if math.isfinite(float(row[monitor]))]
    if not finite:
        return None, None
    best = min(finite, key=lambda row: float(row[monitor]))
    return float(best[monitor]), int(float(best["gen_step"]))


def job_row(job_dir: Path, shared: set[str]) -> dict[str, Any]:
    overrides = OmegaConf.load(job_dir / ".hydra" / "overrides.yaml")
    config = OmegaConf.load(job_dir / ".hydra" / "config.yaml")
    row: dict[str, Any] = {"job": job_dir.name, "overrides": " ".join(o for o in overrides if o not in shared)}
    metrics_json = job_dir / "metrics.json"
    if not metrics_json.is_file():
        return {**row, "status": "no metrics"}
    final = json.loads(metrics_json.read_text())
    row.update({"status": "done", **{f"final {k}": v for k, v in final.items()}})
    monitor = OmegaConf.select(config, "metrics.monitor")
    if monitor:
        best = best_of(job_dir / "csv" / "metrics.csv", monitor)
        row[f"best {monitor}"], row["best at gen_step"] = best
    return row


def job_dirs(sweep_dir: Path) -> list[Path]:
    """The job directories of a sweep (those Hydra wrote a config into), in job-number order."""
    jobs = [path.parent.parent for path in sweep_dir.glob("*/.hydra/overrides.yaml")]
    return sorted(jobs, key=lambda path: (not path.name.isdigit(), int(path.name) if path.name.isdigit() else 0))


def format_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def summary_rows(sweep_dir: Path) -> list[dict[str, Any]]:
    """One row per job of the sweep."""
    jobs = job_dirs(sweep_dir)
    overrides = [set(OmegaConf.load(job / ".hydra" / "overrides.yaml")) for job in jobs]
    shared = set.intersection(*overrides) if len(jobs) > 1 else set()  # the same in every job: not worth a column
    return [job_row(job, shared) for job in jobs]


def write_summary(sweep_dir: Path) -> list[dict[str, Any]]:
    rows = summary_rows(sweep_dir)
    columns = list(dict.fromkeys(key for row in rows for key in row))
    with (sweep_dir / "summary.csv").open("w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(format_value(row.get(c)) for c in columns) + " |" for row in rows]
    write_text_atomically(sweep_dir / "summary.md", "\n".join(lines) + "\n")
    return rows
