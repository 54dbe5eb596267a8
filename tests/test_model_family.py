"""A new model family is a subclass of the adversarial base and a config: this file adds one and trains it through
train() with the real callbacks (periodic checkpoints, divergence guard, SIGTERM save, sample plots, metrics)."""

import json
import os
import signal
from pathlib import Path

import pytest
import torch
from gansuite_testing import QUIET, TINY_TOY, compose_config
from lightning import Callback
from lightning.pytorch.utilities.exceptions import SIGTERMException
from omegaconf import OmegaConf, open_dict
from torch import Tensor, nn

from gansuite.errors import DivergenceError
from gansuite.modules.base import AdversarialModule
from gansuite.modules.loading import load_module
from gansuite.run.train import train


class PointFamily(AdversarialModule):
    """The smallest family: linear generator and critic on 2-D points, one D step then one G step per batch."""

    optimizer_steps_per_generator_update = 2

    def __init__(self, latent_dim: int = 4, poison_at_update: int | None = None, **base) -> None:
        super().__init__(**base)
        data_shape = self.data_shape
        self.latent_dim, self.poison_at_update = latent_dim, poison_at_update
        self.generator = nn.Linear(latent_dim, data_shape[0])
        self.discriminator = nn.Linear(data_shape[0], 1)

    def training_step(self, real: Tensor, batch_idx: int) -> dict[str, Tensor]:
        opt_d, opt_g = self.optimizers()
        fake = self.generator(self.sample_noise(len(real)))
        d_loss = self.loss.discriminator_loss(self.discriminator(real), self.discriminator(fake.detach()))
        opt_d.zero_grad()
        self.manual_backward(d_loss)
        opt_d.step()
        g_loss = self.loss.generator_loss(self.discriminator(fake))
        if self.generator_updates + 1 == self.poison_at_update:
            g_loss = g_loss * float("nan")
        opt_g.zero_grad()
        self.manual_backward(g_loss)
        opt_g.step()
        self.end_batch({"train/d_loss": d_loss, "train/g_loss": g_loss})
        return {"d_loss": d_loss.detach(), "g_loss": g_loss.detach()}

    def configure_optimizers(self) -> list[torch.optim.Optimizer]:
        return [
            self.build_optimizer(self.optimizer_d, self.discriminator),
            self.build_optimizer(self.optimizer_g, self.generator),
        ]


def family_config(tmp_path: Path, *overrides: str, **model: object):
    cfg = compose_config(
        [
            "logger=csv",
            *TINY_TOY,
            "metrics.every_n_updates=4",
            "callbacks.model_checkpoint.every_n_updates=4",
            "callbacks.sample_grid.every_n_updates=4",
            *QUIET,
            *overrides,
        ],
        tmp_path,
    )
    with open_dict(cfg):
        base = OmegaConf.to_container(cfg.model)
        optimizers = {name: base[name] for name in ("optimizer_g", "optimizer_d")}
        cfg.model = {"_target_": f"{__name__}.PointFamily", **optimizers, **model}
    return cfg


def test_a_subclass_and_a_config_train_with_checkpoints_plots_and_metrics(tmp_path: Path) -> None:
    final_kl = train(family_config(tmp_path, "steps=8"))
    checkpoints = sorted(p.name for p in (tmp_path / "checkpoints").iterdir())
    assert checkpoints == ["gen_step_000004.ckpt", "gen_step_000008.ckpt", "last.ckpt"]
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["generator_updates"] == 8 and metrics["val/kl"] == final_kl
    assert sorted(p.name for p in (tmp_path / "samples").iterdir()) == ["gen_step_000004.png", "gen_step_000008.png"]
    assert (tmp_path / "real_vs_generated.png").is_file()
    module, _ = load_module(tmp_path / "checkpoints" / "last.ckpt")
    assert isinstance(module, PointFamily) and module.sample(5).shape == (5, 2)


def test_the_divergence_guard_stops_a_new_family_before_it_saves_nans(tmp_path: Path) -> None:
    with pytest.raises(DivergenceError, match="g_loss became NaN or Inf at generator update 6"):
        train(family_config(tmp_path, "steps=8", "trainer.log_every_n_steps=1", poison_at_update=6))
    assert sorted(p.name for p in (tmp_path / "checkpoints").iterdir()) == ["gen_step_000004.ckpt", "last.ckpt"]


class TermAt(Callback):
    """Sends this process SIGTERM after the given generator update, as SLURM would."""

    def __init__(self, update: int) -> None:
        self.update = update

    def on_train_batch_end(self, trainer, pl_module, *args) -> None:
        if pl_module.completed_generator_update == self.update:
            os.kill(os.getpid(), signal.SIGTERM)


def test_sigterm_saves_a_new_family_where_it_stopped(tmp_path: Path) -> None:
    cfg = family_config(tmp_path, "steps=20")
    with open_dict(cfg):
        cfg.callbacks.term = {"_target_": f"{__name__}.TermAt", "update": 6}
    with pytest.raises(SIGTERMException):
        train(cfg)
    names = sorted(p.name for p in (tmp_path / "checkpoints").iterdir())
    assert names == ["gen_step_000004.ckpt", "gen_step_000006.ckpt", "last.ckpt"]
    assert torch.load(tmp_path / "checkpoints" / "last.ckpt", weights_only=True)["global_step"] == 12
