"""Starting a run from another run's weights: `init_from=<run dir or checkpoint> init_networks=[generator]`.

SRGAN starts from a trained SRResNet (Ledig et al. 2017: "we employed the trained MSE-based SRResNet network as
initialization for the generator when training the actual GAN"), and fine-tuning starts from any trained model
(with FreezeD, `model.discriminator.freeze=k`, for little data). The named networks' weights are copied before
training; the optimizers, the generator-update clock and the schedules start fresh. That is the difference from a
resume (`resume=` / `ckpt_path=`), which continues the old run, clock and all.

Every tensor whose name and shape fit is copied, and what was not (a new class count's embedding, another
resolution's first and last layers) is listed in the run's log: transfer between models that differ is the point
of fine-tuning. A generator is taken from the source's EMA when it kept one (the weights it sampled and was scored
with). A network that shares no tensor with the source is refused in one line.
"""

from pathlib import Path

from torch import Tensor, nn

from gansuite.artifacts.checkpoints import read_checkpoint, state_difference, weights_under
from gansuite.errors import ConfigError
from gansuite.modules.base import AdversarialModule
from gansuite.run.validation import last_checkpoint_of

NETWORK_NAMES = ("generator", "discriminator", "_a", "_b")


def initialize_from(module: AdversarialModule, path: str | Path, networks: list[str]) -> dict[str, list[str]]:
    """Copies into each of `networks` (attribute names of `module`: generator, discriminator, ...) every tensor of
    the checkpoint at `path` that fits it by name and shape; returns, per network, the names of its tensors left as
    initialised (also printed). ConfigError for a network absent on either side, or sharing nothing."""
    ckpt_path = last_checkpoint_of(path)
    if not ckpt_path.is_file():
        raise ConfigError(f"init_from={path}: no checkpoint there: pass a run directory or one of its checkpoints")
    checkpoint = read_checkpoint(ckpt_path)
    state = checkpoint.get("state_dict", {})
    recipes = checkpoint.get("gansuite", {}).get("generators", {})
    left: dict[str, list[str]] = {}
    for name in networks:
        network = getattr(module, name, None)
        if not isinstance(network, nn.Module):
            choices = ", ".join(child for child, _ in module.named_children() if child.endswith(NETWORK_NAMES))
            raise ConfigError(f"init_networks names {name}, which this model does not have: choose from {choices}")
        prefix = recipes.get(name, {}).get("state_prefix", f"{name}.")  # the EMA's weights, when it kept one
        saved = weights_under(state, prefix)
        saved.pop("n_averaged", None)  # the EMA's counter, not a weight
        if not saved:
            raise ConfigError(f"init_from={ckpt_path} holds no {name} weights: drop {name} from init_networks")
        current = network.state_dict()
        named = under_names_of(saved, current)
        fitting = {key: value for key, value in named.items() if value.shape == current[key].shape}
        if not fitting:
            raise ConfigError(
                f"init_from={ckpt_path}: its {name} shares no tensor with this one ({state_difference(saved, current)})"
                f": pass the network sizes of the run that wrote it, or drop {name} from init_networks"
            )
        network.load_state_dict(fitting, strict=False)
        if module.ema_generator is not None and module.ema_of == name:  # the average starts from the copied weights
            module.ema_generator.module.load_state_dict(network.state_dict())
        left[name] = sorted(current.keys() - fitting.keys())
        unused = len(saved) - len(fitting)
        print(describe_transfer(name, ckpt_path, len(fitting), left[name], unused))
    return left


def under_names_of(saved: dict[str, Tensor], current: dict[str, Tensor]) -> dict[str, Tensor]:
    """`saved`'s tensors under the names they have in `current`, where they have one: the same name, or the name with
    a conditional wrapper's `backbone.` prefix added or dropped (an unconditional network fine-tuned into a
    conditional one keeps every layer it shares, and back)."""
    named = {}
    for key, value in saved.items():
        for candidate in (key, f"backbone.{key}", key.removeprefix("backbone.")):
            if candidate in current:
                named[candidate] = value
                break
    return named


def describe_transfer(name: str, source: Path, copied: int, left: list[str], unused: int) -> str:
    """One line per network: how many tensors came from `source`, which stayed as initialised, how many unused."""
    line = f"init_from={source}: {name}: {copied} tensors copied"
    if left:
        shown = ", ".join(left[:6]) + (f" and {len(left) - 6} more" if len(left) > 6 else "")
        line += f"; {len(left)} left as initialised ({shown})"
    return line + (f"; {unused} of the source's not used (no tensor of that name and shape here)" if unused else "")
