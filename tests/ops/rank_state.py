"""A test callback for DDP runs: each rank saves what it computed, so the test can compare ranks."""

from pathlib import Path

import torch
from lightning import Callback, LightningModule, Trainer

from gansuite.callbacks.evaluation import Evaluation


class RankState(Callback):
    def __init__(self, dirpath: str) -> None:
        self.dirpath = Path(dirpath)
        self.first_batch: torch.Tensor | None = None
        self.first_noise: torch.Tensor | None = None

    def on_train_batch_start(self, trainer: Trainer, pl_module: LightningModule, batch, batch_idx: int) -> None:
        if self.first_batch is None:
            self.first_batch = batch.clone()
            self.first_noise = torch.randn(8)  # what this rank's next noise draw looks like

    def on_train_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        evaluation = next(c for c in trainer.callbacks if isinstance(c, Evaluation))
        self.dirpath.mkdir(parents=True, exist_ok=True)
        state = {
            "parameters": {k: v.detach().cpu().clone() for k, v in pl_module.state_dict().items()},
            "final": evaluation.final,
            "first_batch": self.first_batch,
            "first_noise": self.first_noise,
            "world_size": trainer.world_size,
            "global_step": trainer.global_step,
        }
        torch.save(state, self.dirpath / f"rank{trainer.global_rank}.pt")
