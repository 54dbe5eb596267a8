"""The SLURM tests run on a real one-node cluster that `tests/slurm/cluster.sh start` brings up once (CI: .ci/run).
Without one they skip locally, naming that command, and fail where they are required: under CI (CI=true, or
GANSUITE_SLURM_TEST=required, which .ci/run sets as it does GANSUITE_BROWSER_TEST)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "ops"))  # the ops tests' helpers (train_command, run, ...)
from ops_helpers import environment  # noqa: E402

STATE = Path(os.environ.get("SLURM_STATE", "/tmp/gansuite-slurm"))


def cluster_problem(slurm_conf: str) -> str | None:
    """Why the cluster cannot take jobs (None when its `test` partition has an idle node)."""
    if not Path(slurm_conf).is_file():
        return f"no {slurm_conf}"
    try:
        sinfo = subprocess.run(
            ["sinfo", "-h", "-p", "test", "-o", "%t"],
            capture_output=True,
            text=True,
            timeout=30,
            env={**os.environ, "SLURM_CONF": slurm_conf},
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"sinfo failed: {error}"
    states = sinfo.stdout.split()
    if sinfo.returncode != 0 or not {"idle", "mix", "alloc"} & set(states):
        return f"partition test not up (sinfo: {(sinfo.stdout + sinfo.stderr).strip() or 'nothing'})"
    return None


@pytest.fixture(scope="session")
def slurm_conf() -> str:
    """The running cluster's slurm.conf: a skip locally, a failure under CI, when there is none."""
    conf = os.environ.get("SLURM_CONF", str(STATE / "slurm.conf"))
    problem = cluster_problem(conf)
    if problem:
        message = f"no SLURM cluster ({problem}): start one with `tests/slurm/cluster.sh start`"
        if os.environ.get("CI") == "true" or os.environ.get("GANSUITE_SLURM_TEST") == "required":
            pytest.fail(message)
        pytest.skip(message)
    return conf


@pytest.fixture
def env(tmp_path: Path, slurm_conf: str) -> dict[str, str]:
    return environment(tmp_path, SLURM_CONF=slurm_conf, OMP_NUM_THREADS="1")
