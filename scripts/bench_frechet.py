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

import torch
from torchmetrics.image import FrechetInceptionDistance

from gansuite.metrics.frechet import frechet_distance
from gansuite.metrics.image_metrics import Precomputed

DEFAULTS = {"repeats": "3", "width": "2048", "sizes": "10000:10000,1000:1000,64:64"}


def torchmetrics_fid(real: torch.Tensor, fake: torch.Tensor) -> float:
    metric = FrechetInceptionDistance(feature=Precomputed(real.shape[1]), sync_on_compute=False)
    metric.update(real, real=True)
    metric.update(fake, real=False)
    return float(metric.compute())


def fastest(repeats: int, function: Callable[..., float], *arguments: torch.Tensor) -> tuple[float, float]:
    """(seconds of the fastest of `repeats` calls, its value)."""
    best, value = float("inf"), float("nan")
    for _ in range(repeats):
        start = time.perf_counter()
        value = function(*arguments)
        best = min(best, time.perf_counter() - start)
    return best, value


def main() -> None:
    arguments = DEFAULTS | dict(argument.split("=", 1) for argument in sys.argv[1:])
    repeats, width = int(arguments["repeats"]), int(arguments["width"])
    sizes = [tuple(int(n) for n in size.split(":")) for size in arguments["sizes"].split(",")]
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
    main()
