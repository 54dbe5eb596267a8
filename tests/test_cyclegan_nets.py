"""The ResNet generator and PatchGAN discriminator against the reference's shapes, sizes and receptive field."""

import pytest
import torch
from torch import nn

from gansuite.errors import ConfigError
from gansuite.nets.patchgan import PatchGANDiscriminator, receptive_field
from gansuite.nets.resnet_generator import ResnetGenerator


@pytest.mark.parametrize(("size", "blocks", "patches"), [(32, 6, 2), (64, 6, 6), (128, 6, 14), (256, 9, 30)])
def test_shapes_at_each_size(size: int, blocks: int, patches: int) -> None:
    shape = (3, size, size)
    generator = ResnetGenerator(shape, ngf=4)
    discriminator = PatchGANDiscriminator(shape, ndf=4)
    x = torch.rand(1, *shape) * 2 - 1
    with torch.no_grad():
        y = generator(x)
        logits = discriminator(y)
    assert generator.num_blocks == blocks  # the reference: 9 blocks at 256, 6 at 128 and below
    assert y.shape == x.shape
    assert y.abs().max() <= 1.0
    assert logits.shape == (1, 1, patches, patches)


def test_full_size_parameter_counts_match_the_reference() -> None:
    """pytorch-CycleGAN-and-pix2pix prints 11.378 M for resnet_9blocks G and 2.765 M for the basic D (ngf=ndf=64)."""
    shape = (3, 256, 256)
    generator_params = sum(p.numel() for p in ResnetGenerator(shape).parameters())
    discriminator_params = sum(p.numel() for p in PatchGANDiscriminator(shape).parameters())
    assert round(generator_params / 1e6, 3) == 11.378
    assert round(discriminator_params / 1e6, 3) == 2.765


def test_each_logit_sees_a_70x70_patch() -> None:
    """The convolutions' receptive field; instance norm's statistics (whole-image means) left out by design."""
    assert receptive_field(3) == 70
    discriminator = PatchGANDiscriminator((3, 256, 256), ndf=4)
    for index, layer in enumerate(discriminator.net):
        if isinstance(layer, nn.InstanceNorm2d):
            discriminator.net[index] = nn.Identity()
    x = torch.randn(1, 3, 256, 256, dtype=torch.float64, requires_grad=True)
    discriminator.double()(x)[0, 0, 15, 15].backward()
    rows = x.grad.abs().sum(dim=(0, 1, 3)).nonzero()
    cols = x.grad.abs().sum(dim=(0, 1, 2)).nonzero()
    assert int(rows.max() - rows.min()) + 1 == 70
    assert int(cols.max() - cols.min()) + 1 == 70


def test_sizes_the_nets_cannot_take_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="multiples of 4"):
        ResnetGenerator((3, 30, 30))
    with pytest.raises(ConfigError, match="at least 24x24"):
        PatchGANDiscriminator((3, 16, 16))
    with pytest.raises(ConfigError, match="needs images"):
        ResnetGenerator((2,))
