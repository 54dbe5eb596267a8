"""A run from its config: builds the datamodule, model, callbacks, loggers and trainer, and fits (the Hydra app that
calls it is gansuite.commands.train.main).

Returns the final value of the metric that `metrics.monitor` names, for sweeps to minimise.
"""

import shutil
import sys
from pathlib import Path

import lightning as L
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from hydra.utils import instantiate
from lightning import Callback, Trainer
from lightning.pytorch.utilities.exceptions import SIGTERMException
from lightning.pytorch.utilities.rank_zero import rank_zero_info, rank_zero_only
from omegaconf import DictConfig, OmegaConf

from gansuite.callbacks.divergence import DivergenceGuard
from gansuite.callbacks.run_config import RunConfig
from gansuite.commands.entry import user_error
from gansuite.errors import ConfigError, DataError
from gansuite.modules.base import AdversarialModule
from gansuite.modules.initialization import initialize_from
from gansuite.modules.loading import build_model
from gansuite.run.resume import set_aside_later_checkpoints
from gansuite.run.slurm_requeue import checkpoint_of_requeued_job, requeue_if_preempted
from gansuite.run.validation import validate


def build_trainer(cfg: DictConfig, module: AdversarialModule, callbacks: list[Callback]) -> Trainer:
    """The Trainer of `cfg` with its loggers, running `steps` generator updates of `module`."""
    loggers = [instantiate(c) for c in cfg.logger.values()] if cfg.get("logger") else False
    return instantiate(
        cfg.trainer,
        max_steps=module.optimizer_steps_for(cfg.steps),
        callbacks=callbacks,
        logger=loggers,
    )


def choices() -> dict[str, str]:
    """The config group options of this run (model=wgan, data=ring8, experiment=...), Hydra's own left out; empty
    when the config was composed without Hydra's app (tests, the Python API)."""
    if not HydraConfig.initialized():
        return {}
    chosen = HydraConfig.get().runtime.choices
    return {group: str(option) for group, option in chosen.items() if not group.startswith("hydra") and option}


def train(cfg: DictConfig) -> float | None:
    validate(cfg)
    L.seed_everything(cfg.seed, workers=True)
    datamodule = instantiate(cfg.data)
    num_classes = getattr(datamodule, "num_classes", None)
    module = build_model(cfg, datamodule.shape, num_classes)
    if cfg.get("init_from"):
        initialize_from(module, cfg.init_from, list(cfg.init_networks))
    # metrics=none leaves only the protocol keys an experiment sets (a node without _target_): no evaluation.
    evaluation = instantiate(cfg.metrics) if cfg.get("metrics", {}).get("_target_") else None
    callbacks = [instantiate(c) for c in cfg.callbacks.values()]
    callbacks.append(RunConfig(OmegaConf.to_container(cfg, resolve=True), datamodule.shape, num_classes, choices()))
    if evaluation is not None:
        callbacks.insert(0, evaluation)  # before the checkpoints, so they see this step's metrics
    callbacks.insert(0, DivergenceGuard())  # first, so nothing evaluates or saves a NaN state
    trainer = build_trainer(cfg, module, callbacks)
    # At the start and at the end, where the output goes: the end is what a user sees last, even after an error.
    rank_zero_info(f"run directory: {cfg.paths.output_dir}")
    if cfg.get("ckpt_path") and trainer.is_global_zero:
        set_aside_later_checkpoints(Path(cfg.ckpt_path), Path(cfg.paths.output_dir) / "checkpoints")
    try:
        trainer.fit(module, datamodule=datamodule, ckpt_path=cfg.get("ckpt_path"))
    finally:
        rank_zero_info(f"run directory: {cfg.paths.output_dir} (after {module.generator_updates} generator updates)")
    if evaluation is None or not evaluation.final:
        return None
    return evaluation.final[evaluation.monitor]


def holds_no_results(run_dir: Path) -> bool:
    """Nothing a run would want kept: no checkpoint, sample grid or logged metrics (only Hydra's and W&B's records)."""
    written = [*run_dir.glob("checkpoints/*.ckpt"), *run_dir.glob("samples/*"), *run_dir.glob("csv/metrics.csv")]
    return not written


@rank_zero_only
def remove_run_dir(run_dir: Path) -> None:
    shutil.rmtree(run_dir, ignore_errors=True)
    print(f"removed the run directory {run_dir}: the run stopped before it wrote anything", file=sys.stderr)


def train_or_remove_run_dir(cfg: DictConfig) -> float | None:
    """train(cfg); a new single run that stops on bad input or data before writing any result takes the directory
    Hydra made for it along, so no empty run directory is left behind. Resumed runs and sweep jobs (whose summary
    lists failed jobs) keep theirs, as does a run that diverged (its logs show how)."""
    requeued_from = checkpoint_of_requeued_job(cfg)
    if requeued_from:
        cfg.ckpt_path = requeued_from
    try:
        return train(cfg)
    except SIGTERMException as preempted:  # a SystemExit: saved, and the process exits
        requeue_if_preempted(preempted)  # a SLURM sweep job: requeued, and continues from its checkpoint
        raise
    except Exception as error:
        launch = HydraConfig.get()
        new_single_run = launch.mode == RunMode.RUN and launch.output_subdir == ".hydra"
        run_dir = Path(cfg.paths.output_dir)
        if isinstance(user_error(error), ConfigError | DataError) and new_single_run and holds_no_results(run_dir):
            remove_run_dir(run_dir)
        raise
