"""Shared test helpers: the repository root, the offline data folder, and Hydra composition of the real conf/.

A module of its own, not conftest.py: the test folders have conftest files of their own, and `import conftest`
would find whichever came first on sys.path.
"""

import os
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from omegaconf import DictConfig

ROOT = Path(__file__).resolve().parents[1]
# CI sets GANSUITE_DATA_DIR to ../shared/data; a developer's checkout has the same folder beside it.
DATA_DIR = Path(os.environ.get("GANSUITE_DATA_DIR", ROOT.parent / "shared" / "data"))

# The suite's tiny networks for toy points: a generator update takes milliseconds.
TINY_MLP = ["model.generator.mlp.width=32", "model.discriminator.mlp.width=32", "model.latent_dim=8"]
# No progress bar or model summary in the output of test runs.
QUIET_TRAINER = ["trainer.enable_progress_bar=false", "trainer.enable_model_summary=false"]


def compose_config(overrides: list[str], output_dir: Path) -> DictConfig:
    """The config `python train.py <overrides>` would run, with its outputs in `output_dir`."""
    with initialize_config_dir(config_dir=str(ROOT / "conf"), version_base="1.3"):
        return compose(
            "config",
            overrides=[f"paths.output_dir={output_dir}", f"paths.data_dir={DATA_DIR}", *overrides],
        )


def require_data_dir() -> Path:
    """The shared data folder, or a failure (never a skip) naming the variable that points at it."""
    if not (DATA_DIR / "MNIST").is_dir():
        pytest.fail(f"test data missing in {DATA_DIR}: set GANSUITE_DATA_DIR to the shared/data folder")
    return DATA_DIR
