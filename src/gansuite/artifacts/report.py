"""report.html: how a run went, in one self-contained file (plots and images inlined), readable offline.

For a run directory, first what it made: the latest sample grid large (samples.png when no grid was saved during
the run) and the real-versus-generated density plot of point data; then the final metrics, each with the direction
that is better; then the earlier grids as a strip, every evaluation metric against generator updates and
against wall time, the losses per network, the gradient norms, every logged value's last value, and the composed
config. For a sweep directory: the summary table of its jobs (gansuite.artifacts.sweep_summary) and each evaluation
metric with one curve per job. Curves come from the CSV log (csv/metrics.csv, written by logger=csv, on by default);
a run without it says so in the report.

RunReport (callbacks/report.py) writes it at the end of every run and on SIGTERM; `gansuite-report DIR` rebuilds it.
"""

import base64
import csv
import html
import json
import math
from collections.abc import Iterable
from pathlib import Path

from gansuite.artifacts.svg_plots import grid_of_plots
from gansuite.artifacts.sweep_summary import format_value, job_dirs, summary_rows
from gansuite.errors import ConfigError
from gansuite.files import write_text_atomically

STYLE = """body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222}
h1{font-size:1.5em}h2{font-size:1.2em;border-bottom:1px solid #ccc;margin-top:2em}
table{border-collapse:collapse;font-size:.9em}td,th{border:1px solid #ddd;padding:.2em .6em;text-align:left}
img{max-width:100%}img.grid{height:min(55vh,640px);width:auto;object-fit:contain;image-rendering:pixelated}
img.thumb{width:100%;image-rendering:pixelated}
.strip{display:flex;gap:.5em;overflow-x:auto}.strip figure{margin:0;width:160px;flex:none}
figcaption{font-size:.8em;color:#555}.plots{display:grid;gap:.3em 1em}
pre{background:#f6f6f6;padding:1em;overflow-x:auto;font-size:.85em}"""
NO_LOG = "No CSV log in this run (csv/metrics.csv): train with logger=csv (on by default) to see its curves here."
EMPTY_LOG = (
    "The CSV log (csv/metrics.csv) holds no rows yet: the run stopped before its first logged step "
    "(trainer.log_every_n_steps); a longer run shows its curves here."
)
# Which way is better for each metric, by the words in its logged name (val/fid_mnist_clf, val/psnr_y, ...).
LOWER_IS_BETTER = ("fid", "kid", "kl", "lpips", "w2")
HIGHER_IS_BETTER = ("is_", "inception_score", "psnr", "ssim", "accuracy", "modes", "high_quality", "cs_", "cas")
NETWORKS = {"g": "generator", "d": "discriminator"}  # the prefixes of train/<network>_<term> losses


def read_log(run_dir: Path) -> list[dict[str, float]]:
    """The rows of csv/metrics.csv with their numbers (empty cells left out); [] when the run has no CSV log."""
    path = run_dir / "csv" / "metrics.csv"
    if not path.is_file():
        return []
    with path.open(newline="") as file:
        return [
            {key: float(value) for key, value in row.items() if value not in ("", None)} for row in csv.DictReader(file)
        ]


def series(rows: list[dict[str, float]], y: str, x: str) -> tuple[list[float], list[float]]:
    """(x, y) of the rows that hold both, finite."""
    points = [(row[x], row[y]) for row in rows if x in row and y in row and math.isfinite(row[y])]
    return [p[0] for p in points], [p[1] for p in points]


def image(data: str, alt: str, css_class: str) -> str:
    return f'<img class="{css_class}" alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def image_file(path: Path, alt: str, css_class: str = "grid") -> str:
    return image(base64.b64encode(path.read_bytes()).decode(), alt, css_class)


def table(rows: list[dict[str, object]]) -> str:
    columns = list(dict.fromkeys(key for row in rows for key in row))
    head = "".join(f"<th>{html.escape(column)}</th>" for column in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(format_value(row.get(column)))}</td>" for column in columns) + "</tr>"
        for row in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def curves(rows: list[dict[str, float]], names: list[str], prefix: str) -> list[tuple[str, list[float], list[float]]]:
    """One curve per logged name against generator updates, labelled without `prefix`."""
    return [(name.removeprefix(prefix), *series(rows, name, "gen_step")) for name in names]


def columns_of(rows: list[dict[str, float]], prefix: str) -> list[str]:
    return sorted({key for row in rows for key in row if key.startswith(prefix)})


