"""Any folder of images (CelebA, LSUN exports, your own), found recursively, brought to `image_size` (a side, or
[height, width]) as `aspect` says: `crop` (resized to cover the size, then center-cropped; the default), `pad`
(resized to fit inside it, then padded with black, centred: the whole picture is kept), or `stretch` (resized to it,
the aspect ratio not kept).

Unreadable files stop the run with their path before training starts (a header check of every file at setup), or
are skipped with a count when `skip_corrupt` is set. A file whose header reads but whose pixels do not (a truncated
JPEG) is only found when loaded: it stops the run then, or is replaced by the next file with a warning.

`labels=folders` reads the folder as torchvision's ImageFolder does: one subfolder per class, classes in sorted
order of their names, every image under a class's subfolder (at any depth) of that class.
"""

import warnings
from collections.abc import Sequence
from functools import partial
from pathlib import Path

import torch
from PIL import Image
from torch import Tensor
from torch.utils.data import DataLoader, Dataset
from torchvision.transforms.v2 import functional as TF

from gansuite.data.batches import file_loader
from gansuite.data.image_files import list_images
from gansuite.data.images import ImageDataModule, image_hw
from gansuite.data.pixels import to_uint8
from gansuite.errors import ConfigError, DataError

LABEL_SOURCES = ("none", "folders")
ASPECTS = ("crop", "pad", "stretch")


def unreadable(path: Path) -> str | None:
    """Why `path` is not a readable image (its header and, for PNG and others, its checksums), or None if it is."""
    try:
        with Image.open(path) as image:
            image.verify()
    except Exception as error:  # PIL raises OSError, SyntaxError, ValueError... for broken files
        return f"{type(error).__name__}: {error}"
    return None


def readable_images(files: list[Path], skip_corrupt: bool) -> list[Path]:
    """`files` without the unreadable ones when `skip_corrupt`, else a DataError naming the first unreadable file."""
    broken = {}
    for path in files:
        reason = unreadable(path)
        if reason is not None and not skip_corrupt:
            raise DataError(f"cannot read image {path} ({reason}): delete or replace it, or set data.skip_corrupt=true")
        if reason is not None:
            broken[path] = reason
    if broken:
        first, reason = next(iter(broken.items()))
        warnings.warn(
            f"skipped {len(broken)} unreadable image(s) of {len(files)} (data.skip_corrupt=true); first: {first} "
            f"({reason})",
            stacklevel=2,
        )
    if len(broken) == len(files):
        raise DataError(f"none of the {len(files)} images under {files[0].parent} can be read")
    return [path for path in files if path not in broken]


def folder_labels(root: Path, files: list[Path]) -> tuple[list[str], list[int]]:
    """The class names (the sorted subfolders of `root`) and each file's class index; a DataError naming the file when
    one lies in `root` itself, outside every class folder, or naming a subfolder without images (as torchvision's
    ImageFolder refuses one): skipped, it would renumber every class after it once it gets images, and a trained
    model's labels would silently mean other classes."""
    names = sorted({path.relative_to(root).parts[0] for path in files if len(path.relative_to(root).parts) > 1})
    empty = sorted(
        {folder.name for folder in root.iterdir() if folder.is_dir() and not folder.name.startswith(".")} - set(names)
    )
    if empty:
        raise DataError(
            f"data.labels=folders reads one subfolder per class, but {root / empty[0]} holds no readable images: add "
            "its images or move the folder out of data.path (an empty class would renumber the classes after it)"
        )
    loose = next((path for path in files if len(path.relative_to(root).parts) == 1), None)
    if loose is not None:
        raise DataError(
            f"data.labels=folders reads one subfolder per class, but {loose} lies in {root} itself: move it into "
            "its class's subfolder, or set data.labels=none"
        )
    if len(names) < 2:
        raise DataError(
            f"data.labels=folders found {len(names)} class subfolder(s) in {root}: a conditional model needs at "
            "least two (one subfolder per class), or set data.labels=none"
        )
    index = {name: i for i, name in enumerate(names)}
    return names, [index[path.relative_to(root).parts[0]] for path in files]


def scaled_size(height: int, width: int, size: tuple[int, int], cover: bool) -> tuple[int, int]:
    """height x width scaled, keeping its aspect ratio, to the smallest size that covers `size` (`cover`) or the
    largest that fits inside it: one side equals the target's, the other is truncated to an int as torchvision's
    `Resize(side)` does, so a square target gets exactly the size `Resize(side)` gives (and the same pixels)."""
    target_height, target_width = size
    relatively_taller = height * target_width >= width * target_height
    if relatively_taller == cover:  # the width decides: the height overshoots (cover) or falls short (fit)
        other = int(target_width * height / width)
        return (max(target_height, other) if cover else max(1, min(target_height, other))), target_width
    other = int(target_height * width / height)
    return target_height, (max(target_width, other) if cover else max(1, min(target_width, other)))


