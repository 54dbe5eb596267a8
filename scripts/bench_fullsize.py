"""Translation at each image's own size (issue 32): `python scripts/bench_fullsize.py [cyclegan=CKPT] [pix2pix=CKPT]
[srresnet=CKPT]`.

Table 1: a 97x131 image (the top-left 97x131 crop of Set14's baboon) goes through scripts/translate.py with a
CycleGAN, a pix2pix and an SRResNet checkpoint, at its own size (the default) and with `resize=true` (the training
size; refused for super-resolution); each output's size and the seconds of the call. The column `32x32 own vs resize`
is the largest difference, in uint8 levels, between the two paths' outputs for an image already at the training
size (32x32, where both must give the same pixels).

Table 2, SRResNet on Set14 (the SR protocol: each image cropped to a multiple of 4, its PIL bicubic x4 downscale
upscaled, PSNR on the BT.601 Y channel with 4 border pixels removed): PSNR-Y against the original of the own-size
path (the whole low-resolution image in one pass: SRResNet takes any size, so nothing is padded), of the resize path
(the low-resolution image resized to the training crop's low-resolution size, upscaled, and the output resized to
x4 the input's size with PIL's bicubic, what resizing to the training size gives), of PIL's bicubic upscale, and the
PSNR-Y of the own-size output against the resize path's.

A checkpoint not given is trained first, into logs/bench_fullsize/<time>/: cyclegan=`experiment=cyclegan_mnist
steps=20`, pix2pix=`experiment=pix2pix_colorize_cpu steps=20`, srresnet=`experiment=srresnet_cpu steps=300` (quiet
loggers). Prints the two Markdown tables.
"""

import os
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from omegaconf import OmegaConf
from PIL import Image

import gansuite
from gansuite.commands import translate
from gansuite.commands.entry import answer_script_help, report_user_errors
from gansuite.errors import ConfigError

if TYPE_CHECKING:
    import torch

# What imports torch is imported where it is used, after main's checks: torch and Lightning take seconds to import.

ROOT = Path(__file__).resolve().parents[1]
QUIET = ["logger=csv", "trainer.enable_progress_bar=false", "trainer.enable_model_summary=false"]
TRAINED = {
    "cyclegan": ["experiment=cyclegan_mnist", "steps=20"],
    "pix2pix": ["experiment=pix2pix_colorize_cpu", "steps=20"],
    "srresnet": ["experiment=srresnet_cpu", "steps=300"],
}
SIZE = (97, 131)  # height, width
SCALE = 4


def checkpoints(arguments: dict[str, str], out: Path) -> dict[str, tuple[Path, str]]:
    """Each family's checkpoint and how it was made: the one given, else one trained now."""
    from gansuite.run.benchmark import train_timed

    found = {}
    for name, overrides in TRAINED.items():
        if name in arguments:
            found[name] = (Path(arguments[name]), "given")
            continue
        _, seconds = train_timed([*overrides, *QUIET], out / name)
        found[name] = (out / name / "checkpoints" / "last.ckpt", f"{' '.join(overrides)} ({seconds:.0f} s)")
    return found


def read_uint8(path: Path) -> "torch.Tensor":
    import torch

    return torch.from_numpy(np.atleast_3d(np.asarray(Image.open(path))).copy()).permute(2, 0, 1).int()


def timed_translate(arguments: list[str]) -> tuple[list[Path] | str, float]:
    """translate.py's written files (or its one-line refusal) and the seconds of the call."""
    start = time.perf_counter()
    try:
        return translate.main(arguments), time.perf_counter() - start
    except ConfigError as error:
        return f"refused: {str(error).partition(': ')[2]}", time.perf_counter() - start


