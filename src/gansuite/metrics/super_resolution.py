"""PSNR and SSIM of super-resolved images on the SR literature's protocol, and the evaluator that scores a model's
upscaling of every test image.

The protocol (SRGAN, EDSR and every SR table since): both images as uint8 values, converted to the luma Y of ITU-R
BT.601 in the "studio swing" that MATLAB's rgb2ycbcr returns (Y = 16 + (65.481 R + 128.553 G + 24.966 B) / 255 for
R, G, B in [0, 255], so Y is in [16, 235]), `scale` pixels removed at each border, PSNR with a data range of 255 and
SSIM with an 11x11 Gaussian window (sigma 1.5), each averaged over the test images. `channel="rgb"` scores the three
RGB channels instead; the metric's name says which (`psnr_y`, `psnr_rgb`). LPIPS, when asked for (`lpips_alex`), is
on the RGB images in [-1, 1] with the same border removed, averaged over the test images.
"""

import torch
from lightning import LightningModule
from torch import Tensor
from torchmetrics.functional.image import peak_signal_noise_ratio

from gansuite.data.images import to_model_range
from gansuite.errors import ConfigError
from gansuite.metrics.image_metrics import to_uint8
from gansuite.metrics.lpips import lpips_metric
from gansuite.metrics.ssim import ssim

CHANNELS = ("y", "rgb")
LPIPS_MIN_SIDE = 32  # AlexNet's pooling leaves no pixel of a smaller image
BT601_Y = (65.481, 128.553, 24.966)  # per unit of R, G, B in [0, 1]; plus 16


def rgb_to_y(images: Tensor) -> Tensor:
    """BT.601 studio-swing luma (N, 1, H, W) in float64 of RGB values (N, 3, H, W) in [0, 255]."""
    weights = torch.tensor(BT601_Y, dtype=torch.float64, device=images.device).view(1, 3, 1, 1) / 255
    return 16 + (images.double() * weights).sum(dim=1, keepdim=True)


def shave(images: Tensor, border: int) -> Tensor:
    return images[..., border : images.shape[-2] - border, border : images.shape[-1] - border] if border else images


def psnr_ssim(output: Tensor, target: Tensor, border: int, channel: str = "y") -> tuple[float, float]:
    """PSNR (dB) and SSIM of one uint8 image (C, H, W) against its target, `border` pixels removed at each side."""
    if channel not in CHANNELS:
        raise ConfigError(f"metrics.channel={channel} is unknown: choose y (the SR convention) or rgb")
    if output.shape != target.shape:
        raise ValueError(f"output {tuple(output.shape)} and target {tuple(target.shape)} differ in shape")
    pair = [image[None].double() for image in (output, target)]
    if channel == "y" and output.shape[0] == 3:
        pair = [rgb_to_y(image) for image in pair]
    output, target = (shave(image, border) for image in pair)
    psnr = peak_signal_noise_ratio(output, target, data_range=255.0)
    return float(psnr), float(ssim(output, target, data_range=255.0))


class SuperResolutionScores:
    """Evaluator `(pl_module, datamodule) -> {psnr_<channel>, ssim_<channel>[, lpips_<net>]}`: each test image's
    low-resolution version (`datamodule.test_pairs()`) upscaled by the model, one image at a time (test images differ
    in size), and scored against the original on the protocol of the module docstring. `lpips`: the LPIPS backbone
    (alex, vgg, squeeze) or None; its weights are resolved here, so a run without them stops before training."""

    def __init__(self, channel: str = "y", lpips: str | None = None) -> None:
        if channel not in CHANNELS:
            raise ConfigError(f"metrics.channel={channel} is unknown: choose y (the SR convention) or rgb")
        self.channel = channel
        self.lpips_net, self.lpips = lpips, lpips_metric(lpips) if lpips else None
        self.names = [f"psnr_{channel}", f"ssim_{channel}", *([f"lpips_{lpips}"] if lpips else [])]

    def protocol(self) -> dict[str, str]:
        """How the numbers were made, for tables and reports."""
        channel = "BT.601 Y (studio swing, MATLAB's rgb2ycbcr)" if self.channel == "y" else "RGB"
        protocol = {
            "images": "every test image, cropped to a multiple of the scale; input: its PIL bicubic downscale",
            "channel": channel,
            "border": "scale pixels removed at each side",
            "PSNR / SSIM": "data range 255; SSIM with an 11x11 Gaussian window (sigma 1.5); mean over images",
        }
        if self.lpips is not None:
            protocol["LPIPS"] = f"torchmetrics, v0.1 layers on {self.lpips_net}; RGB in [-1, 1], border removed; mean"
        return protocol

    @torch.no_grad()
    def __call__(self, pl_module: LightningModule, datamodule) -> dict[str, float]:
        scores, border = [], datamodule.scale
        if self.lpips is not None:
            self.lpips = self.lpips.to(pl_module.device)
            self.lpips.reset()
        for low, high in datamodule.test_pairs():
            output = pl_module.upscale(to_model_range(low[None]))[0]
            scores.append(psnr_ssim(to_uint8(output).cpu(), high, border, self.channel))
            if self.lpips is not None:  # on the uint8 output, as PSNR and SSIM see it
                pair = [shave(to_model_range(image[None]), border) for image in (to_uint8(output), high)]
                if min(pair[0].shape[-2:]) < LPIPS_MIN_SIDE:
                    raise ConfigError(
                        f"LPIPS needs test images of at least {LPIPS_MIN_SIDE} pixels a side once the border is "
                        f"removed, got {tuple(pair[0].shape[-2:])}: use larger test images or metrics=psnr_ssim"
                    )
                self.lpips.update(*(image.to(pl_module.device) for image in pair))
        psnr, ssim = (sum(values) / len(values) for values in zip(*scores, strict=True))
        values = [psnr, ssim, *([float(self.lpips.compute())] if self.lpips is not None else [])]
        return dict(zip(self.names, values, strict=True))
