"""Every row of bad_inputs.TABLE through the real CLI: one line, exit status 2, no traceback, no run directory left
behind (but a resumed one); then the fix the line names, which must work. And the README shows the same table."""

import os
import shlex
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from bad_inputs import TABLE, BadInput, markdown, readme_table
from forked_cli import ForkedCLI, shared_cli
from gansuite_testing import HANG_GUARD_S, QUIET, ROOT, TINY_CYCLEGAN, TINY_MLP, TINY_TOY, readme_offline_commands
from PIL import Image

from gansuite.metrics.inception import WEIGHTS_FILE

CHEAP_RUN = ["steps=2", "logger=csv", *QUIET]


@pytest.fixture(scope="module")
def forked() -> ForkedCLI:
    """The session's two command servers (tests/forked_cli.py), one per thread of the table: the rows' ~100
    commands each save the seconds of importing torch and Lightning. What each entry point imports first is tested
    apart, in real interpreters (tests/test_entry_points.py)."""
    return shared_cli()


def cli(
    forked: ForkedCLI, entry: str, arguments: list[str], cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k != "HYDRA_FULL_ERROR"}  # set, Hydra prints tracebacks
    environment.update(env or {}, WANDB_MODE="offline")
    environment["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "src"), os.environ.get("PYTHONPATH")]))
    return forked.run(ROOT / entry, arguments, cwd, environment, HANG_GUARD_S)


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory, forked: ForkedCLI) -> dict[str, Path]:
    """A finished toy run of 4 updates and a CycleGAN checkpoint, made once."""
    root = tmp_path_factory.mktemp("trained")
    runs = {
        "toy_run": [*TINY_MLP, *TINY_TOY, "steps=4"],
        "cyclegan_run": [*TINY_CYCLEGAN, "data=cifar_pair", "metrics=none", "steps=1"],
    }
    for name, overrides in runs.items():
        result = cli(forked, "train.py", [*overrides, "logger=csv", *QUIET, f"hydra.run.dir={root / name}"], root)
        assert result.returncode == 0, result.stderr[-3000:]
    return {name: root / name for name in runs}


def placeholders(tmp_path: Path, trained: dict[str, Path]) -> dict[str, str]:
    """The folders and files the table's placeholders name, fresh for each row (a fix may change them)."""
    toy_run = shutil.copytree(trained["toy_run"], tmp_path / "toy_run")
    sweep = tmp_path / "sweep"
    shutil.copytree(trained["toy_run"], sweep / "0")
    images = tmp_path / "images"
    images.mkdir()
    for index in range(4):
        Image.fromarray(np.full((16, 16, 3), 60 * index, dtype=np.uint8)).save(images / f"{index}.png")
    (tmp_path / "taken.png").write_bytes(b"")
    (tmp_path / "taken_folder").mkdir()
    (tmp_path / "taken_folder" / "0.png").write_bytes(b"")
    no_weights = tmp_path / "torch_home_empty"
    damaged = tmp_path / "torch_home_damaged" / "hub" / "checkpoints" / WEIGHTS_FILE
    damaged.parent.mkdir(parents=True)
    damaged.write_bytes(b"PK\x03\x04" + bytes(996))  # a torn zip: what an interrupted copy leaves
    return {
        "toy_run": str(toy_run),
        "toy_ckpt": str(toy_run / "checkpoints" / "last.ckpt"),
        "cyclegan_ckpt": str(trained["cyclegan_run"] / "checkpoints" / "last.ckpt"),
        "images": str(images),
        "sweep": str(sweep),
        "tmp": str(tmp_path),
        "no_weights": str(no_weights),
        "damaged_weights": str(damaged.parents[2]),
    }


def without_steps(command: str) -> str:
    return " ".join(word for word in command.split() if not word.startswith("steps="))


def filled(text: str, values: dict[str, str]) -> str:
    return text.format(**values)


def check(row: BadInput, tmp_path: Path, trained: dict[str, Path], forked: ForkedCLI) -> str | None:
    """What is wrong with the answer to `row` or with its fix, or None."""
    values = placeholders(tmp_path, trained)
    env = {key: filled(value, values) for key, value in row.env.items()}
    result = cli(forked, row.entry, shlex.split(filled(row.arguments, values)), tmp_path, env)
    lines = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    if result.returncode != 2 or "Traceback" in result.stderr or len(lines) != 1:
        return f"exit status {result.returncode}, {len(lines)} error lines:\n{result.stderr[-2000:]}"
    if filled(row.answer, values) not in lines[0]:
        return f"answered {lines[0]!r}"
    left = [*(tmp_path / "logs").glob("*/runs/*")]
    if left and not row.resumes:
        return f"left a run directory behind: {left[0]}"
    if row.fix is None:
        return None
    if row.fix_is_readme_offline_command:
        offline = [without_steps(command) for command in readme_offline_commands()]
        return None if without_steps(f"python train.py {row.fix}") in offline else f"{row.fix!r} not in {offline}"
    entry, arguments = row.entry, shlex.split(filled(row.fix, values))
    if arguments[0].startswith("scripts/"):
        entry, arguments = arguments[0], arguments[1:]
    if entry == "train.py":
        arguments = [*CHEAP_RUN, *arguments]  # the fix's own steps= wins
    fixed = cli(forked, entry, arguments, tmp_path, env)
    return None if fixed.returncode == 0 else f"the fix {row.fix!r} failed:\n{fixed.stderr[-2000:]}"


@pytest.mark.slow
def test_every_bad_input_answers_one_line_and_its_fix_works(tmp_path: Path, trained, forked: ForkedCLI) -> None:
    """The rows run two at a time, each command forked from a server that has done the imports."""
    folders = [tmp_path / str(index) for index in range(len(TABLE))]
    for folder in folders:
        folder.mkdir()
    with ThreadPoolExecutor(max_workers=2) as pool:
        problems = list(pool.map(check, TABLE, folders, [trained] * len(TABLE), [forked] * len(TABLE)))
    failures = [f"{row.entry} {row.arguments}: {row_problem}" for row, row_problem in zip(TABLE, problems, strict=True)]
    failures = [failure for failure, problem in zip(failures, problems, strict=True) if problem]
    assert not failures, "\n\n".join(failures)


def test_the_readme_shows_the_table_of_bad_inputs() -> None:
    assert readme_table() == markdown(), "run python tests/reliability/bad_inputs.py --write"
