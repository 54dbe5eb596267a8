"""Translate a folder of images with a trained CycleGAN or pix2pix checkpoint, or upscale one with SRGAN/SRResNet.

    python scripts/translate.py ckpt_path=logs/train/runs/<run>/checkpoints/last.ckpt input=DIR output=DIR \
        direction=a2b [resize=false] [batch_size=8] [device=auto]

Every image under `input` (recursively) is translated A -> B (`direction=a2b`) or B -> A (`b2a`; pix2pix: its own
direction) at its own size and aspect ratio, and written as PNG of the same size to the same relative path under
`output`. The networks are fully convolutional: each image is padded (reflect) to the size the generator takes and
its translation cropped back. `resize=true` resizes every image to the model's training size first, like the
reference's test phase, and writes the translations at that size. A super-resolution checkpoint upscales each image
at its own size (`direction` does not apply, `resize=true` is refused). Consecutive images of one size run
`batch_size` at a time. Existing files are never overwritten unless overwrite=true.
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
    "resize": False,
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
    if not isinstance(arguments["resize"], bool):
        raise ConfigError(
            f"resize must be true (to the training size) or false (each image at its own size), got "
            f"{arguments['resize']!r}"
        )
    from gansuite.run.translating import (
        translate_folder,  # after the checks: torch and Lightning take seconds to import
    )

    written = translate_folder(**arguments)
    print(f"translated {len(written)} images ({arguments['direction']}) into {arguments['output']}")
    return written


def run() -> None:
    """gansuite-translate, python scripts/translate.py."""
    report_user_errors(main, sys.argv[1:])
