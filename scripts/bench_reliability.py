"""What the reliability checks cost: the image-folder header scan per file, and the divergence guard per batch and
per check, on this machine. Prints a markdown table.

    python scripts/bench_reliability.py [--files 500]
"""

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from gansuite.commands.entry import Arguments, report_user_errors
from gansuite.run.validation import check_positive_int


def celeba_like_jpegs(folder: Path, count: int) -> None:
    """178x218 JPEGs (CelebA's aligned size) of smooth gradients plus mild noise, quality 90."""
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:218, 0:178]
    for i in range(count):
        base = np.stack([x * (i % 7 + 1) % 256, y * (i % 5 + 1) % 256, (x + y) % 256], axis=-1)
        pixels = np.clip(base + rng.normal(0, 8, base.shape), 0, 255).astype(np.uint8)
        Image.fromarray(pixels).save(folder / f"{i:06d}.jpg", quality=90)


def per_item_us(function, items: list) -> float:
    start = time.perf_counter()
    for item in items:
        function(item)
    return (time.perf_counter() - start) / len(items) * 1e6


def full_decode(path: Path) -> None:
    with Image.open(path) as image:
        image.load()


class FakeTrainer:
    """Just what DivergenceGuard reads from a trainer."""

    log_every_n_steps = 10**9
    global_step = 1
    checkpoint_callback = None


def main(argv: list[str]) -> None:
    parser = Arguments(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=500)
    args = parser.parse_args(argv)
    check_positive_int(args.files, "--files", "JPEGs to write and scan, e.g. --files 500")
    # After the checks: torch and Lightning take seconds to import.
    import torch

    from gansuite.callbacks.divergence import DivergenceGuard
    from gansuite.data.image_files import list_images
    from gansuite.data.image_folder import readable_images
    from gansuite.modules.gan import GAN
    from gansuite.nets import build_discriminator, build_generator
    from gansuite.objective.losses import NonSaturatingLoss

    rows = []
    with tempfile.TemporaryDirectory() as folder:
        celeba_like_jpegs(Path(folder), args.files)
        files = list_images(Path(folder))
        start = time.perf_counter()
        readable_images(files, skip_corrupt=False)
        scan = (time.perf_counter() - start) / len(files) * 1e6
        rows.append(("image folder header check (setup), per file", scan, "us"))
        rows.append(("full decode of the same file, for comparison", per_item_us(full_decode, files), "us"))

    module = GAN(
        generator=lambda **kw: build_generator("conv", **kw),
        discriminator=lambda **kw: build_discriminator("conv", **kw),
        loss=NonSaturatingLoss(),
        optimizer_g=torch.optim.Adam,
        optimizer_d=torch.optim.Adam,
        data_shape=(3, 64, 64),
        latent_dim=100,
    )
    guard, trainer = DivergenceGuard(), FakeTrainer()
    losses = {"d_loss": torch.tensor(0.7), "g_loss": torch.tensor(1.3)}
    batches, checks = 50, 20  # trainer.log_every_n_steps defaults to 50 batches between checks
    per_batch, per_check = 0.0, 0.0
    for _ in range(checks):
        start = time.perf_counter()
        for _ in range(batches):
            guard.on_train_batch_end(trainer, module, losses)
        per_batch += (time.perf_counter() - start) / (batches * checks) * 1e6
        start = time.perf_counter()
        guard.check(trainer, module)
        per_check += (time.perf_counter() - start) / checks * 1e6
    params = [p.detach() for p in module.parameters()]
    isfinite_all = per_item_us(lambda _: torch.stack([p.isfinite().all() for p in params]).all().item(), range(5))
    rows.append(("divergence guard, per batch (keeps the 2 losses)", per_batch, "us"))
    rows.append((f"divergence guard, per check ({batches} batches of losses, DCGAN 64x64 params)", per_check, "us"))
    rows.append(("the alternative: isfinite().all() over the same params, per check", isfinite_all, "us"))
    print(f"| measurement ({args.files} files, {torch.get_num_threads()} torch threads, CPU) | value |")
    print("|---|---|")
    for name, value, unit in rows:
        print(f"| {name} | {value:.0f} {unit} |")


if __name__ == "__main__":
    report_user_errors(main, sys.argv[1:])
