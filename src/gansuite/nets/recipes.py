"""How to rebuild a network without the code that trained it: the import path of its factory and the plain keyword
arguments it was called with. Training modules record one per generator (AdversarialModule.recorded_generator);
checkpoints carry them, and gansuite.artifacts.pretrained rebuilds the generator from the recipe and its weights
alone, with no Hydra composition, no Lightning module, no discriminator.

A recipe holds only str, int, float, bool, None, lists, tuples and dicts, so a checkpoint that carries it still loads
with `torch.load(weights_only=True)`.
"""

import importlib
from collections.abc import Callable, Mapping
from typing import Any

from omegaconf import DictConfig, ListConfig, OmegaConf
from torch import nn

from gansuite.errors import ConfigError

PLAIN = (str, int, float, bool, type(None))


def plain(value: Any, where: str) -> Any:
    """`value` as plain containers; TypeError naming `where` when it holds anything else (a module, a tensor)."""
    if isinstance(value, DictConfig | ListConfig):
        value = OmegaConf.to_container(value, resolve=True)
    if isinstance(value, Mapping):
        return {str(key): plain(item, f"{where}.{key}") for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(plain(item, f"{where}[{index}]") for index, item in enumerate(value))
    if isinstance(value, PLAIN):
        return value
    raise TypeError(f"{where} is a {type(value).__name__}: a network recipe holds plain values only")


def network_recipe(factory: Callable[..., nn.Module], arguments: dict[str, Any]) -> dict[str, Any]:
    """The recipe of `factory(**arguments)`. `factory` is a class or function, or Hydra's partial of one (the
    `_partial_: true` configs of the model's networks), whose bound keywords join `arguments`."""
    function = getattr(factory, "func", factory)
    if getattr(factory, "args", ()):
        raise TypeError(f"{function.__qualname__} is bound to positional arguments: a recipe takes keywords only")
    keywords = {**getattr(factory, "keywords", {}), **arguments}
    return {
        "target": f"{function.__module__}.{function.__qualname__}",
        "arguments": plain(keywords, function.__qualname__),
    }


def build(recipe: Mapping[str, Any]) -> nn.Module:
    """The network of `recipe`, freshly initialized (load its weights next)."""
    module_name, _, name = recipe["target"].rpartition(".")
    try:
        factory = getattr(importlib.import_module(module_name), name)
    except (ImportError, AttributeError) as error:
        raise ConfigError(
            f"the checkpoint's generator is built by {recipe['target']}, which this gansuite does not have: load it "
            "with the gansuite version that trained it"
        ) from error
    return factory(**recipe["arguments"])
