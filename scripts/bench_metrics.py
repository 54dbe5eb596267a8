"""Cost of the image metrics on this machine: feature extraction in images/s, and the wall time of one evaluation
(generate num_fake images with model=dcgan's generator, extract, FID + IS + KID) against real features already cached.

python scripts/bench_metrics.py --extractor inception --num-fake 10000
python scripts/bench_metrics.py --extractor classifier --num-fake 10000

Without the real Inception weights (offline) the Inception timing uses a file of random weights: same network,
same cost. Data: CIFAR-10 (subset) at 32x32 for Inception, MNIST at 32x32 for the classifier.
"""

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

from gansuite.commands.entry import Arguments, report_user_errors
from gansuite.run.validation import check_positive_int

if TYPE_CHECKING:
    import torch

DATA_DIR = Path(os.environ.get("GANSUITE_DATA_DIR", "data"))


def synchronize(device: "torch.device") -> None:
    import torch

    if device.type == "cuda":
        torch.cuda.synchronize()


def parse(argv: list[str]) -> argparse.Namespace:
    """The options, checked; a ConfigError names the first bad one."""
    parser = Arguments(description=__doc__.splitlines()[0])
    parser.add_argument("--extractor", choices=["inception", "classifier"], default="inception")
    parser.add_argument("--num-fake", type=int, default=10000)
    parser.add_argument("--num-real", type=int, default=None, help="default: num-fake (at most the split's size)")
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--inception-weights", default=None, help="default: the hub cache, else random weights")
    args = parser.parse_args(argv)
    check_positive_int(args.num_fake, "--num-fake", "generated images per evaluation, e.g. --num-fake 10000")
    if args.num_real is not None:
        check_positive_int(args.num_real, "--num-real", "real images, e.g. --num-real 10000")
    check_positive_int(args.batch_size, "--batch-size", "images per forward pass, e.g. --batch-size 100")
    return args


def main(argv: list[str]) -> None:
    args = parse(argv)
    import torch  # after the checks: torch and Lightning take seconds to import

    from gansuite.data.images import TorchvisionImages
    from gansuite.metrics import inception
    from gansuite.metrics.image_metrics import ImageMetrics
    from gansuite.modules.loading import build_model
    from gansuite.run.benchmark import compose_config

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if args.extractor == "inception":
        datamodule = TorchvisionImages("cifar10", str(DATA_DIR), 32, base_folder="cifar-10-batches-py-subset")
        weights = args.inception_weights
        if weights is None and not inception.hub_weights_path().is_file():
            weights = str(inception.write_random_weights(Path(tempfile.mkdtemp()) / "random-inception.pth"))
        protocol = dict(extractor="inception", inception_weights=weights)
    else:
        datamodule = TorchvisionImages("mnist", str(DATA_DIR), 32, download=False)
        protocol = dict(extractor="classifier", dataset="mnist")
    num_real = args.num_real or min(args.num_fake, len(datamodule.split_images(train=True)))
    metrics = ImageMetrics(
        num_fake=args.num_fake,
        num_real=num_real,
        batch_size=args.batch_size,
        kid_subset_size=min(1000, args.num_fake, num_real),
        cache_dir=tempfile.mkdtemp(),
        **protocol,
    )
    module = build_model(compose_config(["model=dcgan", "data=cifar10"]), datamodule.shape).to(device)  # untrained

    start = time.perf_counter()
    metrics.prepare(datamodule, device)
    synchronize(device)
    real_seconds = time.perf_counter() - start

    images = torch.randint(0, 256, (args.batch_size, *datamodule.shape), dtype=torch.uint8, device=device)
    with torch.inference_mode():
        metrics.features(images)  # warm-up
        synchronize(device)
        start = time.perf_counter()
        for _ in range(max(1, args.num_fake // args.batch_size // 10)):
            metrics.features(images)
        synchronize(device)
        extracted = max(1, args.num_fake // args.batch_size // 10) * args.batch_size
        per_second = extracted / (time.perf_counter() - start)

    start = time.perf_counter()
    values = metrics(module, datamodule)
    synchronize(device)
    evaluation_seconds = time.perf_counter() - start

    name = torch.cuda.get_device_name() if device.type == "cuda" else f"{platform.processor() or 'CPU'}"
    rows = {
        "device": f"{name}, {torch.get_num_threads()} threads",
        "extractor": metrics.protocol()["extractor"],
        "feature extraction": f"{per_second:.1f} images/s (batch {args.batch_size}, {extracted} images)",
        "real features (first run)": f"{real_seconds:.1f} s for {num_real} images (cached afterwards)",
        "one evaluation": f"{evaluation_seconds:.1f} s for {args.num_fake} fake vs {num_real} cached real",
        "values (untrained G)": ", ".join(f"{k} {v:.3f}" for k, v in values.items()),
    }
    width = max(map(len, rows))
    print("\n".join(f"{key:<{width}}  {value}" for key, value in rows.items()))


if __name__ == "__main__":
    report_user_errors(main, sys.argv[1:])
