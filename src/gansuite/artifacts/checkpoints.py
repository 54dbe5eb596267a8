"""Reading checkpoints without running code from them (in today's names, whichever version wrote them), and saying
how a checkpoint's weights differ from a network's.

Checkpoints are read with `torch.load(weights_only=True)`: they hold tensors and plain containers only (the stored
config is a resolved dict, the generators' recipes plain values), so a checkpoint file can never run code when
loaded. Pure torch: gansuite.artifacts.pretrained loads generators through it without Lightning.
"""

from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from gansuite.errors import ConfigError


def read_checkpoint(ckpt_path: str | Path, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """The checkpoint's contents, or a ConfigError when the file is missing, torn or not a torch checkpoint."""
    path = Path(ckpt_path)
    if not path.is_file():
        raise ConfigError(f"checkpoint {path} does not exist: pass ckpt_path=<run dir>/checkpoints/last.ckpt")
    check_device(map_location)
    try:
        checkpoint = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as error:  # zip errors, unpickling errors, EOF: all mean the file is not a sound checkpoint
        reason = str(error).strip().splitlines()[0].split(". ")[0] if str(error).strip() else type(error).__name__
        raise ConfigError(
            f"cannot read checkpoint {path}, it is truncated or not a checkpoint ({reason}): pass another checkpoint"
        ) from error
    return upgrade_checkpoint(checkpoint) if isinstance(checkpoint, dict) else checkpoint


def check_device(device: Any) -> None:
    """`device` (the scripts' device=, gansuite.load's map_location) names a device torch has here; else a
    ConfigError, where torch.load's own failure would read as a torn checkpoint. torch.load's other map_location
    forms (a dict, a function) are left to it."""
    if not isinstance(device, str | torch.device):
        return
    try:
        device = torch.device(device)
    except (RuntimeError, TypeError):
        raise ConfigError(f"device={device} is not a torch device: use cpu, cuda or cuda:<index>") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError(
            f"device={device} but torch sees no CUDA GPU here (torch.cuda.is_available() is False): use device=cpu"
        )
    if device.type == "cuda" and device.index is not None and device.index >= torch.cuda.device_count():
        raise ConfigError(
            f"device={device} but torch sees {torch.cuda.device_count()} CUDA GPU(s) here: use an index below that"
        )


#: The modules a stored run config names (the objective's `_target_`s, the trainer's checkpoint_io plugin) that moved
#: into a subpackage (2026-12): old dotted name -> new.
MOVED = {
    **{name: f"objective.{name}" for name in ("losses", "regularizers", "augment", "schedules")},
    "checkpoint_io": "artifacts.checkpoint_io",
}
#: StyleGAN2's `model.pl_*` keys, before the path-length penalty became a generator regularizer (2026-12).
PATH_LENGTH_KEYS = {"pl_weight": "weight", "pl_every": "every", "pl_decay": "decay", "pl_batch_shrink": "batch_shrink"}


def upgrade_checkpoint(checkpoint: dict[str, Any]) -> dict[str, Any]:
    """`checkpoint` in today's names, changed in place: what an earlier gansuite wrote loads, resumes and samples
    (tests/test_checkpoint_upgrade.py keeps such a checkpoint). The `_target_`s of its run config follow the modules
    that moved into gansuite.objective and gansuite.artifacts; StyleGAN2's path-length settings `model.pl_*` move to
    `generator_regularizers.path_length` and its running mean `pl_mean` to that regularizer's buffer (with pl_weight
    0, off, neither remains)."""
    state = checkpoint.get("state_dict", {})
    config = checkpoint.get("gansuite", {}).get("config", {})
    follow_moved_modules(config)
    model = config.get("model", {})
    if "pl_mean" not in state and "pl_weight" not in model:
        return checkpoint
    settings = {new: model.pop(old) for old, new in PATH_LENGTH_KEYS.items() if old in model}
    mean = state.pop("pl_mean", None)
    if settings.get("weight", 1.0) == 0:
        return checkpoint
    if config:
        config["generator_regularizers"] = {
            "path_length": {"_target_": "gansuite.objective.regularizers.PathLength", **settings}
        }
    if mean is not None:
        state["generator_regularizers.path_length.mean"] = mean
    return checkpoint


MOVED_MODULES = {f"gansuite.{old}.": f"gansuite.{new}." for old, new in MOVED.items()}


def follow_moved_modules(node: Any) -> None:
    """Every `_target_` (and other string) under `node` that names a moved module, renamed in place."""
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, value in list(items):
        if isinstance(value, str):
            old = next((prefix for prefix in MOVED_MODULES if value.startswith(prefix)), None)
            if old is not None:
                node[key] = MOVED_MODULES[old] + value[len(old) :]
        else:
            follow_moved_modules(value)


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


def check_fits(checkpoint: dict[str, Any], module: nn.Module) -> None:
    """ConfigError when the checkpoint's weights do not fit `module` (another model, net size or data shape),
    naming the first difference and what the checkpoint was trained with, instead of load_state_dict's traceback."""
    difference = state_difference(checkpoint.get("state_dict", {}), module.state_dict())
    if difference is None:
        return
    run = checkpoint.get("gansuite")
    origin = ""
    if run is not None:
        chosen = run.get("choices", {})
        named = " ".join(f"{group}={chosen[group]}" for group in ("experiment", "model", "data") if group in chosen)
        model = named or f"model {run['config'].get('model', {}).get('_target_')}"  # runs composed without Hydra's app
        origin = f"; it was trained with {model} on data of shape {tuple(run['data_shape'])}"
    raise ConfigError(
        f"the checkpoint does not fit this model ({difference}){origin}: pass the model and data options of the "
        "run that wrote it, or drop ckpt_path to start fresh"
    )
