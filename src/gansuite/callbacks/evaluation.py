"""Runs an evaluator every `every_n_updates` generator updates and once at the end of training.

An evaluator is any callable `(pl_module, datamodule) -> {name: value}`. Values are logged as `val/<name>`, with the
`gen_step` they were taken at, straight to the loggers when computed (not at Lightning's next logging batch, which
may never coincide with an evaluation) and put in `trainer.callback_metrics`, which the checkpoints monitor. The
final values also go to `metrics.json` in the run directory and are printed; `final[monitor]` is what
gansuite.commands.train.main returns for a sweep to minimise. When the last periodic evaluation was at the final
update, its values are the final ones: evaluating the same generator again would log a second, different row for
that update (the samples differ).

Each `metrics=` option is one of the factories at the end, all of one shape: the schedule (`every_n_updates`), the
`monitor`, the `output_path`, and the evaluator's own protocol keys, flat.
"""

import json
from collections.abc import Callable
from pathlib import Path

import torch
from lightning import Callback, LightningModule, Trainer

from gansuite.errors import ConfigError
from gansuite.files import write_text_atomically
from gansuite.lightning_adapter import log_now
from gansuite.metrics.image_metrics import ImageMetrics
from gansuite.metrics.mode_coverage import ModeCoverage
from gansuite.metrics.path_length import PerceptualPathLength
from gansuite.metrics.super_resolution import SuperResolutionScores
from gansuite.metrics.translation import FrechetDistance, TranslationScores

Evaluator = Callable[[LightningModule, object], dict[str, float]]


class Evaluation(Callback):
    def __init__(
        self, evaluator: Evaluator, every_n_updates: int, monitor: str, output_path: str | None = None
    ) -> None:
        self.evaluator = evaluator
        self.monitor = monitor
        self.every_n_updates = every_n_updates
        self.output_path = Path(output_path) if output_path else None
        self.final: dict[str, float] = {}
        self.latest: tuple[int, dict[str, float]] | None = None  # (generator update, values) of the last evaluation

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
        step = pl_module.completed_generator_update
        if step is not None and step % self.every_n_updates == 0:
            self.publish(trainer, pl_module, self.evaluate(trainer, pl_module))

    def publish(self, trainer: Trainer, pl_module: LightningModule, values: dict[str, float]) -> None:
        self.latest = (pl_module.generator_updates, values)
        trainer.callback_metrics.update({name: torch.tensor(value) for name, value in values.items()})
        # Every logger, at the step of the other rows, naming the generator update the values belong to.
        # And the wall time, which the run report plots them against.
        when = {"gen_step": float(pl_module.generator_updates), "time/wall_s": pl_module.wall_seconds}
        log_now(trainer, {**values, **when})

    def on_train_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        if self.latest is not None and self.latest[0] == pl_module.generator_updates:
            self.final = self.latest[1]
        else:
            self.final = self.evaluate(trainer, pl_module)
            self.publish(trainer, pl_module, self.final)
        if not trainer.is_global_zero:
            return
        steps = pl_module.generator_updates
        if self.output_path is not None:
            write_text_atomically(
                self.output_path, json.dumps({"generator_updates": steps, **self.final}, indent=2) + "\n"
            )
        rows = "\n".join(f"  {name:<24} {value:.4f}" for name, value in self.final.items())
        print(f"Final metrics after {steps} generator updates:\n{rows}", flush=True)


def checked_evaluation(
    evaluator: Evaluator, names: list[str], every_n_updates: int, monitor: str, output_path: str | None
) -> Evaluation:
    """An Evaluation whose monitor is one of the evaluator's `names`, else a ConfigError listing them."""
    if monitor.removeprefix("val/") not in names:
        raise ConfigError(
            f"metrics.monitor={monitor} is not computed with these settings, which log "
            f"{', '.join('val/' + name for name in names)}: pick one of those"
        )
    return Evaluation(evaluator, every_n_updates, monitor, output_path)


def image_evaluation(
    every_n_updates: int,
    monitor: str,
    name_suffixes: dict[str, str],
    output_path: str | None = None,
    **protocol,
) -> Evaluation:
    """metrics=default: FID, IS, KID (and precision/recall) on the image metrics' protocol.

    `name_suffixes` maps each extractor to the suffix of its metric names (none for Inception), so a classifier FID
    is never mistaken for an Inception one.
    """
    extractor = protocol.get("extractor", "inception")
    evaluator = ImageMetrics(name_suffix=name_suffixes.get(extractor, ""), **protocol)
    return checked_evaluation(evaluator, evaluator.names, every_n_updates, monitor, output_path)


def mode_coverage_evaluation(
    every_n_updates: int,
    monitor: str,
    output_path: str | None = None,
    num_samples: int = 2500,
    min_fraction: float = 0.2,
) -> Evaluation:
    """metrics=mode_coverage: modes covered, high-quality share and KL on toy mixtures."""
    evaluator = ModeCoverage(num_samples, min_fraction)
    return checked_evaluation(evaluator, ModeCoverage.names, every_n_updates, monitor, output_path)


def translation_evaluation(
    every_n_updates: int,
    monitor: str,
    output_path: str | None = None,
    inception_weights: str | None = None,
    batch_size: int = 50,
    name: str = "fid",
    num_test: int | None = None,
    direction: str | None = None,
) -> Evaluation:
    """metrics=translation_fid: FID of translated test images (`<name>_a2b`, `<name>_b2a`) in both directions, or in
    the one `direction` of a one-way model (pix2pix's model.direction); on aligned pairs, PSNR too."""
    evaluator = TranslationScores(FrechetDistance(inception_weights, batch_size), name, batch_size, num_test)
    names = [f"{name}_{d}" for d in ((direction,) if direction else ("a2b", "b2a"))]
    return checked_evaluation(evaluator, names, every_n_updates, monitor, output_path)


def super_resolution_evaluation(
    every_n_updates: int, monitor: str, output_path: str | None = None, channel: str = "y", lpips: str | None = None
) -> Evaluation:
    """metrics=psnr_ssim: PSNR and SSIM of every upscaled test image on the SR protocol (`psnr_y`, `ssim_y`);
    metrics=sr_lpips adds LPIPS (`lpips_alex`)."""
    evaluator = SuperResolutionScores(channel, lpips)
    return checked_evaluation(evaluator, evaluator.names, every_n_updates, monitor, output_path)


def path_length_evaluation(
    every_n_updates: int, monitor: str, output_path: str | None = None, **protocol
) -> Evaluation:
    """metrics=ppl: perceptual path length (`ppl_<space><sampling>_<distance>`, gansuite.metrics.path_length)."""
    evaluator = PerceptualPathLength(**protocol)
    return checked_evaluation(evaluator, evaluator.names, every_n_updates, monitor, output_path)
