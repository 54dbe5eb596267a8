"""The L2 norm of each network's gradients, logged as `grad_norm/<network>` on the batches Lightning logs.

Norms are computed only on those batches (every `trainer.log_every_n_steps`), and stay tensors until Lightning
writes the logs, so the other steps pay nothing and no step waits on the device.
"""

import torch
from lightning import Callback, LightningModule, Trainer

from gansuite.lightning_adapter import writes_logs_this_batch


class GradientNorms(Callback):
    def __init__(self) -> None:
        self.names: dict[int, str] = {}

    def on_fit_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        """Names each optimizer after the network (top-level submodule) that owns its parameters."""
        owner = {id(p): name for name, child in pl_module.named_children() for p in child.parameters()}
        for index, optimizer in enumerate(trainer.optimizers):
            first = optimizer.param_groups[0]["params"][0]
            self.names[id(optimizer)] = owner.get(id(first), f"optimizer_{index}")

    def on_before_optimizer_step(
        self, trainer: Trainer, pl_module: LightningModule, optimizer: torch.optim.Optimizer
    ) -> None:
        if not writes_logs_this_batch(trainer):
            return
        grads = [p.grad for group in optimizer.param_groups for p in group["params"] if p.grad is not None]
        if grads:
            norm = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g) for g in grads]))
            pl_module.log(f"grad_norm/{self.names[id(optimizer)]}", norm, on_step=True, on_epoch=False)
