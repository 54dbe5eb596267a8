"""Seconds per Frechet distance: gansuite.metrics.frechet against torchmetrics' FrechetInceptionDistance (the
general eigenproblem of S_r S_g) on the same random features, for the sizes an evaluation meets: 10,000 images each
(FID), 1,000 each (a class of an intra-class FID on 10,000 images), 64 each (the tests).

python scripts/bench_frechet.py [repeats=3] [width=2048] [sizes=10000:10000,1000:1000,64:64]

The features are Gaussian, correlated through one random mixing matrix, `width` wide (Inception's pool: 2048). Each
row is the fastest of `repeats` (other jobs only slow a run down) and both values, which must agree. Run it alone.
"""

import os
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from gansuite.commands.entry import answer_script_help, report_user_errors
from gansuite.errors import ConfigError
from gansuite.run.benchmark_arguments import positive_int

if TYPE_CHECKING:
    import torch

DEFAULTS = {"repeats": "3", "width": "2048", "sizes": "10000:10000,1000:1000,64:64"}
USAGE = "usage: scripts/bench_frechet.py [repeats=3] [width=2048] [sizes=10000:10000,1000:1000,64:64]"


def parse(argv: list[str]) -> tuple[int, int, list[tuple[int, int]]]:
    """repeats, width and the (real, generated) sizes of the command line; a ConfigError names a bad argument."""
    arguments = dict(DEFAULTS)
    for argument in argv:
        key, equals, value = argument.partition("=")
        if not equals or key not in DEFAULTS:
            raise ConfigError(f"unknown argument {argument!r}; {USAGE}")
        arguments[key] = value
    repeats = positive_int(arguments["repeats"], "repeats", "timed calls per row, the fastest kept, e.g. repeats=3")
    width = positive_int(arguments["width"], "width", "features per image, e.g. width=2048")
    sizes = [size.split(":") for size in arguments["sizes"].split(",")]
    if not all(len(counts) == 2 and all(n.isdigit() and int(n) > 0 for n in counts) for counts in sizes):
        raise ConfigError(
            f"sizes={arguments['sizes']}: each size is REAL:GENERATED, two positive image counts, e.g. "
            "sizes=10000:10000,64:64"
        )
    return repeats, width, [(int(real), int(fake)) for real, fake in sizes]


def fastest(repeats: int, function: Callable[..., float], *arguments: "torch.Tensor") -> tuple[float, float]:
    """(seconds of the fastest of `repeats` calls, its value)."""
    best, value = float("inf"), float("nan")
    for _ in range(repeats):
        start = time.perf_counter()
        value = function(*arguments)
        best = min(best, time.perf_counter() - start)
    return best, value


def main(argv: list[str]) -> None:
    answer_script_help(argv, __doc__)
    repeats, width, sizes = parse(argv)
    # After the checks, and before any timing: torch and torchmetrics take seconds to import.
    import torch
    from torchmetrics.image import FrechetInceptionDistance

    from gansuite.metrics.frechet import frechet_distance
    from gansuite.metrics.image_metrics import Precomputed

    def torchmetrics_fid(real: torch.Tensor, fake: torch.Tensor) -> float:
        metric = FrechetInceptionDistance(feature=Precomputed(real.shape[1]), sync_on_compute=False)
        metric.update(real, real=True)
        metric.update(fake, real=False)
        return float(metric.compute())

    generator = torch.Generator().manual_seed(0)
    mixing = torch.randn(width, width, generator=generator) / width**0.5
    print(f"{torch.get_num_threads()} threads, load {os.getloadavg()[0]:.2f} at start, fastest of {repeats}")
    print("| images (real, generated) | gansuite s | torchmetrics s | speed-up | gansuite FID | torchmetrics FID |")
    print("|---|---|---|---|---|---|")
    for num_real, num_fake in sizes:
        real = torch.randn(num_real, width, generator=generator) @ mixing
        fake = (torch.randn(num_fake, width, generator=generator) * 1.1 + 0.05) @ mixing
        ours_s, ours = fastest(repeats, frechet_distance, real, fake)
        theirs_s, theirs = fastest(repeats, torchmetrics_fid, real, fake)
        print(
            f"| {num_real}, {num_fake} | {ours_s:.2f} | {theirs_s:.2f} | {theirs_s / ours_s:.1f}x | {ours:.4f} | "
            f"{theirs:.4f} |",
            flush=True,
        )


if __name__ == "__main__":
    report_user_errors(main, sys.argv[1:])
