"""Hydra entry: builds the datamodule, model, callbacks, loggers and trainer from the config, and fits.

Returns the final value of the metric that `metrics.monitor` names, for sweeps to minimise.
"""

import sys
from collections.abc import Callable
from typing import Any

import hydra
import lightning as L
from hydra.utils import instantiate
from lightning import Callback, Trainer
from omegaconf import DictConfig, OmegaConf

from gansuite.callbacks.divergence import DivergenceGuard
from gansuite.callbacks.run_config import RunConfig
from gansuite.conf_dir import CONFIG_DIR
from gansuite.errors import ConfigError, DataError, DivergenceError
from gansuite.modules.base import AdversarialModule
from gansuite.modules.loading import build_model
from gansuite.resume import expand_resume
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
    trainer.fit(module, datamodule=datamodule, ckpt_path=cfg.get("ckpt_path"))
    if evaluation is None or not evaluation.final:
        return None
    return evaluation.final[evaluation.monitor]


def user_error(error: BaseException) -> BaseException | None:
    """The ConfigError, DataError or DivergenceError behind `error` (Hydra's instantiate wraps them), or None for a
    bug."""
    while error is not None:
        if isinstance(error, ConfigError | DataError | DivergenceError):
            return error
        error = error.__cause__
    return None


def run_reporting_user_errors(job: Callable[[Any], Any], cfg: Any) -> Any:
    """Runs `job(cfg)`; a user error is printed as one line and exits with status 2, without a traceback."""
    try:
        return job(cfg)
    except Exception as error:
        cause = user_error(error)
        if cause is None:
            raise
        print(f"error: {cause}", file=sys.stderr, flush=True)
        sys.exit(2)


@hydra.main(version_base="1.3", config_path=CONFIG_DIR, config_name="config")
def main(cfg: DictConfig) -> float | None:
    return run_reporting_user_errors(train, cfg)


def cli() -> None:
    """`python train.py ...`: expands `resume=<run dir>` (see gansuite.resume) before Hydra reads the arguments."""
    sys.argv = run_reporting_user_errors(expand_resume, sys.argv)
    main()
