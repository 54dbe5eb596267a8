"""Mode coverage of every toy model x loss pair: `python scripts/bench_toy.py [override ...]`.

Trains model=gan and model=wgan with every loss that fits them on ring8 and grid25 (the default budget unless an
override such as steps=2000 is given) and prints a Markdown table: modes covered, high-quality %, KL, seconds.
Extra arguments are Hydra overrides applied to every run, except `data=`, `model=` and `loss=`, which restrict the
table to those rows (e.g. `data=grid25 model=wgan loss=wasserstein`), so several processes can share the work.
"""

import json
import sys
import time
from datetime import datetime
from pathlib import Path

from hydra import compose, initialize_config_dir

from gansuite.train import train

ROOT = Path(__file__).resolve().parents[1]
RUNS = [("gan", loss) for loss in ("minimax", "nonsaturating", "hinge", "lsgan")] + [
    ("wgan", loss) for loss in ("wasserstein", "minimax", "nonsaturating", "hinge", "lsgan")
]
SELECTORS = ("data", "model", "loss")
QUIET = ["trainer.enable_progress_bar=false", "trainer.enable_model_summary=false"]


def run(model: str, loss: str, data: str, extra: list[str], output_dir: Path) -> dict[str, float]:
    overrides = [f"model={model}", f"loss={loss}", f"data={data}", f"paths.output_dir={output_dir}", *QUIET, *extra]
    with initialize_config_dir(config_dir=str(ROOT / "conf"), version_base="1.3"):
        cfg = compose("config", overrides=overrides)
    start = time.perf_counter()
    train(cfg)
    seconds = time.perf_counter() - start
    metrics = json.loads((output_dir / "metrics.json").read_text())
    return {**metrics, "seconds": seconds}


def main() -> None:
    chosen = {key: [arg.split("=", 1)[1] for arg in sys.argv[1:] if arg.startswith(f"{key}=")] for key in SELECTORS}
    extra = [arg for arg in sys.argv[1:] if arg.split("=", 1)[0] not in SELECTORS]
    datasets = chosen["data"] or ["ring8", "grid25"]
    runs = [(m, loss) for m, loss in RUNS if m in (chosen["model"] or [m]) and loss in (chosen["loss"] or [loss])]
    out = ROOT / "logs" / "bench_toy" / datetime.now().strftime("%Y-%m-%d_%H-%M-%S")
    rows = []
    for data in datasets:
        num_modes = {"ring8": 8, "grid25": 25}[data]
        for model, loss in runs:
            m = run(model, loss, data, extra, out / f"{data}_{model}_{loss}")
            rows.append(
                f"| {data} | {model} | {loss} | {m['val/modes']:.0f}/{num_modes} | {100 * m['val/high_quality']:.1f} "
                f"| {m['val/kl']:.3f} | {m['seconds']:.0f} |"
            )
            print(rows[-1], flush=True)
    print(f"\nbench_toy {' '.join(extra) or '(default budget)'}; runs in {out}")
    print("| data | model | loss | modes | high quality % | KL(gen‖real) | seconds |")
    print("|---|---|---|---|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
