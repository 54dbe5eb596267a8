"""VGG19 features for SRGAN's content loss (Ledig et al. 2017): the activations of the 4th convolution before the
5th max-pooling, phi_5,4 (after its ReLU), of torchvision's ImageNet VGG19, on images normalized as it was trained.

The weights are torchvision's file: in the torch hub cache, downloaded there when online, or given as a path. Offline
without them `resolve_weights` stops with one line naming the file and the alternatives; there is no silent switch to
another network or to random weights (tests write seeded random weights of the same architecture and pass the path).
"""

from pathlib import Path

import torch
from torch import Tensor, nn
from torchvision.models import VGG19_Weights, vgg19

from gansuite.errors import ConfigError
from gansuite.hub_weights import cached_weights

WEIGHTS_URL = VGG19_Weights.IMAGENET1K_V1.url
PHI_5_4 = 36  # torchvision's vgg19().features[:36] ends with the ReLU of conv5_4
IMAGENET_MEAN, IMAGENET_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)


def resolve_weights(path: str | None) -> Path:
    """The VGG19 weights file: `path` when given, else the hub cache, downloading into it when missing."""
    fix = "pass model.vgg_weights=PATH, or train with model.content=pixel (MSE), which needs no weights"
    if path:
        if not Path(path).is_file():
            raise ConfigError(f"model.vgg_weights={path} is not a file: {fix}")
        return Path(path)
    return cached_weights(WEIGHTS_URL, "model.content=vgg", "VGG19", fix)


def write_random_weights(path: Path, seed: int = 0) -> Path:
    """A torchvision VGG19 state dict with seeded random weights: the architecture and file format of the real one,
    for tests that cannot download it."""
    torch.manual_seed(seed)
    torch.save(vgg19().state_dict(), path)
    return path


class VGGFeatures(nn.Module):
    """images in [-1, 1] (N, 3, H, W) -> phi_5,4 features, frozen, in eval mode."""

    def __init__(self, weights: Path) -> None:
        super().__init__()
        # Built on the meta device and given the file's tensors: VGG19's 143M parameters are not first initialised at
        # random only to be overwritten (~1 s of every start). Not memory-mapped: torchvision's file predates the
        # zip format that torch.load(mmap=True) needs.
        with torch.device("meta"):
            network = vgg19()
        network.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True), assign=True)
        self.features = network.features[:PHI_5_4].eval().requires_grad_(False)
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1))

    def forward(self, images: Tensor) -> Tensor:
        return self.features(((images + 1) / 2 - self.mean) / self.std)
