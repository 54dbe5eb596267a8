"""FreezeD (Mo et al. 2020, "Freeze the Discriminator: a Simple Baseline for Fine-Tuning GANs"): when fine-tuning a
GAN on little data, keep the discriminator's first (highest-resolution) blocks as trained and update only the rest,
which the paper finds beats fine-tuning all of it. `model.discriminator.freeze=k` freezes the first k blocks.

A block is one stage of the discriminator in input order: a layer with weights (a convolution, a linear layer, a
residual block) with the normalisation and activation after it; StyleGAN2's first block also holds its fromRGB.
Frozen weights get no gradient, so the optimizer leaves them bit-identical.
"""

from torch import nn

from gansuite.errors import ConfigError, is_integer


def holds_weights(module: nn.Module) -> bool:
    """A layer that starts a block: it (or a layer inside it) has a weight matrix or kernel, not a norm's scale."""
    return any(parameter.dim() >= 2 for parameter in module.parameters())


def discriminator_blocks(discriminator: nn.Module) -> list[list[nn.Module]]:
    """The blocks of `discriminator` in input order (see the module docstring); a conditional wrapper's are its
    backbone's. A network that states its own (`freeze_blocks()`) is taken at its word."""
    network = getattr(discriminator, "backbone", discriminator)
    if hasattr(network, "freeze_blocks"):
        return network.freeze_blocks()
    stages = next((getattr(network, name) for name in ("features", "net") if hasattr(network, name)), None)
    if not isinstance(stages, nn.Sequential):
        raise ConfigError(
            f"model.discriminator.freeze needs a discriminator made of blocks; {type(network).__name__} has none: "
            "drop model.discriminator.freeze"
        )
    blocks: list[list[nn.Module]] = []
    for layer in stages:
        if holds_weights(layer) or not blocks:
            blocks.append([layer])
        else:
            blocks[-1].append(layer)
    return blocks


def freeze_leading_blocks(discriminator: nn.Module, count: int) -> nn.Module:
    """`discriminator` with its first `count` blocks frozen (no gradients); 0 freezes nothing."""
    if not is_integer(count) or count < 0:
        raise ConfigError(f"model.discriminator.freeze must be a number of blocks >= 0 (0: none), got {count!r}")
    if count == 0:
        return discriminator
    blocks = discriminator_blocks(discriminator)
    if count >= len(blocks):
        raise ConfigError(
            f"model.discriminator.freeze={count} would freeze every block of this discriminator, which has "
            f"{len(blocks)}: freeze at most {len(blocks) - 1}"
        )
    for block in blocks[:count]:
        for layer in block:
            layer.requires_grad_(False)
    return discriminator
