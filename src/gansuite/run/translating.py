"""The work of `scripts/translate.py` (gansuite-translate) once its arguments are checked (gansuite.commands.translate
says what they mean): every image of a folder translated, or upscaled, by a checkpoint's generator into another."""

from pathlib import Path

import torch
from torchvision.transforms import InterpolationMode, v2

from gansuite.artifacts.plots import save_image_grid
from gansuite.commands.entry import check_writable
from gansuite.data.image_folder import list_images
from gansuite.data.images import to_model_range
from gansuite.data.unpaired import ImageFileDomain
from gansuite.errors import ConfigError
from gansuite.modules.loading import load_module


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
    if module.capabilities.produces == "samples":
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
    if module.capabilities.produces == "upscales":  # images of any size, each alone
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