def size_row(name: str, ckpt: Path, made: str, set14: Path, out: Path) -> dict[str, object]:
    from torchvision.io import write_png

    from gansuite.data.unpaired import ImageFileDomain

    baboon = ImageFileDomain([set14 / "baboon.png"])[0]
    for folder, (height, width) in (("odd", SIZE), ("train", (32, 32))):
        (out / name / folder).mkdir(parents=True)
        write_png(baboon[:, :height, :width].contiguous(), str(out / name / folder / "baboon.png"))
    row: dict[str, object] = {"checkpoint": f"{name}: {made}", "input": f"{SIZE[0]}x{SIZE[1]}"}
    for path, flag in (("own", "resize=false"), ("resize", "resize=true")):
        arguments = [f"ckpt_path={ckpt}", f"input={out / name / 'odd'}", f"output={out / name / path}", flag]
        written, seconds = timed_translate(arguments)
        shown = written if isinstance(written, str) else "x".join(map(str, read_uint8(written[0]).shape[1:]))
        row |= {f"output, {flag}": shown, f"seconds, {flag}": f"{seconds:.2f}"}
    if name == "srresnet":
        row["32x32 own vs resize"] = "-"
        return row
    outputs = []
    for path, flag in (("train_own", "resize=false"), ("train_resize", "resize=true")):
        arguments = [f"ckpt_path={ckpt}", f"input={out / name / 'train'}", f"output={out / name / path}", flag]
        outputs.append(read_uint8(translate.main(arguments)[0]))
    row["32x32 own vs resize"] = f"{int((outputs[0] - outputs[1]).abs().max())} levels"
    return row


def psnr_y(output: "torch.Tensor", target: "torch.Tensor") -> float:
    from gansuite.metrics.super_resolution import psnr_ssim

    return psnr_ssim(output, target, SCALE)[0]


def set14_rows(ckpt: Path, set14: Path) -> list[dict[str, object]]:
    from gansuite.data.images import to_model_range
    from gansuite.data.super_resolution import bicubic_resize, downscale, modcrop
    from gansuite.data.unpaired import ImageFileDomain
    from gansuite.metrics.image_metrics import to_uint8

    generator = gansuite.load(ckpt)  # its upscale runs without gradients
    _, crop_height, crop_width = generator.data_shape
    rows = []
    files = sorted(set14.glob("*.png"))
    for path, high in zip(files, ImageFileDomain(files), strict=True):
        high = modcrop(high, SCALE)
        low = downscale(high, SCALE)
        own = to_uint8(generator.upscale(to_model_range(low[None])))[0]
        small = bicubic_resize(low, crop_height // SCALE, crop_width // SCALE)
        through_resize = to_uint8(generator.upscale(to_model_range(small[None])))[0]
        through_resize = bicubic_resize(through_resize, *high.shape[1:])
        bicubic = bicubic_resize(low, *high.shape[1:])
        rows.append(
            {
                "image": f"{path.stem} {high.shape[1]}x{high.shape[2]}",
                "own size PSNR-Y": psnr_y(own, high),
                "resize path PSNR-Y": psnr_y(through_resize, high),
                "bicubic PSNR-Y": psnr_y(bicubic, high),
                "own vs resize PSNR-Y": psnr_y(own, through_resize),
            }
        )
    mean = {"image": "mean of 14"} | {key: np.mean([row[key] for row in rows]) for key in list(rows[0])[1:]}
    return [{key: value if key == "image" else f"{value:.2f}" for key, value in row.items()} for row in [*rows, mean]]


def main(argv: list[str]) -> None:
    answer_script_help(argv, __doc__)
    arguments = OmegaConf.to_container(OmegaConf.from_cli(argv))
    unknown = sorted(set(arguments) - set(TRAINED))
    if unknown:
        raise ConfigError(f"unknown argument(s) {', '.join(unknown)}: bench_fullsize.py takes {', '.join(TRAINED)}")
    for name, ckpt in arguments.items():  # before the others are trained
        if not Path(str(ckpt)).is_file():
            raise ConfigError(
                f"{name}={ckpt} is not a file: pass a checkpoint (.ckpt), or leave {name}= out to train one"
            )
    from gansuite.run.benchmark import print_table  # after the checks: torch takes seconds to import

    set14 = Path(os.environ.get("GANSUITE_DATA_DIR", ROOT.parent / "shared" / "data")) / "sr" / "Set14"
    out = ROOT / "logs" / "bench_fullsize" / datetime.now().strftime("%Y-%m-%d_%H-%M-%S")
    found = checkpoints(arguments, out)
    rows = [size_row(name, ckpt, made, set14, out / "translated") for name, (ckpt, made) in found.items()]
    print_table(f"bench_fullsize: a {SIZE[0]}x{SIZE[1]} image through translate.py; runs in {out}", rows)
    ckpt, made = found["srresnet"]
    print_table(f"bench_fullsize: SRResNet x{SCALE} on Set14, {made}", set14_rows(ckpt, set14))


if __name__ == "__main__":
    report_user_errors(main, sys.argv[1:])
