"""What each ingredient of the stabilization kit adds to DCGAN on MNIST: `python scripts/bench_mnist.py [option ...]`.

Every row trains model=dcgan on MNIST for the same number of generator updates (steps=3000 unless overridden) and
scores the final generator (its EMA where the row keeps one) with the offline MNIST-classifier FID
(`metrics.extractor=classifier`, 10,000 generated vs 10,000 training images). Prints a Markdown table: FID, its
change against the first row, seconds. `row=NAME` (repeatable) restricts the table; other arguments are Hydra
overrides applied to every row (e.g. `model.generator.conv.width=32 model.discriminator.conv.width=32`).
"""

import sys
from datetime import datetime
from pathlib import Path

from gansuite.commands.entry import answer_script_help, report_user_errors
from gansuite.run.benchmark_arguments import checked_runs, chosen_rows

ROOT = Path(__file__).resolve().parents[1]
BASE = ["model=dcgan", "data=mnist", "metrics.extractor=classifier", "steps=3000", "metrics.every_n_updates=3000"]
BASE += ["trainer.enable_progress_bar=false", "trainer.enable_model_summary=false"]
EMA = ["model.ema_half_life_images=10000", "model.ema_rampup=0.05"]
R1_R2 = ["loss=rpgan", "regularizers=[r1,r2]"]  # gamma 0.1, as r3gan_toy
DIFFAUGMENT = ["augment=diffaugment", "augment.policy='translation,cutout'"]  # color does little on grayscale
ROWS: dict[str, list[str]] = {
    "dcgan (baseline)": [],
    "+ ema": EMA,
    "+ r1": ["regularizers=[r1]"],
    "+ diffaugment": DIFFAUGMENT,
    "hinge + spectral norm": ["loss=hinge", "model.discriminator.spectral_norm=true"],
    "rpgan + r1 + r2": R1_R2,
    "rpgan + r1 + r2 + ema": [*R1_R2, *EMA],
    "rpgan + r1 + r2 + ema + diffaugment": [*R1_R2, *EMA, *DIFFAUGMENT],
}


def main(argv: list[str]) -> None:
    answer_script_help(argv, __doc__)
    names, extra = chosen_rows(argv, ROWS)
    checked_runs([[*BASE, *ROWS[name], *extra] for name in names])
    # After the checks: torch and Lightning take seconds to import.
    from gansuite.run.benchmark import print_row, print_table, train_timed

    out = ROOT / "logs" / "bench_mnist" / datetime.now().strftime("%Y-%m-%d_%H-%M-%S")
    rows, baseline = [], None
    for index, name in enumerate(names):
        fid, seconds = train_timed([*BASE, *ROWS[name], *extra], out / f"row{index}")
        baseline = fid if baseline is None else baseline
        change = f"{100 * (fid - baseline) / baseline:+.0f}%"
        rows.append(
            {"row": name, "MNIST-classifier FID": f"{fid:.2f}", "vs first row": change, "seconds": f"{seconds:.0f}"}
        )
        print_row(rows[-1])
    print_table(f"bench_mnist {' '.join(extra) or '(defaults)'}; runs in {out}", rows)


if __name__ == "__main__":
    report_user_errors(main, sys.argv[1:])
