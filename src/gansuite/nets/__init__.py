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


def build_generator(
    arch: str,
    latent_dim: int,
    data_shape: tuple[int, ...],
    mlp: dict | None = None,
    conv: dict | None = None,
    resnet: dict | None = None,
    spectral_norm: bool = False,
) -> nn.Module:
    """The generator of `arch`, with that architecture's keyword arguments (`mlp`, `conv` or `resnet`);
    `spectral_norm` normalises every conv and linear weight (Miyato et al. 2018)."""
    resolved = _resolve(arch, data_shape)
    if resolved == "resnet":
        net: nn.Module = ResNetGenerator(latent_dim, data_shape, **(resnet or {}))
    elif resolved == "conv":
        net = DCGANGenerator(latent_dim, data_shape, **(conv or {}))
    else:
        net = MLPGenerator(latent_dim, data_shape, **(mlp or {}))
    return apply_spectral_norm(net) if spectral_norm else net


def build_discriminator(
    arch: str,
    data_shape: tuple[int, ...],
    mlp: dict | None = None,
    conv: dict | None = None,
    resnet: dict | None = None,
    spectral_norm: bool = False,
) -> nn.Module:
    """The discriminator of `arch`, with that architecture's keyword arguments (`mlp`, `conv` or `resnet`);
    `spectral_norm` normalises every conv and linear weight (Miyato et al. 2018)."""
    resolved = _resolve(arch, data_shape)
    if resolved == "resnet":
        net: nn.Module = ResNetDiscriminator(data_shape, **(resnet or {}))
    elif resolved == "conv":
        net = DCGANDiscriminator(data_shape, **(conv or {}))
    else:
        net = MLPDiscriminator(data_shape, **(mlp or {}))
    return apply_spectral_norm(net) if spectral_norm else net
