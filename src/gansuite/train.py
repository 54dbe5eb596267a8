"""Hydra entry: builds the datamodule, model, callbacks, loggers and trainer from the config, and fits.

Returns the final value of the metric that `metrics.monitor` names, for sweeps to minimise.
"""

import hydra
import lightning as L
from hydra.utils import instantiate
from lightning import Callback, Trainer
from lightning.pytorch.utilities.rank_zero import rank_zero_info
from omegaconf import DictConfig, OmegaConf

from gansuite.callbacks.divergence import DivergenceGuard
from gansuite.callbacks.run_config import RunConfig
from gansuite.conf_dir import CONFIG_DIR
from gansuite.entry import report_user_errors
from gansuite.modules.base import AdversarialModule
from gansuite.modules.loading import build_model
from gansuite.validation import validate


def build_trainer(cfg: DictConfig, module: AdversarialModule, callbacks: list[Callback]) -> Trainer:
    """The Trainer of `cfg` with its loggers, running `steps` generator updates of `module`."""
    loggers = [instantiate(c) for c in cfg.logger.values()] if cfg.get("logger") else False
    return instantiate(
        cfg.trainer,
        max_steps=cfg.steps * module.optimizer_steps_per_generator_update,
        callbacks=callbacks,
        logger=loggers,
    )


def train(cfg: DictConfig) -> float | None:
    validate(cfg)
    L.seed_everything(cfg.seed, workers=True)
    datamodule = instantiate(cfg.data)
    module = build_model(cfg, datamodule.shape)
    # metrics=none leaves only the protocol keys an experiment sets (a node without _target_): no evaluation.
    evaluation = instantiate(cfg.metrics) if cfg.get("metrics", {}).get("_target_") else None
    callbacks = [instantiate(c) for c in cfg.callbacks.values()]
    callbacks.append(RunConfig(OmegaConf.to_container(cfg, resolve=True), datamodule.shape))
    if evaluation is not None:
        callbacks.insert(0, evaluation)  # before the checkpoints, so they see this step's metrics
    callbacks.insert(0, DivergenceGuard())  # first, so nothing evaluates or saves a NaN state
    trainer = build_trainer(cfg, module, callbacks)
    # At the start and at the end, where the output goes: the end is what a user sees last, even after an error.
    rank_zero_info(f"run directory: {cfg.paths.output_dir}")
    try:
        trainer.fit(module, datamodule=datamodule, ckpt_path=cfg.get("ckpt_path"))
    finally:
        rank_zero_info(f"run directory: {cfg.paths.output_dir} (after {module.generator_updates} generator updates)")
    if evaluation is None or not evaluation.final:
        return None
    return evaluation.final[evaluation.monitor]


@hydra.main(version_base="1.3", config_path=CONFIG_DIR, config_name="config")
def main(cfg: DictConfig) -> float | None:
    return report_user_errors(train, cfg)
