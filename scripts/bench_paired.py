"""Paired translation against its trivial baseline: `python scripts/bench_paired.py [row=NAME] [override ...]`.

pix2pix colorization on the CIFAR-10 subset at 32x32 (data=cifar_colorize): the `gray` row scores the input itself
(the gray image replicated to three channels) against the color target, the `pix2pix` row trains model=pix2pix for
`steps` generator updates (2000 unless overridden; metrics=none, since the translation FID needs the Inception
weights, absent offline) and scores its translations of every test input. Both rows: RGB PSNR over all test
pairs (from the MSE of every uint8 value: the subset holds gray photos, whose input equals the target) and mean SSIM
(torchmetrics, on the uint8 values, its default 11x11 Gaussian window). Prints a Markdown table. `row=NAME`
(repeatable) restricts it; other arguments are Hydra overrides of the pix2pix run.
"""

import sys
from datetime import datetime
from pathlib import Path

import torch
from hydra.utils import instantiate
from torchmetrics.functional.image import structural_similarity_index_measure

from gansuite.benchmark import compose_config, print_row, print_table, train_timed
from gansuite.data.images import to_model_range
from gansuite.entry import report_user_errors
from gansuite.metrics.image_metrics import to_uint8
from gansuite.metrics.translation import set_psnr
from gansuite.modules.loading import load_module

ROOT = Path(__file__).resolve().parents[1]
ROWS = ("gray", "pix2pix")
BASE = ["model=pix2pix", "data=cifar_colorize", "metrics=none", "steps=2000", "logger=csv"]
BASE += ["trainer.enable_progress_bar=false", "trainer.enable_model_summary=false"]


def scores(outputs: torch.Tensor, targets: torch.Tensor) -> dict[str, str]:
    """PSNR over the set and mean SSIM of outputs against targets, both in [-1, 1]."""
    ssim = structural_similarity_index_measure(to_uint8(outputs).double(), to_uint8(targets).double(), data_range=255.0)
    return {"PSNR (dB)": f"{set_psnr(outputs, targets):.2f}", "SSIM": f"{float(ssim):.4f}"}


def main() -> None:
    args = sys.argv[1:]
    names = [a.split("=", 1)[1] for a in args if a.startswith("row=")] or list(ROWS)
    extra = [a for a in args if not a.startswith("row=")]
    unknown = [name for name in names if name not in ROWS]
    if unknown:
        sys.exit(f"error: unknown row {unknown[0]!r}: choose from {', '.join(ROWS)}")
    datamodule = instantiate(compose_config([*BASE, *extra]).data)
    inputs, targets = (to_model_range(datamodule.test_images(domain)) for domain in "ab")
    out = ROOT / "logs" / "bench_paired" / datetime.now().strftime("%Y-%m-%d_%H-%M-%S")
    rows = []
    for name in names:
        row = {"row": name, "test pairs": len(targets)}
        if name == "gray":
            row |= scores(inputs, targets) | {"train seconds": "-"}
        else:
            _, seconds = train_timed([*BASE, *extra], out / name)
            module, _ = load_module(out / name / "checkpoints" / "last.ckpt")
            translated = torch.cat([module.translate(batch, "a2b") for batch in inputs.split(200)])
            row |= scores(translated, targets) | {"train seconds": f"{seconds:.0f}"}
        rows.append(row)
        print_row(row)
    print_table(f"bench_paired {' '.join(extra) or '(defaults)'}; runs in {out}", rows)


if __name__ == "__main__":
    report_user_errors(main)
