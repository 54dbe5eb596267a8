"""Evaluates a saved generator (its EMA weights when the module has them) with the image metrics, and prints the
numbers with the protocol that made them. Also writes them to evaluation.json in the run directory.

python scripts/evaluate.py ckpt_path=logs/train/runs/<run>/checkpoints/best.ckpt metrics.num_fake=10000
python scripts/evaluate.py ckpt_path=<toy run>/checkpoints/last.ckpt metrics=mode_coverage
"""

import json
import sys
from pathlib import Path

import hydra
import torch
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf, open_dict

from gansuite.checkpoint_io import read_checkpoint
from gansuite.conf_dir import CONFIG_DIR
from gansuite.entry import check_command_line, report_user_errors
from gansuite.errors import ConfigError
from gansuite.modules.loading import load_module

MODE_COVERAGE = "gansuite.callbacks.evaluation.mode_coverage_evaluation"


def check(cfg: DictConfig) -> None:
    """What evaluate.py needs, checked before Hydra makes a run directory: a checkpoint, and metrics that score
    what it generates."""
    if OmegaConf.is_missing(cfg, "ckpt_path"):
        raise ConfigError("ckpt_path is required: python scripts/evaluate.py ckpt_path=<run dir>/checkpoints/last.ckpt")
    if not cfg.metrics.get("_target_"):
        raise ConfigError(
            "metrics=none evaluates nothing: pass metrics=default (images) or metrics=mode_coverage (toy data)"
        )
    stored = read_checkpoint(cfg.ckpt_path).get("gansuite")
    if stored is None:
        raise ConfigError(f"{cfg.ckpt_path} is not a gansuite checkpoint (it holds no run config)")
    points = len(stored["data_shape"]) == 1
    if points != (cfg.metrics._target_ == MODE_COVERAGE):
        fix = "metrics=mode_coverage" if points else "metrics=default"
        made = "2-D points" if points else "images"
        raise ConfigError(f"{cfg.ckpt_path} generates {made}, which these metrics do not score: pass {fix}")


def evaluate(cfg: DictConfig) -> dict[str, float]:
    check(cfg)
    module, run_config = load_module(cfg.ckpt_path)
    module.to("cuda" if torch.cuda.is_available() else "cpu")
    with open_dict(cfg):
        cfg.data = run_config.data  # metrics.dataset reads data.name
    evaluator = instantiate(cfg.metrics).evaluator
    values = evaluator(module, instantiate(run_config.data))
    rows = {
        "checkpoint": str(cfg.ckpt_path),
        "weights": "EMA generator" if getattr(module, "ema_generator", None) is not None else "generator",
        **evaluator.protocol(),
    }
    width = max(map(len, [*rows, *values]))
    print("\n".join(f"{name:<{width}}  {value}" for name, value in rows.items()))
    print("\n".join(f"{name:<{width}}  {value:.4f}" for name, value in values.items()), flush=True)
    output = Path(cfg.paths.output_dir) / "evaluation.json"
    output.write_text(json.dumps({"protocol": rows, "metrics": values}, indent=2) + "\n")
    return values


@hydra.main(version_base="1.3", config_path=CONFIG_DIR, config_name="evaluate")
def main(cfg: DictConfig) -> None:
    report_user_errors(evaluate, cfg)


if __name__ == "__main__":
    report_user_errors(check_command_line, sys.argv, "evaluate", check)
    main()
