"""Paired translation and super-resolution against their trivial baselines:
`python scripts/bench_paired.py [row=NAME ...] [override ...]`.

Colorization (pix2pix on the CIFAR-10 subset at 32x32, data=cifar_colorize): the `gray` row scores the input itself
(the gray image replicated to three channels) against the color target; the `pix2pix` row trains model=pix2pix for
2000 generator updates and scores its translations of every test input. Both: RGB PSNR over all test pairs (from the
MSE of every uint8 value: the subset holds gray photos, whose input equals the target) and mean SSIM (torchmetrics,
on the uint8 values, its 11x11 Gaussian window). No FID: the translation FID needs the Inception weights, absent
offline.

Super-resolution x4 (data=sr_folder: random 96x96 crops of the 68 BSD68 images): the `bicubic` row upscales each
test image's bicubic downscale with PIL's bicubic filter; the `srresnet` and `srgan` rows train model=srresnet
(pixel MSE) and model=srgan for 1000 generator updates each (SRGAN with the pixel content loss: the VGG19 weights are
absent offline; `model.content=vgg` where they exist) and upscale the test images with the final generator. Each row
is scored on Set5 and Set14 on the SR protocol (BT.601 Y channel, 4 border pixels removed, mean over images).

Prints one Markdown table per task. `row=NAME` (repeatable) restricts the rows; other arguments are Hydra overrides
of every training row run (e.g. steps=200).
"""

import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from hydra.utils import instantiate

from gansuite.commands.entry import answer_script_help, report_user_errors
from gansuite.run.benchmark_arguments import checked_runs, chosen_rows

if TYPE_CHECKING:
    import torch

# What imports torch is imported where it is used, after main's checks: torch and Lightning take seconds to import.

ROOT = Path(__file__).resolve().parents[1]
QUIET = ["metrics=none", "logger=csv", "trainer.enable_progress_bar=false", "trainer.enable_model_summary=false"]
TRAINED = {
    "pix2pix": ["model=pix2pix", "data=cifar_colorize", "steps=2000", *QUIET],
    "srresnet": ["model=srresnet", "data=sr_folder", "steps=1000", *QUIET],
    "srgan": ["model=srgan", "model.content=pixel", "data=sr_folder", "steps=1000", *QUIET],
}
COLORIZATION, SUPER_RESOLUTION = ("gray", "pix2pix"), ("bicubic", "srresnet", "srgan")
TEST_SETS = ("Set5", "Set14")


class Bicubic:
    """What SuperResolutionScores upscales with, for the bicubic row: PIL's bicubic filter."""

    def __init__(self, scale: int) -> None:
        self.scale = scale

    def upscale(self, images: "torch.Tensor") -> "torch.Tensor":
        from gansuite.data.images import to_model_range
        from gansuite.data.super_resolution import bicubic_resize
        from gansuite.metrics.image_metrics import to_uint8

        low = to_uint8(images)[0]
        return to_model_range(bicubic_resize(low, low.shape[1] * self.scale, low.shape[2] * self.scale)[None])


def colorization_row(name: str, extra: list[str], out: Path) -> dict[str, object]:
    from gansuite.run.benchmark import train_timed

    overrides = [*TRAINED["pix2pix"], *extra] if name == "pix2pix" else TRAINED["pix2pix"]  # gray: the data alone
    inputs, targets = colorization_inputs_and_targets(overrides)
    outputs, seconds = inputs, None
    if name == "pix2pix":
        _, seconds = train_timed(overrides, out / name)
        outputs = colorized(out / name, inputs)
    return {
        "row": name,
        **colorization_scores(outputs, targets),
        "train seconds": "-" if seconds is None else f"{seconds:.0f}",
    }


def colorization_inputs_and_targets(overrides: list[str]) -> tuple["torch.Tensor", "torch.Tensor"]:
    """Every test pair of the colorization data of `overrides`: gray inputs and color targets, in [-1, 1]."""
    from gansuite.data.images import to_model_range
    from gansuite.run.benchmark import compose_config

    datamodule = instantiate(compose_config(overrides).data)
    inputs, targets = (to_model_range(datamodule.test_images(domain)) for domain in "ab")
    return inputs, targets


