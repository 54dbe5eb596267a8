"""Each family's CPU recipe against its trivial baseline and its target:
`python scripts/bench_recipes.py recipe=NAME [recipe=NAME ...] [seeds=N] [override ...]`.

Every recipe is `python train.py experiment=NAME seed=S` as a user runs it (quiet loggers, nothing else changed),
trained for seeds 0..N-1 (`seeds=N`, 1 by default) or the listed ones (`seeds=1,2`; one: `seeds=2,`), and scored
by its family's protocol:

- srresnet_cpu, srgan_cpu: PSNR-Y and SSIM-Y on Set5 and Set14 (the SR protocol of scripts/bench_paired.py; bicubic:
  Set5 28.43 dB, Set14 26.09 dB). srgan_cpu starts from the srresnet_cpu run of the same seed, so name both, in that
  order; it also writes `srgan_crops.png` beside the runs: a crop of Set14's images as HR | bicubic | SRResNet | SRGAN.
- pix2pix_colorize_cpu: RGB PSNR over every test pair and mean SSIM, against the gray input's (21.81 dB, 0.9357).
- cgan_pd_mnist, acgan_mnist: the final label accuracy (the shipped MNIST classifier) and the classification
  accuracy score of scripts/cas.py beside its real-data row.
- cyclegan_mnist: the share of A test digits whose a2b translation, with the known transform undone, the MNIST
  classifier reads as the digit of the input; and the cycle PSNR (A -> B -> A against A).
- stylegan2_mnist: FID on the MNIST classifier's features (10,000 generated vs 10,000 training images).

Each row says whether the target of docs/benchmarks.md holds, the train seconds and the 1-minute load average when
the run started (seconds taken beside other work are inflated; the scores are not). Prints one row as each run ends
and the table at the end. `reuse=DIR` (the runs folder of an earlier call) scores the finished runs found there
instead of training them again (their seconds from their own log; load "-") and trains the rest into DIR.
"""

import csv
import json
import os
import sys
from datetime import datetime
from pathlib import Path

from hydra.utils import instantiate
from omegaconf import OmegaConf

from gansuite.commands.entry import answer_script_help, report_user_errors
from gansuite.errors import ConfigError
from gansuite.run.benchmark_arguments import checked_runs
from gansuite.run.validation import last_checkpoint_of

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_paired import (  # noqa: E402 -- the scripts beside this one
    Bicubic,
    colorization_inputs_and_targets,
    colorization_scores,
    colorized,
    super_resolution_scores,
)

# What imports torch is imported where it is used, after main's checks: torch and Lightning take seconds to import.

ROOT = Path(__file__).resolve().parents[1]
QUIET = ["logger=csv", "trainer.enable_progress_bar=false", "trainer.enable_model_summary=false"]
BICUBIC_SET5 = 28.43  # PSNR-Y of PIL's bicubic x4 on Set5 (SR protocol); the SR targets are bicubic plus a margin
GRAY = {"PSNR (dB)": 21.81, "SSIM": 0.9357}
DCGAN_FID = 24.41  # classifier FID of the plain DCGAN at 3000 updates (docs/benchmarks.md)
CAS = {"num": 10000, "epochs": 3, "batch_size": 128, "lr": 1e-3, "seed": 0, "device": "cpu"}


def score_super_resolution(name: str, run_dir: Path, runs: dict[str, Path]) -> dict[str, object]:
    from gansuite.modules.loading import load_module

    module, _ = load_module(last_checkpoint_of(run_dir))
    row = super_resolution_scores(module, ["experiment=srresnet_cpu"])
    set5, set14 = float(row["Set5 PSNR-Y"]), float(row["Set14 PSNR-Y"])  # as printed, to 0.01 dB
    if name == "srresnet_cpu":
        return row | {"target": "Set5 >= 30.9, Set14 >= 27.8", "met": set5 >= 30.9 and set14 >= 27.8}
    save_crops(runs["srresnet_cpu"], run_dir, run_dir.parent / "srgan_crops.png")
    return row | {"target": "Set5 >= 29.93", "met": set5 >= BICUBIC_SET5 + 1.5}


CROPS = {
    "baboon": (0.15, 0.2),
    "comic": (0.5, 0.5),
    "zebra": (0.5, 0.5),
}  # Set14 image: centre (top, left) as fractions


