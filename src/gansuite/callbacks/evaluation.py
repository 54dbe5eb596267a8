"""Runs an evaluator every `every_n_steps` generator updates and once at the end of training.

An evaluator is any callable `(pl_module, datamodule) -> {name: value}`. Values are logged as `val/<name>` straight
to the loggers when computed (not at Lightning's next logging batch, which may never coincide with an evaluation)
and put in `trainer.callback_metrics`, which the checkpoints monitor. The final values also go to `metrics.json` in
the run directory and are printed; `final[monitor]` is what train.main returns for a sweep to minimise.
"""

import json
from collections.abc import Callable
from pathlib import Path

import torch
from lightning import Callback, LightningModule, Trainer

from gansuite.callbacks import finished_generator_update

Evaluator = Callable[[LightningModule, object], dict[str, float]]


class Evaluation(Callback):
    def __init__(self, evaluator: Evaluator, every_n_steps: int, monitor: str, output_path: str | None = None) -> None:
        self.evaluator = evaluator
        self.monitor = monitor
        self.every_n_steps = every_n_steps
        self.output_path = Path(output_path) if output_path else None
        self.final: dict[str, float] = {}

    def evaluate(self, trainer: Trainer, pl_module: LightningModule) -> dict[str, float]:
        with torch.no_grad():
            values = self.evaluator(pl_module, trainer.datamodule)
        values = {f"val/{name}": float(value) for name, value in values.items()}
        if trainer.world_size > 1:  # each rank evaluated its own samples: all report their mean, so all agree
            local = torch.tensor(list(values.values()), dtype=torch.float64, device=pl_module.device)
            values = dict(zip(values, trainer.strategy.reduce(local, reduce_op="mean").tolist(), strict=True))
        return values

    def on_fit_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        """Lets an evaluator with a `prepare` step (real statistics, a feature network) fail or pay before training."""
        prepare = getattr(self.evaluator, "prepare", None)
        if prepare is not None:
            prepare(trainer.datamodule, pl_module.device)

    def on_train_batch_end(self, trainer: Trainer, pl_module: LightningModule, *args) -> None:
        step = finished_generator_update(trainer, pl_module)
        if step is not None and step % self.every_n_steps == 0:
            self.publish(trainer, self.evaluate(trainer, pl_module))

    @staticmethod
    def publish(trainer: Trainer, values: dict[str, float]) -> None:
        trainer.callback_metrics.update({name: torch.tensor(value) for name, value in values.items()})
        trainer._logger_connector.log_metrics(values)  # every logger, at the step of the other rows

    def on_train_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        self.final = self.evaluate(trainer, pl_module)
        self.publish(trainer, self.final)
        if not trainer.is_global_zero:
            return
        steps = pl_module.generator_updates
        if self.output_path is not None:
            self.output_path.write_text(json.dumps({"generator_updates": steps, **self.final}, indent=2) + "\n")
        rows = "\n".join(f"  {name:<24} {value:.4f}" for name, value in self.final.items())
        print(f"Final metrics after {steps} generator updates:\n{rows}", flush=True)
