"""The compose_config fixture of the reliability tests (helpers are in reliability_helpers.py, a module name no
other conftest.py shares)."""

from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from omegaconf import DictConfig
from reliability_helpers import ROOT


@pytest.fixture
def compose_config(tmp_path: Path):
    """Composes conf/ with `overrides` through Hydra's compose API, writing into tmp_path."""

    def compose_with(*overrides: str) -> DictConfig:
        with initialize_config_dir(config_dir=str(ROOT / "conf"), version_base="1.3"):
            return compose("config", overrides=[f"paths.output_dir={tmp_path}", *overrides])

    return compose_with
