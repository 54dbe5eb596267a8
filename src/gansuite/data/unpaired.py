"""Two unpaired image domains A and B for image-to-image translation, in CycleGAN's layout: a folder with
`trainA/ trainB/ testA/ testB/`, the CycleGAN data sets of that layout (downloaded when online), two CIFAR-10
classes, or MNIST digits against other MNIST digits inverted and rotated (both offline and in CI; the latter with a
known, exactly invertible A <-> B mapping, so a translation can be scored against the truth).

Training pairs are unaligned as in the reference's UnalignedDataset: item i is A[i mod |A|] with a uniformly drawn
B, an epoch is max(|A|, |B|) items, and each image gets the reference's `resize_and_crop` augmentation on its own
(resize to load_size x load_size, bicubic; random crop to image_size; random horizontal flip). Test images are only
resized to image_size x image_size, like the reference's test phase. Batches travel as uint8 and become floats in
[-1, 1] on the device. `image_size` and `load_size` are each a side or [height, width] (a non-square size resizes
without keeping the aspect ratio, as the reference's resize does).
"""

from collections.abc import Sequence
from pathlib import Path

import torch
from PIL import Image
from torch import Tensor
from torch.utils.data import DataLoader, Dataset
from torchvision.datasets.utils import download_and_extract_archive
from torchvision.transforms import InterpolationMode, v2

from gansuite.data import sources
from gansuite.data.batches import file_loader
from gansuite.data.image_files import IMAGE_EXTENSIONS, image_files
from gansuite.data.images import ImageDataModule, image_hw, resized_split, to_model_range
from gansuite.data.pixels import to_uint8
from gansuite.errors import ConfigError, DataError

SPLITS = ("trainA", "trainB", "testA", "testB")
CYCLEGAN_URL = "https://efrosgans.eecs.berkeley.edu/cyclegan/datasets/{name}.zip"
# The sets of the authors' datasets/download_cyclegan_dataset.sh (cityscapes is not distributed there).
CYCLEGAN_DATASETS = (
    "apple2orange",
    "summer2winter_yosemite",
    "horse2zebra",
    "monet2photo",
    "cezanne2photo",
    "ukiyoe2photo",
    "vangogh2photo",
    "maps",
    "facades",
    "iphone2dslr_flower",
    "ae_photos",
)
CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")


def domain_files(root: Path, split: str) -> list[Path]:
    """The image files of `root/split`, sorted; a missing or empty folder is a DataError naming the layout."""
    folder = root / split
    if not folder.is_dir():
        raise DataError(
            f"{folder.resolve()} does not exist: unpaired data needs the folders {', '.join(s + '/' for s in SPLITS)} "
            f"of images under one folder (set data.path to it)"
        )
    files = image_files(folder)
    if not files:
        raise DataError(
            f"domain folder {folder.resolve()} holds no images (looked for {', '.join(IMAGE_EXTENSIONS)}): every one "
            f"of {', '.join(SPLITS)} needs at least one image"
        )
    return files


def fetch_archive(name: str, url: str, root: Path, path: Path, download: bool, fix: str) -> None:
    """Downloads and extracts the archive at `url` into `root` (where it makes `path`), or a DataError that says
    why not and gives `fix`: downloads not allowed (data.download=false) or failed (offline)."""
    if not download:
        raise DataError(f"{name} not found in {path.resolve()} (data.download=false): {fix}")
    try:
        download_and_extract_archive(url, download_root=str(root), remove_finished=True)
    except Exception as error:  # URLError, HTTPError, socket errors: the message matters, not the type
        reason = str(error).strip().splitlines()[-1] if str(error).strip() else type(error).__name__
        raise DataError(f"{name} not found in {path.resolve()} and the download failed ({reason}): {fix}") from error


class ImageFileDomain(Dataset):
    """Image files as uint8 (C, H, W) at their own resolution, every image mode read as the values it means
    (`pixels.to_uint8`: torchvision's decoder would hand a 16-bit PNG on as uint16)."""

    def __init__(self, files: list[Path], channels: int = 3) -> None:
        self.files = files
        self.channels = channels

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, index: int) -> Tensor:
        path = self.files[index]
        try:
            with Image.open(path) as image:
                return to_uint8(image, self.channels, path)
        except OSError as error:
            raise DataError(f"cannot read image {path}: {error}") from error


class UnalignedPairs(Dataset):
    """Item i: (transform(A[i mod |A|]), transform(B[j])) with j uniform, drawn afresh each time."""

    def __init__(self, domain_a: Sequence[Tensor], domain_b: Sequence[Tensor], transform: v2.Transform) -> None:
        self.domain_a, self.domain_b = domain_a, domain_b
        self.transform = transform

    def __len__(self) -> int:
        return max(len(self.domain_a), len(self.domain_b))

    def __getitem__(self, index: int) -> tuple[Tensor, Tensor]:
        b = self.domain_b[int(torch.randint(len(self.domain_b), ()))]
        return self.transform(self.domain_a[index % len(self.domain_a)]), self.transform(b)


