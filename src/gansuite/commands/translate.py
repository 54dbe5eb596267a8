"""Translate a folder of images with a trained CycleGAN or pix2pix checkpoint, or upscale one with SRGAN/SRResNet.

    python scripts/translate.py ckpt_path=logs/train/runs/<run>/checkpoints/last.ckpt input=DIR output=DIR \
        direction=a2b [batch_size=8] [device=auto]

Every image under `input` (recursively) is resized to the model's training size, like the reference's test
phase, translated A -> B (`direction=a2b`) or B -> A (`b2a`; pix2pix: its own direction), and written as PNG to the
same relative path under `output`. A super-resolution checkpoint upscales each image at its own size, one at a time
(`direction` does not apply). Existing files are never overwritten unless overwrite=true.
"""

import sys
from pathlib import Path

import torch
from omegaconf import OmegaConf
from torchvision.transforms import InterpolationMode, v2

from gansuite.data.image_folder import list_images
from gansuite.data.images import to_model_range
from gansuite.data.unpaired import ImageFileDomain
from gansuite.entry import check_writable, report_user_errors
from gansuite.errors import ConfigError
from gansuite.modules.loading import load_module
from gansuite.plots import save_image_grid
from gansuite.validation import check_positive_int

USAGE = "usage: scripts/translate.py ckpt_path=<ckpt> input=<folder> output=<folder> [direction=a2b|b2a]"
ARGUMENTS = {
    "ckpt_path": None,
    "input": None,
    "output": None,
    "direction": "a2b",
    "batch_size": 8,
    "device": "auto",
    "overwrite": False,
}


def translate_folder(
    ckpt_path: str,
    input: str,
    output: str,
    direction: str = "a2b",
    batch_size: int = 8,
    device: str = "auto",
    overwrite: bool = False,
) -> list[Path]:
    """Translates every image under `input` into `output`; returns the written files."""
    device = ("cuda" if torch.cuda.is_available() else "cpu") if device == "auto" else device
    module, _ = load_module(ckpt_path, map_location=device)
    if not hasattr(module, "translate") and not hasattr(module, "upscale"):
        raise ConfigError(f"{ckpt_path} holds a {type(module).__name__}, not an image-to-image model like CycleGAN")
    module.to(device)
    source, target = Path(input), Path(output)
    files = list_images(source, "input")
    outputs = [target / file.relative_to(source).with_suffix(".png") for file in files]
    sources: dict[Path, Path] = {}
    for file, out in zip(files, outputs, strict=True):
        if out in sources:  # a.jpg and a.png: the second would overwrite the first's translation
            raise ConfigError(
                f"{sources[out]} and {file} would both be written to {out}: rename one of them (every translation "
                "is written as PNG)"
            )
        sources[out] = file
    existing = [path for path in outputs if path.exists()]
    if existing and not overwrite:
        raise ConfigError(
            f"{existing[0]} already exists ({len(existing)} of the {len(outputs)} outputs do): choose an empty output "
            "folder, or pass overwrite=true to replace them"
        )
    check_writable(target, "output")
    channels, height, width = module.data_shape
    images = ImageFileDomain(files, channels)
    if hasattr(module, "upscale"):  # images of any size, each alone
        for index, path in enumerate(outputs):
            save_image_grid(module.upscale(to_model_range(images[index][None])), path)
        return outputs
    resize = v2.Resize([height, width], interpolation=InterpolationMode.BICUBIC, antialias=True)
    for start in range(0, len(files), batch_size):
        indices = range(start, min(start + batch_size, len(files)))
        batch = to_model_range(torch.stack([resize(images[i]) for i in indices]))
        for image, path in zip(module.translate(batch, direction), outputs[start:], strict=False):
            save_image_grid(image[None], path)  # a one-image grid is the image itself, without padding
    return outputs


def main(argv: list[str]) -> list[Path]:
    given = OmegaConf.to_container(OmegaConf.from_cli(argv))
    unknown = sorted(set(given) - set(ARGUMENTS))
    if unknown:
        raise ConfigError(f"unknown argument(s) {', '.join(unknown)}: translate.py takes {', '.join(ARGUMENTS)}")
    arguments = {**ARGUMENTS, **given}
    missing = [name for name in ("ckpt_path", "input", "output") if arguments[name] is None]
    if missing:
        raise ConfigError(f"missing {', '.join(f'{name}=...' for name in missing)}; {USAGE}")
    check_positive_int(arguments["batch_size"], "batch_size", "images per forward pass, e.g. batch_size=8")
    written = translate_folder(**arguments)
    print(f"translated {len(written)} images ({arguments['direction']}) into {arguments['output']}")
    return written


def run() -> None:
    """gansuite-translate, python scripts/translate.py."""
    report_user_errors(main, sys.argv[1:])
