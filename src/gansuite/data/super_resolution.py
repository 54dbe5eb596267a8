"""(low, high) image pairs for super-resolution: the high-resolution image and its bicubic downscale by `scale`, as
SRGAN makes its training inputs ("obtained by applying a Gaussian filter ... followed by downsampling"; every SR
benchmark since uses the bicubic kernel).

Training pairs are random `crop_size` crops of the training images (flipped at random, and with `rotate` turned by
a random multiple of 90 degrees: with the flips, EDSR's eight orientations) and their downscales; the
test pairs are whole test images, cropped to a multiple of `scale` (the benchmarks' "modcrop"), and their
downscales, one pair at a time since test images differ in size. The downscale is PIL's antialiased bicubic, for
training and test alike: on Set5 and Set14 it reproduces the literature's bicubic x4 row within 0.1 dB (Set5) and
0.09 dB (Set14), see ../shared/data/MANIFEST.md and scripts/bench_paired.py.
"""

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch import Tensor
from torch.utils.data import DataLoader, Dataset

from gansuite.data import sources
from gansuite.data.batches import file_loader
from gansuite.data.image_files import list_images
from gansuite.data.images import ImageDataModule, to_model_range
from gansuite.data.unpaired import ImageFileDomain
from gansuite.errors import ConfigError, DataError


def bicubic_resize(image: Tensor, height: int, width: int) -> Tensor:
    """uint8 (C, H, W) resized with PIL's antialiased bicubic filter, as uint8 (C, height, width)."""
    channels = image.shape[0]
    array = image.permute(1, 2, 0).numpy()
    pil = Image.fromarray(array[..., 0] if channels == 1 else array)
    resized = torch.from_numpy(np.asarray(pil.resize((width, height), Image.Resampling.BICUBIC)).copy())
    return resized[None] if channels == 1 else resized.permute(2, 0, 1).contiguous()


def downscale(image: Tensor, scale: int) -> Tensor:
    """The bicubic downscale of a uint8 (C, H, W) image whose sides are multiples of `scale`."""
    return bicubic_resize(image, image.shape[1] // scale, image.shape[2] // scale)


def modcrop(image: Tensor, scale: int) -> Tensor:
    """The top-left crop whose sides are multiples of `scale`."""
    return image[:, : image.shape[1] - image.shape[1] % scale, : image.shape[2] - image.shape[2] % scale]


class RandomCropPairs(Dataset):
    """Item i: a random `crop_size` crop of image i mod N (flipped, and with `rotate` quarter-turned, at random) and
    its downscale; `length` items."""

    def __init__(
        self, images: Sequence[Tensor], crop_size: int, scale: int, flip: bool, length: int, rotate: bool = False
    ) -> None:
        self.images, self.crop_size, self.scale, self.flip, self.length = images, crop_size, scale, flip, length
        self.rotate = rotate

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, index: int) -> tuple[Tensor, Tensor]:
        image = self.images[index % len(self.images)]
        top = int(torch.randint(image.shape[1] - self.crop_size + 1, ()))
        left = int(torch.randint(image.shape[2] - self.crop_size + 1, ()))
        high = image[:, top : top + self.crop_size, left : left + self.crop_size]
        if self.flip and torch.rand(()) < 0.5:
            high = high.flip(-1)
        if self.rotate:
            high = torch.rot90(high, int(torch.randint(4, ())), dims=(-2, -1))
        return downscale(high.contiguous(), self.scale), high.contiguous()


