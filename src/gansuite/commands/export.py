"""Export a trained generator: `gansuite-export ckpt_path=<run dir or .ckpt> format=onnx|torchscript|exported_program
[out=PATH] [direction=a2b|b2a] [overwrite=false]` (`python scripts/export.py ...` in a checkout).

Writes the generator alone (its EMA when the run kept one) with a dynamic batch size (and height and width for image
inputs) to `out` (default: <run dir>/export/generator.onnx, .pt or .pt2), then runs the file on fixed inputs and
prints how far it is from the PyTorch generator (see gansuite.artifacts.export). Never over an existing file unless
overwrite=true. ONNX needs the export extra: pip install 'gansuite[export]'.
"""

import sys
from pathlib import Path

from gansuite.artifacts import EXPORT_FORMATS
from gansuite.commands.entry import answer_script_help, check_writable, report_user_errors, script_arguments
from gansuite.errors import ConfigError

DEFAULTS = {"ckpt_path": "???", "format": "onnx", "out": None, "direction": None, "overwrite": False}


def main(argv: list[str]) -> dict[str, object]:
    answer_script_help(argv, __doc__)
    args = script_arguments(argv, DEFAULTS, "export.py")
    if args.format not in EXPORT_FORMATS:
        raise ConfigError(f"format={args.format} is unknown: choose one of {', '.join(EXPORT_FORMATS)}")
    if args.out is not None and Path(args.out).is_dir():
        suggested = Path(args.out) / f"generator{EXPORT_FORMATS[args.format]}"
        raise ConfigError(f"out={args.out} is a folder: name the file to write, e.g. out={suggested}")
    from gansuite.artifacts.export import export  # after the checks: torch takes seconds to import
    from gansuite.artifacts.pretrained import load

    pretrained = load(args.ckpt_path)
    checkpoint = pretrained.checkpoint_path
    run_dir = checkpoint.parent.parent if checkpoint.parent.name == "checkpoints" else checkpoint.parent
    out = Path(args.out) if args.out else run_dir / "export" / f"generator{EXPORT_FORMATS[args.format]}"
    if out.exists() and not args.overwrite:
        raise ConfigError(f"{out} already exists: pass out=<another path>, or overwrite=true to replace it")
    check_writable(out.parent, "out")
    facts = export(pretrained, args.format, out, args.direction)
    for key, value in facts.items():
        print(f"{key:>10}: {value}")
    return facts


def run() -> None:
    """gansuite-export, python scripts/export.py."""
    report_user_errors(main, sys.argv[1:])
