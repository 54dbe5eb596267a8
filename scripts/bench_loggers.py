"""Wall time of a tiny training run per logger choice: what W&B (offline) adds to every run and every test.

`python scripts/bench_loggers.py [repeats]` prints a Markdown table of seconds per `train.py` run (20 generator
updates of 32-unit MLPs on ring8, a subprocess each, as users and the tests run it).
"""

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from gansuite.commands.entry import answer_script_help, report_user_errors
from gansuite.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]
LOGGERS = ["csv", "[wandb,csv]", "tensorboard"]
TINY = ["steps=20", "model.generator.mlp.width=32", "model.discriminator.mlp.width=32", "data.num_samples=4096"]
TINY += ["trainer.enable_progress_bar=false", "trainer.enable_model_summary=false"]


def seconds(logger: str, run_dir: Path) -> float:
    env = {**os.environ, "WANDB_MODE": "offline", "WANDB_SILENT": "true"}
    command = [sys.executable, str(ROOT / "train.py"), *TINY, f"logger={logger}", f"hydra.run.dir={run_dir}"]
    start = time.perf_counter()
    subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def main(argv: list[str]) -> None:
    answer_script_help(argv, __doc__)
    if len(argv) > 1 or (argv and not (argv[0].isdigit() and int(argv[0]) > 0)):
        raise ConfigError(f"usage: scripts/bench_loggers.py [repeats, a positive integer], got {' '.join(argv)}")
    repeats = int(argv[0]) if argv else 2
    print("| logger | " + " | ".join(f"run {i + 1} (s)" for i in range(repeats)) + " |")
    print("|---|" + "---|" * repeats)
    with tempfile.TemporaryDirectory() as tmp:
        for n, logger in enumerate(LOGGERS):
            times = [seconds(logger, Path(tmp) / f"run-{n}-{i}") for i in range(repeats)]
            print(f"| `logger={logger}` | " + " | ".join(f"{t:.1f}" for t in times) + " |", flush=True)


if __name__ == "__main__":
    report_user_errors(main, sys.argv[1:])
