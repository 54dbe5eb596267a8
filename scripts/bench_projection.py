"""How well real digits project into an MNIST generator: `python scripts/bench_projection.py ckpt_path=<run or .ckpt>
[n=100] [steps=1000] [feature=discriminator] [space=z] [seed=0]`.

Projects the first `n` MNIST test digits (held out from training) into the checkpoint's generator with
`gansuite.load(ckpt).project` (gansuite/editing/projection.py), and scores each projection by its PSNR against the
target (images in [-1, 1], peak-to-peak 2) and by whether the shipped MNIST classifier reads the target's digit in it.
The baseline row is the nearest training image (pixel L2 over the 60,000 training digits): what a generator that
memorised its data would give. Prints a Markdown table and the seconds the projection took.
"""

import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from hydra.utils import instantiate
from omegaconf import DictConfig

import gansuite
from gansuite.commands.entry import answer_script_help, composed, report_user_errors, script_arguments
from gansuite.commands.project import check_space_and_feature
from gansuite.errors import ConfigError
from gansuite.run.validation import check_positive_int, check_seed

if TYPE_CHECKING:
    import torch

DEFAULTS = {"ckpt_path": "???", "n": 100, "steps": 1000, "feature": "discriminator", "space": "z", "seed": 0}


def parse(argv: list[str]) -> DictConfig:
    args = script_arguments(argv, DEFAULTS, "bench_projection.py")
    check_positive_int(args.n, "n", "MNIST test digits to project, e.g. n=100")
    check_positive_int(args.steps, "steps", "optimisation steps per digit, e.g. steps=1000")
    check_seed(args.seed)
    check_space_and_feature(args.space, args.feature)
    if not Path(args.ckpt_path).exists():
        raise ConfigError(f"ckpt_path={args.ckpt_path} does not exist: pass a run directory or a .ckpt file")
    return args


def nearest(targets: "torch.Tensor", pool: "torch.Tensor") -> "torch.Tensor":
    """For each target, the image of `pool` closest in pixel L2."""
    import torch

    flat = pool.flatten(1)
    indices = torch.cat([torch.cdist(rows.flatten(1), flat).argmin(1) for rows in targets.split(50)])
    return pool[indices]


def main(argv: list[str]) -> None:
    answer_script_help(argv, __doc__)
    args = parse(argv)
    import torch  # after the checks: torch takes seconds to import

    from gansuite.data.images import to_model_range
    from gansuite.editing.projection import reconstruction_psnr
    from gansuite.metrics.classifier import Classifier, default_weights

    data = instantiate(composed("config", ["data=mnist"]).data)
    data.setup("fit")
    targets = to_model_range(data.split_images(train=False)[: args.n])
    labels = data.split_labels(train=False)[: args.n]
    classifier = Classifier.load(default_weights("mnist"))

    def reads(images: torch.Tensor) -> float:
        pixels = ((images.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
        return float((classifier(pixels).argmax(1) == labels).float().mean())

    generator = gansuite.load(args.ckpt_path)
    start = time.perf_counter()
    found = generator.project(targets, space=args.space, steps=args.steps, feature=args.feature, seed=args.seed)
    seconds = time.perf_counter() - start
    memorised = nearest(targets, to_model_range(data.split_images(train=True)))
    print(f"{args.n} MNIST test digits, {args.steps} steps in {args.space}, pixels + {found.feature}; {seconds:.0f} s")
    print("\n| method | mean PSNR (dB) | classifier reads the target's digit |\n|---|---|---|")
    print(f"| projection | {found.psnr.mean():.2f} | {reads(found.images):.3f} |")
    print(f"| nearest training image | {reconstruction_psnr(memorised, targets).mean():.2f} | {reads(memorised):.3f} |")
    print(f"| the targets themselves | - | {reads(targets):.3f} |")


if __name__ == "__main__":
    report_user_errors(main, sys.argv[1:])
