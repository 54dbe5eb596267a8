"""Mode coverage of the toy models, losses and stabilization recipes: `python scripts/bench_toy.py [option ...]`.

Each row is a named run (a model x loss pair, or a recipe of the stabilization kit) trained on ring8 and grid25 at
the default budget unless an override such as steps=2000 is given. Prints a Markdown table: modes covered,
high-quality %, KL, seconds; with `seeds=N`, each row runs seeds 0..N-1 and the table gives the mean and the worst
seed (fewest modes, lowest high-quality share, highest KL).

Options besides Hydra overrides (applied to every run): `data=` and `row=` (repeatable) restrict the table, e.g.
`row=r3gan_toy data=grid25`, so several processes can share the work; `seeds=3`.
"""

import json
import statistics
import sys
from datetime import datetime
from pathlib import Path

from gansuite.commands.entry import answer_script_help, report_user_errors
from gansuite.errors import ConfigError
from gansuite.run.benchmark_arguments import checked_runs, chosen_rows, positive_int

ROOT = Path(__file__).resolve().parents[1]
LOSSES = {
    "gan": ("minimax", "nonsaturating", "hinge", "lsgan"),
    "wgan": ("wasserstein", "minimax", "nonsaturating", "hinge", "lsgan"),
}
ROWS: dict[str, list[str]] = {
    f"{model} {loss}": [f"model={model}", f"loss={loss}"] for model, losses in LOSSES.items() for loss in losses
}
# The stabilization kit on the vanilla GAN's MLPs: what each ingredient adds, then the recipes.
ROWS |= {
    "gan ns + r1": ["regularizers=[r1]"],
    "gan rpgan + r1 + r2": ["loss=rpgan", "regularizers=[r1,r2]"],
    "gan ns + lecam": ["regularizers=[lecam]"],
    "gan ns + instance noise": ["augment=instance_noise"],
    "gan ragan": ["loss=ragan"],
    "gan hinge + spectral norm": ["loss=hinge", "model.discriminator.spectral_norm=true"],
    "wgan_gp_toy": ["experiment=wgan_gp_toy"],
    "r3gan_toy": ["experiment=r3gan_toy"],
}
SELECTORS = ("data", "seeds")  # and row=, read by chosen_rows
QUIET = ["trainer.enable_progress_bar=false", "trainer.enable_model_summary=false"]
MODES = {"ring8": 8, "grid25": 25}


def run(overrides: list[str], output_dir: Path) -> dict[str, float]:
    from gansuite.run.benchmark import train_timed  # after main's checks: torch and Lightning take seconds to import

    _, seconds = train_timed([*overrides, *QUIET], output_dir)
    return {**json.loads((output_dir / "metrics.json").read_text()), "seconds": seconds}


def summary(results: list[dict[str, float]]) -> tuple[str, str, str]:
    """Modes, high-quality % and KL cells: the value, or `mean (worst)` over seeds."""
    modes = [r["val/modes"] for r in results]
    quality = [100 * r["val/high_quality"] for r in results]
    kl = [r["val/kl"] for r in results]
    if len(results) == 1:
        return f"{modes[0]:.0f}", f"{quality[0]:.1f}", f"{kl[0]:.3f}"
    return (
        f"{statistics.mean(modes):.1f} ({min(modes):.0f})",
        f"{statistics.mean(quality):.1f} ({min(quality):.1f})",
        f"{statistics.mean(kl):.3f} ({max(kl):.3f})",
    )


def main(argv: list[str]) -> None:
    answer_script_help(argv, __doc__)
    rows, args = chosen_rows(argv, ROWS)
    chosen = {key: [a.split("=", 1)[1] for a in args if a.startswith(f"{key}=")] for key in SELECTORS}
    extra = [a for a in args if a.split("=", 1)[0] not in SELECTORS]
    seeds = positive_int(chosen["seeds"][-1], "seeds", "seeds per row, e.g. seeds=3") if chosen["seeds"] else 1
    datasets = chosen["data"] or list(MODES)
    unknown = [data for data in datasets if data not in MODES]
    if unknown:
        raise ConfigError(f"data={unknown[0]} is not a toy dataset of the table: choose from {', '.join(MODES)}")
    checked_runs([[*ROWS[name], f"data={data}", *extra, *QUIET] for data in datasets for name in rows])
    from gansuite.run.benchmark import print_row, print_table  # after the checks: torch takes seconds to import

    out = ROOT / "logs" / "bench_toy" / datetime.now().strftime("%Y-%m-%d_%H-%M-%S")
    table = []
    for data in datasets:
        for name in rows:
            results = []
            for seed in range(seeds):
                folder = out / f"{data}_{name.replace(' ', '_')}_seed{seed}"
                results.append(run([*ROWS[name], f"data={data}", f"seed={seed}", *extra], folder))
            modes, quality, kl = summary(results)
            seconds = statistics.mean(r["seconds"] for r in results)
            table.append(
                {"data": data, "row": name, "modes": f"{modes}/{MODES[data]}", "high quality %": quality}
                | {"KL(gen‖real)": kl, "seconds": f"{seconds:.0f}"}
            )
            print_row(table[-1])
    print_table(f"bench_toy {' '.join(extra) or '(default budget)'}, seeds 0..{seeds - 1}; runs in {out}", table)


if __name__ == "__main__":
    report_user_errors(main, sys.argv[1:])
