"""Image datamodules: batches travel as uint8 and become floats in [-1, 1] on the device, after the transfer.

A labelled datamodule (`num_classes` set) yields `(images, labels)` batches, labels as int64 class indices; an
unlabelled one yields the images alone. Conditional models need the labels; the others ignore them.

`data.image_size` is the side of square images (an int) or [height, width] for any other aspect ratio.
"""

from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path

import torch
from lightning import LightningDataModule
from torch import Tensor
from torch.nn import functional as F
from torch.utils.data import DataLoader

from gansuite.data import sources
from gansuite.data.batches import DeviceBatches, tensor_loader
from gansuite.data.subsets import subset_indices
from gansuite.errors import ConfigError

#: `data.on_device=auto` moves a dataset onto a CUDA device when it takes at most this share of the free memory.
AUTO_ON_DEVICE_SHARE = 0.25
#: The most bytes of resized splits `resized_split` keeps for a process.
RESIZED_CACHE_BYTES = 1 << 30
_resized: OrderedDict[tuple, tuple[Tensor, Tensor]] = OrderedDict()


def to_model_range(images: Tensor) -> Tensor:
    """uint8 [0, 255] -> float [-1, 1], the range of the generators' tanh."""
    return images.float().div_(127.5).sub_(1.0)


def random_hflip(images: Tensor) -> Tensor:
    """Each image mirrored left-right with probability 1/2, decided on the images' device (no host round trip)."""
    flip = torch.rand(images.shape[0], 1, 1, 1, device=images.device) < 0.5
    return torch.where(flip, images.flip(-1), images)


def wants_on_device(setting: bool | str, data: Tensor, device: torch.device) -> bool:
    """Resolves `data.on_device`: true/false as given; auto on CUDA when the data fits comfortably, else false."""
    if setting == "auto":
        if device.type != "cuda":
            return False
        free_bytes, _ = torch.cuda.mem_get_info(device)
        return data.nbytes <= AUTO_ON_DEVICE_SHARE * free_bytes
    return bool(setting)


def image_hw(image_size: int | Sequence[int]) -> tuple[int, int]:
    """`data.image_size` as (height, width): an int is the side of square images, [height, width] any other shape;
    a ConfigError for anything else, or a side below 1."""
    sides = [image_size] * 2 if isinstance(image_size, int) else image_size
    if (
        isinstance(sides, str)
        or not isinstance(sides, Sequence)
        or len(sides) != 2
        or not all(isinstance(side, int) and not isinstance(side, bool) and side >= 1 for side in sides)
    ):
        raise ConfigError(
            f"data.image_size must be a side in pixels or [height, width], got {image_size!r}: set e.g. "
            "data.image_size=64 or data.image_size=[32,48]"
        )
    return sides[0], sides[1]


def resize_uint8(images: Tensor, size: int | Sequence[int]) -> Tensor:
    """Resize a uint8 batch (N, C, H, W) to `size` (a side, or (height, width)) with antialiased bilinear filtering,
    rounding back; the aspect ratio is not kept."""
    height, width = image_hw(size)
    if images.shape[-2:] == (height, width):
        return images
    resized = F.interpolate(images.float(), size=(height, width), mode="bilinear", antialias=True, align_corners=False)
    return resized.round_().clamp_(0, 255).to(torch.uint8)


def resized_split(
    name: str, root: Path, train: bool, download: bool, base_folder: str | None, size: int | Sequence[int]
) -> tuple[Tensor, Tensor]:
    """All images of a torchvision dataset's split resized to `size` (`resize_uint8`) and their labels, kept for
    the process: a process that sets the same data up again (a sweep's jobs under Hydra's basic launcher, `evaluate`
    after training, the test suite's hundreds of short runs) reads and resizes it once. Resizing MNIST's 60,000
    images to 32 px takes ~0.5 s on a 2-core CPU, more than a short run's training. The least recently used splits
    are let go past RESIZED_CACHE_BYTES; a larger split is not kept. Callers share the tensors: they never change
    them in place."""
    key = (name, Path(root).resolve(), train, base_folder, image_hw(size))
    if key in _resized:
        _resized.move_to_end(key)
        return _resized[key]
    raw, labels = sources.load_labelled(name, root, train, download, base_folder)
    split = (resize_uint8(raw, size), labels)
    if split[0].nbytes <= RESIZED_CACHE_BYTES:
        _resized[key] = split
        while sum(images.nbytes for images, _ in _resized.values()) > RESIZED_CACHE_BYTES:
            _resized.popitem(last=False)
    return split


class ImageDataModule(LightningDataModule):
    """Shared by every image source: the shape, the classes, and the uint8 -> [-1, 1] conversion on the device.

    A labelled subclass sets `num_classes` and implements `split_labels` (the class of every image of a split, in
    the order of its images), from which `class_frequencies` follows.
    """

    #: How many classes the labels name; None when the data has no labels.
    num_classes: int | None = None

    def __init__(self, image_size: int | Sequence[int], channels: int, batch_size: int) -> None:
        """`image_size`: a side, or [height, width] (`image_hw`)."""
        super().__init__()
        self.height, self.width = image_hw(image_size)
        # The side alone for square images, as before non-square sizes existed: what names them (the metrics' keys).
        self.image_size = self.height if self.height == self.width else (self.height, self.width)
        self.channels = channels
        self.batch_size = batch_size

    @property
    def shape(self) -> tuple[int, ...]:
        return (self.channels, self.height, self.width)

    def split_labels(self, train: bool) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} has no labels")

    def class_frequencies(self) -> Tensor:
        """The share of each class among the training images (float64, sums to 1): generated labels follow it."""
        counts = torch.bincount(self.split_labels(train=True), minlength=self.num_classes).double()
        return counts / counts.sum()

    def on_after_batch_transfer(self, batch: Tensor | tuple[Tensor, Tensor], dataloader_idx: int):
        if isinstance(batch, Tensor):
            return self.prepare_images(batch)
        images, labels = batch
        return self.prepare_images(images), labels

    def prepare_images(self, images: Tensor) -> Tensor:
        """uint8 batch on the device -> what the model trains on; subclasses add their augmentation."""
        return to_model_range(images)


