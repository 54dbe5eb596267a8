"""The one error boundary of every entry point (train.py and the scripts): bad input is one line on stderr naming the
problem and its fix, exit status 2, no traceback; a bug keeps its traceback.

The Hydra entry points (train, evaluate, train_classifier) also have their command line checked before Hydra reads
it, for what Hydra would otherwise answer itself, in several lines with exit status 1: an override it cannot parse,
a key the config does not have (Hydra's hint is `+key=`, which adds the typo as a new key; here the closest valid
key is named), a group option that does not exist. A single run's config is validated there too, and its run
directory checked for writability, so a bad config stops before Hydra creates an empty run directory.
"""

import argparse
import difflib
import errno
import inspect
import os
import re
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

from hydra import compose, initialize_config_dir
from hydra.core.hydra_config import HydraConfig
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import Override
from hydra.errors import HydraException
from omegaconf import DictConfig, ListConfig, OmegaConf, open_dict
from omegaconf.errors import OmegaConfBaseException

from gansuite.commands.target_parameters import init_parameters
from gansuite.conf_dir import CONFIG_DIR
from gansuite.errors import ConfigError, DataError, DivergenceError

USER_ERRORS = (ConfigError, DataError, DivergenceError)
# File-system refusals the user fixes (a folder without access, a read-only or full disk), not bugs.
REFUSED = {errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOSPC, errno.EDQUOT}
OTHER_CONFIG_FLAGS = ("--config-name", "-cn", "--config-path", "-cp", "--config-dir", "-cd")
HYDRA_INFO_FLAGS = {"--help", "-h", "--hydra-help", "--info", "-i", "--cfg", "-c", "--shell-completion", "-sc"}
# Config options that Hydra plugins bring, installed with gansuite's extras (pyproject.toml): the option Hydra looks
# for -> how a user selects it, the plugin, the extra.
PLUGIN_OPTIONS = {
    "hydra/sweeper/optuna": ("hparams_search=optuna", "the Optuna sweeper (hydra-optuna-sweeper)", "sweeps"),
    "hydra/launcher/submitit_slurm": (
        "hydra/launcher=slurm",
        "the submitit launcher (hydra-submitit-launcher)",
        "slurm",
    ),
}


def user_error(error: BaseException | None) -> BaseException | None:
    """The user error behind `error` (Hydra's instantiate wraps them), or None for a bug."""
    while error is not None:
        if isinstance(error, USER_ERRORS):
            return error
        if isinstance(error, OSError) and error.errno in REFUSED:
            where = f" {error.filename}" if error.filename else ""
            return ConfigError(
                f"the file system refused{where} ({os.strerror(error.errno)}): give access or free space there, or "
                "write the run elsewhere with hydra.run.dir=<a writable folder> (scripts: out= or output=)"
            )
        error = error.__cause__
    return None


def report_user_errors(job: Callable[..., Any], *args: Any) -> Any:
    """Runs `job(*args)`; a user error is printed as one line and exits with status 2, without a traceback."""
    try:
        return job(*args)
    except Exception as error:
        cause = user_error(error)
        if cause is None:
            raise
        print(f"error: {cause}", file=sys.stderr, flush=True)
        sys.exit(2)


def first_values(overrides: list[Override]) -> list[str]:
    """The overrides of a sweep's first job (a sweep's first choice), enough to check keys and options exist.

    Interval sweeps (Optuna's) cannot be enumerated and are left out."""
    single = []
    for override in overrides:
        if not override.is_sweep_override():
            single.append(override.input_line)
        elif override.value_type is not None and override.value_type.name != "INTERVAL_SWEEP":
            single.append(f"{override.get_key_element()}={next(iter(override.sweep_string_iterator()))}")
    return single


def quoted_for_hydra(argv: list[str]) -> list[str]:
    """`argv` with each override whose value holds non-ASCII characters (a path such as data.path=/data/données,
    which sample.py and translate.py take as it is) quoted for Hydra, whose grammar reads such a value only quoted.
    Values quoted already, and sweeps (`,` `[` `(` `{`), are left as they are."""
    quoted = [argv[0]]
    for argument in argv[1:]:
        key, equals, value = argument.partition("=")
        plain = value and value[0] not in "'\"" and not set(value) & set(",[](){}")
        if equals and not argument.startswith("-") and plain and not value.isascii():
            escaped = value.replace("'", "\\'")
            argument = f"{key}='{escaped}'"
        quoted.append(argument)
    return quoted