class UnpairedImages(ImageDataModule):
    """Batches (a, b); subclasses say where the four splits come from (`load_domains`)."""

    #: The images of each split once set up; its presence on the class marks two-domain data (data_provides).
    domains: dict[str, Sequence[Tensor]] | None = None

    def __init__(
        self,
        image_size: int | Sequence[int] = 256,
        load_size: int | Sequence[int] = 286,
        channels: int = 3,
        batch_size: int = 1,
        flip: bool = True,
        num_workers: int = 4,
    ) -> None:
        super().__init__(image_size, channels, batch_size)
        self.load_size = image_hw(load_size)
        if self.load_size[0] < self.height or self.load_size[1] < self.width:
            raise ConfigError(
                f"data.load_size={load_size} is smaller than data.image_size={image_size}: images are resized to "
                "load_size and then randomly cropped to image_size, so load_size must be >= image_size on each side"
            )
        self.flip = flip
        self.num_workers = num_workers
        self.test_image_cache: dict[str, Tensor] = {}

    def load_domains(self) -> dict[str, Sequence[Tensor]]:
        """The uint8 (C, H, W) images of each of SPLITS."""
        raise NotImplementedError

    def setup(self, stage: str | None = None) -> None:
        if self.domains is None:
            self.domains = self.load_domains()
            pairs = max(len(self.domains["trainA"]), len(self.domains["trainB"]))
            if self.batch_size > pairs:
                raise DataError(
                    f"data.batch_size={self.batch_size} is larger than the {pairs} training pairs: lower it"
                )

    def train_transform(self) -> v2.Transform:
        steps = [
            v2.Resize(list(self.load_size), interpolation=InterpolationMode.BICUBIC, antialias=True),
            v2.RandomCrop([self.height, self.width]),
        ]
        if self.flip:
            steps.append(v2.RandomHorizontalFlip())
        return v2.Compose(steps)

    def training_pairs(self) -> Dataset:
        """The (a, b) items of an epoch: an A image with a uniformly drawn B, as the reference's UnalignedDataset."""
        return UnalignedPairs(self.domains["trainA"], self.domains["trainB"], self.train_transform())

    def train_dataloader(self) -> DataLoader:
        return file_loader(self.training_pairs(), self.batch_size, self.num_workers)

    def test_images(self, domain: str) -> Tensor:
        """All test images of domain 'a' or 'b' as uint8 (N, C, height, width) of image_size, in file order."""
        if domain not in ("a", "b"):
            raise ValueError(f"domain must be 'a' or 'b', got {domain!r}")
        if domain not in self.test_image_cache:
            self.setup()
            resize = v2.Resize([self.height, self.width], interpolation=InterpolationMode.BICUBIC, antialias=True)
            split = self.domains[f"test{domain.upper()}"]
            self.test_image_cache[domain] = torch.stack([resize(split[i]) for i in range(len(split))])
        return self.test_image_cache[domain]

    def on_after_batch_transfer(self, batch: Sequence[Tensor], dataloader_idx: int) -> tuple[Tensor, Tensor]:
        real_a, real_b = batch
        return to_model_range(real_a), to_model_range(real_b)


