"""The networks of SRGAN (Ledig et al. 2017, Figure 4): the SRResNet generator and the SRGAN discriminator.

SRResNet: a 9x9 conv (64 channels) and PReLU; `num_blocks` residual blocks (3x3 conv, batch norm, PReLU, 3x3 conv,
batch norm, plus the block's input); a 3x3 conv and batch norm added to the output of the first conv (the long
skip); one upsampling stage per factor 2 of `scale` (3x3 conv to 4 x 64 channels, pixel shuffle by 2, PReLU); a 9x9
conv to the image's channels. It runs on images of any size, so whole test images are upscaled in one pass. The
output is linear (no tanh), in the data's [-1, 1] range by training; scoring rounds and clamps it.

Two options for small budgets, both off in the paper's network: `batch_norm=false` drops the blocks' batch norm
(EDSR, Lim et al. 2017: it costs PSNR and memory in SR), and `bicubic_skip=true` adds the bicubic upscale of the
input to the output, so the network learns only the residual detail (VDSR, Kim et al. 2016) and starts at bicubic
quality instead of from a random image.

SRGAN's discriminator: a 3x3 conv (64) and LeakyReLU 0.2, then seven 3x3 conv, batch norm, LeakyReLU blocks whose
widths go 64, 128, 128, 256, 256, 512, 512 with strides alternating 2 and 1 (starting at 2), a dense layer of 1024,
LeakyReLU, and a dense layer to one logit. The first dense layer reads the flattened features of the training crop
(6x6x512 for the paper's 96x96 crops), so it is sized from `data_shape`.
"""

from torch import Tensor, nn
from torch.nn import functional as F

from gansuite.errors import ConfigError
from gansuite.nets.freeze import freeze_leading_blocks


def norm_or_identity(width: int, batch_norm: bool) -> nn.Module:
    return nn.BatchNorm2d(width) if batch_norm else nn.Identity()


class ResidualBlock(nn.Module):
    def __init__(self, width: int, batch_norm: bool = True) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(width, width, 3, 1, 1),
            norm_or_identity(width, batch_norm),
            nn.PReLU(),
            nn.Conv2d(width, width, 3, 1, 1),
            norm_or_identity(width, batch_norm),
        )

    def forward(self, x: Tensor) -> Tensor:
        return x + self.body(x)


class SRResNet(nn.Module):
    """low-resolution image (C, h, w) -> image (C, scale * h, scale * w); `scale` a power of two."""

    def __init__(
        self,
        channels: int,
        scale: int = 4,
        width: int = 64,
        num_blocks: int = 16,
        batch_norm: bool = True,
        bicubic_skip: bool = False,
    ) -> None:
        super().__init__()
        if scale < 2 or scale & (scale - 1):
            raise ConfigError(f"SRResNet upsamples by powers of two (pixel shuffle by 2), got data.scale={scale}")
        self.scale, self.bicubic_skip = scale, bicubic_skip
        self.head = nn.Sequential(nn.Conv2d(channels, width, 9, 1, 4), nn.PReLU())
        self.blocks = nn.Sequential(
            *(ResidualBlock(width, batch_norm) for _ in range(num_blocks)),
            nn.Conv2d(width, width, 3, 1, 1),
            norm_or_identity(width, batch_norm),
        )
        upsampling: list[nn.Module] = []
        for _ in range(scale.bit_length() - 1):
            upsampling += [nn.Conv2d(width, 4 * width, 3, 1, 1), nn.PixelShuffle(2), nn.PReLU()]
        self.tail = nn.Sequential(*upsampling, nn.Conv2d(width, channels, 9, 1, 4))

        if bicubic_skip:  # the residual starts at zero, so the first output is the bicubic upscale itself
            nn.init.zeros_(self.tail[-1].weight)
            nn.init.zeros_(self.tail[-1].bias)

    def forward(self, x: Tensor) -> Tensor:
        features = self.head(x)
        detail = self.tail(features + self.blocks(features))
        if not self.bicubic_skip:
            return detail
        return detail + F.interpolate(x, scale_factor=self.scale, mode="bicubic", align_corners=False)


class SRGANDiscriminator(nn.Module):
    """high-resolution crop (C, H, W) -> one logit; H and W multiples of 16 (four stride-2 blocks)."""

    WIDTHS = (64, 128, 128, 256, 256, 512, 512)

    def __init__(self, data_shape: tuple[int, ...], width: int = 64, dense: int = 1024, freeze: int = 0) -> None:
        """`freeze`: the first blocks kept as they are (FreezeD, gansuite.nets.freeze)."""
        super().__init__()
        channels, height, side = data_shape
        if height % 16 or side % 16:
            raise ConfigError(
                f"the SRGAN discriminator halves the crop four times: data.crop_size must be a multiple of 16, got "
                f"{height}x{side}"
            )
        layers: list[nn.Module] = [nn.Conv2d(channels, width, 3, 1, 1), nn.LeakyReLU(0.2, True)]
        previous = width
        for index, multiple in enumerate(self.WIDTHS):
            current = multiple * width // 64
            stride = 2 if index % 2 == 0 else 1
            layers += [nn.Conv2d(previous, current, 3, stride, 1), nn.BatchNorm2d(current), nn.LeakyReLU(0.2, True)]
            previous = current
        self.features = nn.Sequential(*layers)
        flat = previous * (height // 16) * (side // 16)
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(flat, dense), nn.LeakyReLU(0.2, True), nn.Linear(dense, 1))
        freeze_leading_blocks(self, freeze)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.features(x)).squeeze(1)
