"""A torchvision split is read and resized once per process (`gansuite.data.images.resized_split`): a second setup of
the same data gets the same tensors, equal to a fresh resize of the raw split; other sizes and splits are kept apart;
the least recently used splits go past the byte limit, and a split over it is not kept."""

from pathlib import Path

import pytest
import torch

from gansuite.data import images, sources
from gansuite.data.images import TorchvisionImages, resize_uint8, resized_split


def test_a_second_setup_reuses_the_resized_split_of_the_first(data_dir: Path) -> None:
    first, second = (TorchvisionImages("mnist", str(data_dir), image_size=32, download=False) for _ in range(2))
    first.setup(), second.setup()
    assert second.images is first.images and second.labels is first.labels
    raw, labels = sources.load_labelled("mnist", data_dir, True, False)
    assert torch.equal(first.images, resize_uint8(raw, 32)) and torch.equal(first.labels, labels)
    test_split = first.split_images(train=False)
    assert test_split.shape == (10_000, 1, 32, 32) and torch.equal(
        test_split, resize_uint8(sources.load("mnist", data_dir, False, False), 32)
    )
    assert first.split_labels(train=False) is resized_split("mnist", data_dir, False, False, None, 32)[1]
    other_size = resized_split("mnist", data_dir, True, False, None, 16)[0]
    assert other_size.shape == (60_000, 1, 16, 16)


def test_splits_past_the_byte_limit_are_let_go(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mnist_16 = 10_000 * 16 * 16  # bytes of MNIST's test split at 16 px
    monkeypatch.setattr(images, "RESIZED_CACHE_BYTES", mnist_16 * 3 // 2)
    monkeypatch.setattr(images, "_resized", type(images._resized)())
    first = resized_split("mnist", data_dir, False, False, None, 16)[0]
    assert resized_split("mnist", data_dir, False, False, None, 16)[0] is first  # kept
    resized_split("mnist", data_dir, False, False, None, 12)  # 1.56x the 16 px split's bytes in all: the first goes
    assert resized_split("mnist", data_dir, False, False, None, 16)[0] is not first
    large = resized_split("mnist", data_dir, False, False, None, 24)[0]  # over the limit alone: never kept
    assert resized_split("mnist", data_dir, False, False, None, 24)[0] is not large
    assert all(entry.nbytes <= images.RESIZED_CACHE_BYTES for entry, _ in images._resized.values())
