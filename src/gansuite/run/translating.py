"""The work of `scripts/translate.py` (gansuite-translate) once its arguments are checked (gansuite.commands.translate
says what they mean): every image of a folder translated, or upscaled, by a checkpoint's generator into another."""

from collections.abc import Callable, Iterator
from pathlib import Path

import torch
from torch import Tensor
from torchvision.transforms import InterpolationMode, v2

from gansuite.artifacts.plots import save_image_grid
from gansuite.commands.entry import check_writable
from gansuite.data.image_files import list_images
from gansuite.data.images import to_model_range
from gansuite.data.unpaired import ImageFileDomain
from gansuite.errors import ConfigError
from gansuite.modules.loading import load_module


@torch.no_grad()  # inference only: no autograd graph of full-size activations
def translate_folder(
    ckpt_path: str,
    input: str,
    output: str,
    direction: str = "a2b",
    batch_size: int = 8,
    device: str = "auto",
    overwrite: bool = False,
    resize: bool = False,
) -> list[Path]:
    """Translates (or upscales) every image under `input` into `output`, each at its own size, or, for a translation
    model with `resize`, at the model's training size; returns the written files."""
    device = ("cuda" if torch.cuda.is_available() else "cpu") if device == "auto" else device
    module, _ = load_module(ckpt_path, map_location=device)
    if module.capabilities.produces == "samples":
        raise ConfigError(f"{ckpt_path} holds a {type(module).__name__}, not an image-to-image model like CycleGAN")
    upscales = module.capabilities.produces == "upscales"
    if upscales and resize:
        raise ConfigError(
            f"{ckpt_path} holds a super-resolution model, which upscales each image at its own size: drop resize=true"
        )
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
    replaced = next((file for file, out in zip(files, outputs, strict=True) if out.resolve() == file.resolve()), None)
    if replaced is not None:  # overwrite=true must not be the way out: it would destroy the inputs
        raise ConfigError(
            f"output={output} would write each translation over its input ({replaced}): choose another output folder"
        )
    existing = [path for path in outputs if path.exists()]
    if existing and not overwrite:
        raise ConfigError(
            f"{existing[0]} already exists ({len(existing)} of the {len(outputs)} outputs do): choose an empty output "
            "folder, or pass overwrite=true to replace them"
        )
    check_writable(target, "output")
    channels, height, width = module.data_shape
    # To the training size as the reference's test phase does (resize), or as they are: the module pads and crops.
    prepare = v2.Resize([height, width], interpolation=InterpolationMode.BICUBIC, antialias=True) if resize else None
    for indices, batch in same_size_batches(ImageFileDomain(files, channels), batch_size, prepare):
        images = to_model_range(batch)
        results = module.upscale(images) if upscales else module.translate(images, direction)
        for image, index in zip(results, indices, strict=True):
            save_image_grid(image[None], outputs[index])  # a one-image grid is the image itself, without padding
    return outputs


def same_size_batches(
    images: ImageFileDomain, batch_size: int, prepare: Callable[[Tensor], Tensor] | None
) -> Iterator[tuple[list[int], Tensor]]:
    """The images in order, each through `prepare` when given, in batches of up to `batch_size` consecutive images
    of one size (a batch is one tensor), with their indices: a folder of one size runs in full batches, images of
    different sizes in batches of their own, and only one batch is in memory at a time."""
    indices: list[int] = []
    batch: list[Tensor] = []
    for index in range(len(images)):
        image = images[index] if prepare is None else prepare(images[index])
        if batch and (len(batch) == batch_size or image.shape != batch[0].shape):
            yield indices, torch.stack(batch)
            indices, batch = [], []
        indices.append(index)
        batch.append(image)
    if batch:
        yield indices, torch.stack(batch)
