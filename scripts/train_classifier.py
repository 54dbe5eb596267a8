"""Trains the small classifier behind metrics.extractor=classifier on a labelled dataset, and reports its test accuracy.

python scripts/train_classifier.py data=mnist   (a few minutes on a CPU; the weights land in the run directory)
"""

import sys
from pathlib import Path

import hydra
from omegaconf import DictConfig

from gansuite.commands.entry import answer_help, check_command_line, quoted_for_hydra, report_user_errors
from gansuite.conf_dir import CONFIG_DIR
from gansuite.errors import ConfigError
from gansuite.metrics.trainable import TRAINABLE


def check(cfg: DictConfig) -> None:
    """Checked before Hydra makes a run directory: the data has labels to train on."""
    if cfg.data.get("name") not in TRAINABLE:
        raise ConfigError(f"train_classifier needs a labelled dataset: data={' or data='.join(TRAINABLE)}")


def train_classifier(cfg: DictConfig) -> float:
    import torch
    from hydra.utils import instantiate

    from gansuite.metrics.classifier import Classifier
    from gansuite.metrics.classifier_training import accuracy, fit_classifier

    check(cfg)
    torch.manual_seed(cfg.seed)
    datamodule = instantiate(cfg.data)
    train_images, train_labels = datamodule.split_images(train=True), datamodule.split_labels(train=True)
    test_images, test_labels = datamodule.split_images(train=False), datamodule.split_labels(train=False)
    model = fit_classifier(train_images, train_labels, cfg.epochs, cfg.batch_size, cfg.lr, log=log)
    weights_path = Path(cfg.weights_path)
    weights_path.parent.mkdir(parents=True, exist_ok=True)
    model.save(weights_path)
    # Scored with the saved (half-precision) weights: the network the metrics will use.
    test_accuracy = accuracy(Classifier.load(weights_path), test_images, test_labels)
    print(f"test accuracy {test_accuracy:.4f} on {len(test_labels)} images; weights: {weights_path}", flush=True)
    return test_accuracy


def log(line: str) -> None:
    print(line, flush=True)


@hydra.main(version_base="1.3", config_path=CONFIG_DIR, config_name="train_classifier")
def main(cfg: DictConfig) -> float:
    return report_user_errors(train_classifier, cfg)


def run() -> None:
    if report_user_errors(answer_help, sys.argv, "train_classifier", "train_classifier"):
        return
    sys.argv = quoted_for_hydra(sys.argv)
    report_user_errors(check_command_line, sys.argv, "train_classifier", check)
    main()


if __name__ == "__main__":
    run()
