"""Where the Hydra configs live: gansuite/conf inside the package. In a checkout it is a link to conf/ at the
repository root, the one place configs are edited; a built wheel holds a copy (pyproject.toml's package data)."""

from pathlib import Path

CONFIG_DIR = str(Path(__file__).resolve().parent / "conf")
