"""Same losses before and after a change: trains the same seeded short runs with this checkout's code and with another
checkout's (`old=DIR`, e.g. `git worktree add /tmp/old <commit>`), logging every batch, and prints per run the largest
relative difference of every `train/` loss both logged, and the names only one side logged.

    python scripts/same_losses.py old=/tmp/old                       # all runs below
    python scripts/same_losses.py old=/tmp/old runs=toy,stylegan2 out=/tmp/same_losses

A refactor that keeps the arithmetic gives 0 (bitwise the same losses, one thread each); a deliberate change shows
where and by how much. Each run is `train.py` in a fresh interpreter with PYTHONPATH at that checkout's src/.
"""

import csv
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from gansuite.commands.entry import answer_script_help, report_user_errors, script_arguments
from gansuite.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]
TINY_CONV = "model.generator.conv.width=8 model.discriminator.conv.width=8 model.latent_dim=16 data.batch_size=32"
TINY_STYLEGAN2 = (
    "data.batch_size=8 model.latent_dim=8 model.generator.w_dim=8 model.generator.mapping_layers=2 "
    "model.generator.channel_base=128 model.generator.channel_max=8 model.discriminator.channel_base=128 "
    "model.discriminator.channel_max=8"
)
#: name -> the overrides of one short run: the toy GAN, R3GAN's objective, DCGAN and ACGAN on MNIST, StyleGAN2
#: (lazy R1 and path length) and pix2pix.
RUNS = {
    "toy": "steps=300",
    "toy_r3gan": "steps=200 regularizers=[r1,r2] loss=rpgan",
    "mnist_dcgan": f"model=dcgan data=mnist steps=30 {TINY_CONV}",
    "mnist_acgan": f"model=dcgan data=mnist steps=30 model.conditioning=acgan {TINY_CONV}",
    "stylegan2": f"model=stylegan2 data=mnist steps=20 {TINY_STYLEGAN2}",
    "pix2pix": "model=pix2pix data=cifar_colorize steps=10 data.batch_size=4 model.generator.ngf=4 "
    "model.discriminator.ndf=4",
}
LOGGING = (
    "metrics=none logger=csv trainer.log_every_n_steps=1 trainer.enable_progress_bar=false "
    "callbacks.sample_grid.every_n_updates=100000"
)
DEFAULTS = {"old": "???", "runs": ",".join(RUNS), "out": ""}


def train_losses(checkout: Path, name: str, out: Path) -> list[dict[str, str]]:
    """The CSV rows of run `name` trained by `checkout`'s code in `out`/`name`."""
    run_dir = out / name
    out.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PYTHONPATH": str(checkout / "src"), "OMP_NUM_THREADS": "1", "WANDB_MODE": "offline"}
    overrides = [*RUNS[name].split(), *LOGGING.split(), f"hydra.run.dir={run_dir}", f"paths.output_dir={run_dir}"]
    done = subprocess.run(
        [sys.executable, str(checkout / "train.py"), *overrides], env=env, cwd=out, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise ConfigError(f"run {name} failed under {checkout}: {done.stderr.strip().splitlines()[-1]}")
    with (run_dir / "csv" / "metrics.csv").open() as file:
        return list(csv.DictReader(file))


def compare(old: list[dict[str, str]], new: list[dict[str, str]]) -> tuple[float, int, list[str], list[str]]:
    """Largest relative difference over the losses both logged, how many values, and the names on one side only."""
    names = [
        {key for row in rows for key, value in row.items() if key.startswith("train/") and value} for rows in (old, new)
    ]
    worst, count = 0.0, 0
    for old_row, new_row in zip(old, new, strict=False):
        for key in names[0] & names[1]:
            if old_row.get(key) and new_row.get(key):
                a, b = float(old_row[key]), float(new_row[key])
                worst, count = max(worst, abs(a - b) / max(abs(a), 1e-12)), count + 1
    return worst, count, sorted(names[0] - names[1]), sorted(names[1] - names[0])


def main(argv: list[str]) -> None:
    answer_script_help(argv, __doc__)
    args = script_arguments(argv, DEFAULTS, "same_losses.py")
    old = Path(args["old"]).resolve()
    if not (old / "train.py").is_file():
        raise ConfigError(f"old={old} is not a gansuite checkout (no train.py): pass e.g. a `git worktree add` folder")
    runs = args["runs"].split(",")
    unknown = [name for name in runs if name not in RUNS]
    if unknown:
        raise ConfigError(f"runs={unknown[0]} is not one of {', '.join(RUNS)}")
    out = Path(args["out"] or tempfile.mkdtemp(prefix="same_losses_"))
    print("| run | rows (old/new) | values compared | max relative difference | only old | only new |")
    print("|---|---|---|---|---|---|")
    for name in runs:
        old_rows = train_losses(old, name, out / "old")
        new_rows = train_losses(ROOT, name, out / "new")
        worst, count, only_old, only_new = compare(old_rows, new_rows)
        print(
            f"| {name} | {len(old_rows)}/{len(new_rows)} | {count} | {worst:.2e} | {' '.join(only_old) or '-'} | "
            f"{' '.join(only_new) or '-'} |",
            flush=True,
        )


if __name__ == "__main__":
    report_user_errors(main, sys.argv[1:])
