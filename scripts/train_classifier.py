"""Trains the small classifier behind metrics.extractor=classifier on a labelled dataset, and reports its test accuracy.

python scripts/train_classifier.py data=mnist   (a few minutes on a CPU; the weights land in the run directory)
"""

import sys
import time
from pathlib import Path

import hydra
import torch
from hydra.utils import instantiate
from omegaconf import DictConfig
from torch import Tensor
from torch.nn import functional as F
from torchvision import datasets

from gansuite.conf_dir import CONFIG_DIR
from gansuite.entry import check_command_line, report_user_errors
from gansuite.errors import ConfigError
from gansuite.metrics.classifier import TRAINABLE, Classifier

# The torchvision dataset of each labelled option, in the order of metrics.classifier.TRAINABLE (its one list).
LABELLED = dict(zip(TRAINABLE, (datasets.MNIST, datasets.FashionMNIST), strict=True))


def check(cfg: DictConfig) -> None:
    """Checked before Hydra makes a run directory: the data has labels to train on."""
    if cfg.data.get("name") not in LABELLED:
        raise ConfigError(f"train_classifier needs a labelled dataset: data={' or data='.join(LABELLED)}")


def labels(datamodule, train: bool) -> Tensor:
    return LABELLED[datamodule.name](str(datamodule.root), train=train, download=False).targets


@torch.inference_mode()
def accuracy(model: Classifier, images: Tensor, targets: Tensor, batch_size: int = 1000) -> float:
    batches = zip(images.split(batch_size), targets.split(batch_size), strict=True)
    correct = sum(int((model(x).argmax(1) == y).sum()) for x, y in batches)
    return correct / len(targets)


def train_classifier(cfg: DictConfig) -> float:
    check(cfg)
    torch.manual_seed(cfg.seed)
    datamodule = instantiate(cfg.data)
    train_images, train_labels = datamodule.split_images(train=True), labels(datamodule, train=True)
    test_images, test_labels = datamodule.split_images(train=False), labels(datamodule, train=False)
    model = Classifier(datamodule.channels, datamodule.image_size)
    optimizer = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    steps = cfg.epochs * (len(train_images) // cfg.batch_size)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=cfg.lr, total_steps=steps)
    start = time.perf_counter()
    for epoch in range(cfg.epochs):
        order = torch.randperm(len(train_images))
        for indices in order[: len(order) // cfg.batch_size * cfg.batch_size].split(cfg.batch_size):
            loss = F.cross_entropy(model(train_images[indices]), train_labels[indices])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            scheduler.step()
        elapsed = time.perf_counter() - start
        print(f"epoch {epoch + 1}/{cfg.epochs}: loss {loss.item():.4f} ({elapsed:.0f} s)", flush=True)
    model.eval()
    weights_path = Path(cfg.weights_path)
    weights_path.parent.mkdir(parents=True, exist_ok=True)
    model.save(weights_path)
    # Scored with the saved (half-precision) weights: the network the metrics will use.
    test_accuracy = accuracy(Classifier.load(weights_path), test_images, test_labels)
    print(f"test accuracy {test_accuracy:.4f} on {len(test_labels)} images; weights: {weights_path}", flush=True)
    return test_accuracy


@hydra.main(version_base="1.3", config_path=CONFIG_DIR, config_name="train_classifier")
def main(cfg: DictConfig) -> float:
    return report_user_errors(train_classifier, cfg)


if __name__ == "__main__":
    report_user_errors(check_command_line, sys.argv, "train_classifier", check)
    main()
