"""ResNet generator and critic of Gulrajani et al. 2017 (WGAN-GP, CIFAR-10) as used by Miyato et al. 2018 (SNGAN).

Sized from the image shape: the generator grows 4x4 to the image side with one up-sampling residual block per
doubling; the critic shrinks the image to 8x8 with an "optimized" first block and down-sampling blocks, then adds
two residual blocks at 8x8 (at 32 px exactly the published 32->16->8->8->8 stack). A non-square image grows from
its rectangular base grid instead (4x6 for 32x48; gansuite.nets.shapes.base_grid) and is shrunk to twice that grid.
The critic has no batch norm: gradient penalties are per sample, and spectral normalisation (`spectral_norm=True` in
`build_discriminator`) is what these nets were designed for.

Initialisation follows the SNGAN reference: Xavier-uniform weights, gain sqrt(2) for the 3x3 convs of residual
branches (they feed ReLUs) and gain 1 for shortcuts, the linear layers and the generator's output conv; biases zero.
"""

import math

from torch import Tensor, nn

from gansuite.nets.shapes import base_grid


def _grid(data_shape: tuple[int, ...]) -> tuple[int, int, int]:
    """The doublings from the base grid (4x4 for square images) to the image, and the grid's height and width."""
    points_fix = "set generator.arch and discriminator.arch to mlp (or auto) for 2-D points"
    return base_grid(data_shape, "the ResNet nets (arch resnet)", points_fix)


def _conv(in_channels: int, out_channels: int, kernel_size: int, gain: float) -> nn.Conv2d:
    conv = nn.Conv2d(in_channels, out_channels, kernel_size, padding=kernel_size // 2)
    nn.init.xavier_uniform_(conv.weight, gain)
    nn.init.zeros_(conv.bias)
    return conv


def _linear(in_features: int, out_features: int) -> nn.Linear:
    linear = nn.Linear(in_features, out_features)
    nn.init.xavier_uniform_(linear.weight)
    nn.init.zeros_(linear.bias)
    return linear


_RESIDUAL_GAIN = math.sqrt(2)


class UpBlock(nn.Module):
    """BN, ReLU, upsample x2, conv3x3, BN, ReLU, conv3x3; shortcut upsample x2, conv1x1 (the shapes differ)."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.residual = nn.Sequential(
            nn.BatchNorm2d(in_channels),
            nn.ReLU(),  # not in place: the shortcut still reads the block's input
            nn.Upsample(scale_factor=2, mode="nearest"),
            _conv(in_channels, out_channels, 3, _RESIDUAL_GAIN),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(True),
            _conv(out_channels, out_channels, 3, _RESIDUAL_GAIN),
        )
        self.shortcut = nn.Sequential(
            nn.Upsample(scale_factor=2, mode="nearest"), _conv(in_channels, out_channels, 1, 1.0)
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.residual(x) + self.shortcut(x)


class DownBlock(nn.Module):
    """ReLU, conv3x3, ReLU, conv3x3, then (if `downsample`) avgpool 2; the shortcut is conv1x1 then avgpool when the
    shape changes, the identity otherwise.

    `optimized` is the critic's first block, which sees the raw image: no ReLU before the first conv (it would cut
    the negative half of the pixel range), and the shortcut pools before its 1x1 conv (cheaper, same function).
    """

    def __init__(self, in_channels: int, out_channels: int, downsample: bool = True, optimized: bool = False) -> None:
        super().__init__()
        pool = [nn.AvgPool2d(2)] if downsample else []
        self.residual = nn.Sequential(
            *([] if optimized else [nn.ReLU()]),  # not in place: the shortcut still reads the block's input
            _conv(in_channels, out_channels, 3, _RESIDUAL_GAIN),
            nn.ReLU(True),
            _conv(out_channels, out_channels, 3, _RESIDUAL_GAIN),
            *pool,
        )
        if optimized:
            self.shortcut = nn.Sequential(*pool, _conv(in_channels, out_channels, 1, 1.0))
        elif downsample or in_channels != out_channels:
            self.shortcut = nn.Sequential(_conv(in_channels, out_channels, 1, 1.0), *pool)
        else:
            self.shortcut = nn.Identity()

    def forward(self, x: Tensor) -> Tensor:
        return self.residual(x) + self.shortcut(x)


class SumPool(nn.Module):
    """Sum over height and width: SNGAN's critic sums, not averages, so the head sees the map's total activation."""

    def forward(self, x: Tensor) -> Tensor:
        return x.sum(dim=(2, 3))


class ResNetGenerator(nn.Module):
    """z -> Linear to `width` maps of the base grid (4x4 for square images) -> one UpBlock per doubling -> BN, ReLU,
    conv3x3 -> tanh image.

    The width stays constant (SNGAN's 32 px generator uses 256 throughout).
    """

    def __init__(self, latent_dim: int, data_shape: tuple[int, ...], width: int = 256) -> None:
        super().__init__()
        doublings, base_height, base_width = _grid(data_shape)
        self.net = nn.Sequential(
            _linear(latent_dim, width * base_height * base_width),
            nn.Unflatten(1, (width, base_height, base_width)),
            *(UpBlock(width, width) for _ in range(doublings)),
            nn.BatchNorm2d(width),
            nn.ReLU(True),
            _conv(width, data_shape[0], 3, 1.0),
            nn.Tanh(),
        )

    def forward(self, z: Tensor) -> Tensor:
        return self.net(z)


class ResNetDiscriminator(nn.Module):
    """image -> optimized down block, down blocks to 8x8 (twice the base grid), two blocks at 8x8, ReLU, spatial sum
    (`features`, shape (N, width)) -> one logit (`head`)."""

    def __init__(self, data_shape: tuple[int, ...], width: int = 128) -> None:
        super().__init__()
        halvings = _grid(data_shape)[0] - 1  # down to twice the base grid: 8x8 for square images
        self.features = nn.Sequential(
            DownBlock(data_shape[0], width, optimized=True),
            *(DownBlock(width, width) for _ in range(halvings - 1)),
            DownBlock(width, width, downsample=False),
            DownBlock(width, width, downsample=False),
            nn.ReLU(),
            SumPool(),
        )
        self.head = _linear(width, 1)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.features(x)).squeeze(1)
