"""The image sizes the convolutional nets can be built for, checked once for all of them, and the running of a
fully convolutional network on images of any size."""

import math

from torch import Tensor, nn
from torch.nn import functional as F

from gansuite.errors import ConfigError


def base_grid(data_shape: tuple[int, ...], nets: str, points_fix: str, smallest: int = 16) -> tuple[int, int, int]:
    """(doublings, base height, base width) of the images of `data_shape` for nets that grow a small base grid by one
    doubling per stage (or shrink the image down to it): the doublings take the shorter side down to 4, and the base
    grid is the image divided by 2**doublings, so a square image has the 4x4 grid of the published nets and a
    32x48 one a 4x6 grid.

    The shorter side must be a power of two >= `smallest` and the longer side a multiple of 2**doublings (shorter
    side / 4); a ConfigError naming the problem and nearby sizes that work otherwise (`nets`: their name in the
    message; `points_fix`: the fix for 2-D point data).
    """
    if len(data_shape) != 3:
        raise ConfigError(
            f"{nets} need image data (channels, height, width), got data of shape {tuple(data_shape)}: {points_fix}"
        )
    _, height, width = data_shape
    short, long = sorted((height, width))
    if short < smallest or short & (short - 1):
        problem = f"a shorter side that is a power of two >= {smallest}"
    elif long % (short // 4):
        problem = f"a longer side that is a multiple of {short // 4} (a quarter of the shorter side)"
    else:
        doublings = int(math.log2(short)) - 2
        return doublings, height >> doublings, width >> doublings
    raise ConfigError(
        f"{nets} need images with {problem}, got {height}x{width}: set data.image_size to "
        f"{nearby_sizes(height, width, smallest)}"
    )


def nearby_sizes(height: int, width: int, smallest: int) -> str:
    """Sizes `base_grid` takes near height x width, as data.image_size values: the shorter side at the powers of two
    around it (at least `smallest`), the longer one scaled with it to the multiples of a quarter of it around."""
    short, long = sorted((height, width))
    powers = {max(smallest, 1 << (short.bit_length() - 1)), max(smallest, 1 << (short - 1).bit_length())}
    sizes: list[str] = []
    for side in sorted(powers):
        step = side // 4
        scaled = long * side / short
        for other in sorted({max(side, math.floor(scaled / step) * step), max(side, math.ceil(scaled / step) * step)}):
            pair = (side, other) if height <= width else (other, side)
            sizes.append(str(side) if other == side else f"[{pair[0]},{pair[1]}]")
    return " or ".join(dict.fromkeys(sizes))


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
