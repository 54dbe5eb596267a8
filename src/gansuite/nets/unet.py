"""The U-Net generator of pix2pix (Isola et al. 2017), the reference's UnetGenerator (`--netG unet_256`).

An encoder of `num_downs` 4x4 stride-2 convolutions down to 1x1 and a mirrored decoder of 4x4 stride-2 transposed
convolutions; each decoder stage also sees the encoder's output at its resolution (the skips, by concatenation), so
the low-level structure of the input (edges, layout) reaches the output directly. Dropout 0.5 in the three decoder
stages after the innermost one is pix2pix's noise source: it takes no z.

Written as the reference's recursion of blocks, so the skip wiring and the parameter count match it (unet_256 with
batch norm: 54,413,955, which the reference prints as "54.414 M"): block k wraps block k+1 and returns
`cat(x, inner(x))`.

`keep_luma=true` is for colorization: the output takes the luma of the (gray) input, so the network predicts only
the chroma (gansuite.nets.color), as the reference's colorization mode does in Lab space; the output's Y channel is
then the input's exactly and the network cannot lose the gray image's detail.
"""

from torch import Tensor, cat, nn

from gansuite.errors import ConfigError
from gansuite.nets.color import with_luma_of
from gansuite.nets.dcgan import init_dcgan_weights
from gansuite.nets.resnet_generator import reference_norm

MIN_DOWNS = 5  # the outermost block, the innermost one and the three at widths 1-2, 2-4 and 4-8 x ngf


class UnetBlock(nn.Module):
    """Down (LeakyReLU 0.2, conv, norm) -> `inner` -> up (ReLU, transposed conv, norm[, dropout]), concatenated
    with its input. The outermost block has no activation or norm on the way down, a tanh on the way up and no skip;
    the innermost has no norm on the way down (its output is 1x1) and no inner block."""

    def __init__(
        self,
        outer: int,
        inner_width: int,
        inner: nn.Module | None = None,
        in_channels: int | None = None,
        outermost: bool = False,
        norm: str = "batch",
        dropout: bool = False,
    ) -> None:
        super().__init__()
        bias = norm != "batch"  # the reference: no conv bias before a batch norm
        in_channels = outer if in_channels is None else in_channels
        down_conv = nn.Conv2d(in_channels, inner_width, 4, 2, 1, bias=bias)
        up_in = inner_width if inner is None else 2 * inner_width  # the inner block's skip doubles its channels
        self.outermost = outermost
        if outermost:
            down = [down_conv]
            up = [nn.ReLU(True), nn.ConvTranspose2d(up_in, outer, 4, 2, 1), nn.Tanh()]
        else:
            down = [nn.LeakyReLU(0.2, True), down_conv]
            if inner is not None:
                down.append(reference_norm(norm, inner_width))
            up = [nn.ReLU(True), nn.ConvTranspose2d(up_in, outer, 4, 2, 1, bias=bias), reference_norm(norm, outer)]
            if dropout:
                up.append(nn.Dropout(0.5))
        self.net = nn.Sequential(*down, *([inner] if inner is not None else []), *up)

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x) if self.outermost else cat([x, self.net(x)], 1)


class UnetGenerator(nn.Module):
    """image (C, H, W) -> image (C, H, W) in [-1, 1]. `num_downs=None` halves the shorter side down to 1 (8 at
    256x256 as unet_256, 5 at 32x32 and at 32x64, whose innermost map is 1x2); the width doubles from `ngf` per stage
    up to 8 x `ngf`."""

    def __init__(
        self,
        data_shape: tuple[int, ...],
        ngf: int = 64,
        num_downs: int | None = None,
        norm: str = "batch",
        dropout: bool = True,
        in_channels: int | None = None,
        keep_luma: bool = False,
        chroma_scale: int = 1,
    ) -> None:
        """`in_channels`: of the input, when it differs from the output's (`data_shape[0]`); `keep_luma`: the
        output's BT.601 luma is the input's (colorization), its chroma at 1/`chroma_scale` of the resolution."""
        super().__init__()
        if len(data_shape) != 3:
            raise ConfigError(f"the U-Net generator needs images (channels, height, width), got {tuple(data_shape)}")
        channels, height, width = data_shape
        if keep_luma and channels != 3:
            raise ConfigError(f"model.generator.keep_luma=true colorizes: it needs RGB output, got {channels} channels")
        if chroma_scale < 1 or (chroma_scale > 1 and not keep_luma) or height % chroma_scale or width % chroma_scale:
            raise ConfigError(
                f"model.generator.chroma_scale={chroma_scale}: it needs keep_luma=true and must divide the image size "
                f"({height}x{width}); 1 keeps the chroma at full resolution"
            )
        side = min(height, width)
        num_downs = side.bit_length() - 1 if num_downs is None else num_downs
        if num_downs < MIN_DOWNS or height % 2**num_downs or width % 2**num_downs:
            multiple = 2 ** max(num_downs, MIN_DOWNS)
            raise ConfigError(
                f"the U-Net needs at least {MIN_DOWNS} halvings and a height and width divisible by 2**num_downs, got "
                f"{height}x{width} with num_downs={num_downs}: use a power-of-two data.image_size of at least 32, or "
                f"[height,width] with both multiples of {multiple} (e.g. [{multiple},{2 * multiple}])"
            )
        block = UnetBlock(8 * ngf, 8 * ngf, norm=norm)
        for _ in range(num_downs - MIN_DOWNS):
            block = UnetBlock(8 * ngf, 8 * ngf, block, norm=norm, dropout=dropout)
        for multiple in (4, 2, 1):
            block = UnetBlock(multiple * ngf, 2 * multiple * ngf, block, norm=norm)
        self.net = UnetBlock(channels, ngf, block, in_channels or channels, outermost=True, norm=norm)
        self.num_downs, self.keep_luma, self.chroma_scale = num_downs, keep_luma, chroma_scale
        self.size_multiple = 2**num_downs  # the height and width it takes: halved num_downs times
        init_dcgan_weights(self)  # the reference's init_type=normal, gain 0.02 is the same rule

    def forward(self, x: Tensor) -> Tensor:
        output = self.net(x)
        return with_luma_of(output, x, self.chroma_scale) if self.keep_luma else output
