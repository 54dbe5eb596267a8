"""The SNGAN / WGAN-GP ResNets are sized from the image shape, and spectral norm bounds every weight of any net."""

import pytest
import torch
from torch import nn
from torch.nn.utils import parametrize

from gansuite.errors import ConfigError
from gansuite.nets import build_discriminator, build_generator
from gansuite.nets.resnet import ResNetDiscriminator, ResNetGenerator
from gansuite.nets.spectral import apply_spectral_norm

WIDTH = 16  # small nets keep the tests fast; the wiring is the same at any width
# Spectral norm runs one power iteration per training forward (plus 15 when registered). Its error shrinks like
# (sigma_2 / sigma_1)^(2k), and a random init has close top singular values: 20 forwards leave some weights up to 7%
# off across seeds, 200 leave under 1% (checked on 20 seeds).
POWER_ITERATIONS = 200


@pytest.mark.parametrize("shape", [(1, 32, 32), (3, 32, 32), (1, 64, 64), (3, 64, 64), (3, 16, 16)])
def test_resnet_nets_match_image_shape(shape):
    generator = build_generator("resnet", 8, shape, resnet={"width": WIDTH})
    discriminator = build_discriminator("resnet", shape, resnet={"width": WIDTH})
    images = generator(torch.randn(4, 8))
    assert images.shape == (4, *shape)
    assert images.abs().max() <= 1.0  # tanh output
    assert discriminator(images).shape == (4,)
    assert discriminator.features(images).shape == (4, WIDTH)


def test_resnet_critic_has_no_batch_norm():
    critic = build_discriminator("resnet", (3, 32, 32), resnet={"width": WIDTH})
    assert not any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in critic.modules())


@pytest.mark.parametrize("build", [build_generator, build_discriminator])
def test_resnet_on_points_names_arch(build):
    args = (8, (2,)) if build is build_generator else ((2,),)
    with pytest.raises(ConfigError, match="arch"):
        build("resnet", *args)


def test_resnet_rejects_sides_it_cannot_grow_to():
    with pytest.raises(ConfigError, match="power of two"):
        build_generator("resnet", 8, (3, 32, 20))


def test_gradients_reach_every_resnet_parameter():
    torch.manual_seed(0)
    generator = ResNetGenerator(8, (3, 32, 32), width=WIDTH)
    discriminator = ResNetDiscriminator((3, 32, 32), width=WIDTH)
    scores = discriminator(generator(torch.randn(4, 8)))
    (scores * torch.randn(4)).sum().backward()  # random weights: no symmetry can cancel a gradient
    for net in (generator, discriminator):
        for name, param in net.named_parameters():
            assert param.grad is not None and param.grad.abs().sum() > 0, name


def _generator_params(latent: int, w: int, channels: int, doublings: int) -> int:
    linear = latent * 16 * w + 16 * w  # z -> w x 4 x 4
    block = 2 * (2 * w) + 2 * (9 * w * w + w) + (w * w + w)  # two BNs, two 3x3 convs, 1x1 shortcut
    output = 2 * w + 9 * w * channels + channels  # BN, 3x3 conv to the image channels
    return linear + doublings * block + output


def _discriminator_params_32px(w: int, channels: int) -> int:
    optimized = (9 * channels * w + w) + (9 * w * w + w) + (channels * w + w)  # 3x3, 3x3, 1x1 shortcut
    down = 2 * (9 * w * w + w) + (w * w + w)  # 16 -> 8: two 3x3 convs, 1x1 shortcut
    plain = 2 * (9 * w * w + w)  # at 8x8, identity shortcut
    head = w + 1
    return optimized + down + 2 * plain + head


def test_parameter_count_at_32px_with_default_widths():
    generator = build_generator("resnet", 128, (3, 32, 32))  # width 256, three up blocks 4 -> 32
    discriminator = build_discriminator("resnet", (3, 32, 32))  # width 128
    count = lambda net: sum(p.numel() for p in net.parameters())  # noqa: E731
    assert count(generator) == _generator_params(128, 256, 3, 3) == 4_276_739
    assert count(discriminator) == _discriminator_params_32px(128, 3) == 1_053_825


def _largest_singular_values(net: nn.Module) -> list[float]:
    """Largest singular value of every normalised weight, read in eval mode (no further power iteration)."""
    net.eval()
    sigmas = []
    for layer in net.modules():
        if isinstance(layer, nn.Conv2d | nn.ConvTranspose2d | nn.Linear):
            assert parametrize.is_parametrized(layer, "weight"), layer
            weight = layer.weight.detach()
            if isinstance(layer, nn.ConvTranspose2d):  # (in, out, k, k): the output is dim 1
                weight = weight.transpose(0, 1)
            sigmas.append(torch.linalg.matrix_norm(weight.reshape(weight.shape[0], -1), ord=2).item())
    return sigmas


@pytest.mark.parametrize(
    ("arch", "kwargs"),
    [
        ("mlp", {"mlp": {"width": 32}}),
        ("conv", {"conv": {"width": 8, "norm": "none"}}),
        ("resnet", {"resnet": {"width": WIDTH}}),
    ],
)
def test_spectral_norm_bounds_every_discriminator_weight(arch, kwargs):
    torch.manual_seed(0)
    shape = (2,) if arch == "mlp" else (3, 32, 32)
    discriminator = build_discriminator(arch, shape, spectral_norm=True, **kwargs)
    discriminator.train()
    with torch.no_grad():
        for _ in range(POWER_ITERATIONS):
            discriminator(torch.randn(2, *shape))
    sigmas = _largest_singular_values(discriminator)
    assert sigmas and all(abs(s - 1.0) < 1e-2 for s in sigmas), sigmas


def test_spectral_norm_bounds_transposed_conv_generator():
    torch.manual_seed(0)
    generator = build_generator("conv", 8, (1, 16, 16), conv={"width": 8}, spectral_norm=True)
    assert any(isinstance(m, nn.ConvTranspose2d) for m in generator.modules())
    generator.train()
    with torch.no_grad():
        for _ in range(POWER_ITERATIONS):
            generator(torch.randn(2, 8))
    sigmas = _largest_singular_values(generator)
    assert sigmas and all(abs(s - 1.0) < 1e-2 for s in sigmas), sigmas


def test_apply_spectral_norm_twice_is_harmless():
    net = apply_spectral_norm(apply_spectral_norm(nn.Sequential(nn.Linear(3, 4))))
    assert len(net[0].parametrizations.weight) == 1


def test_spectral_norm_is_off_by_default():
    net = build_discriminator("resnet", (3, 16, 16), resnet={"width": WIDTH})
    assert not any(parametrize.is_parametrized(m) for m in net.modules())
