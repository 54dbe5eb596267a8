"""Evaluates a saved generator (its EMA weights when the module has them) with the image metrics, and prints the
numbers with the protocol that made them. Also writes them to evaluation.json in the run directory.

python scripts/evaluate.py ckpt_path=logs/train/runs/<run>/checkpoints/best.ckpt metrics.num_fake=10000
python scripts/evaluate.py ckpt_path=<toy run>/checkpoints/last.ckpt metrics=mode_coverage
python scripts/evaluate.py ckpt_path=<srgan run>/checkpoints/last.ckpt metrics=psnr_ssim test_path=DIR
python scripts/evaluate.py ckpt_path=<stylegan2 run>/checkpoints/last.ckpt metrics=ppl metrics.space=w
"""

import importlib
import sys
from pathlib import Path

import hydra
from omegaconf import DictConfig, OmegaConf

from gansuite.commands.entry import answer_help, check_command_line, quoted_for_hydra, report_user_errors
from gansuite.conf_dir import CONFIG_DIR
from gansuite.errors import ConfigError

# The metrics= options that score what a checkpoint generates, the usual one first.
METRICS_FOR = {
    "2-D points": ("mode_coverage",),
    "images": ("default", "ppl"),
    "translations": ("translation_fid",),
    "upscaled images": ("psnr_ssim",),
}


def check(cfg: DictConfig) -> None:
    """What evaluate.py needs, checked before Hydra makes a run directory: a checkpoint, and metrics that score
    what it generates."""
    if OmegaConf.is_missing(cfg, "ckpt_path"):
        raise ConfigError("ckpt_path is required: python scripts/evaluate.py ckpt_path=<run dir>/checkpoints/last.ckpt")
    if not cfg.metrics.get("_target_"):
        raise ConfigError(
            "metrics=none evaluates nothing: pass metrics=default or metrics=ppl (images), metrics=mode_coverage "
            "(toy data), metrics=translation_fid (CycleGAN, pix2pix) or metrics=psnr_ssim (SRGAN, SRResNet)"
        )
    from gansuite.artifacts.checkpoints import (
        read_checkpoint,  # after the checks that need no checkpoint: torch is slow
    )

    stored = read_checkpoint(cfg.ckpt_path).get("gansuite")
    if stored is None:
        raise ConfigError(f"{cfg.ckpt_path} is not a gansuite checkpoint (it holds no run config)")
    made = what_it_generates(stored)
    options = METRICS_FOR[made]
    targets = {OmegaConf.load(Path(CONFIG_DIR) / "metrics" / f"{option}.yaml")._target_ for option in options}
    if cfg.metrics._target_ not in targets:
        passes = " or ".join(f"metrics={option}" for option in options)
        raise ConfigError(f"{cfg.ckpt_path} generates {made}, which these metrics do not score: pass {passes}")


def what_it_generates(stored: dict) -> str:
    """What a checkpoint generates (a key of METRICS_FOR), from the run config and data shape it stores."""
    if len(stored["data_shape"]) == 1:
        return "2-D points"
    module_name, _, name = stored["config"]["model"]["_target_"].rpartition(".")
    produces = getattr(importlib.import_module(module_name), name).capabilities.produces
    return {"samples": "images", "translations": "translations", "upscales": "upscaled images"}[produces]


@hydra.main(version_base="1.3", config_path=CONFIG_DIR, config_name="evaluate")
def main(cfg: DictConfig) -> None:
    from gansuite.run.evaluating import evaluate_or_remove_run_dir  # after the checks: torch and Lightning are slow

    report_user_errors(evaluate_or_remove_run_dir, cfg)


def run() -> None:
    """gansuite-evaluate, python scripts/evaluate.py: the command line checked before Hydra makes a run directory."""
    if report_user_errors(answer_help, sys.argv, "evaluate", "evaluate"):
        return
    sys.argv = quoted_for_hydra(sys.argv)
    report_user_errors(check_command_line, sys.argv, "evaluate", check)
    main()