def colorization_scores(outputs: "torch.Tensor", targets: "torch.Tensor") -> dict[str, object]:
    """RGB PSNR over the whole set (from the MSE of every uint8 value) and mean SSIM of `outputs` against `targets`."""
    from gansuite.metrics.image_metrics import to_uint8
    from gansuite.metrics.ssim import ssim as structural_similarity
    from gansuite.metrics.translation import set_psnr

    ssim = structural_similarity(to_uint8(outputs).double(), to_uint8(targets).double(), data_range=255.0)
    return {"test pairs": len(targets), "PSNR (dB)": f"{set_psnr(outputs, targets):.2f}", "SSIM": f"{float(ssim):.4f}"}


def colorized(run_dir: Path, inputs: "torch.Tensor") -> "torch.Tensor":
    """The translations of `inputs` by the last checkpoint of the pix2pix run in `run_dir`."""
    import torch

    from gansuite.modules.loading import load_module

    module, _ = load_module(run_dir / "checkpoints" / "last.ckpt")
    return torch.cat([module.translate(batch, "a2b") for batch in inputs.split(200)])


def super_resolution_scores(model, overrides: list[str]) -> dict[str, object]:
    """PSNR-Y and SSIM-Y of `model.upscale` on each test set, the SR data of `overrides` pointed at it."""
    from gansuite.metrics.super_resolution import SuperResolutionScores
    from gansuite.run.benchmark import compose_config

    row: dict[str, object] = {}
    for test_set in TEST_SETS:
        test = compose_config([*overrides, f"data.test_path=${{paths.data_dir}}/sr/{test_set}"])
        scores = SuperResolutionScores("y")(model, instantiate(test.data))
        row |= {f"{test_set} PSNR-Y": f"{scores['psnr_y']:.2f}", f"{test_set} SSIM-Y": f"{scores['ssim_y']:.4f}"}
    return row


def super_resolution_row(name: str, extra: list[str], out: Path) -> dict[str, object]:
    from gansuite.modules.loading import load_module
    from gansuite.run.benchmark import train_timed

    model, seconds = Bicubic(4), None
    if name != "bicubic":
        _, seconds = train_timed([*TRAINED[name], *extra], out / name)
        model, _ = load_module(out / name / "checkpoints" / "last.ckpt")
    scores = super_resolution_scores(model, [*TRAINED["srresnet"], *extra])
    return {"row": name, **scores, "train seconds": "-" if seconds is None else f"{seconds:.0f}"}


def main(argv: list[str]) -> None:
    answer_script_help(argv, __doc__)
    names, extra = chosen_rows(argv, (*COLORIZATION, *SUPER_RESOLUTION))
    runs = [[*TRAINED[name], *extra] for name in names if name in TRAINED]
    if set(names) & set(SUPER_RESOLUTION):  # what every super-resolution row is scored on
        runs.append([*TRAINED["srresnet"], *extra])
    checked_runs(runs)
    from gansuite.run.benchmark import print_row, print_table  # after the checks: torch takes seconds to import

    out = ROOT / "logs" / "bench_paired" / datetime.now().strftime("%Y-%m-%d_%H-%M-%S")
    caption = f"{' '.join(extra) or '(defaults)'}; runs in {out}"
    for task, rows_of_task, measure in (
        ("colorization", COLORIZATION, colorization_row),
        ("super-resolution x4", SUPER_RESOLUTION, super_resolution_row),
    ):
        rows = []
        for name in (name for name in names if name in rows_of_task):
            rows.append(measure(name, extra, out))
            print_row(rows[-1])
        if rows:
            print_table(f"bench_paired {task} {caption}", rows)


if __name__ == "__main__":
    report_user_errors(main, sys.argv[1:])
