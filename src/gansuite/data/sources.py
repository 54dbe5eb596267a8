"""Reading the torchvision datasets as uint8 tensors (N, C, H, W), downloading only when allowed.

A missing dataset offline gets a DataError that names the folder searched and how to point at local copies.
"""

import pickle
from pathlib import Path

import numpy as np
import torch
from torch import Tensor
from torchvision import datasets

from gansuite.errors import DataError

_TORCHVISION = {"mnist": datasets.MNIST, "fashion_mnist": datasets.FashionMNIST, "cifar10": datasets.CIFAR10}
_CHANNELS = {"mnist": 1, "fashion_mnist": 1, "cifar10": 3}
CIFAR10_FOLDER = "cifar-10-batches-py"
#: MNIST, Fashion-MNIST and CIFAR-10 each have ten classes.
NUM_CLASSES = 10


def channels(name: str) -> int:
    if name not in _CHANNELS:
        raise DataError(f"unknown torchvision dataset {name!r}: choose one of {', '.join(_CHANNELS)}")
    return _CHANNELS[name]


def _missing(name: str, root: Path, reason: str) -> DataError:
    return DataError(
        f"{name} not found in {root.resolve()} ({reason}). Put the torchvision files there, or point at local "
        f"copies with paths.data_dir=/path/to/data or GANSUITE_DATA_DIR=/path/to/data"
    )


def _torchvision(name: str, root: Path, train: bool, download: bool):
    """The torchvision dataset, trying the local files first and the download only if they are missing."""
    cls = _TORCHVISION[name]
    try:
        return cls(str(root), train=train, download=False)
    except RuntimeError as error:
        if not download:
            raise _missing(name, root, "data.download=false") from error
    try:
        return cls(str(root), train=train, download=True)
    except Exception as error:  # URLError, HTTPError, socket errors: the message matters, not the type
        reason = str(error).strip().splitlines()[-1] if str(error).strip() else type(error).__name__
        raise _missing(name, root, f"download failed: {reason}") from error


def _read_cifar_batches(folder: Path, train: bool) -> tuple[Tensor, Tensor]:
    """The python-pickle CIFAR-10 batches of `folder` (the full set or a subset in the same format)."""
    files = [f"data_batch_{i}" for i in range(1, 6)] if train else ["test_batch"]
    arrays, labels = [], []
    for name in files:
        with open(folder / name, "rb") as f:
            batch = pickle.load(f, encoding="latin1")
        arrays.append(batch["data"])
        labels += batch["labels"]
    return torch.from_numpy(np.concatenate(arrays).reshape(-1, 3, 32, 32)), torch.tensor(labels)


def load_labelled(
    name: str, root: Path, train: bool, download: bool, base_folder: str | None = None
) -> tuple[Tensor, Tensor]:
    """All images of the split as uint8 (N, C, H, W) and their class indices (N,)."""
    channels(name)
    if name == "cifar10" and base_folder not in (None, CIFAR10_FOLDER):
        folder = root / base_folder
        if not folder.is_dir():
            raise _missing(f"CIFAR-10 folder {base_folder}", root, "no such folder")
        return _read_cifar_batches(folder, train)
    dataset = _torchvision(name, root, train, download)
    labels = torch.as_tensor(dataset.targets)
    if name == "cifar10":  # numpy (N, H, W, C)
        return torch.from_numpy(dataset.data).permute(0, 3, 1, 2).contiguous(), labels
    return dataset.data.unsqueeze(1).contiguous(), labels


def load(name: str, root: Path, train: bool, download: bool, base_folder: str | None = None) -> Tensor:
    """All images of the split as uint8 (N, C, H, W). `base_folder` reads a CIFAR-10 folder of another name."""
    return load_labelled(name, root, train, download, base_folder)[0]
