"""Evaluates a saved generator (its EMA weights when the module has them) with the image metrics, and prints the
numbers with the protocol that made them. Also writes them to evaluation.json in the run directory.

python scripts/evaluate.py ckpt_path=logs/train/runs/<run>/checkpoints/best.ckpt metrics.num_fake=10000
python scripts/evaluate.py ckpt_path=<toy run>/checkpoints/last.ckpt metrics=mode_coverage
python scripts/evaluate.py ckpt_path=<srgan run>/checkpoints/last.ckpt metrics=psnr_ssim test_path=DIR
"""

import importlib
import json
import sys
from pathlib import Path

import hydra
import torch
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf, open_dict

from gansuite.checkpoints import read_checkpoint
from gansuite.conf_dir import CONFIG_DIR
from gansuite.data.image_folder import list_images
from gansuite.entry import check_command_line, quoted_for_hydra, report_user_errors, user_error
from gansuite.errors import ConfigError
from gansuite.files import write_text_atomically
from gansuite.modules.loading import load_module
from gansuite.train import remove_run_dir

# The metrics= option that scores what a checkpoint generates.
METRICS_FOR = {
    "2-D points": "mode_coverage",
    "images": "default",
    "translations": "translation_fid",
    "upscaled images": "psnr_ssim",
}


def check(cfg: DictConfig) -> None:
    """What evaluate.py needs, checked before Hydra makes a run directory: a checkpoint, and metrics that score
    what it generates."""
    if OmegaConf.is_missing(cfg, "ckpt_path"):
        raise ConfigError("ckpt_path is required: python scripts/evaluate.py ckpt_path=<run dir>/checkpoints/last.ckpt")
    if not cfg.metrics.get("_target_"):
        raise ConfigError(
            "metrics=none evaluates nothing: pass metrics=default (images), metrics=mode_coverage (toy data), "
            "metrics=translation_fid (CycleGAN, pix2pix) or metrics=psnr_ssim (SRGAN, SRResNet)"
        )
    stored = read_checkpoint(cfg.ckpt_path).get("gansuite")
    if stored is None:
        raise ConfigError(f"{cfg.ckpt_path} is not a gansuite checkpoint (it holds no run config)")
    made = what_it_generates(stored)
    option = METRICS_FOR[made]
    if cfg.metrics._target_ != OmegaConf.load(Path(CONFIG_DIR) / "metrics" / f"{option}.yaml")._target_:
        raise ConfigError(f"{cfg.ckpt_path} generates {made}, which these metrics do not score: pass metrics={option}")


def what_it_generates(stored: dict) -> str:
    """What a checkpoint generates (a key of METRICS_FOR), from the run config and data shape it stores."""
    if len(stored["data_shape"]) == 1:
        return "2-D points"
    module_name, _, name = stored["config"]["model"]["_target_"].rpartition(".")
    model = getattr(importlib.import_module(module_name), name)
    if getattr(model, "needs_low_resolution_pairs", False):
        return "upscaled images"
    return "translations" if getattr(model, "needs_domains", False) else "images"


def test_folder(run_data: DictConfig, path: str) -> DictConfig:
    """The data of a super-resolution run with its test images replaced by the folder `path`."""
    if "scale" not in run_data:
        raise ConfigError("test_path= applies to super-resolution checkpoints (SRGAN, SRResNet) only")
    list_images(Path(path), "test_path")  # named by this script's argument, not by the data module's key
    folder = {"_target_": "gansuite.data.super_resolution.SuperResolutionFolder", "path": path, "test_path": path}
    return OmegaConf.create({**folder, **{k: run_data[k] for k in ("scale", "crop_size", "channels")}})


def evaluate(cfg: DictConfig) -> dict[str, float]:
    check(cfg)
    module, run_config = load_module(cfg.ckpt_path)
    module.to("cuda" if torch.cuda.is_available() else "cpu")
    with open_dict(cfg):
        cfg.data = run_config.data  # metrics.dataset reads data.name
        cfg.model = run_config.model  # metrics.conditioning reads model.conditioning
    data = run_config.data if cfg.test_path is None else test_folder(run_config.data, cfg.test_path)
    evaluator = instantiate(cfg.metrics).evaluator
    values = evaluator(module, instantiate(data))
    rows = {
        "checkpoint": str(cfg.ckpt_path),
        "weights": "EMA generator" if getattr(module, "ema_generator", None) is not None else "generator",
        **evaluator.protocol(),
    }
    width = max(map(len, [*rows, *values]))
    print("\n".join(f"{name:<{width}}  {value}" for name, value in rows.items()))
    print("\n".join(f"{name:<{width}}  {value:.4f}" for name, value in values.items()), flush=True)
    output = Path(cfg.paths.output_dir) / "evaluation.json"
    write_text_atomically(output, json.dumps({"protocol": rows, "metrics": values}, indent=2) + "\n")
    return values


def evaluate_or_remove_run_dir(cfg: DictConfig) -> dict[str, float]:
    """evaluate(cfg); an evaluation refused for bad input after Hydra made its directory (a test_path= of a model
    that takes none, data that cannot be read) takes that directory along, as train.py does."""
    try:
        return evaluate(cfg)
    except Exception as error:
        run_dir = Path(cfg.paths.output_dir)
        if user_error(error) is not None and not (run_dir / "evaluation.json").exists():
            remove_run_dir(run_dir)
        raise


@hydra.main(version_base="1.3", config_path=CONFIG_DIR, config_name="evaluate")
def main(cfg: DictConfig) -> None:
    report_user_errors(evaluate_or_remove_run_dir, cfg)


def run() -> None:
    """gansuite-evaluate, python scripts/evaluate.py: the command line checked before Hydra makes a run directory."""
    sys.argv = quoted_for_hydra(sys.argv)
    report_user_errors(check_command_line, sys.argv, "evaluate", check)
    main()
