"""gansuite's training step against a bare PyTorch loop doing the same work, timed alternately in one process.

    python scripts/bench_overhead.py model=dcgan data=mnist steps=200 [--chunk 10] [any train.py override]

Our side is the Trainer of `python train.py <overrides>` (its loggers, callbacks and progress bar included). The
bare loop is plain PyTorch with the same networks (same initial weights), loss, optimizers, n_critic, regularizers,
precision, channels_last and compile settings and batch size, drawing random batches from the same data already on
the device (the uint8 images, or the toy data's points). Every `--chunk` generator updates our run pauses in a
callback while the bare loop does as many; the first chunk of each is warm-up and not counted. The last line is
`overhead <ours / bare per update>`: the median over chunks of our time over the next bare chunk's, robust to other
processes' load.
"""

import argparse
import statistics
import sys

from omegaconf import DictConfig

from gansuite.commands.entry import Arguments, report_user_errors
from gansuite.errors import ConfigError
from gansuite.run.benchmark_arguments import checked_runs
from gansuite.run.validation import check_positive_int


def check_covered(cfg: DictConfig, chunk: int) -> None:
    """The run is one the bare loop can mirror and leaves chunks to time; a ConfigError otherwise."""
    if cfg.steps < 2 * chunk:
        raise ConfigError(f"steps={cfg.steps} leaves nothing to time after the warm-up chunk of {chunk}")
    if cfg.model.feature_matching or cfg.trainer.precision not in ("32-true", "32", "bf16-mixed"):
        raise ConfigError("the bare loop covers feature_matching=0 and precision 32-true or bf16-mixed")
    if cfg.get("augment") or cfg.model.get("ema_decay") or cfg.model.get("ema_half_life_images"):
        raise ConfigError("the bare loop covers runs without augment= and without a generator EMA")


def main(argv: list[str]) -> None:
    parser = Arguments(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chunk", type=int, default=10, help="generator updates per alternation")
    args, overrides = parser.parse_known_args(argv)
    check_positive_int(args.chunk, "--chunk", "generator updates per alternation, e.g. --chunk 10")
    checked_runs([overrides], lambda cfg: check_covered(cfg, args.chunk))
    # After the checks: torch and Lightning take seconds to import.
    from hydra.utils import instantiate

    from gansuite.run.bare_loop import Alternate, BareLoop
    from gansuite.run.benchmark import build_run, compose_config, write_table
    from gansuite.run.train import build_trainer

    cfg = compose_config(overrides)
    datamodule, module = build_run(cfg)
    alternation = Alternate(args.chunk)
    trainer = build_trainer(cfg, module, [instantiate(c) for c in cfg.callbacks.values()] + [alternation])
    device = trainer.strategy.root_device
    data = datamodule.images if hasattr(datamodule, "images") else datamodule.points
    alternation.bare = BareLoop(cfg, module, data, device)
    trainer.fit(module, datamodule=datamodule)

    timed = len(alternation.ours) - 1  # chunk 0 is warm-up (and our start-up)
    per_update = {
        "gansuite": [t / args.chunk for t in alternation.ours[1:]],
        "bare PyTorch": [t / args.chunk for t in alternation.theirs[1:]],
    }
    rows = [
        {
            "loop": name,
            "generator updates timed": timed * args.chunk,
            "mean ms/update": f"{1000 * statistics.fmean(times):.2f}",
            "median ms/update": f"{1000 * statistics.median(times):.2f}",
        }
        for name, times in per_update.items()
    ]
    print(f"\ndevice {device}, batch {cfg.data.batch_size}, n_critic {cfg.model.n_critic}, chunk {args.chunk}")
    print(write_table(rows))
    # Each of our chunks against the bare chunk right after it (the same machine load), then the median pair.
    ratio = statistics.median(ours / bare for ours, bare in zip(*per_update.values(), strict=True))
    print(f"overhead {ratio:.3f}")


if __name__ == "__main__":
    report_user_errors(main, sys.argv[1:])
