"""The ResNet image-to-image generator of CycleGAN (Johnson et al. 2016; Zhu et al. 2017), as in the authors'
pytorch-CycleGAN-and-pix2pix: reflection-padded 7x7 stem, two stride-2 downsamplings, residual blocks at 1/4
resolution, two transposed-conv upsamplings, reflection-padded 7x7 conv to tanh. Instance norm (no affine, no
running statistics), so train and eval mode compute the same thing.
"""

from torch import Tensor, nn

from gansuite.errors import ConfigError
from gansuite.nets.dcgan import init_dcgan_weights

NORMS = ("batch", "instance")


def instance_norm(channels: int) -> nn.Module:
    """The reference's `InstanceNorm2d(affine=False, track_running_stats=False)`."""
    return nn.InstanceNorm2d(channels, affine=False, track_running_stats=False)


def reference_norm(kind: str, channels: int) -> nn.Module:
    """The reference's `--norm batch` (BatchNorm2d, affine, running statistics: pix2pix) or `instance` (CycleGAN)."""
    if kind == "batch":
        return nn.BatchNorm2d(channels)
    if kind == "instance":
        return instance_norm(channels)
    raise ConfigError(f"unknown norm {kind!r}: choose {' or '.join(NORMS)}")


def default_num_blocks(image_size: int) -> int:
    """The reference's choice: resnet_9blocks at 256x256, resnet_6blocks at 128x128 and below."""
    return 9 if image_size >= 256 else 6


class ResnetBlock(nn.Module):
    """x + (reflect pad, 3x3 conv, norm, ReLU, [dropout 0.5], reflect pad, 3x3 conv, norm)(x)."""

    def __init__(self, channels: int, dropout: bool = False) -> None:
        super().__init__()
        layers: list[nn.Module] = [
            nn.ReflectionPad2d(1),
            nn.Conv2d(channels, channels, 3),
            instance_norm(channels),
            nn.ReLU(True),
        ]
        if dropout:
            layers.append(nn.Dropout(0.5))
        layers += [nn.ReflectionPad2d(1), nn.Conv2d(channels, channels, 3), instance_norm(channels)]
        self.block = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        return x + self.block(x)


class ResnetGenerator(nn.Module):
    """image (C, H, W) -> image (C, H, W) in [-1, 1]; H and W must be multiples of 4 (two downsamplings).

    `num_blocks=None` picks 9 blocks at 256x256 and 6 below, like the reference. `ngf` is the stem width (64 in the
    reference); smaller values make cheap test models.
    """

    def __init__(
        self, data_shape: tuple[int, ...], ngf: int = 64, num_blocks: int | None = None, dropout: bool = False
    ) -> None:
        super().__init__()
        if len(data_shape) != 3:
            raise ConfigError(f"the ResNet generator needs images (channels, height, width), got {tuple(data_shape)}")
        channels, height, width = data_shape
        if height % 4 or width % 4 or min(height, width) < 8:
            raise ConfigError(
                f"the ResNet generator needs a height and width that are multiples of 4 and at least 8, got "
                f"{height}x{width}: set data.image_size to e.g. 32, 128 or 256"
            )
        num_blocks = default_num_blocks(min(height, width)) if num_blocks is None else num_blocks
        layers: list[nn.Module] = [
            nn.ReflectionPad2d(3),
            nn.Conv2d(channels, ngf, 7),
            instance_norm(ngf),
            nn.ReLU(True),
        ]
        width_now = ngf
        for _ in range(2):
            layers += [nn.Conv2d(width_now, 2 * width_now, 3, 2, 1), instance_norm(2 * width_now), nn.ReLU(True)]
            width_now *= 2
        layers += [ResnetBlock(width_now, dropout) for _ in range(num_blocks)]
        for _ in range(2):
            layers += [
                nn.ConvTranspose2d(width_now, width_now // 2, 3, 2, 1, output_padding=1),
                instance_norm(width_now // 2),
                nn.ReLU(True),
            ]
            width_now //= 2
        layers += [nn.ReflectionPad2d(3), nn.Conv2d(ngf, channels, 7), nn.Tanh()]
        self.net = nn.Sequential(*layers)
        self.num_blocks = num_blocks
        self.size_multiple = 4  # the height and width it takes: two stride-2 downsamplings
        self.min_size = 8  # and at least 2 pixels at 1/4 resolution, where its blocks reflection-pad by 1
        init_dcgan_weights(self)  # the reference's init_type=normal, gain 0.02 is the same rule

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x)
