"""At the end of a sweep (`python train.py -m ...`), one table of every job: summary.csv and summary.md (and
report.html, gansuite.artifacts.report, with the table and a curve per job).

For each job: the overrides that set it apart from the other jobs, the final metrics (its metrics.json), and the
best value of the monitored metric over the periodic evaluations (its csv/metrics.csv) with the generator update
where it was reached. The monitored metric (`metrics.monitor`) is the one sweeps minimise, so lower is better.
A job that failed (its job_failed.json, written by gansuite.artifacts.sweep_end) shows as `failed`, with its error
and the log that holds its traceback; any other job that wrote no metrics.json shows as `no metrics`, so a crash is
visible in the table instead of missing.

Jobs that differ only by `seed=` are one configuration run several times (`-m ... seed=0,1,2`): for each, per
final and best metric over its finished seeds, summary_seeds.csv and summary_seeds.md give n, the mean, the standard
deviation (n - 1 in the denominator) and the 95% interval of the mean, mean +- t(0.975, n - 1) std / sqrt(n) (Student's
t, as a handful of seeds is far from the normal limit). Written only when some configuration has several seeds.
"""

import csv
import json
import math
import statistics
from pathlib import Path
from typing import Any

from omegaconf import OmegaConf

from gansuite.files import write_text_atomically

FAILED_FILE = "job_failed.json"


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


def job_row(job_dir: Path, overrides: list[str]) -> dict[str, Any]:
    config = OmegaConf.load(job_dir / ".hydra" / "config.yaml")
    row: dict[str, Any] = {"job": job_dir.name, "overrides": " ".join(overrides)}
    metrics_json = job_dir / "metrics.json"
    if (job_dir / FAILED_FILE).is_file():
        return {**row, "status": "failed", **json.loads((job_dir / FAILED_FILE).read_text())}
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


def distinct_overrides(sweep_dir: Path) -> dict[Path, list[str]]:
    """Each job's overrides (in job order) less those of every job, which are not worth a column."""
    jobs = job_dirs(sweep_dir)
    overrides = [list(OmegaConf.load(job / ".hydra" / "overrides.yaml")) for job in jobs]
    shared = set.intersection(*map(set, overrides)) if len(jobs) > 1 else set()
    return {job: [o for o in these if o not in shared] for job, these in zip(jobs, overrides, strict=True)}


def summary_rows(sweep_dir: Path) -> list[dict[str, Any]]:
    """One row per job of the sweep."""
    return [job_row(job, overrides) for job, overrides in distinct_overrides(sweep_dir).items()]


def t_quantile_975(dof: int) -> float:
    """Student's t quantile at 0.975 for an integer `dof` >= 1 (12.706 at 1, 2.262 at 9, 1.96 in the limit): the
    two-sided probability P(|T| <= sqrt(dof) tan(theta)) in closed form (Abramowitz and Stegun 26.7.3 for odd dof,
    26.7.4 for even), solved for theta by bisection to double precision. No scipy needed."""

    def two_sided(theta: float) -> float:
        odd = dof % 2 == 1
        cos2, term, total = math.cos(theta) ** 2, 1.0, 1.0
        for k in range(1, (dof - 1) // 2 if odd else dof // 2):
            term *= cos2 * ((2 * k) / (2 * k + 1) if odd else (2 * k - 1) / (2 * k))
            total += term
        if not odd:
            return math.sin(theta) * total
        return 2 / math.pi * (theta + (math.sin(theta) * math.cos(theta) * total if dof > 1 else 0.0))

    low, high = 0.0, math.pi / 2
    for _ in range(200):
        middle = (low + high) / 2
        low, high = (middle, high) if two_sided(middle) < 0.95 else (low, middle)
    return math.sqrt(dof) * math.tan((low + high) / 2)


def is_seed(override: str) -> bool:
    return override.lstrip("+~").partition("=")[0] == "seed"


def is_metric(column: str) -> bool:
    """A final or best value of a job row, not the update counts beside them."""
    return column.startswith(("final ", "best ")) and column not in ("final generator_updates", "best at gen_step")


def seed_rows(sweep_dir: Path, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per configuration (the jobs whose overrides differ only by `seed=`) and metric, over its finished jobs: the
    seeds, n, mean, std (n - 1) and 95% t-interval of the mean (std and interval need two seeds). Empty when no
    configuration has several jobs: then there is no spread to report."""
    groups: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for overrides, row in zip(distinct_overrides(sweep_dir).values(), rows, strict=True):
        configuration = " ".join(o for o in overrides if not is_seed(o)) or "(every job)"
        seed = next((o.partition("=")[2] for o in overrides if is_seed(o)), "")
        groups.setdefault(configuration, []).append((seed, row))
    if all(len(jobs) < 2 for jobs in groups.values()):
        return []
    table = []
    for configuration, jobs in groups.items():
        for metric in dict.fromkeys(column for _, row in jobs for column in row if is_metric(column)):
            scored = [(seed, float(row[metric])) for seed, row in jobs if row.get(metric) is not None]
            if not scored:  # a best value no job could read (no CSV log)
                continue
            values = [value for _, value in scored]
            mean, n = statistics.fmean(values), len(values)
            std = statistics.stdev(values) if n > 1 else None
            half = t_quantile_975(n - 1) * std / math.sqrt(n) if std is not None else None
            table.append(
                {
                    "configuration": configuration,
                    "metric": metric,
                    "seeds": " ".join(seed for seed, _ in scored),
                    "n": n,
                    "mean": mean,
                    "std": std,
                    "ci95 low": None if half is None else mean - half,
                    "ci95 high": None if half is None else mean + half,
                }
            )
    return table


def write_table(sweep_dir: Path, name: str, rows: list[dict[str, Any]]) -> None:
    """`rows` as <name>.csv (full precision) and <name>.md (4 significant digits) in the sweep directory."""
    columns = list(dict.fromkeys(key for row in rows for key in row))
    with (sweep_dir / f"{name}.csv").open("w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(format_value(row.get(c)) for c in columns) + " |" for row in rows]
    write_text_atomically(sweep_dir / f"{name}.md", "\n".join(lines) + "\n")


def write_summary(sweep_dir: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """summary.csv and summary.md (one row per job) and, for a sweep over seeds, summary_seeds.csv and .md; returns
    both tables' rows."""
    rows = summary_rows(sweep_dir)
    write_table(sweep_dir, "summary", rows)
    over_seeds = seed_rows(sweep_dir, rows)
    if over_seeds:
        write_table(sweep_dir, "summary_seeds", over_seeds)
    return rows, over_seeds
