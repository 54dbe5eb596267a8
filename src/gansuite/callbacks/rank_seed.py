"""Under DDP, every rank reseeds torch with `seed + rank` when training starts, so the ranks draw different noise.

seed_everything gives all ranks the same seed: that keeps the initial weights equal (DDP broadcasts rank 0's anyway),
but left alone every rank would also draw the same latent batches, and the effective batch would repeat them.
The reseed comes after the data loaders exist; their shuffling depends only on the seed (see data/batches.py).
"""

import torch
from lightning import Callback, LightningModule, Trainer


class PerRankSeed(Callback):
    def __init__(self, seed: int) -> None:
        self.seed = seed

    def on_train_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        if trainer.world_size > 1:
            torch.manual_seed(self.seed + trainer.global_rank)
