"""Stops training at the first NaN or Inf, before any checkpoint can store the poisoned state.

Reading a GPU value on the host waits for the GPU, so per batch the guard only folds the losses into device-side
flags; it reads them, with the parameters, in one sync every `trainer.log_every_n_steps` batches and, through
`check`, before every checkpoint save (GeneratorStepCheckpoint calls it).
"""

import os
from collections.abc import Mapping

import torch
from lightning import Callback, LightningModule, Trainer
from torch import Tensor

from gansuite.errors import DivergenceError


class DivergenceGuard(Callback):
    def __init__(self) -> None:
        # loss name -> the optimizer step (Lightning's global_step) it was first non-finite at, -1 while finite
        self.first_bad_step: dict[str, Tensor] = {}
        self.batches = 0

    @staticmethod
    def of(trainer: Trainer) -> "DivergenceGuard":
        """The guard registered with `trainer`, or a fresh one that checks the parameters only."""
        return next((c for c in trainer.callbacks if isinstance(c, DivergenceGuard)), DivergenceGuard())

    def on_train_batch_end(self, trainer: Trainer, pl_module: LightningModule, outputs, *args) -> None:
        if isinstance(outputs, Mapping):  # the module's training_step returns its detached losses
            for name, value in outputs.items():
                if isinstance(value, Tensor):
                    first = self.first_bad_step.get(name)
                    if first is None:
                        first = torch.full((), -1, dtype=torch.long, device=value.device)
                    newly_bad = (first < 0) & ~torch.isfinite(value).all()
                    self.first_bad_step[name] = torch.where(newly_bad, trainer.global_step, first)
        self.batches += 1
        if self.batches % max(1, trainer.log_every_n_steps) == 0:
            self.check(trainer, pl_module)

    def on_train_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        self.check(trainer, pl_module)

    def check(self, trainer: Trainer, pl_module: LightningModule) -> None:
        """Raises DivergenceError when a loss so far or a parameter now is not finite; one host-device sync."""
        losses = list(self.first_bad_step)
        nets = [name for name, net in pl_module.named_children() if any(True for _ in net.parameters())]
        flags = [self.first_bad_step[name].to(pl_module.device) for name in losses]
        flags += [(~_all_finite(getattr(pl_module, name))).long() for name in nets]
        values = torch.stack(flags).tolist()  # the one host-device sync
        bad_losses = {name: step for name, step in zip(losses, values[: len(losses)], strict=True) if step >= 0}
        bad_nets = [name for name, bad in zip(nets, values[len(losses) :], strict=True) if bad]
        if not bad_losses and not bad_nets:
            return
        per_update = pl_module.optimizer_steps_per_generator_update
        if bad_losses:
            name, step = min(bad_losses.items(), key=lambda item: item[1])
            what = f"{name} became NaN or Inf at generator update {(step - 1) // per_update + 1}"
        else:
            what = f"a parameter became NaN or Inf by generator update {pl_module.generator_updates}"
        if bad_nets:
            what += f" (non-finite parameters in {', '.join(bad_nets)})"
        last = getattr(trainer.checkpoint_callback, "last_model_path", "") or ""
        kept = f"the last good checkpoint is {last}" if os.path.isfile(last) else "no checkpoint had been saved yet"
        raise DivergenceError(
            f"training diverged: {what}; nothing after it was saved and {kept}: lower the learning rates "
            "(model.optimizer_d.lr, model.optimizer_g.lr) or constrain the critic (model=wgan), and rerun"
        )


def _all_finite(module: torch.nn.Module) -> Tensor:
    return torch.stack([p.detach().isfinite().all() for p in module.parameters()]).all()