def fit_image(image: Tensor, size: tuple[int, int], aspect: str) -> Tensor:
    """A uint8 image (C, H, W) brought to `size` (height, width) as `aspect` (one of ASPECTS) says, with
    antialiased bilinear resizing: crop covers the size and cuts the overhang equally on both sides; pad fits inside
    it and adds black (0) borders, equal on both sides to a pixel, so the whole picture is kept; stretch resizes
    to it exactly."""
    if aspect == "stretch":
        return TF.resize(image, list(size), antialias=True)
    cover = aspect == "crop"
    resized = TF.resize(image, list(scaled_size(*image.shape[-2:], size, cover)), antialias=True)
    if cover:
        return TF.center_crop(resized, list(size))
    pad_height, pad_width = size[0] - resized.shape[-2], size[1] - resized.shape[-1]
    top, left = pad_height // 2, pad_width // 2
    return TF.pad(resized, [left, top, pad_width - left, pad_height - top], fill=0)


class ImageFiles(Dataset):
    """Image files as uint8 (C, height, width) of `size` (a side, or (height, width)), fitted as `aspect` says
    (`fit_image`; crop, the default, resizes to cover the size and center-crops).

    Every mode is read as the values it means (`pixels.to_uint8`): 16-bit and float files are scaled, not clipped,
    ICC profiles are applied, transparent pixels are composited over black, and a mode without a faithful 8-bit
    sRGB or grayscale reading is refused with its path.
    """

    def __init__(
        self,
        files: list[Path],
        size: int | Sequence[int],
        channels: int = 3,
        skip_corrupt: bool = False,
        labels: list[int] | None = None,
        aspect: str = "crop",
    ) -> None:
        """`labels`: each file's class; the items are then `(image, label)` pairs."""
        self.files = files
        self.labels = labels
        self.channels = channels
        self.skip_corrupt = skip_corrupt
        self.transform = partial(fit_image, size=image_hw(size), aspect=aspect)  # a partial: workers pickle it

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, index: int) -> Tensor | tuple[Tensor, int]:
        for offset in range(len(self.files)):
            position = (index + offset) % len(self.files)
            path = self.files[position]
            try:
                with Image.open(path) as image:
                    pixels = self.transform(to_uint8(image, self.channels, path))
                return pixels if self.labels is None else (pixels, self.labels[position])
            except OSError as error:
                if not self.skip_corrupt:
                    raise DataError(
                        f"cannot read image {path} ({error}): delete or replace it, or set data.skip_corrupt=true"
                    ) from error
                warnings.warn(f"skipped unreadable image {path} ({error}); using the next file", stacklevel=2)
        raise DataError(f"none of the {len(self.files)} images under {self.files[0].parent} can be read")


class ImageFolder(ImageDataModule):
    def __init__(
        self,
        path: str,
        image_size: int | Sequence[int] = 64,
        channels: int = 3,
        batch_size: int = 64,
        num_workers: int = 2,
        skip_corrupt: bool = False,
        labels: str = "none",
        aspect: str = "crop",
    ) -> None:
        """`labels`: none, or folders (one subfolder per class, see the module docstring); `aspect`: crop, pad or
        stretch (see the module docstring)."""
        if labels not in LABEL_SOURCES:
            raise DataError(f"data.labels={labels} is unknown: choose one of {', '.join(LABEL_SOURCES)}")
        if aspect not in ASPECTS:
            raise ConfigError(f"data.aspect={aspect} is unknown: choose one of {', '.join(ASPECTS)}")
        super().__init__(image_size, channels, batch_size)
        self.path = Path(path)
        self.num_workers = num_workers
        self.skip_corrupt = skip_corrupt
        self.label_source = labels
        self.aspect = aspect
        self.class_names: list[str] | None = None
        self.dataset: ImageFiles | None = None

    def setup(self, stage: str | None = None) -> None:
        if self.dataset is None:
            files = readable_images(list_images(self.path), self.skip_corrupt)
            labels = None
            if self.label_source == "folders":
                self.class_names, labels = folder_labels(self.path, files)
            size = (self.height, self.width)
            self.dataset = ImageFiles(files, size, self.channels, self.skip_corrupt, labels, self.aspect)
            if self.batch_size > len(self.dataset):
                raise DataError(
                    f"data.batch_size={self.batch_size} is larger than the {len(self.dataset)} images in "
                    f"{self.path}: lower data.batch_size"
                )

    @property
    def num_classes(self) -> int | None:
        """The number of class subfolders with labels=folders (read on first use), else None."""
        if self.label_source == "none":
            return None
        self.setup()
        return len(self.class_names)

    def train_dataloader(self) -> DataLoader:
        return file_loader(self.dataset, self.batch_size, self.num_workers)

    def split_labels(self, train: bool) -> Tensor:
        """Every image's class (the folder has one split, read as the training split)."""
        self.setup()
        if self.dataset.labels is None:
            raise DataError(
                f"the images in {self.path} have no labels: set data.labels=folders (one subfolder per class)"
            )
        return torch.tensor(self.dataset.labels)
