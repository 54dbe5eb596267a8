"""Shared by the reliability tests: the real CLI, started as a subprocess or forked from the session's servers (the
tiny sizes are in gansuite_testing.py)."""

import os
import subprocess
import sys
from pathlib import Path

from forked_cli import run_python
from gansuite_testing import HANG_GUARD_S, ROOT


def cli_environment() -> dict[str, str]:
    """This process's environment for a CLI run: this checkout's sources, W&B offline."""
    env = dict(os.environ, WANDB_MODE="offline")
    env.pop("HYDRA_FULL_ERROR", None)  # set, it would make Hydra print tracebacks for its own errors
    env.pop("WANDB_SERVICE", None)  # this process's W&B service (see ops_helpers.environment): each run its own
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "src"), os.environ.get("PYTHONPATH")]))
    return env


def start_cli_in(folder: Path, *arguments: str) -> subprocess.Popen:
    """`python train.py *arguments` with this checkout's sources, started in `folder` (where ./logs goes), in a
    process of its own (for the tests that signal it or read it while it runs)."""
    command = [sys.executable, str(ROOT / "train.py"), *arguments]
    return subprocess.Popen(
        command, cwd=folder, env=cli_environment(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def start_cli(run_dir: Path, *overrides: str) -> subprocess.Popen:
    """`python train.py` writing into `run_dir`."""
    return start_cli_in(run_dir.parent, f"hydra.run.dir={run_dir}", *overrides)


def finish(process: subprocess.Popen) -> tuple[int, str, str]:
    """(exit status, stdout, stderr) of a started CLI run, once it ends. The deadline only guards against a hang."""
    try:
        out, err = process.communicate(timeout=HANG_GUARD_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise
    return process.returncode, out, err


def run_cli(run_dir: Path, *overrides: str) -> tuple[int, str, str]:
    """(exit status, stdout, stderr) of `python train.py` writing into `run_dir`, forked from the session's servers
    that have imported torch and Lightning (tests/forked_cli.py)."""
    command = [sys.executable, str(ROOT / "train.py"), f"hydra.run.dir={run_dir}", *overrides]
    result = run_python(command, run_dir.parent, cli_environment(), HANG_GUARD_S)
    return result.returncode, result.stdout, result.stderr


def user_error_line(stderr: str) -> str:
    """The CLI's one-line error; fails the test when there is none, several, or a traceback."""
    assert "Traceback" not in stderr, stderr
    lines = [line for line in stderr.splitlines() if line.startswith("error: ")]
    assert len(lines) == 1, stderr
    return lines[0]
