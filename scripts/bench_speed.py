"""Generator updates and images per second of any model (dcgan and wgan by default, stylegan2, ...) on MNIST and
CIFAR-10, per speed variant.

    python scripts/bench_speed.py [--models dcgan,wgan] [--datasets mnist,cifar10]
        [--variants plain,on_device,bf16,channels_last,compile,all] [--steps 50] [--warmup 5] [--repeats 1]
        [train.py overrides]

Each row is a fresh run of `python train.py model=M data=D <variant flags> <overrides>` without loggers, callbacks,
progress bar or checkpoints (the training step alone). The clock, which waits for the device, starts after
`--warmup` generator updates (compilation and cudnn autotuning happen there) and stops at the end. A generator
update is n_critic batches, so images/s = batch size x n_critic x updates/s (real images drawn). GFLOP/update is the
mean over the warm-up updates of the uncompiled run, counted with torch.utils.flop_counter's formulas (forward,
backward and the penalty's double backward); TFLOP/s = GFLOP/update x updates/s, to set against the device's peak.
Lazy regularizers (StyleGAN2's R1 every 16 discriminator steps, path lengths every 4 generator updates) make updates
unequal: give --warmup and --steps - --warmup as multiples of the longest interval so both windows hold them in
proportion. With
`--repeats N` every variant runs N times, round robin, and the row is the fastest run (on a shared machine other
processes only ever slow a run down).
"""

import argparse
import sys

from hydra.utils import instantiate

from gansuite.commands.entry import Arguments, report_user_errors
from gansuite.errors import ConfigError
from gansuite.run.benchmark_arguments import checked_runs
from gansuite.run.validation import check_positive_int

# What imports torch is imported where it is used, after main's checks: torch and Lightning take seconds to import.

FLAGS = ("on_device", "bf16", "channels_last", "compile")
VARIANTS = {
    "plain": (),
    "on_device": ("on_device",),
    "bf16": ("bf16",),
    "channels_last": ("channels_last",),
    "compile": ("compile",),
    "all": FLAGS,
}


def variant_overrides(flags: tuple[str, ...]) -> list[str]:
    return [
        f"data.on_device={'true' if 'on_device' in flags else 'false'}",
        f"trainer.precision={'bf16-mixed' if 'bf16' in flags else '32-true'}",
        f"model.channels_last={'true' if 'channels_last' in flags else 'false'}",
        f"model.compile={'true' if 'compile' in flags else 'false'}",
    ]


def run_overrides(model: str, data: str, flags: tuple[str, ...], args, overrides: list[str]) -> list[str]:
    """The overrides of one run: `python train.py <these>`, checked by main before any run and measured by measure."""
    return [f"model={model}", f"data={data}", f"steps={args.steps}", *variant_overrides(flags), *overrides]


def measure(model: str, data: str, flags: tuple[str, ...], args, overrides: list[str]) -> tuple[dict, int | None]:
    from gansuite.run.bench_callbacks import Throughput
    from gansuite.run.benchmark import build_run, compose_config

    cfg = compose_config(run_overrides(model, data, flags, args, overrides))
    datamodule, module = build_run(cfg)
    throughput = Throughput(args.warmup, count_flops="compile" not in flags)
    trainer = instantiate(
        cfg.trainer,
        max_steps=module.optimizer_steps_for(cfg.steps),
        callbacks=[throughput],
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
    )
    trainer.fit(module, datamodule=datamodule)
    updates_per_s = (cfg.steps - args.warmup) / throughput.seconds
    row = {
        "model": model,
        "data": data,
        "device": str(trainer.strategy.root_device),
        **{flag: "x" if flag in flags else "" for flag in FLAGS},
        "batch": cfg.data.batch_size,
        "gen updates/s": f"{updates_per_s:.3g}",
        "images/s": f"{updates_per_s * cfg.data.batch_size * cfg.model.n_critic:.4g}",
    }
    return row, throughput.flops


def best_run(runs: list[dict]) -> dict:
    """The fastest run: other processes on the machine only ever slow a run down (timeit's reasoning)."""
    return max(runs, key=lambda row: float(row["gen updates/s"]))


def main(argv: list[str]) -> None:
    parser = Arguments(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default="dcgan,wgan")
    parser.add_argument("--datasets", default="mnist,cifar10")
    parser.add_argument("--variants", default=",".join(VARIANTS), help=f"any of {', '.join(VARIANTS)}")
    parser.add_argument("--steps", type=int, default=50, help="generator updates per run, warm-up included")
    parser.add_argument("--warmup", type=int, default=5, help="untimed generator updates (at least 1)")
    parser.add_argument("--repeats", type=int, default=1, help="runs per variant, in rounds; the fastest is kept")
    args, overrides = parser.parse_known_args(argv)
    if not 1 <= args.warmup < args.steps:
        parser.error("need 1 <= --warmup < --steps")
    check_positive_int(args.repeats, "--repeats", "runs per variant, e.g. --repeats 3")
    unknown = [variant for variant in args.variants.split(",") if variant not in VARIANTS]
    if unknown:
        raise ConfigError(f"--variants {unknown[0]} is not a variant: choose from {', '.join(VARIANTS)}")
    models, datasets, plain = args.models.split(","), args.datasets.split(","), VARIANTS["plain"]
    checked_runs([run_overrides(model, data, plain, args, overrides) for model in models for data in datasets])
    from gansuite.run.benchmark import write_table  # after the checks: torch takes seconds to import

    rows = []
    for model in models:
        for data in datasets:
            variants = args.variants.split(",")
            runs: dict[str, list[dict]] = {variant: [] for variant in variants}
            flops = None  # the same arithmetic in every variant: counted once, uncompiled
            for _ in range(args.repeats):  # round robin, so a load change on the machine hits every variant
                for variant in variants:
                    row, counted = measure(model, data, VARIANTS[variant], args, overrides)
                    flops = flops or counted
                    runs[variant].append(row)
                    print(write_table([row]), flush=True)
            for variant in variants:
                row = best_run(runs[variant])
                gflop = flops / 1e9 if flops else None
                row["GFLOP/update"] = f"{gflop:.3g}" if gflop else "n/a"
                row["TFLOP/s"] = f"{gflop * float(row['gen updates/s']) / 1e3:.3g}" if gflop else "n/a"
                rows.append(row)
    print(f"\nbest of {args.repeats} run(s) per row\n" + write_table(rows))


if __name__ == "__main__":
    report_user_errors(main, sys.argv[1:])
