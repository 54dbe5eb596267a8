"""Fully connected generator and discriminator (Goodfellow et al. 2014; the toy nets of Gulrajani et al. 2017)."""

import math

from torch import Tensor, nn


class MLPGenerator(nn.Module):
    """z -> `depth` ReLU layers of `width` units -> data; tanh output for images in [-1, 1], linear for points."""

    def __init__(self, latent_dim: int, data_shape: tuple[int, ...], width: int = 256, depth: int = 3) -> None:
        super().__init__()
        self.data_shape = tuple(data_shape)
        layers: list[nn.Module] = []
        in_dim = latent_dim
        for _ in range(depth):
            layers += [nn.Linear(in_dim, width), nn.ReLU()]
            in_dim = width
        layers.append(nn.Linear(in_dim, math.prod(self.data_shape)))
        if len(self.data_shape) == 3:
            layers.append(nn.Tanh())
        self.net = nn.Sequential(*layers)

    def forward(self, z: Tensor) -> Tensor:
        return self.net(z).view(z.shape[0], *self.data_shape)


class MLPDiscriminator(nn.Module):
    """data -> `depth` LeakyReLU layers (`features`) -> one logit (`head`)."""

    def __init__(self, data_shape: tuple[int, ...], width: int = 256, depth: int = 3) -> None:
        super().__init__()
        layers: list[nn.Module] = [nn.Flatten()]
        in_dim = math.prod(data_shape)
        for _ in range(depth):
            layers += [nn.Linear(in_dim, width), nn.LeakyReLU(0.2)]
            in_dim = width
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(in_dim, 1)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.features(x)).squeeze(1)
