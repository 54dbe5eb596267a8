"""Sweep summaries over seeds: a real Hydra multirun (a tiny app with gansuite's sweep-end callback, scripted
metrics of known spread) grouped by configuration, with mean, standard deviation and 95% t-interval; the t quantile
against published values; the interval's coverage."""

import csv
import math
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from gansuite_testing import HANG_GUARD_S

from gansuite.artifacts.sweep_summary import t_quantile_975

# Student's t at 0.975 to 10 significant digits (scipy.stats.t.ppf(0.975, dof); the 3-decimal tables agree).
T_975 = {
    1: 12.70620474,
    2: 4.302652730,
    3: 3.182446305,
    4: 2.776445105,
    5: 2.570581836,
    9: 2.262157163,
    10: 2.228138852,
    30: 2.042272456,
    100: 1.983971519,
}
# Each job scores 10 * lr + OFFSET[seed], at its last evaluation; one update earlier it scored 1 more.
OFFSET = {0: 0.0, 1: 1.0, 2: 2.0, 3: 5.0}

APP = """
import csv
import json
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig

OFFSET = {offset}


@hydra.main(version_base="1.3", config_path=".", config_name="sweep")
def main(cfg):
    if cfg.lr == 2 and cfg.seed == 3:
        return  # a crashed job: no metrics.json
    out = Path(HydraConfig.get().runtime.output_dir)
    score = 10 * cfg.lr + OFFSET[cfg.seed]
    (out / "metrics.json").write_text(json.dumps({{"generator_updates": 10, "val/score": score}}))
    (out / "csv").mkdir()
    with (out / "csv" / "metrics.csv").open("w", newline="") as file:
        csv.writer(file).writerows([["gen_step", "val/score"], [5, score + 1], [10, score]])


main()
"""
CONFIG = """
seed: 0
lr: 1
metrics:
  monitor: val/score
hydra:
  sweep:
    dir: {sweep_dir}
    subdir: ${{hydra.job.num}}
  callbacks:
    sweep_summary:
      _target_: gansuite.artifacts.sweep_end.SweepSummary
"""


def run_sweep(tmp_path: Path, *overrides: str) -> tuple[Path, str]:
    sweep_dir = tmp_path / "sweep"
    (tmp_path / "app.py").write_text(textwrap.dedent(APP.format(offset=OFFSET)))
    (tmp_path / "sweep.yaml").write_text(CONFIG.format(sweep_dir=sweep_dir))
    command = [sys.executable, str(tmp_path / "app.py"), "-m", *overrides]
    result = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, timeout=HANG_GUARD_S)
    assert result.returncode == 0, result.stderr[-3000:]
    return sweep_dir, result.stdout


@pytest.mark.parametrize("dof", list(T_975))
def test_t_quantile_matches_published_values(dof: int) -> None:
    assert t_quantile_975(dof) == pytest.approx(T_975[dof], rel=1e-9)


def test_the_interval_covers_the_true_mean_95_percent_of_the_time() -> None:
    """30000 normal samples of 3 seeds: the t-interval covers the mean 95% of the time (3 sigma: +-0.38%), where the
    normal quantile 1.96 would cover 81%."""
    samples = np.random.default_rng(0).normal(7.0, 2.0, size=(30000, 3))
    half = t_quantile_975(2) * samples.std(axis=1, ddof=1) / math.sqrt(3)
    covered = np.abs(samples.mean(axis=1) - 7.0) <= half
    assert covered.mean() == pytest.approx(0.95, abs=0.0038)


def test_a_seed_sweep_reports_mean_std_and_interval_per_configuration(tmp_path: Path) -> None:
    sweep_dir, stdout = run_sweep(tmp_path, "lr=1,2", "seed=0,1,2,3")
    assert "; mean, std and 95% interval over seeds: summary_seeds.md and .csv" in stdout
    with (sweep_dir / "summary.csv").open() as file:
        jobs = list(csv.DictReader(file))
    assert len(jobs) == 8 and sum(job["status"] == "no metrics" for job in jobs) == 1  # the job table as before
    with (sweep_dir / "summary_seeds.csv").open() as file:
        rows = {(row["configuration"], row["metric"]): row for row in csv.DictReader(file)}
    assert set(rows) == {(f"lr={lr}", f"{kind} val/score") for lr in (1, 2) for kind in ("final", "best")}
    # lr=1: 10, 11, 12, 15 (mean 12, std sqrt(14/3)); lr=2: 20, 21, 22 (the seed-3 job crashed; mean 21, std 1).
    expected = {"lr=1": ([10, 11, 12, 15], "0 1 2 3"), "lr=2": ([20, 21, 22], "0 1 2")}
    for (configuration, _), row in rows.items():
        values, seeds = expected[configuration]
        n, mean = len(values), sum(values) / len(values)
        std = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))
        half = T_975[n - 1] * std / math.sqrt(n)
        assert row["seeds"] == seeds and int(row["n"]) == n
        measured = [float(row[key]) for key in ("mean", "std", "ci95 low", "ci95 high")]
        assert measured == pytest.approx([mean, std, mean - half, mean + half], rel=1e-9)
    markdown = (sweep_dir / "summary_seeds.md").read_text().splitlines()
    assert markdown[0] == "| configuration | metric | seeds | n | mean | std | ci95 low | ci95 high |"
    assert "| lr=2 | final val/score | 0 1 2 | 3 | 21 | 1 | 18.52 | 23.48 |" in markdown  # 21 -+ 4.3027 / sqrt(3)


def test_a_sweep_without_repeated_seeds_writes_no_seed_table(tmp_path: Path) -> None:
    sweep_dir, stdout = run_sweep(tmp_path, "lr=1,2", "seed=1")
    assert (sweep_dir / "summary.md").is_file() and not (sweep_dir / "summary_seeds.csv").exists()
    assert "over seeds" not in stdout
