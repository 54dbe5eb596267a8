"""The bare PyTorch loop that scripts/bench_overhead.py times gansuite's training step against, and the callback that
alternates the two in one run (the script's docstring says how they are compared)."""

from contextlib import nullcontext

import torch
from hydra.utils import instantiate
from lightning import Callback
from omegaconf import DictConfig

from gansuite.data.images import random_hflip, to_model_range
from gansuite.modules.optimizers import build_optimizer
from gansuite.objective.regularizers import CriticBatch
from gansuite.run.benchmark import device_clock


class BareLoop:
    """The GAN update of gansuite.modules.gan.GAN written as a plain loop: n_critic critic batches, the last of which
    also updates the generator with that batch's fake images."""

    def __init__(self, cfg: DictConfig, module, data: torch.Tensor, device: torch.device) -> None:
        """`data`: the datamodule's uint8 images (converted to [-1, 1] per batch, as the datamodule does) or points."""
        shape = tuple(data.shape[1:])
        self.generator = instantiate(cfg.model.generator)(latent_dim=cfg.model.latent_dim, data_shape=shape)
        self.discriminator = instantiate(cfg.model.discriminator)(data_shape=shape)
        self.generator.load_state_dict(module.generator.state_dict())
        self.discriminator.load_state_dict(module.discriminator.state_dict())
        self.generator.to(device)
        self.discriminator.to(device)
        self.channels_last = cfg.model.channels_last
        if self.channels_last:
            self.generator.to(memory_format=torch.channels_last)
            self.discriminator.to(memory_format=torch.channels_last)
        if cfg.model.compile:
            self.generator.compile()
            self.discriminator.compile()
        self.loss = instantiate(cfg.loss)
        self.regularizers = list(instantiate(cfg.get("regularizers") or {}).values())
        self.d_updates = 0
        self.opt_g = build_optimizer(instantiate(cfg.model.optimizer_g), self.generator.parameters())
        self.opt_d = build_optimizer(instantiate(cfg.model.optimizer_d), self.discriminator.parameters())
        self.data = data.to(device)
        self.device = device
        self.cfg = cfg
        self.autocast = cfg.trainer.precision == "bf16-mixed"

    def real_batch(self) -> torch.Tensor:
        indices = torch.randint(len(self.data), (self.cfg.data.batch_size,), device=self.device)
        real = self.data.index_select(0, indices)
        if real.dtype == torch.uint8:
            real = to_model_range(real)
        if self.cfg.data.get("random_flip"):
            real = random_hflip(real)
        if self.channels_last:
            real = real.contiguous(memory_format=torch.channels_last)
        return real

    def batch(self, generator_turn: bool) -> None:
        model = self.cfg.model
        autocast = torch.autocast(self.device.type, dtype=torch.bfloat16) if self.autocast else nullcontext()
        real = self.real_batch()
        with autocast:
            fake = self.generator(torch.randn(real.shape[0], model.latent_dim, device=self.device))
            real_scores, fake_scores = self.discriminator(real), self.discriminator(fake.detach())
            d_loss = self.loss.discriminator_loss(real_scores, fake_scores)
            batch = CriticBatch(
                self.discriminator.forward, real, fake.detach(), real_scores, fake_scores, self.d_updates, 0.0
            )
            for regularizer in self.regularizers:
                term = regularizer(batch)
                if term is not None:
                    d_loss = d_loss + term
        self.d_updates += 1
        self.opt_d.zero_grad(set_to_none=True)
        d_loss.backward()
        self.opt_d.step()
        if model.weight_clip:
            with torch.no_grad():
                for p in self.discriminator.parameters():
                    p.clamp_(-model.weight_clip, model.weight_clip)
        if not generator_turn:
            return
        self.discriminator.requires_grad_(False)
        with autocast:
            real_scores = self.discriminator(real).detach() if self.loss.relativistic else None
            g_loss = self.loss.generator_loss(self.discriminator(fake), real_scores)
        self.opt_g.zero_grad(set_to_none=True)
        g_loss.backward()
        self.opt_g.step()
        self.discriminator.requires_grad_(True)

    def generator_updates(self, n: int) -> None:
        for _ in range(n):
            for i in range(self.cfg.model.n_critic):
                self.batch(generator_turn=i == self.cfg.model.n_critic - 1)


class Alternate(Callback):
    """Every `chunk` generator updates of our run: close our interval, run the bare loop for as many, reopen."""

    def __init__(self, chunk: int) -> None:
        self.bare: BareLoop | None = None  # built once the trainer knows the device
        self.chunk = chunk
        self.ours: list[float] = []
        self.theirs: list[float] = []

    def on_train_start(self, trainer, pl_module) -> None:
        self.started = device_clock(pl_module.device)

    def on_train_batch_end(self, trainer, pl_module, *args) -> None:
        step = pl_module.completed_generator_update
        if step is None or step % self.chunk:
            return
        now = device_clock(pl_module.device)
        self.ours.append(now - self.started)
        self.bare.generator_updates(self.chunk)
        self.started = device_clock(pl_module.device)
        self.theirs.append(self.started - now)
