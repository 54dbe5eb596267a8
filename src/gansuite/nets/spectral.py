"""Spectral normalisation (Miyato et al. 2018): every weight divided by its largest singular value, so each layer is
1-Lipschitz and the discriminator cannot sharpen without bound; no per-batch statistics, so it suits any loss.
"""

from torch import nn
from torch.nn.utils import parametrize
from torch.nn.utils.parametrizations import spectral_norm

_NORMALIZED = (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)


def apply_spectral_norm(module: nn.Module) -> nn.Module:
    """Spectrally normalise the weight of every Conv2d, ConvTranspose2d and Linear in `module`, in place.

    One power iteration per training forward, as in the paper; in eval mode the stored estimate is reused. torch
    takes the output dimension as dim 1 for ConvTranspose weights (in, out, k, k) and 0 otherwise, so both are
    normalised over the right axis. Layers already normalised are left alone, so calling it twice is harmless.
    """
    for layer in list(module.modules()):  # a list: registering a parametrization adds submodules
        if isinstance(layer, _NORMALIZED) and not parametrize.is_parametrized(layer, "weight"):
            spectral_norm(layer)
    return module


def is_spectrally_normalized(module: nn.Module) -> bool:
    """Whether any layer of `module` has a spectrally normalised weight (a Lipschitz constraint for a critic)."""
    return any(parametrize.is_parametrized(layer, "weight") for layer in module.modules())
