"""Frames as an animated GIF (Pillow, always installed) or an MP4 (torchvision's writer, which needs PyAV)."""

import os
from pathlib import Path

import torch
from PIL import Image
from torch import Tensor

from gansuite.files import atomic_write


def save_video(frames: Tensor, path: Path, fps: int = 10) -> None:
    """`frames` (T, C, H, W) in [-1, 1] written to `path` (.gif loops forever; .mp4 needs `pip install av`)."""
    pixels = ((frames.float().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8).cpu()
    if pixels.shape[1] == 1:
        pixels = pixels.expand(-1, 3, -1, -1)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".mp4":  # PyAV writes to a file name: a hidden one beside, renamed when complete
        from torchvision.io import write_video

        partial = path.with_name(f".{path.stem}.partial.mp4")
        write_video(str(partial), pixels.permute(0, 2, 3, 1), fps=fps)
        os.replace(partial, path)
        return
    images = [Image.fromarray(frame.permute(1, 2, 0).numpy()) for frame in pixels]
    with atomic_write(path) as file:
        images[0].save(file, format="GIF", save_all=True, append_images=images[1:], duration=round(1000 / fps), loop=0)