def parse(arguments: list[str]) -> list[Override]:
    parser = OverridesParser.create()
    for argument in arguments:
        try:
            parser.parse_overrides([argument])
        except HydraException as error:
            problem = str(error).splitlines()[0]
            raise ConfigError(
                f"cannot read the override {argument!r} ({problem}): write key=value, with a value that holds = or "
                "spaces in quotes that reach Hydra: key=\"'a=b'\" (an apostrophe in it as \\')"
            ) from None
    return parser.parse_overrides(arguments)


def config_keys(node: Any, prefix: str = "") -> list[str]:
    """Every dotted key of a config, unresolved."""
    keys = []
    if isinstance(node, dict):
        for key, value in node.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            keys += [path, *config_keys(value, path)]
    return keys


def closest_keys(bad: str, valid: list[str]) -> list[str]:
    """Up to three valid keys like `bad`: first those whose last part is like its last part (`model.lr` ->
    `model.optimizer_g.lr`), closest as a whole first; else the closest as a whole."""

    def similarity(a: str, b: str) -> float:
        return difflib.SequenceMatcher(None, a, b).ratio()

    leaf = bad.rpartition(".")[2]
    same_leaf = [key for key in valid if similarity(key.rpartition(".")[2], leaf) >= 0.75]
    if same_leaf:
        return sorted(same_leaf, key=lambda key: -similarity(key, bad))[:3]
    return difflib.get_close_matches(bad, valid, n=3, cutoff=0.6)


def explain(error: Exception, config_name: str, overrides: list[str]) -> str:
    """One line for a composition error: the bad key with the closest valid ones, or the bad group option."""
    message = f"{error}\n{error.__cause__ or ''}"
    key = re.search(r"Could not (?:override|delete|append to) '([^']+)'", message) or re.search(
        r"Key '([^']+)' is not in struct", message
    )
    if key and "not in struct" in message:
        bad = key.group(1)
        others = [o for o in overrides if not o.lstrip("+~").startswith(f"{bad}=") and o.lstrip("~") != bad]
        with initialize_config_dir(config_dir=CONFIG_DIR, version_base="1.3"):
            base = compose(config_name, overrides=others)
        valid = config_keys(OmegaConf.to_container(base, resolve=False))
        close = closest_keys(bad, valid)
        suggestion = f"did you mean {' or '.join(close)}? " if close else ""
        parent, _, leaf = bad.rpartition(".")
        target = OmegaConf.select(base, f"{parent}._target_") if parent else None
        taken = init_parameters(target) if isinstance(target, str) else None
        if taken is not None and leaf not in taken:  # `+key=` would pass an argument the class does not take
            return f"{bad} is not a key of this config: {suggestion}({parent} builds {target}, which takes no {leaf})"
        if taken is not None:  # a parameter the config leaves at the class's default
            return f"{bad} is not in this config, though {target} ({parent}) takes it: pass it with +{bad}=<value>"
        if target is not None:
            fix = f"({parent} builds {target}: if it takes {leaf}, pass it with +{bad}=<value>)"
            return f"{bad} is not a key of this config: {suggestion}{fix}"
        return f"{bad} is not a key of this config: {suggestion}(to add a new key on purpose, write +{bad}=<value>)"
    options = re.search(r"Could not (?:find|load) '([^']+)'", message)
    if options and options.group(1) in PLUGIN_OPTIONS:
        selected, plugin, extra = PLUGIN_OPTIONS[options.group(1)]
        return (
            f"{selected} needs {plugin}, an optional part of gansuite: pip install 'gansuite[{extra}]' "
            f"(in a checkout: pip install -e '.[{extra}]')"
        )
    if options:
        group, _, option = options.group(1).rpartition("/")
        folder = Path(CONFIG_DIR) / group
        available = sorted(p.stem for p in folder.glob("*.yaml")) if folder.is_dir() else []
        if available:
            return f"{group}={option} is not an option of {group}: choose one of {', '.join(available)}"
    return f"{message.strip().splitlines()[0]}: check the overrides"


