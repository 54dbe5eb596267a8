"""Fixtures for the top-level tests (helpers live in gansuite_testing.py)."""

from pathlib import Path

import pytest
from gansuite_testing import require_data_dir


@pytest.fixture
def data_dir() -> Path:
    return require_data_dir()
