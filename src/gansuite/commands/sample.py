"""Samples from a trained generator, as files: `python scripts/sample.py ckpt_path=<ckpt> [key=value ...]`.

Keys: n=64 samples, seed=0, out=<path without suffix> (default <run dir>/generated/<checkpoint>_seed<seed>),
device=cpu, and interpolate=true for `rows` latent interpolations of `steps` points each instead. Writes <out>.png
(an image grid with one interpolation per row, or for 2-D toy data a scatter plot over the real data) and <out>.npz
(`samples` in the model's output range and the `latents` they came from), never over existing files unless
overwrite=true. A run with EMA samples its EMA generator.

A conditional model takes class=<index> (all samples of that class) or class=all (the default: one row per class,
each row the same latents, about n samples in all); the .npz then also holds the `labels`.

truncation=<psi> in [0, 1] trades variety for typicality (1: none, 0: one average image, 0.7 the usual choice): a
style-based generator (model=stylegan2) pulls w towards its average, any other noise model samples psi * z (the
.npz's `latents` are then the scaled ones; gansuite/editing/truncation.py says why).

Videos: video=<file>.gif (or .mp4 where PyAV is installed) with interpolate=true writes frame t as every row's point
t side by side. through=<.npz or folder> walks a closed path through latents found by scripts/project.py (in name
order, `steps` points from each to the next, in the space they were projected into), as a grid row and with video=
as a video; the StyleGAN2 noise maps are the trained ones, not the projected ones.

A style-based generator also takes space=w (interpolate=true lerps in w instead of slerping in z) and
style_mixing=true: a `rows` x `rows` grid whose row r takes its coarse styles (the layers before mix_layer, default
half of them) from latent r and whose column c takes the fine styles from another latent c.
"""

import importlib.util
import sys
from pathlib import Path

from omegaconf import DictConfig

from gansuite.commands.entry import answer_script_help, report_user_errors, script_arguments
from gansuite.errors import ConfigError
from gansuite.run.validation import check_positive_int, check_seed, check_truncation

DEFAULTS = {
    "ckpt_path": "???",
    "n": 64,
    "seed": 0,
    "interpolate": False,
    "rows": 8,
    "steps": 10,
    "out": None,
    "device": "cpu",
    "overwrite": False,
    "class": None,
    "truncation": None,
    "style_mixing": False,
    "mix_layer": None,
    "space": "z",
    "video": None,
    "through": None,
}
COUNTS = {"n": "samples to draw, e.g. n=64", "rows": "interpolations, e.g. rows=8", "steps": "points per row, e.g. 10"}


def parse(argv: list[str]) -> DictConfig:
    args = script_arguments(argv, DEFAULTS, "sample.py")
    for key, meaning in COUNTS.items():
        check_positive_int(args[key], key, meaning)
    check_seed(args.seed)
    if args.truncation is not None:
        check_truncation(args.truncation)
    if args.space not in ("z", "w"):
        raise ConfigError(f"space={args.space} is unknown: interpolate in z (slerp) or w (lerp, style-based models)")
    if args.through is not None:
        if not Path(args.through).exists():
            raise ConfigError(f"through={args.through} does not exist: pass a .npz of scripts/project.py or its folder")
        if args.truncation is not None or args.interpolate or args.style_mixing:
            raise ConfigError(
                "through= walks the projected latents as they were found: drop truncation, interpolate and style_mixing"
            )
    if args.video is not None:
        check_video(str(args.video), args.interpolate or args.through is not None)
    return args


def check_video(video: str, walks: bool) -> None:
    """A .gif, or an .mp4 where PyAV is installed, of an interpolation."""
    if not walks:
        raise ConfigError(f"video={video} shows a walk through latent space: add interpolate=true or through=<npz>")
    suffix = Path(video).suffix
    if suffix not in (".gif", ".mp4"):
        raise ConfigError(f"video={video} must end in .gif, or .mp4 (with PyAV installed)")
    if suffix == ".mp4" and importlib.util.find_spec("av") is None:
        raise ConfigError(f"video={video} needs PyAV to write MP4 (pip install av): install it, or write a .gif")


def main(argv: list[str]) -> Path:
    answer_script_help(argv, __doc__)
    args = parse(argv)
    from gansuite.run.sampling import write_samples  # after the checks: torch and Lightning take seconds to import

    return write_samples(args)


def run() -> None:
    """gansuite-sample, python scripts/sample.py."""
    report_user_errors(main, sys.argv[1:])
