"""Seconds per CycleGAN generator update (one G step + one D step) with the reference networks, on this machine.

    python scripts/benchmark_cyclegan.py [--updates 10] [--warmup 2] [--updates-256 0]

Rows: data=cifar_pair at 32x32 (6 blocks) with batch 1 (the reference's) and 4; with `--updates-256 N` > 0 also
a generated folder in the horse2zebra layout at 256x256 (9 blocks, load 286, batch 1), the reference's horse2zebra
setting, which takes minutes per update on a small CPU (off by default). Times are medians over `--updates`
updates (`--updates-256` at 256x256) after `--warmup`, measured around the whole training batch (data included),
as wall-clock seconds and as CPU seconds of this process (less sensitive to other jobs on a shared machine).
Each row is printed when it is done.
"""

import os
import sys
import tempfile
from pathlib import Path

from hydra import compose, initialize_config_dir
from hydra.utils import instantiate

from gansuite.commands.entry import Arguments, report_user_errors
from gansuite.errors import ConfigError
from gansuite.run.validation import check_positive_int

ROOT = Path(__file__).resolve().parents[1]

# What imports torch is imported where it is used, after main's checks: torch and Lightning take seconds to import.


def seconds_per_update(overrides: list[str], updates: int, warmup: int) -> tuple[float, float]:
    """Median wall-clock and CPU seconds per generator update (one batch) after `warmup` updates."""
    from lightning import Trainer

    from gansuite.modules.loading import build_model
    from gansuite.run.bench_callbacks import BatchTimer

    with initialize_config_dir(config_dir=str(ROOT / "conf"), version_base="1.3"):
        cfg = compose("config", overrides=["model=cyclegan", "paths.output_dir=unused", *overrides])
    datamodule = instantiate(cfg.data)
    module = build_model(cfg, datamodule.shape)
    timer = BatchTimer()
    steps = module.optimizer_steps_for(updates + warmup)
    trainer = Trainer(
        max_steps=steps, callbacks=[timer], logger=False, enable_checkpointing=False, enable_progress_bar=False
    )
    trainer.fit(module, datamodule=datamodule)
    return timer.medians_after(warmup)


def write_noise_folder(root: Path, size: int, count: int = 4) -> None:
    import torch
    from torchvision.io import write_png

    for split in ("trainA", "trainB", "testA", "testB"):
        (root / split).mkdir(parents=True)
        for i in range(count):
            write_png(torch.randint(0, 256, (3, size, size), dtype=torch.uint8), str(root / split / f"{i}.png"))


def main(argv: list[str]) -> None:
    parser = Arguments(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=10)
    parser.add_argument("--updates-256", type=int, default=0)
    parser.add_argument("--warmup", type=int, default=2)
    args = parser.parse_args(argv)
    check_positive_int(args.updates, "--updates", "timed updates per row, e.g. --updates 10")
    if args.updates_256 < 0 or args.warmup < 0:
        raise ConfigError("--updates-256 and --warmup take counts, 0 or more: e.g. --updates-256 0 --warmup 2")
    import torch  # after the checks: torch and Lightning take seconds to import

    print(f"torch threads: {torch.get_num_threads()}, cpus: {os.cpu_count()}, load average: {os.getloadavg()}")
    rows = [
        ("cifar_pair", 32, 1, args.updates, ["data=cifar_pair"]),
        ("cifar_pair", 32, 4, args.updates, ["data=cifar_pair", "data.batch_size=4"]),
    ]
    with tempfile.TemporaryDirectory() as folder:
        if args.updates_256 > 0:
            write_noise_folder(Path(folder), 286)
            rows.append(("noise folder", 256, 1, args.updates_256, ["data=unpaired_folder", f"data.path={folder}"]))
        print("| data | size | batch | updates timed | wall s / generator update | CPU s / generator update |")
        print("| --- | ---: | ---: | ---: | ---: | ---: |", flush=True)
        for name, size, batch, updates, overrides in rows:
            wall, cpu = seconds_per_update([*overrides, "data.num_workers=0"], updates, args.warmup)
            print(f"| {name} | {size} | {batch} | {updates} | {wall:.2f} | {cpu:.2f} |", flush=True)
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    report_user_errors(main, sys.argv[1:])
