"""The work of `scripts/project.py` (gansuite-project) once its arguments are checked (gansuite.commands.project says
what they mean): reading the target images, projecting them into the checkpoint's generator, writing what was
found."""

from pathlib import Path

import numpy as np
import torch
from omegaconf import DictConfig
from PIL import Image
from torchvision.transforms.v2.functional import pil_to_tensor

import gansuite
from gansuite.artifacts.plots import save_image_grid
from gansuite.commands.entry import check_writable
from gansuite.data.image_files import list_images
from gansuite.errors import ConfigError
from gansuite.files import atomic_write

CHANNELS = {1: "grayscale", 3: "RGB"}


def read_target(path: Path, shape: tuple[int, ...]) -> torch.Tensor:
    """One image file as a (C, H, W) tensor in [-1, 1], refused unless it has the model's channels and size (a
    projection reproduces images of the generator's own shape; resizing or converting here would hide it)."""
    with Image.open(path) as image:
        channels = len(image.getbands())
        if image.mode == "P":  # a palette image: its colours, as RGB
            image, channels = image.convert("RGB"), 3
        pixels = pil_to_tensor(image)
    if (channels, *pixels.shape[1:]) != tuple(shape):
        wanted = f"{CHANNELS.get(shape[0], f'{shape[0]}-channel')} {shape[2]}x{shape[1]}"
        got = f"{CHANNELS.get(channels, f'{channels}-channel')} {pixels.shape[2]}x{pixels.shape[1]}"
        raise ConfigError(
            f"{path} is {got} but the model makes {wanted} images: convert and resize it to {wanted} first"
        )
    return pixels.float() / 127.5 - 1


def project_files(args: DictConfig) -> list[Path]:
    """Projects every target of the checked arguments; returns the .npz files written."""
    generator = gansuite.load(args.ckpt_path, map_location=args.device)
    if generator.use != "sample":
        raise ConfigError(
            f"{args.ckpt_path} holds a model that can {generator.use}: projection needs a generator of noise "
            "(DCGAN, ResNet, StyleGAN2, conditional GANs)"
        )
    if len(generator.data_shape) != 3:
        raise ConfigError(
            f"{args.ckpt_path} generates {generator.data_shape[0]}-D points, not images: projection finds the latent "
            "of a target image, for a generator of images (DCGAN, ResNet, StyleGAN2, conditional GANs)"
        )
    target = Path(args.target)
    files = list_images(target, "target") if target.is_dir() else [target]
    ckpt = generator.checkpoint_path
    run_dir = ckpt.parent.parent if ckpt.parent.name == "checkpoints" else ckpt.parent
    out = Path(args.out) if args.out else run_dir / "projected"
    written = {file: out / f"{file.stem}.npz" for file in files}
    if len(set(written.values())) < len(files):
        twins = [file for file in files if sum(file.stem == other.stem for other in files) > 1]
        raise ConfigError(f"{twins[0]} and {twins[1]} would both be written to {written[twins[0]]}: rename one of them")
    existing = [path for path in written.values() if path.exists()]
    if existing and not args.overwrite:
        raise ConfigError(f"{existing[0]} already exists: pass out=<another folder>, or overwrite=true to replace it")
    check_writable(out, "out")
    out.mkdir(parents=True, exist_ok=True)
    targets = torch.stack([read_target(file, generator.data_shape) for file in files])
    labels = None if args["class"] is None else [int(args["class"])] * len(files)
    found = generator.project(
        targets, space=args.space, steps=args.steps, labels=labels, feature=args.feature,
        feature_weight=args.feature_weight, seed=args.seed,
    )  # fmt: skip
    print(f"projected {len(files)} image(s) into {args.space} with pixels + {found.feature}", flush=True)
    for index, (file, npz) in enumerate(written.items()):
        arrays = {"latents": found.latents[index].cpu().numpy(), "space": found.space, "psnr": found.psnr[index].item()}
        arrays |= {f"noise/{name}": maps[index].cpu().numpy() for name, maps in found.noise.items()}
        if labels is not None:
            arrays["labels"] = np.array(labels[index])
        with atomic_write(npz) as handle:
            np.savez(handle, **arrays)
        image, wanted = found.images[index : index + 1].cpu(), targets[index : index + 1]
        save_image_grid(image, out / f"{file.stem}_projected.png")
        save_image_grid(torch.cat([wanted, image]), out / f"{file.stem}_side_by_side.png", nrow=2)
        print(f"{file.name}: PSNR {found.psnr[index]:.2f} dB -> {npz}", flush=True)
    return list(written.values())
