"""Evaluates a saved generator (its EMA weights when the module has them) with the image metrics, and prints the
numbers with the protocol that made them. Also writes them to evaluation.json in the run directory.

python scripts/evaluate.py ckpt_path=logs/train/runs/<run>/checkpoints/best.ckpt metrics.num_fake=10000
"""

import json
from pathlib import Path

import hydra
import torch
from hydra.utils import instantiate
from omegaconf import DictConfig, open_dict

from gansuite.conf_dir import CONFIG_DIR
from gansuite.modules.loading import load_module
from gansuite.train import run_reporting_user_errors


def evaluate(cfg: DictConfig) -> dict[str, float]:
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
    run_reporting_user_errors(evaluate, cfg)


if __name__ == "__main__":
    main()
