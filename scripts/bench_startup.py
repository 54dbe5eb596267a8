"""Start-up of `python train.py`: seconds from the command to its first line of output and to its first generator
update, as a user meets them: `python scripts/bench_startup.py [repeats=5] [override ...]`.

Each repeat starts `python train.py <overrides>` (the default toy run unless overrides say otherwise) in a fresh
run directory, with one callback added (`+callbacks.startup_stamp`, defined here) that prints the wall-clock time
when the first generator update has finished. The script reads the merged stdout and stderr as they come and
prints, per repeat and as the median: the first line of output, the first generator update, and the whole run
(evaluations and the report included). Run it alone: the numbers are wall-clock.
"""

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from gansuite.commands.entry import answer_script_help, report_user_errors
from gansuite.run.benchmark_arguments import checked_runs, positive_int

ROOT = Path(__file__).resolve().parents[1]


def one_start(overrides: list[str]) -> tuple[float, float, float]:
    """(first output line, first generator update, whole run) in seconds from the command's start."""
    from gansuite.run.bench_callbacks import STAMP  # after main's checks: it imports Lightning

    with tempfile.TemporaryDirectory() as folder:
        command = [
            sys.executable,
            str(ROOT / "train.py"),
            *overrides,
            f"hydra.run.dir={folder}/run",
            "+callbacks.startup_stamp._target_=gansuite.run.bench_callbacks.StartupStamp",
        ]
        environment = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
        start = time.time()
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=environment, cwd=folder
        )
        first_line = update = None
        for line in process.stdout:
            if first_line is None:
                first_line = time.time() - start
            if line.startswith(STAMP):
                update = float(line[len(STAMP) :]) - start
        if process.wait() != 0 or first_line is None or update is None:
            raise SystemExit(f"error: python train.py {' '.join(overrides)} failed or printed no update stamp")
        return first_line, update, time.time() - start


def main(argv: list[str]) -> None:
    answer_script_help(argv, __doc__)
    given = [a.split("=", 1)[1] for a in argv if a.startswith("repeats=")]
    repeats = positive_int(given[0], "repeats", "runs of train.py, e.g. repeats=5") if given else 5
    overrides = [a for a in argv if not a.startswith("repeats=")]
    checked_runs([overrides])
    print(f"python train.py {' '.join(overrides)} ({repeats} repeats, load {os.getloadavg()[0]:.2f} at start)")
    print("| repeat | first line of output (s) | first generator update (s) | whole run (s) |")
    print("|---|---|---|---|")
    rows = []
    for repeat in range(repeats):
        rows.append(one_start(overrides))
        print(f"| {repeat} | " + " | ".join(f"{value:.2f}" for value in rows[-1]) + " |", flush=True)
    medians = [statistics.median(column) for column in zip(*rows, strict=True)]
    print("| median | " + " | ".join(f"{value:.2f}" for value in medians) + " |")


if __name__ == "__main__":
    report_user_errors(main, sys.argv[1:])
