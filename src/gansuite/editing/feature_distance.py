"""The feature distances a projection adds to its pixel error, each with the words that name it in the output.

- `lpips`: LPIPS (Zhang et al. 2018), what the official StyleGAN2 projector uses (VGG16 there; AlexNet, torchmetrics'
  default, here): needs the backbone's ImageNet weights in the torch hub cache (gansuite.metrics.lpips).
- `discriminator`: the trained discriminator's own convolution features, each layer's activations unit-normalised
  over channels per pixel and compared by squared distance, averaged over pixels and layers: LPIPS's recipe with
  the run's discriminator as the backbone and no learned weights. It needs no download, and the discriminator has
  learned what separates the data's images, but it is not a perceptual metric: the output says which was used.
- `auto`: LPIPS when its weights are present, the discriminator's features otherwise.
"""

from collections.abc import Callable

import torch
from torch import Tensor, nn

from gansuite.editing import FEATURES
from gansuite.errors import ConfigError
from gansuite.objective.adversarial import with_labels

Distance = Callable[[Tensor, Tensor], Tensor]


def is_convolution(module: nn.Module) -> bool:
    """A module with a 4-D weight: nn.Conv2d and the equalized-learning-rate convolutions of StyleGAN2 alike."""
    weight = getattr(module, "weight", None)
    return isinstance(weight, Tensor) and weight.dim() == 4 and not isinstance(module, nn.ConvTranspose2d)


class DiscriminatorFeatureDistance:
    """Per image, the mean over `discriminator`'s convolution layers of the pixel-averaged squared distance between
    channel-normalised activations. The targets' features are computed once (a projection compares against the
    same targets at every step)."""

    def __init__(self, discriminator: nn.Module, labels: Tensor | None = None) -> None:
        self.discriminator = with_labels(discriminator.eval().requires_grad_(False), labels)
        self.layers = [m for m in discriminator.modules() if is_convolution(m)]
        self.targets: Tensor | None = None
        self.target_features: list[Tensor] = []

    def features(self, images: Tensor) -> list[Tensor]:
        captured: list[Tensor] = []
        hooks = [layer.register_forward_hook(lambda _m, _i, out: captured.append(out)) for layer in self.layers]
        try:
            self.discriminator(images)
        finally:
            for hook in hooks:
                hook.remove()
        return [x / (x.square().sum(dim=1, keepdim=True) + 1e-10).sqrt() for x in captured]

    def __call__(self, images: Tensor, targets: Tensor) -> Tensor:
        if self.targets is not targets:
            with torch.no_grad():
                self.targets, self.target_features = targets, self.features(targets)
        distances = [
            (a - b).square().sum(dim=1).mean(dim=(1, 2))
            for a, b in zip(self.features(images), self.target_features, strict=True)
        ]
        return torch.stack(distances).mean(0)


def lpips_distance(net: str = "alex") -> Distance:
    """LPIPS per image pair (images in [-1, 1]; one channel repeated to three); ConfigError naming the weights file
    when its backbone is not in the torch hub cache."""
    from gansuite.metrics.lpips import lpips_metric  # torchmetrics' image package: only when asked

    network = lpips_metric(net, "feature=lpips", "or use feature=discriminator, which needs no weights").net

    def distance(images: Tensor, targets: Tensor) -> Tensor:
        if images.shape[1] == 1:
            images, targets = images.expand(-1, 3, -1, -1), targets.expand(-1, 3, -1, -1)
        return network(images, targets, normalize=False).flatten()

    return distance


def choose_distance(
    feature: str, discriminator: Callable[[], nn.Module], labels: Tensor | None
) -> tuple[Distance | None, str]:
    """The distance `feature` names and how to say it; `discriminator()` builds the run's discriminator when needed."""
    if feature not in FEATURES:
        raise ConfigError(f"feature={feature} is unknown: choose one of {', '.join(FEATURES)}")
    if feature == "none":
        return None, "pixels only"
    if feature in ("auto", "lpips"):
        try:
            return lpips_distance(), "LPIPS (AlexNet)"
        except ConfigError as missing:
            if feature == "lpips":
                raise
            reason = f" (no LPIPS: {missing})"
    else:
        reason = ""
    return DiscriminatorFeatureDistance(discriminator(), labels), f"the discriminator's features{reason}"