def better(name: str) -> str:
    """ "lower" or "higher" when the metric's name says which is better; "" for spreads and counts."""
    words = name.removeprefix("val/")
    if "std" in words:
        return ""
    if any(words.startswith(w) or f"_{w}" in words for w in LOWER_IS_BETTER):
        return "lower"
    return "higher" if any(words.startswith(w) or f"_{w}" in words for w in HIGHER_IS_BETTER) else ""


def final_metrics_section(final: dict[str, float], config_text: str | None) -> str:
    """metrics.json as one row per metric: its value and which way is better; then the protocol they were measured
    by (the run's metrics config: extractor, sample counts, split, ...)."""
    if not final:
        return "<h2>Final metrics</h2><p>No final metrics (metrics.json): the run was not evaluated at its end.</p>"
    rows = [{"metric": name, "value": value, "better": better(name)} for name, value in final.items()]
    protocol = metrics_protocol(config_text) if config_text else None
    shown = f"<p>Protocol (the run's <code>metrics</code> config): {html.escape(protocol)}</p>" if protocol else ""
    return "<h2>Final metrics</h2>" + table(rows) + shown


def metrics_protocol(config_text: str) -> str | None:
    """The metrics node's settings as `key=value` (the class, then its plain values; paths and unset ones left out)."""
    from omegaconf import OmegaConf

    metrics = OmegaConf.create(config_text).get("metrics")
    if not metrics or "_target_" not in metrics:
        return None
    settings = [str(metrics["_target_"]).rpartition(".")[2]]
    for key in metrics:
        value = OmegaConf.select(metrics, str(key), throw_on_resolution_failure=False)
        plain = isinstance(value, int | float | str) and not str(key).startswith("_")
        if plain and not any(word in str(key) for word in ("weights", "dir", "path")):
            settings.append(f"{key}={value}")
    return ", ".join(settings)


def curve_sections(rows: list[dict[str, float]], log_exists: bool = False) -> list[str]:
    """Evaluation metrics (against updates and wall time), losses per network, gradient norms."""
    if not rows:
        return [f"<h2>Curves</h2><p>{EMPTY_LOG if log_exists else NO_LOG}</p>"]
    sections = []
    metrics = columns_of(rows, "val/")
    if metrics:
        panels = []
        for name in metrics:
            panels.append((name, [(name, *series(rows, name, "gen_step"))], "generator updates"))
            if any("time/wall_s" in row and name in row for row in rows):
                panels.append((name, [(name, *series(rows, name, "time/wall_s"))], "wall time (s)"))
        per_row = 2 if len(panels) > len(metrics) else 3  # each metric against updates, then against wall time
        sections.append("<h2>Evaluation metrics</h2>" + grid_of_plots(panels, "evaluation metrics", per_row))
    losses = columns_of(rows, "train/")
    if losses:
        by_network: dict[str, list[str]] = {}
        for name in losses:
            prefix = name.removeprefix("train/").split("_")[0]
            by_network.setdefault(NETWORKS.get(prefix, "other"), []).append(name)
        panels = [
            (network, curves(rows, names, "train/"), "generator updates") for network, names in by_network.items()
        ]
        sections.append("<h2>Losses</h2>" + grid_of_plots(panels, "losses per network"))
    norms = columns_of(rows, "grad_norm/")
    if norms:
        panel = ("L2 norm", curves(rows, norms, "grad_norm/"), "generator updates")
        sections.append("<h2>Gradient norms</h2>" + grid_of_plots([panel], "gradient norms"))
    return sections


def update_of(grid: Path) -> int:
    """The generator update of samples/gen_step_NNNNNN.png."""
    return int(grid.stem.removeprefix("gen_step_"))


def sample_section(run_dir: Path) -> str:
    """The latest grid large (samples.png when the run saved no grid on the way), and the density plot of points."""
    grids = sorted((run_dir / "samples").glob("gen_step_*.png"), key=update_of)
    parts = []
    final_grid = run_dir / "samples.png"
    if grids:
        latest = grids[-1]
        parts.append(f"<h2>Samples</h2><p>After {update_of(latest)} generator updates:</p>")
        parts.append(image_file(latest, f"samples at update {update_of(latest)}"))
    elif final_grid.is_file():
        parts.append("<h2>Samples</h2><p>At the end of the run:</p>" + image_file(final_grid, "samples at the end"))
    density = run_dir / "real_vs_generated.png"
    if density.is_file():
        parts.append("<h2>Real and generated points</h2>" + image_file(density, "real vs generated density"))
    return "".join(parts)


