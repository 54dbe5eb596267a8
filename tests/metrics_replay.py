"""A stand-in generator for metric tests: it replays given uint8 images, so the images scored are known exactly."""

import torch
from torch import nn

from gansuite.data.images import to_model_range


class Replay(nn.Module):
    """What ImageMetrics samples from (generator, latent_dim, device); returns the images batch after batch in the
    generator's [-1, 1] range, which ImageMetrics rounds back to the same uint8 values."""

    def __init__(self, images: torch.Tensor) -> None:
        super().__init__()
        self.images, self.position = images, 0
        self.latent_dim, self.device = 1, torch.device("cpu")

    @property
    def generator(self) -> nn.Module:
        return self

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        batch = self.images[self.position : self.position + len(z)]
        self.position += len(z)
        return to_model_range(batch)
