"""The PatchGAN discriminator of pix2pix and CycleGAN (Isola et al. 2017), the reference's NLayerDiscriminator.

With `num_layers=3` each output logit sees a 70x70 patch of the input, so the output is a map of real/fake logits
(30x30 at 256x256, 2x2 at 32x32); the adversarial losses average over it.
"""

from torch import Tensor, nn

from gansuite.errors import ConfigError
from gansuite.nets.dcgan import init_dcgan_weights
from gansuite.nets.freeze import freeze_leading_blocks
from gansuite.nets.resnet_generator import reference_norm


def receptive_field(num_layers: int) -> int:
    """Side of the input patch one output logit sees: 70 for the default 3 layers (34 for 2, 142 for 4)."""
    field = 4  # the final 4x4 stride-1 conv
    field += 3  # the 4x4 stride-1 conv before it
    for _ in range(num_layers):
        field = 2 * field + 2  # each 4x4 stride-2 conv
    return field


class PatchGANDiscriminator(nn.Module):
    """(4x4 stride-2 conv, norm, LeakyReLU 0.2) x `num_layers` (no norm on the first), 4x4 stride-1 conv, norm,
    LeakyReLU, 4x4 stride-1 conv to one logit per patch. Width doubles per layer, capped at 8 x `ndf`.

    `norm`: "instance" (CycleGAN) or "batch" (pix2pix); as in the reference, the convs before a batch norm have no
    bias (the norm's shift replaces it). pix2pix's discriminator sees the input and the output image concatenated:
    its `data_shape` has the channels of both."""

    def __init__(
        self, data_shape: tuple[int, ...], ndf: int = 64, num_layers: int = 3, norm: str = "instance", freeze: int = 0
    ) -> None:
        """`freeze`: the first blocks kept as they are (FreezeD, gansuite.nets.freeze)."""
        super().__init__()
        if len(data_shape) != 3:
            raise ConfigError(f"the PatchGAN discriminator needs images (channels, height, width), got {data_shape}")
        smallest = 2**num_layers * 3  # the two stride-1 4x4 convs (padding 1) need a 3x3 map to leave 1x1
        if min(data_shape[1:]) < smallest:
            raise ConfigError(
                f"the {num_layers}-layer PatchGAN needs images of at least {smallest}x{smallest}, got "
                f"{data_shape[1]}x{data_shape[2]}: raise data.image_size or lower model.discriminator.num_layers"
            )
        layers: list[nn.Module] = [nn.Conv2d(data_shape[0], ndf, 4, 2, 1), nn.LeakyReLU(0.2, True)]
        width, bias = ndf, norm != "batch"
        for n in range(1, num_layers + 1):
            next_width = ndf * min(2**n, 8)
            stride = 2 if n < num_layers else 1
            conv = nn.Conv2d(width, next_width, 4, stride, 1, bias=bias)
            layers += [conv, reference_norm(norm, next_width), nn.LeakyReLU(0.2, True)]
            width = next_width
        layers.append(nn.Conv2d(width, 1, 4, 1, 1))
        self.net = nn.Sequential(*layers)
        init_dcgan_weights(self)
        freeze_leading_blocks(self, freeze)

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x)
