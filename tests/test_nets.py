"""Networks are sized from the data shape and reject shapes they cannot build."""

import pytest
import torch

from gansuite.errors import ConfigError
from gansuite.nets import build_discriminator, build_generator


@pytest.mark.parametrize("shape", [(1, 32, 32), (3, 32, 32), (3, 64, 64), (3, 16, 16)])
def test_conv_nets_match_image_shape(shape):
    generator = build_generator("conv", 16, shape, conv={"width": 8})
    discriminator = build_discriminator("conv", shape, conv={"width": 8, "norm": "none"})
    images = generator(torch.randn(4, 16))
    assert images.shape == (4, *shape)
    assert images.abs().max() <= 1.0  # tanh output
    assert discriminator(images).shape == (4,)
    assert discriminator.features(images).shape[0] == 4


def test_critic_without_batch_norm_has_no_batch_norm():
    critic = build_discriminator("conv", (3, 32, 32), conv={"norm": "none"})
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in critic.modules())


@pytest.mark.parametrize("shape", [(2,), (1, 32, 32)])
def test_mlp_nets_match_shape(shape):
    generator = build_generator("mlp", 8, shape, mlp={"width": 16, "depth": 2})
    assert generator(torch.randn(5, 8)).shape == (5, *shape)
    assert build_discriminator("mlp", shape, mlp={"width": 16})(torch.randn(5, *shape)).shape == (5,)


def test_auto_picks_conv_for_images_and_mlp_for_points():
    assert type(build_generator("auto", 8, (2,))).__name__ == "MLPGenerator"
    assert type(build_generator("auto", 8, (1, 32, 32))).__name__ == "DCGANGenerator"


@pytest.mark.parametrize(
    ("shape", "fragment"), [((2,), "need image data"), ((3, 28, 28), "power of two"), ((3, 32, 44), "multiple of 8")]
)
def test_conv_nets_reject_shapes_they_cannot_build(shape, fragment):
    with pytest.raises(ConfigError, match=fragment):
        build_generator("conv", 8, shape)


def test_unknown_architecture_is_named():
    with pytest.raises(ConfigError, match="unknown network architecture 'vgg'"):
        build_generator("vgg", 8, (2,))
