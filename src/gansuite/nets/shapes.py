"""The image sizes the convolutional nets can be built for, checked once for all of them."""

import math

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
