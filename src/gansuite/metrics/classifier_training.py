"""Training and scoring the small classifier (gansuite.metrics.classifier) on any labelled uint8 images: the
feature network of metrics.extractor=classifier (scripts/train_classifier.py) and the classification accuracy
score of a conditional generator (scripts/cas.py), one loop for both so their numbers compare."""

import time
from collections.abc import Callable

import torch
from torch import Tensor
from torch.nn import functional as F

from gansuite.metrics.classifier import Classifier


def fit_classifier(
    images: Tensor,
    labels: Tensor,
    epochs: int,
    batch_size: int,
    lr: float,
    num_classes: int = 10,
    log: Callable[[str], None] = print,
) -> Classifier:
    """A Classifier for `images` (uint8 N, C, H, W) trained on `labels` with Adam under a one-cycle schedule for
    `epochs` passes over shuffled full batches (the global torch RNG draws the order: seed it first)."""
    model = Classifier(images.shape[1], images.shape[-1], num_classes)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    steps = epochs * (len(images) // batch_size)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=lr, total_steps=steps)
    start = time.perf_counter()
    for epoch in range(epochs):
        order = torch.randperm(len(images))
        for indices in order[: len(order) // batch_size * batch_size].split(batch_size):
            loss = F.cross_entropy(model(images[indices]), labels[indices])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            scheduler.step()
        log(f"epoch {epoch + 1}/{epochs}: loss {loss.item():.4f} ({time.perf_counter() - start:.0f} s)")
    return model.eval()


@torch.inference_mode()
def accuracy(model: Classifier, images: Tensor, labels: Tensor, batch_size: int = 1000) -> float:
    """The share of `images` whose argmax class is their label."""
    batches = zip(images.split(batch_size), labels.split(batch_size), strict=True)
    correct = sum(int((model(x).argmax(1) == y).sum()) for x, y in batches)
    return correct / len(labels)
