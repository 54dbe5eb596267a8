"""Samples from a trained generator, as files: `python scripts/sample.py ckpt_path=<ckpt> [key=value ...]`.

Keys: n=64 samples, seed=0, out=<path without suffix> (default <run dir>/generated/<checkpoint>_seed<seed>),
device=cpu, and interpolate=true for `rows` latent interpolations of `steps` points each instead. Writes <out>.png
(an image grid with one interpolation per row, or for 2-D toy data a scatter plot over the real data) and <out>.npz
(`samples` in the model's output range and the `latents` they came from), never over existing files unless
overwrite=true. A run with EMA samples its EMA generator.

A conditional model takes class=<index> (all samples of that class) or class=all (the default: one row per class,
each row the same latents, about n samples in all); the .npz then also holds the `labels`.

A style-based generator (model=stylegan2) also takes truncation=<psi> (w pulled towards its average: 1 is none,
0.7 the usual choice), space=w (interpolate=true lerps in w instead of slerping in z) and style_mixing=true: a
`rows` x `rows` grid whose row r takes its coarse styles (the layers before mix_layer, default half of them) from
latent r and whose column c takes the fine styles from another latent c.
"""

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
    return args


def main(argv: list[str]) -> Path:
    answer_script_help(argv, __doc__)
    args = parse(argv)
    from gansuite.run.sampling import write_samples  # after the checks: torch and Lightning take seconds to import

    return write_samples(args)


def run() -> None:
    """gansuite-sample, python scripts/sample.py."""
    report_user_errors(main, sys.argv[1:])
