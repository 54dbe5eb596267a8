"""Where the Hydra configs live: conf/ at the repository root, for train.py, the scripts and the benchmarks."""

from pathlib import Path

CONFIG_DIR = str(Path(__file__).resolve().parents[2] / "conf")
