"""The command-line checks the benchmark scripts share, done before they import torch and Lightning (seconds; what
gansuite.run.benchmark imports at its top), and before a bad argument would stop them after the runs before its
turn had trained."""

from collections.abc import Callable, Sequence

from omegaconf import DictConfig

from gansuite.commands.entry import composed, parse
from gansuite.errors import ConfigError
from gansuite.run.validation import check_positive_int, validate


def chosen_rows(args: list[str], rows: Sequence[str]) -> tuple[list[str], list[str]]:
    """The rows a benchmark script's `row=NAME` arguments name (all of `rows` when none does), and its other
    arguments (Hydra overrides); a name that is not a row is a ConfigError listing the rows."""
    names = [a.split("=", 1)[1] for a in args if a.startswith("row=")] or list(rows)
    unknown = [name for name in names if name not in rows]
    if unknown:
        raise ConfigError(f"unknown row {unknown[0]!r}: choose from {', '.join(rows)}")
    return names, [a for a in args if not a.startswith("row=")]


def checked_runs(runs: list[list[str]], check: Callable[[DictConfig], None] | None = None) -> None:
    """Checks the config of `python train.py <overrides>` for each of `runs` as train.py checks its command line;
    a ConfigError of one line names the first problem. First what Hydra refuses in any run (an override it cannot
    read, a key or a group option the config lacks), then the script's own `check` of each config, then what
    gansuite.run.validation refuses, run by run: its value checks come before it imports the model and data classes,
    so a bad value every run shares (steps=0) is answered before torch is imported too. The run directory is the
    script's to choose: `paths.output_dir` is a placeholder here."""
    configs = []
    for overrides in runs:
        parse(overrides)  # names the override Hydra cannot read, where compose names only what it expected
        configs.append(composed("config", [*overrides, "paths.output_dir=unused"]))
    if check is not None:
        for cfg in configs:
            check(cfg)
    for cfg in configs:
        validate(cfg)


def positive_int(value: str, key: str, meaning: str) -> int:
    """The command line's `key=value` as a positive integer, or check_positive_int's ConfigError."""
    number = int(value) if value.isdigit() else value
    check_positive_int(number, key, meaning)
    return number
