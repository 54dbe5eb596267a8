"""Building a model from its config, and rebuilding a trained one from a checkpoint alone (through the run config
that RunConfig stored in it). Checkpoints are read with `torch.load(weights_only=True)`: see checkpoint_io."""

from pathlib import Path
from typing import Any

import torch
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf

from gansuite.artifacts.checkpoints import check_fits, read_checkpoint
from gansuite.errors import ConfigError
from gansuite.modules.base import AdversarialModule


def build_model(cfg: DictConfig, data_shape: tuple[int, ...], num_classes: int | None = None) -> AdversarialModule:
    """The model of `cfg` (networks sized from `data_shape`, told the data's `num_classes`) with its loss, both
    players' regularizers and discriminator augmentation: the one place they are wired."""
    augment = cfg.get("augment")
    return instantiate(
        cfg.model,
        loss=instantiate(cfg.loss),
        regularizers=instantiate(cfg.get("regularizers") or {}),
        generator_regularizers=instantiate(cfg.get("generator_regularizers") or {}),
        augment=instantiate(augment) if augment else None,
        data_shape=data_shape,
        num_classes=num_classes,
    )


def load_module(ckpt_path: str | Path, map_location: str | torch.device = "cpu") -> tuple[AdversarialModule, Any]:
    """The model of a gansuite checkpoint with its weights loaded, and the run's config."""
    checkpoint = read_checkpoint(ckpt_path, map_location)
    if "gansuite" not in checkpoint:
        raise ConfigError(f"{ckpt_path} is not a gansuite checkpoint (it holds no run config)")
    config = OmegaConf.create(checkpoint["gansuite"]["config"])
    data_shape = tuple(checkpoint["gansuite"]["data_shape"])
    module = build_model(config, data_shape, checkpoint["gansuite"].get("num_classes"))
    check_fits(checkpoint, module)
    module.load_state_dict(checkpoint["state_dict"])
    return module, config
