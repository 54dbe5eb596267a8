"""Images per second of the image-folder loader against the packed one, same images, same batch size, on this
machine. Prints a Markdown table (docs/benchmarks.md, "Packed datasets").

    python scripts/bench_packed.py [--images 5000] [--batch-size 64] [--epochs 2] [--workers 0 2]

Writes `--images` CIFAR-10 training images (the subset in $GANSUITE_DATA_DIR, default ./data), upscaled to 64x64
PNGs, into a temporary folder; packs it with `gansuite-dataset pack`'s code; checks that both loaders hold the same
pixels; then times `--epochs` epochs of each training loader after one untimed epoch (worker start-up, page cache):
data=image_folder with each `--workers` count (its default is 2), and data=packed (memory-mapped, no workers).
Setup: the folder's header check of every file, the packed array's sha256 check.
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

from PIL import Image

from gansuite.commands.entry import Arguments, report_user_errors
from gansuite.errors import ConfigError
from gansuite.run.validation import check_positive_int

if TYPE_CHECKING:
    from torch.utils.data import DataLoader

    from gansuite.data.image_folder import ImageFolder
    from gansuite.data.packed import PackedImages

SIZE = 64


def write_folder(folder: Path, count: int) -> None:
    """`count` CIFAR-10 training images of the offline subset, bilinearly upscaled to 64x64 PNGs."""
    from gansuite.data.sources import load  # after main's checks: torch takes seconds to import

    root = Path(os.environ.get("GANSUITE_DATA_DIR", "data"))
    images = load("cifar10", root, train=True, download=False, base_folder="cifar-10-batches-py-subset")
    if count > len(images):
        raise ConfigError(f"--images {count}: the CIFAR-10 subset holds {len(images)} training images; ask for fewer")
    for index, image in enumerate(images[:count]):
        pixels = Image.fromarray(image.permute(1, 2, 0).numpy())
        pixels.resize((SIZE, SIZE), Image.Resampling.BILINEAR).save(folder / f"{index:05d}.png")


def images_per_second(loader: "DataLoader", epochs: int) -> float:
    """Images a second over `epochs` epochs of `loader`, after one untimed epoch."""
    for _ in loader:
        pass
    count = 0
    start = time.perf_counter()
    for _ in range(epochs):
        for batch in loader:
            count += len(batch)
    return count / (time.perf_counter() - start)


def timed_setup(module: "ImageFolder | PackedImages") -> float:
    start = time.perf_counter()
    module.setup("fit")
    return time.perf_counter() - start


def parse(argv: list[str]) -> argparse.Namespace:
    """The options, checked; a ConfigError names the first bad one."""
    parser = Arguments(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=int, default=5000)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--workers", type=int, nargs="+", default=[0, 2])
    args = parser.parse_args(argv)
    check_positive_int(args.images, "--images", "PNGs to write and load, e.g. --images 5000")
    check_positive_int(args.batch_size, "--batch-size", "images per batch, e.g. --batch-size 64")
    check_positive_int(args.epochs, "--epochs", "timed epochs of each loader, e.g. --epochs 2")
    if min(args.workers) < 0:
        raise ConfigError(f"--workers takes counts of loader processes, 0 or more (0 2 by default), got {args.workers}")
    return args


def main(argv: list[str]) -> None:
    args = parse(argv)
    import torch  # after the checks: torch takes seconds to import

    from gansuite.data.image_folder import ImageFolder
    from gansuite.data.packed import PackedImages, pack_folder

    with tempfile.TemporaryDirectory() as temporary:
        folder, packed = Path(temporary) / "images", Path(temporary) / "packed"
        folder.mkdir()
        write_folder(folder, args.images)
        start = time.perf_counter()
        pack_folder(folder, packed, SIZE)
        pack_seconds = time.perf_counter() - start

        packed_module = PackedImages(str(packed), batch_size=args.batch_size, on_device=False)
        packed_setup = timed_setup(packed_module)
        rows = []
        for workers in args.workers:
            module = ImageFolder(str(folder), SIZE, batch_size=args.batch_size, num_workers=workers)
            setup = timed_setup(module)
            if workers == args.workers[0]:  # the same pixels, read both ways
                assert all(torch.equal(module.dataset[i], packed_module.images[i]) for i in range(args.images))
            rate = images_per_second(module.train_dataloader(), args.epochs)
            rows.append((f"data=image_folder, num_workers={workers}", setup, rate))
        rate = images_per_second(packed_module.train_dataloader(), args.epochs)
        rows.append(("data=packed (memory-mapped)", packed_setup, rate))

    threads = f"{torch.get_num_threads()} torch threads"
    print(f"{args.images} PNGs, 3x{SIZE}x{SIZE}, batch {args.batch_size}, {args.epochs} epochs, {threads}")
    print()
    print("| loader | setup (s) | images/s | packed is x faster |")
    print("|---|---|---|---|")
    for name, setup, rate in rows:
        print(f"| {name} | {setup:.2f} | {rate:.0f} | {rows[-1][2] / rate:.1f} |")
    print()
    print(f"packing the folder once: {pack_seconds:.1f} s")


if __name__ == "__main__":
    report_user_errors(main, sys.argv[1:])