def save_crops(srresnet_dir: Path, srgan_dir: Path, path: Path, size: int = 96) -> None:
    """Rows of HR | bicubic | SRResNet | SRGAN crops (`size` pixels around CROPS's centres) of Set14 images."""
    import torch
    from torchvision.utils import save_image

    from gansuite.data.images import to_model_range
    from gansuite.modules.loading import load_module

    srresnet, config = load_module(last_checkpoint_of(srresnet_dir))
    srgan, _ = load_module(last_checkpoint_of(srgan_dir))
    data = instantiate(OmegaConf.merge(config.data, {"test_path": str(Path(config.data.test_path).parent / "Set14")}))
    names = [p.stem for p in sorted(Path(data.test_path).iterdir())]
    tiles = []
    for name, (top_at, left_at) in CROPS.items():
        low, high = data.test_pairs()[names.index(name)]
        outputs = [
            to_model_range(high[None]),
            *(m.upscale(to_model_range(low[None])) for m in (Bicubic(4), srresnet, srgan)),
        ]
        top = min(max(int(top_at * high.shape[1]) - size // 2, 0), high.shape[1] - size)
        left = min(max(int(left_at * high.shape[2]) - size // 2, 0), high.shape[2] - size)
        tiles += [o[0, :, top : top + size, left : left + size].clamp(-1, 1) for o in outputs]
    save_image(torch.stack(tiles), path, nrow=4, normalize=True, value_range=(-1, 1), padding=2)


def score_colorization(run_dir: Path) -> dict[str, object]:
    inputs, targets = colorization_inputs_and_targets(["experiment=pix2pix_colorize_cpu"])
    row = colorization_scores(colorized(run_dir, inputs), targets)
    met = float(row["PSNR (dB)"]) > GRAY["PSNR (dB)"] and float(row["SSIM"]) > GRAY["SSIM"]
    return row | {"target": "PSNR > 21.81, SSIM > 0.9357", "met": met}


def score_conditional(run_dir: Path) -> dict[str, object]:
    from gansuite.metrics.cas import classification_accuracy_score

    final = json.loads((run_dir / "metrics.json").read_text())
    scores = classification_accuracy_score(OmegaConf.create({**CAS, "ckpt_path": str(last_checkpoint_of(run_dir))}))
    accuracy = final["val/label_accuracy"]
    met = accuracy >= 0.95 and scores["generated"] >= scores["real"] - 0.05
    return {
        "label accuracy": f"{accuracy:.3f}",
        "CAS (real-data row)": f"{scores['generated']:.3f} ({scores['real']:.3f})",
        "classifier FID": f"{final['val/fid_mnist_clf']:.2f}",
        "target": "accuracy >= 0.95, CAS >= real - 0.05",
        "met": met,
    }


def score_stylegan2(run_dir: Path) -> dict[str, object]:
    fid = json.loads((run_dir / "metrics.json").read_text())["val/fid_mnist_clf"]
    return {"classifier FID": f"{fid:.2f}", "target": f"FID < {DCGAN_FID}", "met": fid < DCGAN_FID}


def score_cyclegan(run_dir: Path) -> dict[str, object]:
    """The MNIST classifier's reading of each A test digit's a2b translation mapped back by `transform_to_a`,
    against the digit of the input; and the cycle PSNR of A -> B -> A over the whole test set."""
    import torch

    from gansuite.data.images import to_model_range
    from gansuite.data.unpaired import transform_to_a
    from gansuite.metrics.classifier import Classifier, default_weights
    from gansuite.metrics.image_metrics import to_uint8
    from gansuite.metrics.translation import set_psnr
    from gansuite.modules.loading import load_module

    with torch.inference_mode():
        module, config = load_module(last_checkpoint_of(run_dir))
        data = instantiate(config.data)
        digits, labels = to_model_range(data.test_images("a")), data.test_labels("a")
        classifier = Classifier.load(default_weights("mnist"))
        kept, cycled = [], []
        for batch in digits.split(500):
            translated = module.translate(batch, "a2b")
            kept.append(classifier(transform_to_a(to_uint8(translated), data.quarter_turns)).argmax(1))
            cycled.append(module.translate(translated, "b2a"))
        digit_kept = float((torch.cat(kept) == labels).float().mean())
        return {
            "a2b digit kept": f"{digit_kept:.3f}",
            "cycle PSNR A (dB)": f"{set_psnr(torch.cat(cycled), digits):.2f}",
            "target": "digit kept >= 0.90",
            "met": digit_kept >= 0.90,
        }


def score(name: str, run_dir: Path, runs: dict[str, Path]) -> dict[str, object]:
    if name in ("srresnet_cpu", "srgan_cpu"):
        return score_super_resolution(name, run_dir, runs)
    if name == "pix2pix_colorize_cpu":
        return score_colorization(run_dir)
    if name in ("cgan_pd_mnist", "acgan_mnist"):
        return score_conditional(run_dir)
    if name == "cyclegan_mnist":
        return score_cyclegan(run_dir)
    return score_stylegan2(run_dir)


RECIPES = ("srresnet_cpu", "srgan_cpu", "pix2pix_colorize_cpu", "cgan_pd_mnist", "acgan_mnist", "cyclegan_mnist")
RECIPES += ("stylegan2_mnist",)


def parse(args: list[str]) -> tuple[list[str], list[int], list[str]]:
    """The recipes, the seeds (`seeds=3`: 0, 1, 2; `seeds=1,2`: those; `seeds=2,`: seed 2 alone) and the other
    arguments (overrides)."""
    names = [a.split("=", 1)[1] for a in args if a.startswith("recipe=")]
    seeds = ([a.split("=", 1)[1] for a in args if a.startswith("seeds=")] or ["1"])[-1]
    if not names or any(name not in RECIPES for name in names):
        raise ConfigError(f"pass recipe=NAME (repeatable), NAME one of {', '.join(RECIPES)}")
    if "srgan_cpu" in names and "srresnet_cpu" not in names[: names.index("srgan_cpu")]:
        raise ConfigError("recipe=srgan_cpu starts from an srresnet_cpu run: pass recipe=srresnet_cpu before it")
    listed = [part for part in seeds.split(",") if part] if "," in seeds else None
    if not all(part.isdigit() for part in listed or [seeds]) or seeds in ("0", ",") or listed == []:
        raise ConfigError(f"seeds={seeds} is neither a count nor a list of seeds: e.g. seeds=3, seeds=1,2 or seeds=2,")
    chosen = [int(part) for part in listed] if listed is not None else list(range(int(seeds)))
    return names, chosen, [a for a in args if not a.startswith(("recipe=", "seeds="))]


def trained_seconds(run_dir: Path) -> float:
    """The wall seconds a finished run logged last (time/wall_s in its csv log: training and evaluations)."""
    with open(run_dir / "csv" / "metrics.csv") as log:
        rows = list(csv.DictReader(log))
    return max(float(row["time/wall_s"]) for row in rows if row.get("time/wall_s"))


def main(argv: list[str]) -> None:
    answer_script_help(argv, __doc__)
    names, seeds, extra = parse(argv)
    reuse = [a.split("=", 1)[1] for a in extra if a.startswith("reuse=")]
    extra = [a for a in extra if not a.startswith("reuse=")]
    init = ["init_from=null"]  # srgan_cpu's is the srresnet_cpu run, which does not exist yet
    checked_runs([[f"experiment={name}", *init, *QUIET, *extra] for name in names])
    # After the checks: torch and Lightning take seconds to import.
    from gansuite.run.benchmark import print_row, print_table, train_timed

    out = Path(reuse[-1]) if reuse else ROOT / "logs" / "bench_recipes" / datetime.now().strftime("%Y-%m-%d_%H-%M-%S")
    rows = []
    for seed in seeds:
        runs: dict[str, Path] = {}
        for name in names:
            run_dir = runs[name] = out / f"{name}_seed{seed}"
            load = "-"
            if reuse and last_checkpoint_of(run_dir).is_file():  # a finished run of an earlier call: scored again
                seconds = trained_seconds(run_dir)
            else:
                init = [f"init_from={runs['srresnet_cpu']}"] if name == "srgan_cpu" else []
                load = f"{os.getloadavg()[0]:.2f}"
                _, seconds = train_timed([f"experiment={name}", f"seed={seed}", *init, *QUIET, *extra], run_dir)
            row = {"recipe": name, "seed": seed, **score(name, run_dir, runs)}
            rows.append(row | {"train seconds": f"{seconds:.0f}", "load at start": load})
            print_row(rows[-1])
    print_table(f"bench_recipes {' '.join(argv)}; runs in {out}", rows)


if __name__ == "__main__":
    report_user_errors(main, sys.argv[1:])
