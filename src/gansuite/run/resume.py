"""`python train.py resume=<run dir> [key=value ...]`: continue a run in its own directory.

Before Hydra reads the command line, `resume=<run dir>` expands into the run's recorded overrides followed by the
new ones (later ones win, so `steps=20000` extends the budget), `hydra.run.dir=<run dir>`, a fresh
`.hydra/resume-<time>/` for Hydra's record of this invocation (the first one's `.hydra/` stays as it was), and
`ckpt_path=<the checkpoint to resume>` unless the command gives one. The rest follows from the directory being the
same: the checkpoint restores the generator-update count, optimizer states and EMA weights, the CSV log is appended
to, and W&B continues the run id stored there.
"""

import sys
from datetime import datetime
from pathlib import Path

from omegaconf import OmegaConf

from gansuite.errors import ConfigError

ARGUMENT = "resume="
NOT_CARRIED = ("ckpt_path=", "hparams_search=")  # the old start point; a sweep's search (resume one trial instead)


def checkpoint_to_resume(run_dir: Path) -> Path:
    """The checkpoint a resumed run starts from: the run's newest last*.ckpt (runs of earlier versions, whose
    Lightning wrote last-v1.ckpt beside a last.ckpt it had not written itself, have several)."""
    candidates = sorted((run_dir / "checkpoints").glob("last*.ckpt"), key=lambda path: path.stat().st_mtime)
    if not candidates:
        raise ConfigError(
            f"resume={run_dir}: there is no {run_dir / 'checkpoints' / 'last.ckpt'} (the run stopped before its "
            f"first checkpoint); start it again elsewhere without resume= (or remove {run_dir} first), or pass "
            "ckpt_path=<checkpoint> with resume="
        )
    return candidates[-1]


def set_aside_later_checkpoints(start: Path, folder: Path) -> Path | None:
    """Resuming from an earlier checkpoint of the run in `folder` abandons every checkpoint written after `start`
    (last.ckpt, best.ckpt, later gen_step files): they move into `folder`/abandoned-<time>/, kept but out of the
    way, so the resumed branch's files are the only ones that gansuite.load, sample.py, export and the next resume=
    read. Returns that folder, or None when nothing came after `start` or it lies in another folder."""
    start = start.expanduser().resolve()
    if start.parent != folder.expanduser().resolve() or not start.is_file():
        return None
    later = [path for path in folder.glob("*.ckpt") if path.stat().st_mtime > start.stat().st_mtime]
    if not later:
        return None
    aside = folder / f"abandoned-{datetime.now().strftime('%Y-%m-%d_%H-%M-%S_%f')}"
    aside.mkdir()
    for path in later:
        path.rename(aside / path.name)
    names = ", ".join(sorted(path.name for path in later))
    print(f"resuming from {start.name}: the checkpoints written after it ({names}) moved to {aside}", file=sys.stderr)
    return aside


def recorded_overrides(run_dir: Path) -> list[str]:
    """The overrides of the run's latest invocation (a resume records its expanded list), minus NOT_CARRIED."""
    records = sorted((run_dir / ".hydra").glob("resume-*/overrides.yaml")) or [run_dir / ".hydra" / "overrides.yaml"]
    if not records[-1].is_file():
        raise ConfigError(f"resume={run_dir}: not a run directory of train.py (no {records[-1]})")
    return [override for override in OmegaConf.load(records[-1]) if not override.startswith(NOT_CARRIED)]


def is_override(argument: str) -> bool:
    return "=" in argument and not argument.startswith("-")


def expand_resume(argv: list[str]) -> list[str]:
    """`argv` with its `resume=<run dir>` expanded as the module docstring says; unchanged without one."""
    resumes = [argument for argument in argv[1:] if argument.startswith(ARGUMENT)]
    if not resumes:
        return argv
    if len(resumes) > 1 or {"-m", "--multirun"} & set(argv):
        raise ConfigError(
            "resume= continues one run: give one resume=<run dir>, without -m "
            "(resume a sweep's jobs one at a time: resume=<sweep dir>/<job number>)"
        )
    run_dir = Path(resumes[0].removeprefix(ARGUMENT)).expanduser().resolve()
    if not run_dir.is_dir():
        raise ConfigError(f"resume={run_dir}: no such run directory (runs are under logs/<task_name>/runs/)")
    options = [argument for argument in argv[1:] if not is_override(argument)]
    new = [argument for argument in argv[1:] if is_override(argument) and not argument.startswith(ARGUMENT)]
    stamp = datetime.now().strftime("%Y-%m-%d_%H-%M-%S_%f")
    expanded = [*recorded_overrides(run_dir), *new, f"hydra.run.dir='{run_dir}'"]
    expanded.append(f"hydra.output_subdir='.hydra/resume-{stamp}'")
    if not any(argument.startswith("ckpt_path=") for argument in new):
        expanded.append(f"ckpt_path='{checkpoint_to_resume(run_dir)}'")
    return [argv[0], *options, *expanded]
