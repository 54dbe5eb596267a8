"""LPIPS (Zhang et al. 2018, "The Unreasonable Effectiveness of Deep Features as a Perceptual Metric") through
torchmetrics: the distance between two images in the unit-normalized features of an ImageNet network, weighted by
the linear layers the authors fitted to human judgements (v0.1). Lower is closer; identical images score 0.

The linear layers ship inside torchmetrics; the backbone is torchvision's ImageNet file (AlexNet by default, as
the authors recommend for a forward metric), found in the torch hub cache or downloaded there. Offline without it,
`lpips_metric` stops with one line naming the file: never random features behind a number called LPIPS. Tests write
seeded random weights of the same architecture into a temporary cache (`write_random_backbone`).
"""

from pathlib import Path

import torch
import torchvision
from torchmetrics.image.lpip import LearnedPerceptualImagePatchSimilarity

from gansuite.errors import ConfigError
from gansuite.hub_weights import cached_weights, hub_path

# torchmetrics builds each backbone with torchvision's DEFAULT weights of these architectures.
BACKBONES = {"alex": "alexnet", "vgg": "vgg16", "squeeze": "squeezenet1_1"}
NAMES = {"alex": "AlexNet", "vgg": "VGG16", "squeeze": "SqueezeNet 1.1"}


def backbone_url(net: str) -> str:
    if net not in BACKBONES:
        raise ConfigError(f"metrics.lpips={net} is unknown: choose one of {', '.join(BACKBONES)} (alex, the default)")
    return torchvision.models.get_model_weights(BACKBONES[net]).DEFAULT.url


def lpips_metric(
    net: str = "alex", option: str | None = None, fix: str = "or use metrics=psnr_ssim, which needs no weights"
) -> LearnedPerceptualImagePatchSimilarity:
    """torchmetrics' LPIPS on images in [-1, 1], mean over the updates (its `net` gives per-image distances);
    ConfigError offline without the backbone, naming the `option` that asked for it (metrics.lpips=<net> by
    default) and the `fix` that goes on without it."""
    cached_weights(backbone_url(net), option or f"metrics.lpips={net}", NAMES[net], fix)
    return LearnedPerceptualImagePatchSimilarity(net_type=net, normalize=False).eval()


def write_random_backbone(net: str, seed: int = 0) -> Path:
    """Seeded random weights of the backbone's architecture at its place in the hub cache (point TORCH_HOME at a
    temporary folder first): for tests that cannot download the real file."""
    torch.manual_seed(seed)
    path = hub_path(backbone_url(net))
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(torchvision.models.get_model(BACKBONES[net], weights=None).state_dict(), path)
    return path
