"""Plain nn.Modules sized from the data shape; they know nothing of Lightning.

Every discriminator is `head(features(x))`, so feature matching can read the features without a second pass.
With `num_classes` and a `conditioning` other than none, the builders wrap the network in its class-conditional
form (gansuite.nets.conditional), which takes the labels as a second argument.
"""

from torch import nn

from gansuite.errors import ConfigError
from gansuite.nets import conditional
from gansuite.nets.dcgan import DCGANDiscriminator, DCGANGenerator
from gansuite.nets.freeze import freeze_leading_blocks
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


def check_conditioning(conditioning: str, num_classes: int | None) -> bool:
    """Whether the nets are conditional; a ConfigError for an unknown conditioning or one without labels."""
    if conditioning not in conditional.CONDITIONINGS:
        raise ConfigError(
            f"model.conditioning={conditioning} is unknown: choose one of {', '.join(conditional.CONDITIONINGS)}"
        )
    if conditioning != "none" and not num_classes:
        raise ConfigError(
            f"model.conditioning={conditioning} needs labelled data, but this data has no labels: use a labelled "
            "dataset (data=mnist, fashion_mnist, cifar10) with data.labels=true, or an image folder with one "
            "subfolder per class and data.labels=folders, or set model.conditioning=none"
        )
    return conditioning != "none"


def build_generator(
    arch: str,
    latent_dim: int,
    data_shape: tuple[int, ...],
    spectral_norm: bool = False,
    num_classes: int | None = None,
    conditioning: str = "none",
    label_conditioning: str = "auto",
    **options: dict | None,
) -> nn.Module:
    """The generator of `arch`, with that architecture's keyword arguments from `options` (`mlp`, `conv` or
    `resnet`); `spectral_norm` normalises every conv and linear weight (Miyato et al. 2018).

    Conditional (`conditioning` not none): `label_conditioning` says how the label enters: concat (a class
    embedding of num_classes dims beside z), batch_norm (class-conditional batch norm), or auto: batch_norm under
    projection when the network has batch norm (DCGAN, ResNet), concat otherwise (ACGAN, concat, the MLP).
    """
    kind = _resolve(arch, data_shape)
    if not check_conditioning(conditioning, num_classes):
        net = GENERATORS[kind](latent_dim, data_shape, **_options(kind, options))
        return apply_spectral_norm(net) if spectral_norm else net
    if label_conditioning not in conditional.GENERATOR_CONDITIONINGS:
        raise ConfigError(
            f"model.generator.label_conditioning={label_conditioning} is unknown: choose one of "
            f"{', '.join(conditional.GENERATOR_CONDITIONINGS)}"
        )
    backbone = GENERATORS[kind](latent_dim, data_shape, **_options(kind, options))
    if label_conditioning == "auto":
        wants_norm = conditioning == "projection" and conditional.has_batch_norm(backbone)
        label_conditioning = "batch_norm" if wants_norm else "concat"
    if label_conditioning == "batch_norm":
        if not conditional.has_batch_norm(backbone):
            raise ConfigError(
                f"model.generator.label_conditioning=batch_norm, but the {kind} generator has no batch norm to "
                "condition: use label_conditioning=concat (or auto)"
            )
        net = conditional.ConditionalNormGenerator(backbone, num_classes)
    else:
        backbone = GENERATORS[kind](latent_dim + num_classes, data_shape, **_options(kind, options))
        net = conditional.LabelConcatGenerator(backbone, num_classes, num_classes)
    return apply_spectral_norm(net) if spectral_norm else net


def build_discriminator(
    arch: str,
    data_shape: tuple[int, ...],
    spectral_norm: bool = False,
    num_classes: int | None = None,
    conditioning: str = "none",
    freeze: int = 0,
    **options: dict | None,
) -> nn.Module:
    """The discriminator of `arch`, as build_generator; conditional: projection, acgan or concat (label maps as
    extra input channels). `freeze`: its first blocks kept as they are (FreezeD, gansuite.nets.freeze)."""
    kind = _resolve(arch, data_shape)
    if not check_conditioning(conditioning, num_classes):
        net = DISCRIMINATORS[kind](data_shape, **_options(kind, options))
    else:
        shape = tuple(data_shape)
        if conditioning == "concat":
            shape = (shape[0] + num_classes, *shape[1:])
        backbone = DISCRIMINATORS[kind](shape, **_options(kind, options))
        net = conditional.DISCRIMINATOR_WRAPPERS[conditioning](backbone, num_classes)
    return freeze_leading_blocks(apply_spectral_norm(net) if spectral_norm else net, freeze)