class SuperResolutionData(ImageDataModule):
    """Batches (low, high) in [-1, 1]; subclasses say where the training and test images come from. The model's
    data shape is the high-resolution crop's, (channels, crop_size, crop_size)."""

    #: Marks (low, high) pairs for gansuite.run.validation: super-resolution models train only on these.
    low_resolution_pairs = True

    def __init__(
        self,
        scale: int = 4,
        crop_size: int = 96,
        batch_size: int = 16,
        channels: int = 3,
        flip: bool = True,
        rotate: bool = False,
        crops_per_image: int = 16,
        num_test: int | None = None,
        num_workers: int = 0,
    ) -> None:
        """`rotate`: also turn the training crops by random multiples of 90 degrees (EDSR's augmentation, Lim et al.
        2017; photos have no up, unlike the faces a flip alone suits); `crops_per_image`: training crops per image and
        epoch; `num_test`: the first N test images (None: all)."""
        super().__init__(crop_size, channels, batch_size)
        if scale < 2 or crop_size % scale:
            raise ConfigError(
                f"data.scale={scale} and data.crop_size={crop_size}: the scale must be an integer >= 2 that divides "
                "the crop size (SRGAN: scale 4, crops of 96)"
            )
        self.scale, self.crop_size, self.flip, self.rotate = scale, crop_size, flip, rotate
        self.crops_per_image, self.num_test, self.num_workers = crops_per_image, num_test, num_workers
        self.train_images: Sequence[Tensor] | None = None
        self.test_pair_cache: list[tuple[Tensor, Tensor]] | None = None

    def load_train_images(self) -> Sequence[Tensor]:
        raise NotImplementedError

    def load_test_images(self) -> Sequence[Tensor]:
        raise NotImplementedError

    def setup(self, stage: str | None = None) -> None:
        """Loads the training images, and reads the test images now (each checked to be at least `scale` pixels on
        both sides), so a bad test set stops the run before training rather than at its first evaluation."""
        if self.train_images is None:
            self.train_images = self.load_train_images()
        self.test_pairs()

    def train_dataloader(self) -> DataLoader:
        length = len(self.train_images) * self.crops_per_image
        if self.batch_size > length:
            raise DataError(
                f"data.batch_size={self.batch_size} is larger than the {length} crops of an epoch: lower it, or raise "
                "data.crops_per_image"
            )
        crops = RandomCropPairs(self.train_images, self.crop_size, self.scale, self.flip, length, self.rotate)
        return file_loader(crops, self.batch_size, self.num_workers)

    def test_pairs(self) -> list[tuple[Tensor, Tensor]]:
        """(low, high) uint8 pairs of the test images, high cropped to a multiple of `scale`, in file order."""
        if self.test_pair_cache is None:
            images = self.load_test_images()
            count = len(images) if self.num_test is None else min(self.num_test, len(images))
            highs = [modcrop(images[i], self.scale) for i in range(count)]
            self.test_pair_cache = [(downscale(high, self.scale), high) for high in highs]
        return self.test_pair_cache

    def on_after_batch_transfer(self, batch: Sequence[Tensor], dataloader_idx: int) -> tuple[Tensor, Tensor]:
        low, high = batch
        return to_model_range(low), to_model_range(high)


class LargeEnough(Dataset):
    """Image files, each checked on reading to be at least `side` pixels on both sides; `why` says what needs the
    side and what to change (the training crop, or the scale that a test image is divided by)."""

    def __init__(self, files: list[Path], channels: int, side: int, why: str) -> None:
        self.images, self.files, self.side, self.why = ImageFileDomain(files, channels), files, side, why

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> Tensor:
        image = self.images[index]
        if min(image.shape[1:]) < self.side:
            raise DataError(f"{self.files[index]} is {image.shape[2]}x{image.shape[1]}, smaller than {self.why}")
        return image


class SuperResolutionFolder(SuperResolutionData):
    """Random crops of the images under `path` to train; the images under `test_path` to evaluate:
    `data=sr_folder data.path=DIR data.test_path=DIR data.scale=4`. `in_memory=true` decodes the training images
    once, at setup, instead of for every crop: for a small set (BSD68's 68 photos are 31 MB decoded) it takes the
    PNG decoding, about as costly as a small network's update on a CPU, out of the training loop."""

    def __init__(self, path: str, test_path: str, in_memory: bool = False, **kwargs) -> None:
        super().__init__(**kwargs)
        self.path, self.test_path, self.in_memory = Path(path), Path(test_path), in_memory

    def load_train_images(self) -> Sequence[Tensor]:
        why = f"data.crop_size={self.crop_size}: remove it or lower data.crop_size"
        images = LargeEnough(list_images(self.path), self.channels, self.crop_size, why)
        return [images[index] for index in range(len(images))] if self.in_memory else images

    def load_test_images(self) -> Sequence[Tensor]:
        why = f"the scale, {self.scale} (data.scale): remove it from {self.test_path}"
        return LargeEnough(list_images(self.test_path, "data.test_path"), self.channels, self.scale, why)


class SuperResolutionCifar(SuperResolutionData):
    """CIFAR-10 images as the high-resolution side (32x32 from 8x8 at scale 4): the tiny offline set for tests."""

    def __init__(self, root: str, base_folder: str | None = None, download: bool = True, **kwargs) -> None:
        super().__init__(**kwargs)
        if self.crop_size > 32:
            raise ConfigError(f"data.crop_size={self.crop_size} is larger than CIFAR-10's 32x32 images: use 32 or less")
        self.root, self.base_folder, self.download = Path(root), base_folder, download

    def load_train_images(self) -> Sequence[Tensor]:
        return sources.load_labelled("cifar10", self.root, True, self.download, self.base_folder)[0]

    def load_test_images(self) -> Sequence[Tensor]:
        return sources.load_labelled("cifar10", self.root, False, self.download, self.base_folder)[0]
