"""Stops training at the first NaN or Inf, before any checkpoint can store the poisoned state.

Reading a GPU value on the host waits for the GPU, so per batch the guard only keeps references to the losses
that `training_step` returns (no kernel, no sync); it reads them, with the parameters, in one sync every
`trainer.log_every_n_steps` batches and before every checkpoint is written (`on_save_checkpoint`, which Lightning
calls before the file is written, so raising there keeps the diverged state off disk). Kept per batch, the
losses still tell the exact update and loss where the run diverged.
"""

import os
from collections.abc import Mapping

import torch
from lightning import Callback, LightningModule, Trainer
from torch import Tensor

from gansuite.errors import DivergenceError

MAX_UNCHECKED = 1024  # losses kept between checks at most, so a huge logging interval cannot hoard GPU memory


class DivergenceGuard(Callback):
    def __init__(self) -> None:
        self.unchecked: list[tuple[int, str, Tensor]] = []  # (global_step, loss name, value) since the last check
        self.batches = 0

    def on_train_batch_end(self, trainer: Trainer, pl_module: LightningModule, outputs, *args) -> None:
        if isinstance(outputs, Mapping):  # the module's training_step returns its scalar losses
            for name, value in outputs.items():
                if isinstance(value, Tensor) and value.dim() == 0:
                    self.unchecked.append((trainer.global_step, name, value.detach()))
        self.batches += 1
        if self.batches % max(1, trainer.log_every_n_steps) == 0 or len(self.unchecked) >= MAX_UNCHECKED:
            self.check(trainer, pl_module)

    def on_train_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        self.check(trainer, pl_module)

    def on_save_checkpoint(self, trainer: Trainer, pl_module: LightningModule, checkpoint: dict) -> None:
        self.check(trainer, pl_module)  # raises rather than save NaNs

    def check(self, trainer: Trainer, pl_module: LightningModule) -> None:
        """Raises DivergenceError when a loss since the last check or a parameter now is not finite; one sync."""
        nets = [name for name, net in pl_module.named_children() if any(True for _ in net.parameters())]
        flags = [torch.stack([_all_finite(getattr(pl_module, name)) for name in nets])]
        if self.unchecked:
            flags.insert(0, torch.stack([value for _, _, value in self.unchecked]).to(pl_module.device).isfinite())
        finite = torch.cat(flags).tolist()  # the one host-device sync
        losses_finite, nets_finite = finite[: len(self.unchecked)], finite[len(self.unchecked) :]
        bad_loss = next((entry for entry, ok in zip(self.unchecked, losses_finite, strict=True) if not ok), None)
        bad_nets = [name for name, ok in zip(nets, nets_finite, strict=True) if not ok]
        self.unchecked.clear()
        if bad_loss is None and not bad_nets:
            return
        if bad_loss is not None:
            step, name, _ = bad_loss
            update = pl_module.generator_updates_at(step - 1) + 1  # the update in progress
            what = f"{name} became NaN or Inf at generator update {update}"
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
    """Whether every parameter is finite, through their norms: NaN and Inf propagate into a norm, and a norm is far
    faster than `isfinite().all()` on CPU (measured in scripts/bench_reliability.py). A norm that overflows float32
    (weights beyond ~1e19) counts as diverged too."""
    return torch.stack([torch.linalg.vector_norm(p.detach()) for p in module.parameters()]).isfinite().all()
