"""Translate a folder of images with a trained CycleGAN or pix2pix checkpoint, or upscale one with SRGAN/SRResNet.

    python scripts/translate.py ckpt_path=logs/train/runs/<run>/checkpoints/last.ckpt input=DIR output=DIR \
        direction=a2b [batch_size=8] [device=auto]

Every image under `input` (recursively) is resized to the model's training size, like the reference's test
phase, translated A -> B (`direction=a2b`) or B -> A (`b2a`; pix2pix: its own direction), and written as PNG to the
same relative path under `output`. A super-resolution checkpoint upscales each image at its own size, one at a time
(`direction` does not apply). Existing files are never overwritten unless overwrite=true.
"""

import sys
from pathlib import Path

from omegaconf import OmegaConf

from gansuite.commands.entry import answer_script_help, report_user_errors
from gansuite.errors import ConfigError
from gansuite.run.validation import check_positive_int

USAGE = "usage: scripts/translate.py ckpt_path=<ckpt> input=<folder> output=<folder> [direction=a2b|b2a]"
ARGUMENTS = {
    "ckpt_path": None,
    "input": None,
    "output": None,
    "direction": "a2b",
    "batch_size": 8,
    "device": "auto",
    "overwrite": False,
}


def main(argv: list[str]) -> list[Path]:
    answer_script_help(argv, __doc__)
    given = OmegaConf.to_container(OmegaConf.from_cli(argv))
    unknown = sorted(set(given) - set(ARGUMENTS))
    if unknown:
        raise ConfigError(f"unknown argument(s) {', '.join(unknown)}: translate.py takes {', '.join(ARGUMENTS)}")
    arguments = {**ARGUMENTS, **given}
    missing = [name for name in ("ckpt_path", "input", "output") if arguments[name] is None]
    if missing:
        raise ConfigError(f"missing {', '.join(f'{name}=...' for name in missing)}; {USAGE}")
    check_positive_int(arguments["batch_size"], "batch_size", "images per forward pass, e.g. batch_size=8")
    from gansuite.run.translating import (
        translate_folder,  # after the checks: torch and Lightning take seconds to import
    )

    written = translate_folder(**arguments)
    print(f"translated {len(written)} images ({arguments['direction']}) into {arguments['output']}")
    return written


def run() -> None:
    """gansuite-translate, python scripts/translate.py."""
    report_user_errors(main, sys.argv[1:])
