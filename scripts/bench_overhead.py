"""gansuite's training step against a bare PyTorch loop doing the same work, timed alternately in one process.

    python scripts/bench_overhead.py model=dcgan data=mnist steps=200 [--chunk 10] [any train.py override]

Our side is the Trainer of `python train.py <overrides>` (its loggers, callbacks and progress bar included). The
bare loop is plain PyTorch with the same networks (same initial weights), loss, optimizers, n_critic, regularizers,
precision, channels_last and compile settings and batch size, drawing random batches from the same data already on
the device (the uint8 images, or the toy data's points). Every `--chunk` generator updates our run pauses in a
callback while the bare loop does as many; the first chunk of each is warm-up and not counted. The last line is
`overhead <ours / bare per update>`: the median over chunks of our time over the next bare chunk's, robust to other
processes' load.
"""

import argparse
import statistics
import sys
from contextlib import nullcontext

import torch
from hydra.utils import instantiate
from lightning import Callback
from omegaconf import DictConfig

from gansuite.commands.entry import report_user_errors
from gansuite.data.images import random_hflip, to_model_range
from gansuite.modules.optimizers import build_optimizer
from gansuite.objective.regularizers import CriticBatch
from gansuite.run.benchmark import build_run, compose_config, device_clock, write_table
from gansuite.run.train import build_trainer


class BareLoop:
    """The GAN update of gansuite.modules.gan.GAN written as a plain loop: n_critic critic batches, the last of which
    also updates the generator with that batch's fake images."""

    def __init__(self, cfg: DictConfig, module, data: torch.Tensor, device: torch.device) -> None:
        """`data`: the datamodule's uint8 images (converted to [-1, 1] per batch, as the datamodule does) or points."""
        if cfg.model.feature_matching or cfg.trainer.precision not in ("32-true", "32", "bf16-mixed"):
            sys.exit("error: the bare loop covers feature_matching=0 and precision 32-true or bf16-mixed")
        if cfg.get("augment") or cfg.model.get("ema_decay") or cfg.model.get("ema_half_life_images"):
            sys.exit("error: the bare loop covers runs without augment= and without a generator EMA")
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chunk", type=int, default=10, help="generator updates per alternation")
    args, overrides = parser.parse_known_args()
    cfg = compose_config(overrides)
    if cfg.steps < 2 * args.chunk:
        sys.exit(f"error: steps={cfg.steps} leaves nothing to time after the warm-up chunk of {args.chunk}")
    datamodule, module = build_run(cfg)
    alternate = Alternate(args.chunk)
    trainer = build_trainer(cfg, module, [instantiate(c) for c in cfg.callbacks.values()] + [alternate])
    device = trainer.strategy.root_device
    data = datamodule.images if hasattr(datamodule, "images") else datamodule.points
    alternate.bare = BareLoop(cfg, module, data, device)
    trainer.fit(module, datamodule=datamodule)

    timed = len(alternate.ours) - 1  # chunk 0 is warm-up (and our start-up)
    per_update = {
        "gansuite": [t / args.chunk for t in alternate.ours[1:]],
        "bare PyTorch": [t / args.chunk for t in alternate.theirs[1:]],
    }
    rows = [
        {
            "loop": name,
            "generator updates timed": timed * args.chunk,
            "mean ms/update": f"{1000 * statistics.fmean(times):.2f}",
            "median ms/update": f"{1000 * statistics.median(times):.2f}",
        }
        for name, times in per_update.items()
    ]
    print(f"\ndevice {device}, batch {cfg.data.batch_size}, n_critic {cfg.model.n_critic}, chunk {args.chunk}")
    print(write_table(rows))
    # Each of our chunks against the bare chunk right after it (the same machine load), then the median pair.
    ratio = statistics.median(ours / bare for ours, bare in zip(*per_update.values(), strict=True))
    print(f"overhead {ratio:.3f}")


if __name__ == "__main__":
    report_user_errors(main)