def earlier_samples_section(run_dir: Path) -> str:
    """The grids of the evaluations before the latest, as a strip of thumbnails."""
    grids = sorted((run_dir / "samples").glob("gen_step_*.png"), key=update_of)[:-1]
    strip = [
        f"<figure>{image_file(grid, f'samples at update {update_of(grid)}', 'thumb')}"
        f"<figcaption>update {update_of(grid)}</figcaption></figure>"
        for grid in grids
    ]
    return '<h2>Earlier samples</h2><div class="strip">' + "".join(strip) + "</div>" if strip else ""


def page(title: str, sections: Iterable[str]) -> str:
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"<style>{STYLE}</style></head><body><h1>{html.escape(title)}</h1>{''.join(sections)}</body></html>\n"
    )


def composed_config(run_dir: Path, config: dict | None = None) -> str | None:
    """The run's config as YAML: `config` when given (the training run's own), Hydra's copy (.hydra/config.yaml), or
    the one its last checkpoint carries (a run composed in-process, as tests do, has no .hydra folder); None when
    there is none."""
    from omegaconf import OmegaConf

    if config is not None:
        return OmegaConf.to_yaml(config)
    hydra_copy = run_dir / ".hydra" / "config.yaml"
    if hydra_copy.is_file():
        return hydra_copy.read_text()
    last = run_dir / "checkpoints" / "last.ckpt"
    if last.is_file():
        from gansuite.artifacts.checkpoints import read_checkpoint

        return OmegaConf.to_yaml(read_checkpoint(last).get("gansuite", {}).get("config", {}))
    return None


def is_run(directory: Path) -> bool:
    return any((directory / name).exists() for name in (".hydra/config.yaml", "checkpoints/last.ckpt", "csv"))


def run_report(run_dir: Path, config: dict | None = None) -> str:
    rows = read_log(run_dir)
    final_path = run_dir / "metrics.json"
    final = json.loads(final_path.read_text()) if final_path.is_file() else {}
    config_text = composed_config(run_dir, config)
    sections = [sample_section(run_dir), final_metrics_section(final, config_text), earlier_samples_section(run_dir)]
    sections += curve_sections(rows, (run_dir / "csv" / "metrics.csv").is_file())
    last: dict[str, float] = {}
    for row in rows:
        last.update(row)
    if last:
        logged = [{"logged value": name, "last": value} for name, value in sorted(last.items())]
        sections.append("<h2>Every logged value</h2>" + table(logged))
    if config_text is not None:
        sections.append(f"<h2>Config</h2><pre>{html.escape(config_text)}</pre>")
    return page(f"Run report: {run_dir.name}", sections)


def sweep_report(sweep_dir: Path, jobs: list[Path]) -> str:
    sections = ["<h2>Jobs</h2>" + table(summary_rows(sweep_dir))]
    logs = {job.name: read_log(job) for job in jobs}
    metrics = sorted({name for rows in logs.values() for name in columns_of(rows, "val/")})
    if metrics:
        panels = [
            (name, [(f"job {job}", *series(rows, name, "gen_step")) for job, rows in logs.items()], "generator updates")
            for name in metrics
        ]
        sections.append("<h2>Evaluation metrics, one curve per job</h2>" + grid_of_plots(panels, "metrics per job"))
    return page(f"Sweep report: {sweep_dir.name} ({len(jobs)} jobs)", sections)


def write_report(directory: str | Path, config: dict | None = None) -> Path:
    """Writes DIR/report.html for a run directory (`config`: its composed config, when the caller has it) or a sweep
    directory, and returns its path."""
    directory = Path(directory)
    if not directory.is_dir():
        raise ConfigError(f"{directory} is not a directory: pass a run directory (logs/train/runs/<run>) or a sweep's")
    jobs = job_dirs(directory)
    if jobs:
        text = sweep_report(directory, jobs)
    elif config is not None or is_run(directory):
        text = run_report(directory, config)
    else:
        raise ConfigError(f"{directory} holds no run (config, checkpoint or CSV log) and no sweep jobs: pass a run dir")
    out = directory / "report.html"
    write_text_atomically(out, text)
    return out