def group_value_problem(overrides: list[str], config_name: str) -> str:
    """One line for a config group given a value that is not an option name (logger=false, model=1): its options,
    and for a group that takes a list (logger: [wandb, csv]) how to give several or none."""
    list_groups = set()
    for entry in OmegaConf.load(Path(CONFIG_DIR) / f"{config_name}.yaml").get("defaults", []):
        if isinstance(entry, DictConfig):
            list_groups |= {key for key, chosen in entry.items() if isinstance(chosen, ListConfig)}
    for override in overrides:
        key, _, value = override.lstrip("+~").partition("=")
        folder = Path(CONFIG_DIR) / key
        if folder.is_dir() and not (folder / f"{value}.yaml").is_file():
            options = sorted(path.stem for path in folder.glob("*.yaml"))
            several = f", a list of them ({key}=[{options[0]}]) or none ({key}=[])" if key in list_groups else ""
            listed = ", ".join(options)
            return f"{key}={value}: {key} is a config group, which takes one of its options ({listed}){several}"
    return "a config group was given a value that is not one of its options: pass group=<option>"


def check_writable(folder: Path, key: str) -> None:
    """`folder` (set by `key`) can be created and written: a folder made and removed in its nearest existing folder
    (a real write: permission bits say nothing to root, or of read-only and virtual filesystems)."""
    existing = folder.absolute()
    while not existing.exists():
        existing = existing.parent
    try:
        os.rmdir(tempfile.mkdtemp(dir=existing, prefix=".gansuite-write-check-"))
    except OSError as error:
        raise ConfigError(
            f"cannot write {folder} ({existing}: {error.strerror}): set {key}=<a writable folder>"
        ) from None


def check_unused(folder: Path, key: str, record: str) -> None:
    """`folder` holds no earlier run (Hydra's `record` of one), whose files a new run would mix with its own. One
    that stopped before its first checkpoint cannot be resumed: the way out named is to remove it."""
    earlier = next(iter(folder.glob(record)), None)
    if earlier is not None and not any(folder.rglob("*.ckpt")):
        raise ConfigError(
            f"{folder} already holds a run that stopped before its first checkpoint ({earlier}): remove it "
            f"(rm -r {folder}) to start again there, or set {key}=<a new folder>"
        )
    if earlier is not None:
        raise ConfigError(
            f"{folder} already holds a run ({earlier}): continue a run with python train.py resume=<its directory>, "
            f"or set {key}=<a new folder>"
        )


def composed(config_name: str, overrides: list[str], return_hydra_config: bool = False) -> DictConfig:
    """The config `overrides` compose, or a ConfigError of one line for what Hydra would answer in several."""
    try:
        with initialize_config_dir(config_dir=CONFIG_DIR, version_base="1.3"):
            return compose(config_name, overrides=overrides, return_hydra_config=return_hydra_config)
    except (HydraException, OmegaConfBaseException) as error:
        raise ConfigError(explain(error, config_name, overrides)) from None
    except ValueError as error:  # Hydra's own for a group given true/false/a number: logger=false
        if "Config group override must be" not in str(error):
            raise
        raise ConfigError(group_value_problem(overrides, config_name)) from None


def config_groups(folder: Path, prefix: str = "") -> dict[str, list[str]]:
    """The config groups under `folder` (nested ones as a/b) and their options, but Hydra's own (hydra/)."""
    groups = {}
    for child in sorted(path for path in folder.iterdir() if path.is_dir() and path.name != "hydra"):
        name = f"{prefix}{child.name}"
        options = sorted(path.stem for path in child.glob("*.yaml"))
        if options:
            groups[name] = options
        groups |= config_groups(child, f"{name}/")
    return groups


def answer_help(argv: list[str], config_name: str, app: str) -> bool:
    """`--help` or `-h` of a Hydra entry point, answered here in Hydra's layout: the config groups with their options,
    then the config the other arguments compose. Hydra's own help lists the groups through its config loader, ~2 s
    on a 2-core CPU; this reads the group folders. False (nothing printed) without the flag."""
    arguments = argv[1:]
    if not {"--help", "-h"} & set(arguments):
        return False
    cfg = composed(config_name, first_values(parse([a for a in arguments if not a.startswith("-")])))
    groups = "\n".join(f"{group}: {', '.join(options)}" for group, options in config_groups(Path(CONFIG_DIR)).items())
    print(
        f"{app} is powered by Hydra.\n\n== Configuration groups ==\nCompose your configuration from those groups "
        f"(group=option)\n\n{groups}\n\n\n== Config ==\nOverride anything in the config (foo.bar=value)\n\n"
        f"{OmegaConf.to_yaml(cfg)}\n\nPowered by Hydra (https://hydra.cc)\n"
        "Use --hydra-help to view Hydra specific help\n\n"
    )
    return True