class InMemoryImages(ImageDataModule):
    """A dataset held as one uint8 tensor (and its labels), served in whole batches gathered from it: by a host
    DataLoader (`tensor_loader`), or from a copy on the training device (`DeviceBatches`) as `on_device` says (true,
    false, or auto: on CUDA when it fits). `random_flip` mirrors half the images of each batch, on the device.
    A subclass loads the tensors in `setup` and says in `training_rows` which rows the training batches come from."""

    def __init__(
        self, image_size: int | Sequence[int], channels: int, batch_size: int, on_device: bool | str, random_flip: bool
    ) -> None:
        if on_device not in (True, False, "auto"):
            raise ConfigError(f"data.on_device must be true, false or auto, got {on_device!r}")
        super().__init__(image_size, channels, batch_size)
        self.on_device, self.random_flip = on_device, random_flip
        self.images: Tensor | None = None
        self.labels: Tensor | None = None

    def training_rows(self) -> tuple[Tensor, Tensor | None]:
        """The images and labels the training batches come from (all of them, unless a subclass subsets)."""
        self.setup()
        return self.images, self.labels

    def train_dataloader(self) -> DataLoader | DeviceBatches:
        trainer = self.trainer
        device = trainer.strategy.root_device if trainer is not None else torch.device("cpu")
        images, labels = self.training_rows()
        rows = images if self.num_classes is None else (images, labels)
        if wants_on_device(self.on_device, images, device):
            rank, world_size = (trainer.global_rank, trainer.world_size) if trainer is not None else (0, 1)
            on_device = rows.to(device) if isinstance(rows, Tensor) else tuple(t.to(device) for t in rows)
            return DeviceBatches(on_device, self.batch_size, rank, world_size)
        return tensor_loader(rows, self.batch_size)

    def prepare_images(self, images: Tensor) -> Tensor:
        images = super().prepare_images(images)
        return random_hflip(images) if self.random_flip else images


class TorchvisionImages(InMemoryImages):
    """MNIST, Fashion-MNIST or CIFAR-10, held in memory as one uint8 tensor resized once to `image_size`: these
    images are square, so a non-square [height, width] stretches them (an image folder's `aspect` can crop or pad).

    `labels` yields each image's class with it (the ten classes of each of these datasets). `max_images` or
    `fraction` train on a subset drawn with `subset_seed` (gansuite.data.subsets); the metrics still see the whole
    split. `on_device`, `random_flip`: InMemoryImages.
    """

    def __init__(
        self,
        name: str,
        root: str,
        image_size: int | Sequence[int] = 32,
        batch_size: int = 64,
        train: bool = True,
        download: bool = True,
        base_folder: str | None = None,
        on_device: bool | str = "auto",
        random_flip: bool = False,
        labels: bool = True,
        max_images: int | None = None,
        fraction: float | None = None,
        subset_seed: int = 0,
    ) -> None:
        super().__init__(image_size, sources.channels(name), batch_size, on_device, random_flip)
        self.name = name
        self.root = Path(root)
        self.train = train
        self.download = download
        self.base_folder = base_folder
        self.num_classes = sources.NUM_CLASSES if labels else None
        self.max_images, self.fraction, self.subset_seed = max_images, fraction, subset_seed
        self.subset: Tensor | None = None

    def setup(self, stage: str | None = None) -> None:
        if self.images is None:
            self.images, self.labels = resized_split(
                self.name, self.root, self.train, self.download, self.base_folder, self.image_size
            )
            self.subset = subset_indices(len(self.images), self.max_images, self.fraction, self.subset_seed)
            if self.subset is not None:
                print(
                    f"data: training on {len(self.subset)} of the {len(self.images)} {self.name} images "
                    f"(seeded subset, data.subset_seed={self.subset_seed})",
                    flush=True,
                )

    def split_labels(self, train: bool) -> Tensor:
        """The class of every image of the train or the test split, in the order of `split_images`."""
        if train == self.train:
            self.setup()
            return self.labels
        return resized_split(self.name, self.root, train, self.download, self.base_folder, self.image_size)[1]

    def split_images(self, train: bool) -> Tensor:
        """All images of the train or the test split at `image_size`, whichever split this module trains on."""
        if train == self.train:
            self.setup()
            return self.images
        return resized_split(self.name, self.root, train, self.download, self.base_folder, self.image_size)[0]

    def training_rows(self) -> tuple[Tensor, Tensor]:
        """The images and labels the training batches come from: the subset when one is chosen."""
        self.setup()
        if self.subset is None:
            return self.images, self.labels
        return self.images[self.subset], self.labels[self.subset]
