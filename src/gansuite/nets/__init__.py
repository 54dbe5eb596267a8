"""Plain nn.Modules sized from the data shape; they know nothing of Lightning.

Every discriminator is `head(features(x))`, so feature matching can read the features without a second pass.
"""

from torch import nn

from gansuite.errors import ConfigError
from gansuite.nets.dcgan import DCGANDiscriminator, DCGANGenerator
from gansuite.nets.mlp import MLPDiscriminator, MLPGenerator
from gansuite.nets.resnet import ResNetDiscriminator, ResNetGenerator
from gansuite.nets.spectral import apply_spectral_norm

ARCHITECTURES = ("mlp", "conv", "resnet", "auto")


def _resolve(arch: str, data_shape: tuple[int, ...]) -> str:
    """'auto' is conv for images and mlp for points, so one model config serves toy and image data."""
    if arch not in ARCHITECTURES:
        raise ConfigError(f"unknown network architecture {arch!r}: choose one of {', '.join(ARCHITECTURES)}")
    if arch == "auto":
        return "conv" if len(data_shape) == 3 else "mlp"
    return arch


GENERATORS = {"mlp": MLPGenerator, "conv": DCGANGenerator, "resnet": ResNetGenerator}
DISCRIMINATORS = {"mlp": MLPDiscriminator, "conv": DCGANDiscriminator, "resnet": ResNetDiscriminator}


def _options(arch: str, options: dict[str, dict | None]) -> dict:
    """The keyword arguments of `arch` among every architecture's (`mlp=`, `conv=`, `resnet=` in the config)."""
    unknown = sorted(options.keys() - GENERATORS.keys())
    if unknown:
        raise ConfigError(f"unknown network option {unknown[0]!r}: the options are {', '.join(GENERATORS)}")
    return options.get(arch) or {}


def build_generator(
    arch: str, latent_dim: int, data_shape: tuple[int, ...], spectral_norm: bool = False, **options: dict | None
) -> nn.Module:
    """The generator of `arch`, with that architecture's keyword arguments from `options` (`mlp`, `conv` or
    `resnet`); `spectral_norm` normalises every conv and linear weight (Miyato et al. 2018)."""
    kind = _resolve(arch, data_shape)
    net = GENERATORS[kind](latent_dim, data_shape, **_options(kind, options))
    return apply_spectral_norm(net) if spectral_norm else net


def build_discriminator(
    arch: str, data_shape: tuple[int, ...], spectral_norm: bool = False, **options: dict | None
) -> nn.Module:
    """The discriminator of `arch`, as build_generator."""
    kind = _resolve(arch, data_shape)
    net = DISCRIMINATORS[kind](data_shape, **_options(kind, options))
    return apply_spectral_norm(net) if spectral_norm else net
