"""Train a GAN: `gansuite-train [group=option ...] [key=value ...]`, or `python train.py ...` in a checkout.

The command line is expanded (`resume=<run dir>`, see gansuite.run.resume) and checked (see gansuite.commands.entry)
before Lightning is imported, which takes seconds: a bad command line is answered at once, and so are Hydra's own flags
(--help, --cfg, ...), for which Hydra never calls the task function that imports it.
"""

import sys
from functools import partial

import hydra
from omegaconf import DictConfig

from gansuite.commands.entry import answer_help, check_command_line, quoted_for_hydra, report_user_errors
from gansuite.conf_dir import CONFIG_DIR
from gansuite.run.resume import expand_resume
from gansuite.run.validation import validate


def announce_loading() -> None:
    """The first line of a valid command, within a second of it: what the seconds of importing are."""
    print("loading PyTorch and Lightning", flush=True)


@hydra.main(version_base="1.3", config_path=CONFIG_DIR, config_name="config")
def main(cfg: DictConfig) -> float | None:
    """The Hydra app: one run, or each job of a sweep. A sweep job's error is raised, not turned into an exit: Hydra
    then records the job as failed (gansuite.artifacts.sweep_end lists it in the summary) and runs the others."""
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    from gansuite.run.train import train_or_remove_run_dir  # torch and Lightning: seconds, after the checks

    if HydraConfig.get().mode == RunMode.MULTIRUN:
        return train_or_remove_run_dir(cfg)
    return report_user_errors(train_or_remove_run_dir, cfg)


def run() -> None:
    if report_user_errors(answer_help, sys.argv, "config", "train"):
        return
    sys.argv = report_user_errors(expand_resume, quoted_for_hydra(sys.argv))
    report_user_errors(check_command_line, sys.argv, "config", partial(validate, loading=announce_loading))
    main()
