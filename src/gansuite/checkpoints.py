"""Rebuilding a trained model from a checkpoint alone, through the run config that RunConfig stored in it.

Checkpoints are read with `torch.load(weights_only=True)`: they hold tensors and plain containers only (the
stored config is a resolved dict), so a checkpoint file can never run code when loaded.
"""

from pathlib import Path
from typing import Any

import torch
from lightning import LightningModule
from omegaconf import OmegaConf
from torch import nn

from gansuite.errors import ConfigError
from gansuite.train import build_model


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


def check_fits(checkpoint: dict[str, Any], module: nn.Module) -> None:
    """ConfigError when the checkpoint's weights do not fit `module` (another model, net size or data shape),
    naming the first difference and what the checkpoint was trained with, instead of load_state_dict's traceback."""
    saved, current = checkpoint.get("state_dict", {}), module.state_dict()
    missing = sorted(current.keys() - saved.keys())
    unexpected = sorted(saved.keys() - current.keys())
    resized = [k for k in current if k in saved and tuple(saved[k].shape) != tuple(current[k].shape)]
    if not (missing or unexpected or resized):
        return
    if resized:
        key = resized[0]
        difference = f"{key} has shape {tuple(saved[key].shape)} there but {tuple(current[key].shape)} here"
    else:
        difference = f"{(missing or unexpected)[0]} is {'missing from' if missing else 'only in'} the checkpoint"
    run = checkpoint.get("gansuite")
    origin = ""
    if run is not None:
        model = run["config"].get("model", {})
        origin = f"; it was trained with model {model.get('_target_')} on data of shape {tuple(run['data_shape'])}"
    raise ConfigError(
        f"the checkpoint does not fit this model ({difference}){origin}: pass the model and data options of the "
        "run that wrote it, or drop ckpt_path to start fresh"
    )


def load_module(ckpt_path: str | Path, map_location: str | torch.device = "cpu") -> tuple[LightningModule, Any]:
    """The LightningModule of a gansuite checkpoint with its weights loaded, and the run's config."""
    checkpoint = read_checkpoint(ckpt_path, map_location)
    if "gansuite" not in checkpoint:
        raise ConfigError(f"{ckpt_path} is not a gansuite checkpoint (it holds no run config)")
    config = OmegaConf.create(checkpoint["gansuite"]["config"])
    data_shape = tuple(checkpoint["gansuite"]["data_shape"])
    module = build_model(config, data_shape)
    check_fits(checkpoint, module)
    module.load_state_dict(checkpoint["state_dict"])
    return module, config
