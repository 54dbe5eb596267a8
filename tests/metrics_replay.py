"""A stand-in generator for metric tests: it replays given uint8 images, so the images scored are known exactly."""

import torch

from gansuite.data.images import to_model_range


class Replay:
    """What ImageMetrics samples from (`generate`, `latent_dim`, `device`, as every model family has them); returns
    the images batch after batch in the generator's [-1, 1] range, which ImageMetrics rounds back to the same uint8
    values."""

    def __init__(self, images: torch.Tensor, num_classes: int | None = None) -> None:
        """`num_classes`: stand in for a conditional model of that many classes (labels are recorded, not used)."""
        self.images, self.position = images, 0
        self.latent_dim, self.device, self.num_classes = 1, torch.device("cpu"), num_classes
        self.labels: list[torch.Tensor] = []

    def generate(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        batch = self.images[self.position : self.position + len(z)]
        self.position += len(z)
        if labels is not None:
            self.labels.append(labels)
        return to_model_range(batch)
