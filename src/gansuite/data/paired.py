"""Aligned image pairs (A, B) for paired translation (pix2pix): a folder in either layout users have, the authors'
pix2pix data sets (downloaded when online), or pairs made from the CIFAR-10 subset (offline and in CI).

Layouts of `data=paired_folder data.path=DIR`:
- side by side, as the authors' archives: `train/` and `test/` (or `val/` when there is no `test/`) of images that
  hold A in their left half and B in their right half;
- two folders, as the reference's combine_A_and_B.py takes them: `A/train/`, `A/test/`, `B/train/`, `B/test/`,
  whose files pair by their path relative to the split folder (the extension aside).

A training pair gets the reference's augmentation with one draw for both images (resize to load_size, random crop
to image_size, random horizontal flip), so the pair stays aligned; test pairs are only resized. A and B have the
same number of channels (a gray or edge input is replicated to three), so the networks are sized from one shape.
"""

from collections.abc import Sequence
from pathlib import Path

import torch
from PIL import Image
from torch import Tensor
from torch.nn import functional as F
from torch.utils.data import Dataset
from torchvision.transforms import v2

from gansuite.data import sources
from gansuite.data.image_files import image_files
from gansuite.data.unpaired import AuthorsArchive, ImageFileDomain, UnpairedImages
from gansuite.errors import ConfigError, DataError
from gansuite.nets.color import luma_of

PIX2PIX_URL = "https://efrosgans.eecs.berkeley.edu/pix2pix/datasets/{name}.tar.gz"
# The sets of the authors' datasets/download_pix2pix_dataset.sh, all side by side (cityscapes: A is the photo).
PIX2PIX_DATASETS = ("facades", "cityscapes", "maps", "edges2shoes", "edges2handbags", "night2day")
CIFAR_TASKS = ("colorize", "edges")


class AlignedPairs(Dataset):
    """Item i: (A[i], B[i]) through one draw of `transform` for both (concatenated along the channels)."""

    def __init__(self, domain_a: Sequence[Tensor], domain_b: Sequence[Tensor], transform: v2.Transform) -> None:
        self.domain_a, self.domain_b, self.transform = domain_a, domain_b, transform

    def __len__(self) -> int:
        return len(self.domain_a)

    def __getitem__(self, index: int) -> tuple[Tensor, Tensor]:
        a, b = self.domain_a[index], self.domain_b[index]
        pair = self.transform(torch.cat([a, b]))
        return pair[: len(a)], pair[len(a) :]


class PairedImages(UnpairedImages):
    """Batches (a, b) of aligned pairs; subclasses say where the four splits come from (`load_domains`), with the
    images of trainA and trainB (and of testA and testB) in the same order."""

    #: Marks aligned pairs for gansuite.run.validation (pix2pix trains only on these; CycleGAN on these too).
    paired = True

    def setup(self, stage: str | None = None) -> None:
        super().setup(stage)
        for split in ("train", "test"):
            a, b = self.domains[f"{split}A"], self.domains[f"{split}B"]
            if len(a) != len(b):  # a subclass's bug, not the user's data: the folders pair file by file
                raise RuntimeError(f"{len(a)} {split} A images but {len(b)} B images")

    def training_pairs(self) -> Dataset:
        return AlignedPairs(self.domains["trainA"], self.domains["trainB"], self.train_transform())


class ImageHalf(Dataset):
    """The left (A) or right (B) half of side-by-side image files, as uint8 (C, H, W / 2)."""

    def __init__(self, files: list[Path], side: str, channels: int) -> None:
        self.images, self.side = ImageFileDomain(files, channels), side

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> Tensor:
        image = self.images[index]
        half = image.shape[-1] // 2
        return image[..., :half] if self.side == "A" else image[..., half:]


def image_size(path: Path) -> tuple[int, int]:
    """(width, height) from the file's header, or a DataError naming the file."""
    try:
        with Image.open(path) as image:
            return image.size
    except Exception as error:  # PIL raises OSError, SyntaxError, ValueError... for broken files
        raise DataError(f"cannot read image {path} ({type(error).__name__}: {error}): delete or replace it") from error


def side_by_side_splits(root: Path, channels: int) -> dict[str, Sequence[Tensor]]:
    test_folder = root / "test" if (root / "test").is_dir() else root / "val"
    domains: dict[str, Sequence[Tensor]] = {}
    for split, folder in (("train", root / "train"), ("test", test_folder)):
        files = image_files(folder) if folder.is_dir() else []
        if not files:
            raise DataError(
                f"side-by-side paired data needs images in {folder.resolve()}: put the A|B images of each split in "
                f"{root.resolve()}/train/ and test/ (or val/)"
            )
        for path in files:
            width, _ = image_size(path)
            if width % 2:
                raise DataError(
                    f"{path} is {width} pixels wide, not an A|B pair of two equal halves: crop it to an even width "
                    "or remove it"
                )
        domains[f"{split}A"], domains[f"{split}B"] = ImageHalf(files, "A", channels), ImageHalf(files, "B", channels)
    return domains


