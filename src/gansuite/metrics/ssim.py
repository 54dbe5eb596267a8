"""SSIM (Wang et al. 2004) as torchmetrics computes it, which the suite's SR and colorization numbers have used: an
11x11 Gaussian window of sigma 1.5, K1 = 0.01, K2 = 0.03, the images padded by reflection so that every pixel has a
window, the variances clamped at 0, the map averaged.

torchmetrics blurs each moment with one 11x11 convolution. The Gaussian window is the outer product of two 1-D ones,
so two 11-tap passes give the same blur with 22 multiply-adds per pixel instead of 121: on a CPU in float64, where
SSIM was most of an SR evaluation (Set5 and Set14 at full size), ~5x less work. Checked against torchmetrics in
tests/test_ssim.py.
"""

import torch
import torch.nn.functional as F
from torch import Tensor

WINDOW = 11
SIGMA = 1.5
K1, K2 = 0.01, 0.03


def gaussian_taps(dtype: torch.dtype, device: torch.device) -> Tensor:
    """The normalized 1-D Gaussian of WINDOW taps and SIGMA."""
    offsets = torch.arange(WINDOW, dtype=dtype, device=device) - (WINDOW - 1) / 2
    taps = torch.exp(-0.5 * (offsets / SIGMA) ** 2)
    return taps / taps.sum()


def ssim(output: Tensor, target: Tensor, data_range: float) -> Tensor:
    """The mean SSIM of float images (N, C, H, W), H and W above WINDOW // 2, over images, channels and pixels."""
    c1, c2 = (K1 * data_range) ** 2, (K2 * data_range) ** 2
    n, channels, height, width = output.shape
    pad = WINDOW // 2
    output, target = (F.pad(image, (pad, pad, pad, pad), mode="reflect") for image in (output, target))
    moments = torch.stack([output, target, output * output, target * target, output * target], dim=1)
    taps = gaussian_taps(output.dtype, output.device)
    flat = moments.reshape(-1, 1, height + 2 * pad, width + 2 * pad)
    blurred = F.conv2d(F.conv2d(flat, taps.view(1, 1, 1, WINDOW)), taps.view(1, 1, WINDOW, 1))
    mean_o, mean_t, square_o, square_t, product = blurred.view(n, 5, channels, height, width).unbind(1)
    variance_o, variance_t = (square_o - mean_o**2).clamp(min=0), (square_t - mean_t**2).clamp(min=0)
    covariance = product - mean_o * mean_t
    luminance = (2 * mean_o * mean_t + c1) / (mean_o**2 + mean_t**2 + c1)
    structure = (2 * covariance + c2) / (variance_o + variance_t + c2)
    return (luminance * structure).mean()
