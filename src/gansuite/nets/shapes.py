"""The image sizes the convolutional nets can be built for, checked once for all of them, and the running of a
fully convolutional network on images of any size."""

import math

from torch import Tensor, nn
from torch.nn import functional as F

from gansuite.errors import ConfigError


def image_side_log2(data_shape: tuple[int, ...], nets: str, points_fix: str) -> int:
    """log2 of the side of square images whose side is a power of two >= 16, the sizes `nets` (their name in the
    message) are built for; a ConfigError naming the fix otherwise (`points_fix` for 2-D point data)."""
    if len(data_shape) != 3:
        raise ConfigError(
            f"{nets} need image data (channels, height, width), got data of shape {tuple(data_shape)}: {points_fix}"
        )
    _, height, width = data_shape
    if height != width or height < 16 or height & (height - 1):
        raise ConfigError(
            f"{nets} need square images whose side is a power of two >= 16, got {height}x{width}: "
            "set data.image_size to 32 or 64"
        )
    return int(math.log2(height))


def run_at_own_size(network: nn.Module, images: Tensor) -> Tensor:
    """`network(images)` for (N, C, H, W) images of any height and width >= 1, returned at that height and width.

    A fully convolutional image-to-image network (CycleGAN's ResNet, pix2pix's U-Net) takes sides that are multiples
    of its `size_multiple` (its stride-2 halvings) and at least its `min_size` (its innermost reflection pads need two
    pixels); each network states both, a network without them takes any size. The images are padded around to the
    next size it takes, half of the padding on each side so the picture stays centred, run, and the output cropped
    back: the network sees the whole picture at its own resolution and aspect ratio instead of a resized one.
    Reflect padding continues the image's texture without the hard edge of zeros; it needs each side's padding to
    be shorter than the image, so an image too small for that (e.g. 3 pixels padded to 8) is padded by replicating
    its border pixels instead. Images the network already takes are run as they are, unpadded.
    """
    multiple = getattr(network, "size_multiple", 1)
    minimum = getattr(network, "min_size", multiple)
    height, width = images.shape[-2:]
    pad_h, pad_w = (max(minimum, -(-side // multiple) * multiple) - side for side in (height, width))
    if not pad_h and not pad_w:
        return network(images)
    top, left = pad_h // 2, pad_w // 2
    mode = "reflect" if pad_h - top < height and pad_w - left < width else "replicate"
    padded = F.pad(images, (left, pad_w - left, top, pad_h - top), mode=mode)
    return network(padded)[..., top : top + height, left : left + width]
