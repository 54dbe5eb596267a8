"""Whole-batch loading from an in-memory tensor: one index per batch instead of one collate per sample."""

import torch
from torch import Tensor
from torch.utils.data import BatchSampler, DataLoader, Dataset, RandomSampler

from gansuite.errors import ConfigError


class TensorBatches(Dataset):
    """Indexed by a list of row indices; returns those rows as one batch."""

    def __init__(self, data: Tensor) -> None:
        self.data = data

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, indices: list[int]) -> Tensor:
        return self.data[torch.as_tensor(indices)]


def tensor_loader(data: Tensor, batch_size: int) -> DataLoader:
    """Shuffled full batches of `data` (the last partial batch dropped, so every step sees `batch_size` rows)."""
    if batch_size > len(data):
        raise ConfigError(
            f"data.batch_size={batch_size} is larger than the dataset ({len(data)} items): lower data.batch_size"
        )
    sampler = BatchSampler(RandomSampler(range(len(data))), batch_size, drop_last=True)
    return DataLoader(TensorBatches(data), sampler=sampler, batch_size=None)
