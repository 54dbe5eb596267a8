"""Reading checkpoints without running code from them, and saying how a checkpoint's weights differ from a network's.

Checkpoints are read with `torch.load(weights_only=True)`: they hold tensors and plain containers only (the stored
config is a resolved dict, the generators' recipes plain values), so a checkpoint file can never run code when
loaded. Pure torch: gansuite.pretrained loads generators through it without Lightning.
"""

from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from gansuite.errors import ConfigError


def read_checkpoint(ckpt_path: str | Path, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """The checkpoint's contents, or a ConfigError when the file is missing, torn or not a torch checkpoint."""
    path = Path(ckpt_path)
    if not path.is_file():
        raise ConfigError(f"checkpoint {path} does not exist: pass ckpt_path=<run dir>/checkpoints/last.ckpt")
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except Exception as error:  # zip errors, unpickling errors, EOF: all mean the file is not a sound checkpoint
        reason = str(error).strip().splitlines()[0].split(". ")[0] if str(error).strip() else type(error).__name__
        raise ConfigError(
            f"cannot read checkpoint {path}, it is truncated or not a checkpoint ({reason}): pass another checkpoint"
        ) from error


def weights_under(state: dict[str, Tensor], prefix: str) -> dict[str, Tensor]:
    """The entries of a state_dict whose keys start with `prefix` (one network's, e.g. "generator."), unprefixed."""
    return {key[len(prefix) :]: value for key, value in state.items() if key.startswith(prefix)}


def state_difference(saved: dict[str, Tensor], current: dict[str, Tensor]) -> str | None:
    """The first difference between a checkpoint's weights `saved` and a network's `current` state (a key on one
    side only, or another shape), in words; None when the checkpoint fits."""
    missing = sorted(current.keys() - saved.keys())
    unexpected = sorted(saved.keys() - current.keys())
    resized = [k for k in current if k in saved and tuple(saved[k].shape) != tuple(current[k].shape)]
    if resized:
        key = resized[0]
        return f"{key} has shape {tuple(saved[key].shape)} there but {tuple(current[key].shape)} here"
    if missing or unexpected:
        return f"{(missing or unexpected)[0]} is {'missing from' if missing else 'only in'} the checkpoint"
    return None
