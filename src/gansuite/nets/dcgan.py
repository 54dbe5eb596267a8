"""DCGAN networks (Radford et al. 2015), sized from the image shape: one stride-2 stage per doubling from 4x4, or
from the rectangular base grid of a non-square image (4x6 for 32x48; gansuite.nets.shapes.base_grid).

`norm` picks the normalisation of the hidden stages: "batch" (DCGAN), "layer" or "none" (a WGAN-GP critic must
not use batch norm, since the penalty is per sample).
"""

from torch import Tensor, nn

from gansuite.errors import ConfigError
from gansuite.nets.shapes import base_grid


def _grid(data_shape: tuple[int, ...]) -> tuple[int, int, int]:
    """The number of stride-2 stages between the base grid and the image size, and the base grid's height and width."""
    points_fix = "use model=gan (MLP) or model=wgan for 2-D points, or an image dataset such as data=mnist"
    return base_grid(data_shape, "the DCGAN conv nets", points_fix)


def _norm(kind: str, channels: int) -> nn.Module:
    if kind == "batch":
        return nn.BatchNorm2d(channels)
    if kind == "layer":
        return nn.GroupNorm(1, channels)
    if kind == "none":
        return nn.Identity()
    raise ConfigError(f"unknown norm {kind!r}: choose batch, layer or none")


def init_dcgan_weights(module: nn.Module) -> None:
    """Radford et al.'s initialisation: conv weights N(0, 0.02), batch-norm scales N(1, 0.02), biases zero."""
    for m in module.modules():
        if isinstance(m, nn.Conv2d | nn.ConvTranspose2d | nn.Linear):
            nn.init.normal_(m.weight, 0.0, 0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)


class DCGANGenerator(nn.Module):
    """z -> base grid feature map (4x4 for square images) -> (transposed conv, norm, ReLU) per doubling -> tanh image.

    The first transposed convolution's kernel is the base grid, which it makes from the 1x1 latent."""

    def __init__(self, latent_dim: int, data_shape: tuple[int, ...], width: int = 64, norm: str = "batch") -> None:
        super().__init__()
        stages, base_height, base_width = _grid(data_shape)
        channels = width * 2 ** (stages - 1)
        layers: list[nn.Module] = [
            nn.Unflatten(1, (latent_dim, 1, 1)),
            nn.ConvTranspose2d(latent_dim, channels, (base_height, base_width), 1, 0, bias=False),
            _norm(norm, channels),
            nn.ReLU(True),
        ]
        for _ in range(stages - 1):
            layers += [
                nn.ConvTranspose2d(channels, channels // 2, 4, 2, 1, bias=False),
                _norm(norm, channels // 2),
                nn.ReLU(True),
            ]
            channels //= 2
        layers += [nn.ConvTranspose2d(channels, data_shape[0], 4, 2, 1), nn.Tanh()]
        self.net = nn.Sequential(*layers)
        init_dcgan_weights(self)

    def forward(self, z: Tensor) -> Tensor:
        return self.net(z)


class DCGANDiscriminator(nn.Module):
    """image -> (conv stride 2, norm, LeakyReLU 0.2) per halving down to the base grid (4x4 for square images;
    `features`) -> one logit (`head`)."""

    def __init__(self, data_shape: tuple[int, ...], width: int = 64, norm: str = "batch") -> None:
        super().__init__()
        stages, base_height, base_width = _grid(data_shape)
        layers: list[nn.Module] = [nn.Conv2d(data_shape[0], width, 4, 2, 1), nn.LeakyReLU(0.2, True)]
        channels = width
        for _ in range(stages - 1):
            layers += [
                nn.Conv2d(channels, channels * 2, 4, 2, 1, bias=norm == "none"),
                _norm(norm, channels * 2),
                nn.LeakyReLU(0.2, True),
            ]
            channels *= 2
        self.features = nn.Sequential(*layers, nn.Flatten())
        self.head = nn.Linear(channels * base_height * base_width, 1)
        init_dcgan_weights(self)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.features(x)).squeeze(1)
