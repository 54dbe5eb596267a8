"""Rebuilding a trained model from a checkpoint alone, through the run config that RunConfig stored in it."""

from pathlib import Path
from typing import Any

import torch
from lightning import LightningModule
from omegaconf import OmegaConf

from gansuite.errors import ConfigError
from gansuite.train import build_model


def load_module(ckpt_path: str | Path, map_location: str | torch.device = "cpu") -> tuple[LightningModule, Any]:
    """The LightningModule of a gansuite checkpoint with its weights loaded, and the run's config."""
    path = Path(ckpt_path)
    if not path.is_file():
        raise ConfigError(f"checkpoint {path} does not exist: pass ckpt_path=<run dir>/checkpoints/last.ckpt")
    checkpoint = torch.load(path, map_location=map_location, weights_only=False)
    if "gansuite" not in checkpoint:
        raise ConfigError(f"{path} is not a gansuite checkpoint (it holds no run config)")
    config = OmegaConf.create(checkpoint["gansuite"]["config"])
    data_shape = tuple(checkpoint["gansuite"]["data_shape"])
    module = build_model(config, data_shape)
    module.load_state_dict(checkpoint["state_dict"])
    return module, config