class Arguments(argparse.ArgumentParser):
    """The argparse parser of gansuite-dataset and the benchmark scripts that take flags: its errors are a ConfigError
    (one line with the usage, exit status 2, like every entry point's) instead of its own usage block on stderr."""

    def error(self, message: str) -> NoReturn:
        raise ConfigError(f"{message}; usage: {' '.join(self.format_usage().split()[1:])} (--help: all options)")


def answer_script_help(argv: list[str], doc: str | None) -> None:
    """`--help` or `-h` among a small script's arguments: its module docstring (what it does, how it is called) on
    stdout and exit status 0, before anything is parsed or imported."""
    if {"--help", "-h"} & set(argv):
        print(inspect.cleandoc(doc or ""))
        raise SystemExit(0)


def check_command_line(argv: list[str], config_name: str, validate: Callable[[DictConfig], None] | None = None) -> None:
    """Checks a Hydra entry point's command line as the module docstring says; raises ConfigError."""
    arguments = argv[1:]
    if HYDRA_INFO_FLAGS & set(arguments) or any(a.startswith(OTHER_CONFIG_FLAGS) for a in arguments):
        return  # Hydra's own output, or another config than `config_name`: Hydra answers these itself
    overrides = [a for a in arguments if not a.startswith("-")]
    late = [a for a in arguments[arguments.index(overrides[0]) :] if a.startswith("-")] if overrides else []
    if late:  # argparse would print its usage and "unrecognized arguments: <every override>"
        flags = [a for a in arguments if a.startswith("-")]
        raise ConfigError(
            f"{late[0]} comes after the override {overrides[0]}: Hydra reads its flags before the overrides, e.g. "
            f"{' '.join([*flags, *overrides])}"
        )
    multirun = bool({"-m", "--multirun"} & set(arguments))
    cfg = composed(config_name, first_values(parse([a for a in arguments if not a.startswith("-")])), True)
    if multirun:  # each job is validated when it runs, inside its own directory
        check_unused(Path(OmegaConf.select(cfg, "hydra.sweep.dir")), "hydra.sweep.dir", "*/.hydra/config.yaml")
        return
    run_dir = Path(OmegaConf.select(cfg, "hydra.run.dir"))
    if OmegaConf.select(cfg, "hydra.output_subdir") == ".hydra":  # resume= records itself beside, in .hydra/resume-*
        check_unused(run_dir, "hydra.run.dir", ".hydra/config.yaml")
    check_writable(run_dir, "hydra.run.dir")
    if validate is not None:
        HydraConfig.instance().set_config(cfg)  # for the config's ${hydra:...} interpolations
        with open_dict(cfg):
            del cfg["hydra"]
        validate(cfg)


# Names a user brings from the other commands (translate.py's output=) or other tools, and the option each means.
SCRIPT_SYNONYMS = {"num_samples": "n", "samples": "n", "output": "out", "output_dir": "out", "ckpt": "ckpt_path"}


def script_arguments(argv: list[str], defaults: dict[str, Any], script: str) -> DictConfig:
    """`key=value` arguments of a small script over its `defaults` ("???" marks a required one), or a ConfigError
    that names the problem and shows the usage: an unknown key (with the option it likely means), an argument that
    is not key=value, a missing required one, a value of the wrong type."""
    required = " ".join(f"{key}=<{key.removesuffix('_path')}>" for key, value in defaults.items() if value == "???")
    usage = f"usage: scripts/{script} {required} [{' '.join(defaults)}]"
    for argument in argv:
        key, equals, _ = argument.partition("=")
        if not equals:
            meant = f": did you mean ckpt_path={argument}?" if "ckpt_path" in defaults else ""
            raise ConfigError(f"{argument!r} is not a key=value argument{meant}; {usage}")
        if key not in defaults:
            synonym = SCRIPT_SYNONYMS.get(key)
            close = [synonym] if synonym in defaults else difflib.get_close_matches(key, list(defaults), n=2)
            meant = f": did you mean {' or '.join(f'{c}=' for c in close)}?" if close else ""
            raise ConfigError(f"{key} is not an option of scripts/{script}{meant}; {usage}")
    args = OmegaConf.create(defaults)
    OmegaConf.set_struct(args, True)
    try:
        args = OmegaConf.merge(args, OmegaConf.from_cli(argv))
        for key, value in defaults.items():
            if value == "???":
                args[key]  # noqa: B018 -- raises when missing
    except OmegaConfBaseException as error:
        problem = str(error).splitlines()[0]
        raise ConfigError(f"{problem}; {usage}") from None
    return args
