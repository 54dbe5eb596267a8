"""Logger choices: TensorBoard runs log the same scalars; W&B never prompts for a key it does not have."""

import pytest
from gansuite_testing import QUIET, TINY_MLP, TINY_TOY, compose_config
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from gansuite.errors import ConfigError
from gansuite.loggers.wandb_logger import offline_reason
from gansuite.run.train import train


def test_tensorboard_logger_records_losses_metrics_and_gradient_norms(tmp_path):
    overrides = [*TINY_MLP, *TINY_TOY, *QUIET, "logger=tensorboard", "steps=6", "metrics.every_n_updates=3"]
    overrides += ["trainer.log_every_n_steps=3", "callbacks.sample_grid.every_n_updates=100"]
    train(compose_config(overrides, tmp_path))
    events = EventAccumulator(str(tmp_path / "tensorboard")).Reload()
    scalars = set(events.Tags()["scalars"])
    assert {"train/d_loss", "train/g_loss", "val/kl", "grad_norm/generator", "grad_norm/discriminator"} <= scalars


def test_wandb_online_without_a_key_is_a_config_error_not_a_prompt(tmp_path, monkeypatch):
    monkeypatch.delenv("WANDB_API_KEY", raising=False)
    monkeypatch.setenv("NETRC", str(tmp_path / "no-netrc"))
    monkeypatch.setenv("WANDB_MODE", "online")
    with pytest.raises(ConfigError, match="WANDB_MODE=online but no W&B API key"):
        offline_reason()
    monkeypatch.delenv("WANDB_MODE")
    assert offline_reason().startswith("no W&B API key")
    monkeypatch.setenv("WANDB_MODE", "offline")
    assert offline_reason() is None  # W&B follows the user's WANDB_MODE itself
