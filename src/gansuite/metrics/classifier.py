"""A small classifier trained on the dataset itself: the offline feature network for a domain FID and a
classifier score (the Inception Score with this network's class probabilities), as MNIST GAN papers use.

It reads uint8 images at the size the GAN trains on, so real and generated images take the same path. The weights
file stores the image size and channels with the state dict, and a file made for another shape is refused.
"""

from pathlib import Path

import torch
from torch import Tensor, nn

from gansuite.errors import ConfigError
from gansuite.metrics.inception import file_digest
from gansuite.metrics.trainable import TRAINABLE

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"


class Classifier(nn.Module):
    """Three conv blocks and a 128-d penultimate layer (the features FID uses); about 160k parameters."""

    def __init__(self, channels: int = 1, image_size: int = 32, num_classes: int = 10, num_features: int = 128) -> None:
        super().__init__()
        self.channels, self.image_size, self.num_classes = channels, image_size, num_classes
        self.num_features = num_features
        self.body = nn.Sequential(
            nn.Conv2d(channels, 16, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1),
            nn.ReLU(),
            nn.AdaptiveAvgPool2d(4),
            nn.Flatten(),
            nn.Linear(64 * 16, num_features),
            nn.ReLU(),
        )
        self.head = nn.Linear(num_features, num_classes)

    def features_and_logits(self, images: Tensor) -> tuple[Tensor, Tensor]:
        """uint8 (N, C, H, W) -> penultimate features (N, num_features) and class logits (N, num_classes)."""
        if images.dtype != torch.uint8:
            raise TypeError(f"the classifier reads uint8 images, got {images.dtype}")
        features = self.body(images.float().div(127.5).sub(1.0))
        return features, self.head(features)

    def forward(self, images: Tensor) -> Tensor:
        return self.features_and_logits(images)[1]

    def save(self, path: Path) -> None:
        """Half-precision weights (the file stays a few hundred KB) with the shape they were trained for."""
        state = {name: tensor.half() for name, tensor in self.state_dict().items()}
        shape = {"channels": self.channels, "image_size": self.image_size, "num_classes": self.num_classes}
        torch.save({"state_dict": state, "num_features": self.num_features, **shape}, path)

    @classmethod
    def load(cls, path: Path) -> "Classifier":
        saved = torch.load(path, map_location="cpu", weights_only=True)
        model = cls(saved["channels"], saved["image_size"], saved["num_classes"], saved["num_features"])
        model.load_state_dict({name: tensor.float() for name, tensor in saved["state_dict"].items()})
        return model.eval().requires_grad_(False)


def default_weights(dataset: str) -> Path:
    return WEIGHTS_DIR / f"{dataset}_classifier.pt"


def resolve_weights(dataset: str, path: str | None, wanted_by: str = "metrics.extractor=classifier") -> Path:
    """The classifier file for `dataset`: `path` when given, else the one shipped in the package. `wanted_by`: the
    setting that needs it, which the error offers to change."""
    weights = Path(path) if path else default_weights(dataset)
    if weights.is_file():
        return weights
    if dataset not in TRAINABLE:
        alternative = (
            "use metrics.extractor=inception"
            if wanted_by == "metrics.extractor=classifier"
            else f"set {wanted_by}=false"
        )
        raise ConfigError(
            f"no classifier weights for {dataset} at {weights} ({wanted_by} needs them), and "
            f"scripts/train_classifier.py trains only on {', '.join(TRAINABLE)}: pass "
            f"metrics.classifier_weights=<a classifier of this data> or {alternative}"
        )
    raise ConfigError(
        f"no classifier weights for {dataset} at {weights}: train them with "
        f"`python scripts/train_classifier.py data={dataset}` and pass metrics.classifier_weights=<that file>"
    )


class ClassifierFeatures(nn.Module):
    """uint8 images -> (penultimate features, logits) of the dataset's classifier, checked against the data shape."""

    def __init__(self, dataset: str, weights_path: Path, data_shape: tuple[int, ...]) -> None:
        super().__init__()
        self.net = Classifier.load(weights_path)
        size = self.net.image_size
        if (self.net.channels, size, size) != tuple(data_shape):
            raise ConfigError(
                f"classifier {weights_path} reads {self.net.channels}x{size}x{size} images but the data is "
                f"{'x'.join(map(str, data_shape))}: train one for this size with "
                f"`python scripts/train_classifier.py data={dataset} data.image_size={data_shape[-1]}`"
            )
        digest = file_digest(weights_path)
        self.num_features = self.net.num_features
        self.identity = f"classifier-{digest}"
        self.description = f"{dataset} classifier ({weights_path.name}, sha256 {digest}...)"
        self.resize = f"none (the classifier reads {size}x{size})"

    def forward(self, images: Tensor) -> tuple[Tensor, Tensor]:
        return self.net.features_and_logits(images)