class UnpairedFolder(UnpairedImages):
    """Any folder in the CycleGAN layout: `python train.py model=cyclegan data=unpaired_folder data.path=DIR`."""

    def __init__(self, path: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.path = Path(path)

    def load_domains(self) -> dict[str, Sequence[Tensor]]:
        return {split: ImageFileDomain(domain_files(self.path, split), self.channels) for split in SPLITS}


class AuthorsArchive:
    """Mixin before a folder datamodule (`self.path`): one of the authors' data sets in `root/name`, downloaded and
    extracted there when missing and allowed. A subclass names its `family`, the `names` it knows, the `url` pattern,
    the `required` subfolders that mark it present and the data options to offer instead (`folder_option`,
    `offline_option`)."""

    family: str
    names: tuple[str, ...]
    url: str
    required: tuple[str, ...]
    folder_option: str
    offline_option: str

    def __init__(self, name: str, root: str, download: bool = True, **kwargs) -> None:
        if name not in self.names:
            raise ConfigError(
                f"unknown {self.family} data set {name!r}: choose one of {', '.join(self.names)}, or use "
                f"data={self.folder_option} data.path=DIR for a local folder"
            )
        super().__init__(path=str(Path(root) / name), **kwargs)
        self.name, self.root, self.download = name, Path(root), download

    def prepare_data(self) -> None:
        if all((self.path / folder).is_dir() for folder in self.required):
            return
        url = self.url.format(name=self.name)
        fix = (
            f"download {url} and extract it into {self.root.resolve()}, point at local copies with "
            f"paths.data_dir=/path/to/data, or use data={self.folder_option} data.path=DIR (offline: "
            f"data={self.offline_option})"
        )
        fetch_archive(self.name, url, self.root, self.path, self.download, fix)

    def setup(self, stage: str | None = None) -> None:
        self.prepare_data()  # a no-op once the folders exist; covers callers that only call setup
        super().setup(stage)


class CycleGANDataset(AuthorsArchive, UnpairedFolder):
    """One of the authors' CycleGAN data sets (horse2zebra, ...) in `root/name`."""

    family, names, url, required = "CycleGAN", CYCLEGAN_DATASETS, CYCLEGAN_URL, SPLITS
    folder_option, offline_option = "unpaired_folder", "cifar_pair"


class CifarPair(UnpairedImages):
    """Two CIFAR-10 classes as the domains (cat vs dog by default): train/test splits from CIFAR-10's own."""

    def __init__(
        self,
        root: str,
        domain_a: str = "cat",
        domain_b: str = "dog",
        base_folder: str | None = None,
        download: bool = True,
        **kwargs,
    ) -> None:
        for name in (domain_a, domain_b):
            if name not in CIFAR10_CLASSES:
                raise ConfigError(f"unknown CIFAR-10 class {name!r}: choose from {', '.join(CIFAR10_CLASSES)}")
        if domain_a == domain_b:
            raise ConfigError(f"data.domain_a and data.domain_b are both {domain_a!r}: choose two different classes")
        super().__init__(**kwargs)
        if self.channels != 3:
            raise ConfigError(f"CIFAR-10 images have 3 channels, got data.channels={self.channels}")
        self.root = Path(root)
        self.domain_a, self.domain_b = domain_a, domain_b
        self.base_folder = base_folder
        self.download = download

    def load_domains(self) -> dict[str, Sequence[Tensor]]:
        domains = {}
        for split, train in (("train", True), ("test", False)):
            images, labels = sources.load_labelled("cifar10", self.root, train, self.download, self.base_folder)
            for suffix, name in (("A", self.domain_a), ("B", self.domain_b)):
                domains[split + suffix] = images[labels == CIFAR10_CLASSES.index(name)]
        return domains


def transform_to_b(images: Tensor, quarter_turns: int = 0) -> Tensor:
    """MnistPair's domain B made from uint8 images (..., H, W): colors inverted (255 - x), then rotated by
    `quarter_turns` x 90 degrees counterclockwise. Both are permutations of uint8 values and pixel positions, so
    `transform_to_a` undoes it exactly; on floats the inversion would round, hence uint8 only."""
    _check_uint8(images)
    return torch.rot90(255 - images, quarter_turns, dims=(-2, -1))


def transform_to_a(images: Tensor, quarter_turns: int = 0) -> Tensor:
    """The exact inverse of `transform_to_b`: rotated back, colors inverted back."""
    _check_uint8(images)
    return 255 - torch.rot90(images, -quarter_turns, dims=(-2, -1))


def _check_uint8(images: Tensor) -> None:
    if images.dtype != torch.uint8:
        raise TypeError(f"the MNIST pair transforms are exact on uint8 pixels only, got {images.dtype}")


class MnistPair(UnpairedImages):
    """MNIST digits (A) against other MNIST digits through `transform_to_b` (B): inverted, and rotated by
    `quarter_turns` x 90 degrees (0 by default: CycleGAN's generators are local and fail at geometric changes,
    Zhu et al. 2017, section 5.3; with one quarter turn the CPU recipe kept 16% of digits, docs/benchmarks.md).

    Each split of MNIST is cut in two by index parity, even indices to A, odd ones to B, so no digit is in both
    domains and the training pairs are truly unpaired, while the right translation is known exactly (a benchmark
    maps a translated A back with `transform_to_a` and checks its digit, `test_labels`). Images are resized to
    `image_size` like data=mnist (antialiased bilinear, 28 -> 32) before the transform, which therefore stays exact.
    """

    def __init__(self, root: str, download: bool = True, channels: int = 1, quarter_turns: int = 0, **kwargs) -> None:
        super().__init__(channels=channels, **kwargs)
        self.quarter_turns = quarter_turns
        if self.channels != 1:
            raise ConfigError(f"MNIST images have 1 channel, got data.channels={self.channels}")
        if quarter_turns % 2 and self.height != self.width:
            raise ConfigError(
                f"data.quarter_turns={quarter_turns} turns domain B's {self.height}x{self.width} images on their side, "
                "so the domains would differ in shape: use a square data.image_size or an even quarter_turns"
            )
        self.root = Path(root)
        self.download = download
        self.labels: dict[str, Tensor] = {}

    def load_domains(self) -> dict[str, Sequence[Tensor]]:
        domains = {}
        for split, train in (("train", True), ("test", False)):
            images, labels = resized_split("mnist", self.root, train, self.download, None, self.image_size)
            domains[split + "A"], self.labels[split + "A"] = images[0::2], labels[0::2]
            domains[split + "B"] = transform_to_b(images[1::2], self.quarter_turns)
            self.labels[split + "B"] = labels[1::2]
        return domains

    def test_labels(self, domain: str) -> Tensor:
        """The digit (0-9) of each test image of domain 'a' or 'b', in the order of `test_images(domain)`: B's are
        the digits its images show once mapped back with `transform_to_a`."""
        if domain not in ("a", "b"):
            raise ValueError(f"domain must be 'a' or 'b', got {domain!r}")
        self.setup()
        return self.labels[f"test{domain.upper()}"]
