"""Whole-batch loading from an in-memory tensor: one index per batch instead of one collate per sample; and the one
loader of the datasets read from files (`file_loader`).

`tensor_loader` serves a host tensor through a DataLoader; `DeviceBatches` serves a tensor that already lives on
the training device, drawing the shuffle there too, so a step costs one gather and no worker, host copy or collate.
Both also serve a tuple of tensors with one row per item (images and their labels): each batch is then the tuple
of the same rows of each.
"""

from collections.abc import Iterator

import torch
from torch import Tensor
from torch.utils.data import DataLoader, Dataset, Sampler

from gansuite.errors import ConfigError

#: One tensor, or a tuple of tensors of equal length whose rows belong together (images, labels).
Rows = Tensor | tuple[Tensor, ...]


def take(data: Rows, indices: Tensor) -> Rows:
    """The rows `indices` of `data` (of each tensor of a tuple)."""
    if isinstance(data, Tensor):
        return data.index_select(0, indices)
    return tuple(tensor.index_select(0, indices) for tensor in data)


def num_rows(data: Rows) -> int:
    return len(data) if isinstance(data, Tensor) else len(data[0])


def _check_batch_size(data: Rows, batch_size: int) -> None:
    if batch_size > num_rows(data):
        raise ConfigError(
            f"data.batch_size={batch_size} is larger than the dataset ({num_rows(data)} items): lower data.batch_size"
        )


class TensorBatches(Dataset):
    """Indexed by a list of row indices; returns those rows as one batch."""

    def __init__(self, data: Rows) -> None:
        self.data = data

    def __len__(self) -> int:
        return num_rows(self.data)

    def __getitem__(self, indices: list[int]) -> Rows:
        return take(self.data, torch.as_tensor(indices))


class ShuffledBatches(Sampler[Tensor]):
    """Full batches of row indices from a permutation drawn from (seed, epoch), not from the global RNG.

    Under DDP, Lightning wraps this sampler and gives each rank every world_size-th batch of the list; the list is
    the same on every rank because the permutation depends on the seed and epoch alone, so the ranks' shards are
    disjoint. Lightning calls `set_epoch` (through its wrapper too), so every epoch has a new order.
    """

    def __init__(self, num_rows: int, batch_size: int, seed: int) -> None:
        self.num_rows, self.batch_size, self.seed = num_rows, batch_size, seed
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return self.num_rows // self.batch_size

    def __iter__(self) -> Iterator[Tensor]:
        order = torch.randperm(self.num_rows, generator=torch.Generator().manual_seed(self.seed + self.epoch))
        return iter(order[: len(self) * self.batch_size].split(self.batch_size))


def tensor_loader(data: Rows, batch_size: int) -> DataLoader:
    """Shuffled full batches of `data` (the last partial batch dropped, so every step sees `batch_size` rows)."""
    _check_batch_size(data, batch_size)
    sampler = ShuffledBatches(num_rows(data), batch_size, seed=torch.initial_seed())  # seed_everything's seed
    return DataLoader(TensorBatches(data), sampler=sampler, batch_size=None)


def file_loader(dataset: Dataset, batch_size: int, num_workers: int) -> DataLoader:
    """Shuffled full batches of a dataset read from files, decoded by `num_workers` worker processes that live
    across epochs (none: decoded in the training process)."""
    return DataLoader(
        dataset,
        batch_size=batch_size,
        shuffle=True,
        drop_last=True,
        num_workers=num_workers,
        persistent_workers=num_workers > 0,
    )


class DeviceBatches:
    """Shuffled full batches of `data` on its own device; each epoch is one permutation, split across ranks.

    The permutation comes from the device's default generator, which `seed_everything` seeds alike on every rank,
    so all ranks draw the same one and each takes its own share, as DistributedSampler does. Indices and gathers
    stay on the device: iterating never synchronises with the host.
    """

    def __init__(self, data: Rows, batch_size: int, rank: int = 0, world_size: int = 1) -> None:
        _check_batch_size(data, batch_size * world_size)
        self.data = data
        self.batch_size = batch_size
        self.rank = rank
        self.world_size = world_size

    def __len__(self) -> int:
        return num_rows(self.data) // self.world_size // self.batch_size

    def __iter__(self) -> Iterator[Rows]:
        first = self.data if isinstance(self.data, Tensor) else self.data[0]
        order = torch.randperm(len(first), device=first.device)
        batches = order[self.rank :: self.world_size][: len(self) * self.batch_size].view(len(self), self.batch_size)
        for indices in batches:
            yield take(self.data, indices)
