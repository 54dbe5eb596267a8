"""Starting a run from another run's weights: `init_from=<run dir or checkpoint> init_networks=[generator]`.

SRGAN starts from a trained SRResNet (Ledig et al. 2017: "we employed the trained MSE-based SRResNet network as
initialization for the generator when training the actual GAN"), and fine-tuning starts from any trained model. The
named networks' weights are copied before training; the optimizers, the generator-update clock and the schedules start
fresh. That is the difference from a resume (`resume=` / `ckpt_path=`), which continues the old run, clock and all.
"""

from pathlib import Path

from torch import nn

from gansuite.artifacts.checkpoints import read_checkpoint, state_difference, weights_under
from gansuite.errors import ConfigError
from gansuite.modules.base import AdversarialModule
from gansuite.run.validation import last_checkpoint_of

NETWORK_NAMES = ("generator", "discriminator", "_a", "_b")


def initialize_from(module: AdversarialModule, path: str | Path, networks: list[str]) -> None:
    """Copies the weights of each of `networks` (attribute names of `module`: generator, discriminator, ...) from
    the checkpoint at `path`; ConfigError naming the first network that is absent on either side or does not fit."""
    ckpt_path = last_checkpoint_of(path)
    if not ckpt_path.is_file():
        raise ConfigError(f"init_from={path}: no checkpoint there: pass a run directory or one of its checkpoints")
    state = read_checkpoint(ckpt_path).get("state_dict", {})
    for name in networks:
        network = getattr(module, name, None)
        if not isinstance(network, nn.Module):
            choices = ", ".join(child for child, _ in module.named_children() if child.endswith(NETWORK_NAMES))
            raise ConfigError(f"init_networks names {name}, which this model does not have: choose from {choices}")
        saved = weights_under(state, f"{name}.")
        if not saved:
            raise ConfigError(f"init_from={ckpt_path} holds no {name} weights: drop {name} from init_networks")
        difference = state_difference(saved, network.state_dict())
        if difference is not None:
            raise ConfigError(
                f"init_from={ckpt_path}: its {name} does not fit this one ({difference}): pass the network sizes of "
                "the run that wrote it"
            )
        network.load_state_dict(saved)
        if module.ema_generator is not None and module.ema_of == name:  # the average starts from the copied weights
            module.ema_generator.module.load_state_dict(saved)
