"""Conditional against unconditional DCGAN on MNIST: `python scripts/bench_conditional.py [row=NAME] [override]`.

Every row trains model=dcgan on MNIST for the same number of generator updates (steps=3000 unless overridden) and
scores the final generator with the offline MNIST classifier (metrics.extractor=classifier, 10,000 generated vs
10,000 training images): FID, intra-class FID and label accuracy (the conditional rows), then the classification
accuracy score of scripts/cas.py (a classifier trained on 10,000 generated images, tested on the real test split)
beside the same classifier trained on 10,000 real images. Prints a Markdown table. `row=NAME` (repeatable) restricts
it; other arguments are Hydra overrides applied to every row (e.g. model.generator.conv.width=32).
"""

import json
import sys
from datetime import datetime
from pathlib import Path

from omegaconf import OmegaConf

from gansuite.commands.entry import answer_script_help, report_user_errors
from gansuite.run.benchmark_arguments import checked_runs, chosen_rows

ROOT = Path(__file__).resolve().parents[1]
BASE = ["model=dcgan", "data=mnist", "metrics.extractor=classifier", "steps=3000", "metrics.every_n_updates=3000"]
BASE += ["trainer.enable_progress_bar=false", "trainer.enable_model_summary=false", "logger=csv"]
BASE += ["callbacks.model_checkpoint.every_n_updates=100000"]
ROWS: dict[str, list[str]] = {
    "unconditional": [],
    "projection": ["model.conditioning=projection"],
    "acgan": ["model.conditioning=acgan"],
    "acgan+fakes": ["model.conditioning=acgan", "model.class_loss_on_fakes=true"],
    "concat": ["model.conditioning=concat"],
}
CAS = {"num": 10000, "epochs": 3, "batch_size": 128, "lr": 1e-3, "seed": 0, "device": "cpu"}


def main(argv: list[str]) -> None:
    answer_script_help(argv, __doc__)
    names, extra = chosen_rows(argv, ROWS)
    checked_runs([[*BASE, *ROWS[name], *extra] for name in names])
    # After the checks: torch and Lightning take seconds to import.
    from gansuite.metrics.cas import classification_accuracy_score
    from gansuite.run.benchmark import print_row, print_table, train_timed

    out = ROOT / "logs" / "bench_conditional" / datetime.now().strftime("%Y-%m-%d_%H-%M-%S")
    rows = []
    for index, name in enumerate(names):
        run_dir = out / f"row{index}"
        _, seconds = train_timed([*BASE, *ROWS[name], *extra], run_dir)
        final = json.loads((run_dir / "metrics.json").read_text())
        row = {
            "row": name,
            "FID": f"{final['val/fid_mnist_clf']:.2f}",
            "intra-class FID": f"{final['val/intra_fid_mnist_clf']:.2f}" if name != "unconditional" else "-",
            "label accuracy": f"{final['val/label_accuracy']:.3f}" if name != "unconditional" else "-",
            "CAS (real-data row)": "-",
            "train seconds": f"{seconds:.0f}",
        }
        if name != "unconditional":
            cas = OmegaConf.create({**CAS, "ckpt_path": str(run_dir / "checkpoints" / "last.ckpt")})
            scores = classification_accuracy_score(cas)
            row["CAS (real-data row)"] = f"{scores['generated']:.3f} ({scores['real']:.3f})"
        rows.append(row)
        print_row(row)
    print_table(f"bench_conditional {' '.join(extra) or '(defaults)'}; runs in {out}", rows)


if __name__ == "__main__":
    report_user_errors(main, sys.argv[1:])
