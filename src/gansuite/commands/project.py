"""Project real images into a trained generator: `python scripts/project.py ckpt_path=<ckpt> target=<image or folder>`.

Finds, for each target image, the latent whose generated image reproduces it, by optimisation (after
stylegan2-ada-pytorch's projector.py; gansuite/editing/projection.py says how), for any noise model: DCGAN, ResNet,
conditional models (class=<index>), StyleGAN2 in z, w or w+. Keys: steps=1000, space=z|w|w+ (w and w+: StyleGAN2),
feature=auto|lpips|discriminator|none (the feature distance beside the pixel error: LPIPS where its weights are in
the torch hub cache, else the run's discriminator features; the output says which), feature_weight=1.0, seed=0,
device=cpu, out=<folder> (default <run dir>/projected), overwrite=false. A target must have the model's image size
and channels.

Writes, per target <name>: <name>_projected.png, <name>_side_by_side.png (target | projection) and <name>.npz
(`latents`, `space`, `psnr`, the StyleGAN2 noise maps as `noise/<layer>`, `labels` when conditional; scripts/sample.py
through=<name>.npz interpolates between projected latents). Prints each reconstruction's PSNR.
"""

import sys
from pathlib import Path

from omegaconf import DictConfig

from gansuite.commands.entry import answer_script_help, report_user_errors, script_arguments
from gansuite.editing import FEATURES, SPACES
from gansuite.errors import ConfigError
from gansuite.run.validation import check_positive_int, check_seed

DEFAULTS = {
    "ckpt_path": "???",
    "target": "???",
    "steps": 1000,
    "space": "z",
    "feature": "auto",
    "feature_weight": 1.0,
    "class": None,
    "seed": 0,
    "device": "cpu",
    "out": None,
    "overwrite": False,
}


def check_space_and_feature(space: str, feature: str) -> None:
    """A ConfigError for a latent space or a feature distance that projection does not have."""
    if space not in SPACES:
        raise ConfigError(f"space={space} is unknown: project into z, w or w+ (w and w+: model=stylegan2)")
    if feature not in FEATURES:
        raise ConfigError(f"feature={feature} is unknown: choose one of {', '.join(FEATURES)}")


def parse(argv: list[str]) -> DictConfig:
    args = script_arguments(argv, DEFAULTS, "project.py")
    check_positive_int(args.steps, "steps", "optimisation steps per target, e.g. steps=1000")
    check_seed(args.seed)
    check_space_and_feature(args.space, args.feature)
    weight = args.feature_weight
    if isinstance(weight, bool) or not isinstance(weight, int | float) or not weight >= 0:
        raise ConfigError(f"feature_weight must be a number >= 0 (1.0 by default), got {weight!r}")
    if not Path(args.target).exists():
        raise ConfigError(f"target={args.target} does not exist: pass an image file or a folder of images")
    return args


def main(argv: list[str]) -> list[Path]:
    answer_script_help(argv, __doc__)
    args = parse(argv)
    from gansuite.run.projecting import project_files  # after the checks: torch takes seconds to import

    return project_files(args)


def run() -> None:
    """gansuite-project, python scripts/project.py."""
    report_user_errors(main, sys.argv[1:])