def two_folder_splits(root: Path, channels: int) -> dict[str, Sequence[Tensor]]:
    domains: dict[str, Sequence[Tensor]] = {}
    for split in ("train", "test"):
        folder_a, folder_b = root / "A" / split, root / "B" / split
        files = {}
        for side, folder in (("A", folder_a), ("B", folder_b)):
            found = image_files(folder) if folder.is_dir() else []
            if not found:
                raise DataError(f"paired data in A/ and B/ needs images in {folder.resolve()}: add them there")
            files[side] = {path.relative_to(folder).with_suffix(""): path for path in found}
        for side, other in (("A", "B"), ("B", "A")):
            alone = sorted(files[side].keys() - files[other].keys())
            if alone:
                raise DataError(
                    f"{files[side][alone[0]]} has no partner in {root.resolve() / other / split} (files pair by name, "
                    f"extension aside; {len(alone)} without one): add it or remove it"
                )
        names = sorted(files["A"])
        for name in names:
            size_a, size_b = image_size(files["A"][name]), image_size(files["B"][name])
            if size_a != size_b:
                raise DataError(
                    f"{files['A'][name]} is {size_a[0]}x{size_a[1]} but its partner {files['B'][name]} is "
                    f"{size_b[0]}x{size_b[1]}: a pair must have one size (resize one of them)"
                )
        for side in ("A", "B"):
            domains[split + side] = ImageFileDomain([files[side][name] for name in names], channels)
    return domains


class PairedFolder(PairedImages):
    """Any folder of aligned pairs, in either layout of the module docstring: `data=paired_folder data.path=DIR`."""

    def __init__(self, path: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.path = Path(path)

    def load_domains(self) -> dict[str, Sequence[Tensor]]:
        if (self.path / "A").is_dir() or (self.path / "B").is_dir():
            return two_folder_splits(self.path, self.channels)
        if (self.path / "train").is_dir():
            return side_by_side_splits(self.path, self.channels)
        raise DataError(
            f"{self.path.resolve()} holds neither train/ (side-by-side A|B images) nor A/ and B/ (pairs by name, each "
            "with train/ and test/): set data.path to a folder in one of these layouts"
        )


class Pix2PixDataset(AuthorsArchive, PairedFolder):
    """One of the authors' pix2pix data sets (facades, ...) in `root/name`."""

    family, names, url, required = "pix2pix", PIX2PIX_DATASETS, PIX2PIX_URL, ("train",)
    folder_option, offline_option = "paired_folder", "cifar_colorize"


def luma(images: Tensor) -> Tensor:
    """ITU-R BT.601 luma of uint8 RGB images (N, 3, H, W), as float (N, 1, H, W) in [0, 255]."""
    return luma_of(images.float())


def sobel_edges(images: Tensor) -> Tensor:
    """Sobel gradient magnitude of the luma of uint8 RGB images (N, 1, H, W), each image scaled to [0, 255]."""
    kernel = torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]])
    gradients = F.conv2d(F.pad(luma(images), (1, 1, 1, 1), mode="replicate"), torch.stack([kernel, kernel.T])[:, None])
    magnitude = gradients.norm(dim=1, keepdim=True)
    peak = magnitude.amax(dim=(2, 3), keepdim=True).clamp_min(1e-6)
    return (magnitude / peak * 255).round().to(torch.uint8)


class CifarPaired(PairedImages):
    """Pairs from CIFAR-10 images at 32x32, offline: `task=colorize` (A: the gray image, B: the photo) or `edges`
    (A: its Sobel edges, B: the photo). A is replicated to three channels."""

    def __init__(
        self, root: str, task: str = "colorize", base_folder: str | None = None, download: bool = True, **kwargs
    ) -> None:
        if task not in CIFAR_TASKS:
            raise ConfigError(f"data.task={task!r} is unknown: choose {' or '.join(CIFAR_TASKS)}")
        super().__init__(**kwargs)
        if self.channels != 3:
            raise ConfigError(f"CIFAR-10 images have 3 channels, got data.channels={self.channels}")
        self.root, self.task, self.base_folder, self.download = Path(root), task, base_folder, download

    def load_domains(self) -> dict[str, Sequence[Tensor]]:
        domains = {}
        for split, train in (("train", True), ("test", False)):
            photos, _ = sources.load_labelled("cifar10", self.root, train, self.download, self.base_folder)
            inputs = luma(photos).round().to(torch.uint8) if self.task == "colorize" else sobel_edges(photos)
            domains[split + "A"], domains[split + "B"] = inputs.expand(-1, 3, -1, -1).contiguous(), photos
        return domains
