"""StyleGAN2 against DCGAN on MNIST at the same wall time:
`python scripts/bench_stylegan2.py [row=NAME ...] [override ...] [stylegan2:override ...] [dcgan:override ...]`.

The `stylegan2` row trains a CPU-sized model=stylegan2 on MNIST at 32x32 for a fixed budget of generator updates
(steps=400 unless overridden; channels min(4096 / res, 256), 128-d z and w, 2 mapping layers, R1 gamma 0.0032, the
official auto config's rule 0.0002 res^2 / batch at batch 64); the `dcgan` row then trains model=dcgan on the same
data for as long as the stylegan2 row took (`+trainer.max_time`), whatever number of updates that is. Both are
scored at their end by the offline MNIST-classifier FID (metrics.extractor=classifier, 10,000 generated vs 10,000
training images), the StyleGAN2 row on its EMA generator. Prints a Markdown table: updates, FID, seconds.
Other arguments are Hydra overrides of both rows, or of one row when prefixed by its name (`stylegan2:steps=200`).
"""

import json
import sys
from datetime import datetime
from pathlib import Path

from gansuite.commands.entry import answer_script_help, report_user_errors
from gansuite.run.benchmark_arguments import checked_runs, chosen_rows

ROOT = Path(__file__).resolve().parents[1]
COMMON = ["data=mnist", "metrics.extractor=classifier", "logger=csv", "trainer.enable_progress_bar=false"]
COMMON += ["trainer.enable_model_summary=false", "metrics.every_n_updates=1000000"]  # scored once, at the end
STYLEGAN2 = [
    "model=stylegan2", "steps=400", "model.latent_dim=128", "model.generator.w_dim=128",
    "model.generator.mapping_layers=2", "model.generator.channel_base=4096", "model.generator.channel_max=256",
    "model.discriminator.channel_base=4096", "model.discriminator.channel_max=256", "regularizers.r1.gamma=0.0032",
]  # fmt: skip
ROWS = ("stylegan2", "dcgan")


def row_overrides(arguments: list[str], row: str) -> list[str]:
    """The overrides of `row`: the unprefixed arguments, and those prefixed `<row>:` without the prefix."""
    own = []
    for argument in arguments:
        prefix, _, rest = argument.partition(":")
        if prefix not in ROWS:
            own.append(argument)
        elif prefix == row:
            own.append(rest)
    return own


def dcgan_budget(seconds: float | None) -> list[str]:
    """The dcgan row's overrides for training as long as the stylegan2 row took (10 minutes without that row)."""
    minutes, secs = divmod(round(seconds or 600), 60)  # Lightning's max_time: "DD:HH:MM:SS"
    return ["steps=1000000", f"+trainer.max_time='00:{minutes // 60:02d}:{minutes % 60:02d}:{secs:02d}'"]


def updates_of(run_dir: Path) -> int:
    return json.loads((run_dir / "metrics.json").read_text())["generator_updates"]


def main(argv: list[str]) -> None:
    answer_script_help(argv, __doc__)
    names, arguments = chosen_rows(argv, ROWS)
    extra = {row: row_overrides(arguments, row) for row in ROWS}
    runs = {"stylegan2": [*COMMON, *STYLEGAN2, *extra["stylegan2"]], "dcgan": [*COMMON, "model=dcgan", *extra["dcgan"]]}
    checked_runs([[*runs[name], *(dcgan_budget(None) if name == "dcgan" else [])] for name in names])
    # After the checks: torch and Lightning take seconds to import.
    from gansuite.run.benchmark import print_row, print_table, train_timed

    out = ROOT / "logs" / "bench_stylegan2" / datetime.now().strftime("%Y-%m-%d_%H-%M-%S")
    rows, seconds = [], None
    if "stylegan2" in names:
        fid, seconds = train_timed(runs["stylegan2"], out / "stylegan2")
        rows.append({"row": "stylegan2", "updates": updates_of(out / "stylegan2"), "FID (classifier)": f"{fid:.2f}",
                     "seconds": f"{seconds:.0f}"})  # fmt: skip
        print_row(rows[-1])
    if "dcgan" in names:
        fid, dcgan_seconds = train_timed([*runs["dcgan"], *dcgan_budget(seconds)], out / "dcgan")
        rows.append({"row": "dcgan, same wall time", "updates": updates_of(out / "dcgan"),
                     "FID (classifier)": f"{fid:.2f}", "seconds": f"{dcgan_seconds:.0f}"})  # fmt: skip
        print_row(rows[-1])
    print_table(f"bench_stylegan2 {' '.join(arguments) or '(defaults)'}; runs in {out}", rows)


if __name__ == "__main__":
    report_user_errors(main, sys.argv[1:])
