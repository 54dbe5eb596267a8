"""The work of `scripts/evaluate.py` (gansuite-evaluate) once its command line is checked (gansuite.commands.evaluate
says what it takes): the checkpoint's generator scored by the chosen metrics, printed with their protocol and
written to evaluation.json."""

import json
from pathlib import Path

import torch
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf, open_dict

from gansuite.commands.entry import user_error
from gansuite.commands.evaluate import check
from gansuite.data.image_files import list_images
from gansuite.errors import ConfigError
from gansuite.files import write_text_atomically
from gansuite.modules.loading import load_module
from gansuite.run.train import remove_run_dir


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
