"""Storage faults for real: runs and scripts that write onto a small tmpfs until it is full end in one line (exit
status 2), the last good checkpoint still loads, and no torn file is left under a final name (gansuite.files writes
beside the target and renames). Mounting needs root, which CI has."""

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from forked_cli import run_python
from gansuite_testing import HANG_GUARD_S, QUIET, ROOT, TINY_MLP, TINY_TOY
from reliability_helpers import cli_environment, run_cli

from gansuite.artifacts.checkpoints import read_checkpoint

TOY = [*TINY_MLP, *(key for key in TINY_TOY if not key.startswith("metrics.")), "metrics=none"]


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 512 KiB tmpfs, unmounted afterwards."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root (CI runs as root)")
    disk = tmp_path / "disk"
    disk.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", str(disk)], check=True)
    try:
        yield disk
    finally:
        subprocess.run(["umount", str(disk)], check=True)


def one_error_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.startswith("error: ")]
    assert len(lines) == 1 and "Traceback" not in stderr, stderr[-3000:]
    return lines[0]


def torn_files(folder: Path) -> list[Path]:
    return [path for path in folder.rglob("*") if path.name.endswith(".partial")]


@pytest.mark.slow
def test_a_run_that_fills_the_disk_ends_in_one_line_and_keeps_its_last_good_checkpoint(small_disk: Path) -> None:
    run_dir = small_disk / "run"
    every = ["callbacks.model_checkpoint.every_n_updates=5", "callbacks.sample_grid.every_n_updates=100000"]
    code, _, stderr = run_cli(run_dir, *TOY, *every, "steps=100000", "logger=csv")
    assert code == 2
    assert "No space left on device" in one_error_line(stderr)
    checkpoints = sorted((run_dir / "checkpoints").glob("*.ckpt"))
    assert len(checkpoints) >= 3  # it trained and saved before the disk filled
    for checkpoint in checkpoints:  # every file under a final name is whole
        assert read_checkpoint(checkpoint)["global_step"] > 0
    assert not torn_files(run_dir)


@pytest.mark.slow
def test_sample_script_on_a_full_disk_leaves_no_torn_file(small_disk: Path, tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    code, _, stderr = run_cli(run_dir, *TOY, "steps=2", *QUIET)
    assert code == 0, stderr[-3000:]
    (small_disk / "ballast").write_bytes(b"\0" * (512 * 1024 - 8192))  # all but two pages of the disk
    command = [sys.executable, str(ROOT / "scripts" / "sample.py"), f"ckpt_path={run_dir}/checkpoints/last.ckpt"]
    result = run_python([*command, "n=2000", f"out={small_disk}/samples"], tmp_path, cli_environment(), HANG_GUARD_S)
    assert result.returncode == 2
    assert "No space left on device" in one_error_line(result.stderr)
    assert sorted(path.name for path in small_disk.iterdir()) == ["ballast"]  # no samples.npz/.png, whole or torn
