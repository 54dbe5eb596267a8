"""2-D Gaussian mixtures, the toy data on which mode collapse is visible (Metz et al. 2017, Gulrajani et al. 2017)."""

import math

import torch
from lightning import LightningDataModule
from torch import Tensor
from torch.utils.data import DataLoader

from gansuite.data.batches import tensor_loader


class GaussianMixture(LightningDataModule):
    """An equal-weight mixture of isotropic Gaussians at `centers`, all with standard deviation `std`.

    A fixed sample of `num_samples` points (drawn with `seed`) is the training set, so an epoch is well defined.
    """

    def __init__(
        self,
        centers: list[list[float]],
        std: float,
        batch_size: int = 256,
        num_samples: int = 65536,
        seed: int = 0,
    ) -> None:
        super().__init__()
        self.centers = torch.as_tensor(centers, dtype=torch.float32)
        if self.centers.dim() != 2 or self.centers.shape[1] != 2:
            raise ValueError(f"data.centers must be a list of [x, y] pairs, got shape {tuple(self.centers.shape)}")
        self.std = std
        self.batch_size = batch_size
        self.num_samples = num_samples
        self.seed = seed
        self.points: Tensor | None = None

    @property
    def shape(self) -> tuple[int, ...]:
        return (2,)

    @property
    def num_modes(self) -> int:
        return len(self.centers)

    def sample(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        """`n` points: a uniformly chosen center plus N(0, std^2) noise."""
        modes = torch.randint(self.num_modes, (n,), generator=generator)
        return self.centers[modes] + self.std * torch.randn(n, 2, generator=generator)

    def setup(self, stage: str | None = None) -> None:
        if self.points is None:
            self.points = self.sample(self.num_samples, torch.Generator().manual_seed(self.seed))

    def train_dataloader(self) -> DataLoader:
        return tensor_loader(self.points, self.batch_size)


def ring(num_modes: int = 8, radius: float = 2.0, std: float = 0.05, **kwargs) -> GaussianMixture:
    """`num_modes` Gaussians evenly spaced on a circle of `radius`."""
    angles = [2 * math.pi * k / num_modes for k in range(num_modes)]
    return GaussianMixture([[radius * math.cos(a), radius * math.sin(a)] for a in angles], std, **kwargs)


def grid(side: int = 5, spacing: float = 2.0, std: float = 0.05, **kwargs) -> GaussianMixture:
    """A `side` x `side` grid of Gaussians `spacing` apart, centred on the origin."""
    offset = spacing * (side - 1) / 2
    coords = [spacing * i - offset for i in range(side)]
    return GaussianMixture([[x, y] for x in coords for y in coords], std, **kwargs)
