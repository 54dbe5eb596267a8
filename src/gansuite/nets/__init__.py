"""Plain nn.Modules sized from the data shape; they know nothing of Lightning.

Every discriminator is `head(features(x))`, so feature matching can read the features without a second pass.
"""

from torch import nn

from gansuite.errors import ConfigError
from gansuite.nets.dcgan import DCGANDiscriminator, DCGANGenerator
from gansuite.nets.mlp import MLPDiscriminator, MLPGenerator

ARCHITECTURES = ("mlp", "conv", "auto")


def _resolve(arch: str, data_shape: tuple[int, ...]) -> str:
    """'auto' is conv for images and mlp for points, so one model config serves toy and image data."""
    if arch not in ARCHITECTURES:
        raise ConfigError(f"unknown network architecture {arch!r}: choose one of {', '.join(ARCHITECTURES)}")
    if arch == "auto":
        return "conv" if len(data_shape) == 3 else "mlp"
    return arch


def build_generator(
    arch: str, latent_dim: int, data_shape: tuple[int, ...], mlp: dict | None = None, conv: dict | None = None
) -> nn.Module:
    """The generator of `arch`, with that architecture's keyword arguments (`mlp` or `conv`)."""
    if _resolve(arch, data_shape) == "conv":
        return DCGANGenerator(latent_dim, data_shape, **(conv or {}))
    return MLPGenerator(latent_dim, data_shape, **(mlp or {}))


def build_discriminator(
    arch: str, data_shape: tuple[int, ...], mlp: dict | None = None, conv: dict | None = None
) -> nn.Module:
    """The discriminator of `arch`, with that architecture's keyword arguments (`mlp` or `conv`)."""
    if _resolve(arch, data_shape) == "conv":
        return DCGANDiscriminator(data_shape, **(conv or {}))
    return MLPDiscriminator(data_shape, **(mlp or {}))
