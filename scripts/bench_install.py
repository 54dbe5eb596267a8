"""What each part of gansuite's install costs on disk, read from this environment's installed distributions:
`python scripts/bench_install.py`.

For the core (pyproject's dependencies) and each extra, the distributions it brings (its requirements, followed
recursively, environment markers evaluated here) and their size on disk (the files each distribution's RECORD
lists). An extra's row counts only what the core does not already bring: what `pip install 'gansuite[extra]'` adds.
"""

import importlib.metadata as metadata
import os
import re
import sys

from packaging.requirements import Requirement

from gansuite.commands.entry import answer_script_help, report_user_errors
from gansuite.errors import ConfigError

CORE = "gansuite"


def normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirements(distribution: str, extra: str | None = None) -> list[str]:
    """The names `distribution` requires (with `extra`: only those that extra adds) that apply here."""
    names = []
    for line in metadata.requires(distribution) or []:
        requirement = Requirement(line)
        applies = requirement.marker.evaluate({"extra": extra or ""}) if requirement.marker else extra is None
        if applies:
            names.append(normalized(requirement.name))
    return names


def closure(names: list[str]) -> set[str]:
    """The names and everything they require, recursively, among the installed distributions."""
    seen: set[str] = set()
    stack = list(names)
    while stack:
        name = stack.pop()
        if name in seen or name == CORE:
            continue
        seen.add(name)
        stack += requirements(name)
    return seen


def size_mb(names: set[str]) -> float:
    total = 0
    for name in names:
        for file in metadata.distribution(name).files or []:
            path = file.locate()
            if os.path.isfile(path):
                total += os.path.getsize(path)
    return total / 2**20


def main(argv: list[str]) -> None:
    answer_script_help(argv, __doc__)
    if argv:
        raise ConfigError(
            f"bench_install.py takes no arguments, got {' '.join(argv)}: run python scripts/bench_install.py"
        )
    core = closure(requirements(CORE))
    print("| part | distributions | MB on disk | largest |")
    print("|---|---|---|---|")
    rows = [("core", core)]
    for extra in ("sweeps", "slurm", "export"):
        added = closure(requirements(CORE, extra)) - core - {CORE}
        rows.append((f"[{extra}]", added))
    for part, names in rows:
        largest = sorted(names, key=lambda name: -size_mb({name}))[:4]
        listed = ", ".join(f"{name} {size_mb({name}):.0f}" for name in largest)
        print(f"| {part} | {len(names)} | {size_mb(names):.0f} | {listed} |")


if __name__ == "__main__":
    report_user_errors(main, sys.argv[1:])
