"""Image datamodules: batches travel as uint8 and become floats in [-1, 1] on the device, after the transfer."""

from pathlib import Path

import torch
from lightning import LightningDataModule
from torch import Tensor
from torch.nn import functional as F
from torch.utils.data import DataLoader

from gansuite.data import sources
from gansuite.data.batches import tensor_loader


def to_model_range(images: Tensor) -> Tensor:
    """uint8 [0, 255] -> float [-1, 1], the range of the generators' tanh."""
    return images.float().div_(127.5).sub_(1.0)


def resize_uint8(images: Tensor, size: int) -> Tensor:
    """Resize a uint8 batch (N, C, H, W) to size x size with antialiased bilinear filtering, rounding back."""
    if images.shape[-1] == size and images.shape[-2] == size:
        return images
    resized = F.interpolate(images.float(), size=(size, size), mode="bilinear", antialias=True, align_corners=False)
    return resized.round_().clamp_(0, 255).to(torch.uint8)


class ImageDataModule(LightningDataModule):
    """Shared by every image source: the shape, and the uint8 -> [-1, 1] conversion on the device."""

    def __init__(self, image_size: int, channels: int, batch_size: int) -> None:
        super().__init__()
        self.image_size = image_size
        self.channels = channels
        self.batch_size = batch_size

    @property
    def shape(self) -> tuple[int, ...]:
        return (self.channels, self.image_size, self.image_size)

    def on_after_batch_transfer(self, batch: Tensor, dataloader_idx: int) -> Tensor:
        return to_model_range(batch)


class TorchvisionImages(ImageDataModule):
    """MNIST, Fashion-MNIST or CIFAR-10, held in memory as one uint8 tensor resized once to `image_size`."""

    def __init__(
        self,
        name: str,
        root: str,
        image_size: int = 32,
        batch_size: int = 64,
        train: bool = True,
        download: bool = True,
        base_folder: str | None = None,
    ) -> None:
        super().__init__(image_size, sources.channels(name), batch_size)
        self.name = name
        self.root = Path(root)
        self.train = train
        self.download = download
        self.base_folder = base_folder
        self.images: Tensor | None = None

    def setup(self, stage: str | None = None) -> None:
        if self.images is None:
            raw = sources.load(self.name, self.root, self.train, self.download, self.base_folder)
            self.images = resize_uint8(raw, self.image_size)

    def split_images(self, train: bool) -> Tensor:
        """All images of the train or the test split at `image_size`, whichever split this module trains on."""
        if train == self.train:
            self.setup()
            return self.images
        return resize_uint8(sources.load(self.name, self.root, train, self.download, self.base_folder), self.image_size)

    def train_dataloader(self) -> DataLoader:
        return tensor_loader(self.images, self.batch_size)
