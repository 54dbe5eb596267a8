from pathlib import Path

import pytest
from ops_helpers import environment


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return environment(tmp_path)
