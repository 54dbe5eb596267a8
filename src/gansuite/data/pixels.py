"""Any image Pillow opens, as the uint8 sRGB (or grayscale) pixels it means.

`Image.convert` is not enough: it clips 16-bit and float values to 255 (a 16-bit grey PNG trains as white), keeps
whatever colour hides under transparent pixels, and ignores ICC profiles. The rule, per mode Pillow opens:

- 1, L, RGB, YCbCr, RGBX: Pillow's conversion (1 is 0 or 255; YCbCr by the JFIF formula; RGBX drops its pad byte).
  16-bit RGB and RGBA PNGs already open as 8-bit RGB/RGBA (Pillow keeps the high byte: under one level off).
- P: through its palette. P with transparency, PA, LA, RGBA, and L or RGB with a transparent colour key: composited
  over black (colour * alpha / 255, i.e. premultiplied), so a transparent pixel is 0 whatever colour it stores,
  without inventing a background colour.
- I;16 (and I;16B, I;16L, I;16N): value / 65535 * 255, rounded. I: the same, since older Pillow opens 16-bit PNGs
  as I; a value outside [0, 65535] has no implied range and is refused. F: value * 255, rounded, for values in
  [0, 1]; any other range (or NaN) is refused.
- An ICC profile is applied (to sRGB, perceptual intent) unless its name says sRGB, which keeps values unchanged;
  CMYK without a profile gets Pillow's naive (255 - c)(255 - k) / 255; LAB is converted by its definition.
- Any other mode is refused.

A colour image read with one channel is reduced to ITU-R 601-2 luma, as `Image.convert("L")` does; a grey one read
with three channels is repeated.
"""

import io
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image, ImageCms

if TYPE_CHECKING:
    from torch import Tensor

from gansuite.errors import DataError

SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
LAB = ImageCms.ImageCmsProfile(ImageCms.createProfile("LAB")).tobytes()
#: Largest value of each mode whose values are scaled into [0, 255].
FULL_SCALE = {"I;16": 65535, "I;16B": 65535, "I;16L": 65535, "I;16N": 65535, "I": 65535, "F": 1.0}
#: Modes Pillow converts faithfully to 8-bit L or RGB (alpha and colour keys are handled apart).
PLAIN = {"1": "L", "RGBX": "RGB", "YCbCr": "RGB"}
FIX = "convert it to an 8-bit RGB or grayscale PNG"
NOOPTIMIZE = 0x0100  # LittleCMS's cmsFLAGS_NOOPTIMIZE; ImageCms.Flags.NOOPTIMIZE needs Pillow >= 10.3


def to_uint8(image: Image.Image, channels: int, path: Path) -> "Tensor":
    """`image` as a uint8 (channels, H, W) tensor, sRGB for 3 channels; `path` names it in a DataError if it is
    refused. torch is imported here, not with the module: the duplicate check reads pixels with numpy alone
    (`to_uint8_array`), and importing torch would be most of its time."""
    import torch

    return torch.from_numpy(to_uint8_array(image, channels, path)).permute(2, 0, 1)


def to_uint8_array(image: Image.Image, channels: int, path: Path) -> np.ndarray:
    """`image` as a uint8 (H, W, channels) array, by the rule above; `path` names it in a DataError if it is refused."""
    profile = LAB if image.mode == "LAB" else image.info.get("icc_profile")
    if image.mode in FULL_SCALE:
        image = scaled(image, path)
    elif image.mode == "PA" or (image.mode in ("P", "L", "RGB") and "transparency" in image.info):
        image = image.convert("LA" if image.mode == "L" else "RGBA")
    elif image.mode in PLAIN or image.mode == "P":
        image = image.convert(PLAIN.get(image.mode, "RGB"))
    elif image.mode not in ("L", "LA", "RGB", "RGBA", "CMYK", "LAB"):
        raise DataError(f"cannot convert image {path} (mode {image.mode}) faithfully: {FIX}")
    alpha = None
    if image.mode in ("LA", "RGBA"):
        alpha = np.asarray(image.getchannel("A"), dtype=np.uint16)[..., None]
        image = image.convert(image.mode[:-1])
    if profile:
        image = to_srgb(image, profile, path)
    pixels = np.atleast_3d(np.asarray(image.convert("RGB" if channels == 3 else "L")))
    if alpha is not None:
        pixels = (pixels * alpha + 127) // 255  # round(colour * alpha / 255): 255 is odd, so there are no ties
    return pixels.astype(np.uint8)


def scaled(image: Image.Image, path: Path) -> Image.Image:
    """A 16-bit, 32-bit integer or float grey image as 8-bit L, its full scale (FULL_SCALE) mapped to 255."""
    values = np.asarray(image).astype(np.float64)
    top = FULL_SCALE[image.mode]
    low, high = values.min(), values.max()
    if not 0 <= low <= high <= top:  # False for NaN too
        raise DataError(
            f"cannot convert image {path} (mode {image.mode}) faithfully: its values span [{low:g}, {high:g}], "
            f"not [0, {top:g}]: {FIX}"
        )
    return Image.fromarray(np.rint(values * (255 / top)).astype(np.uint8))


def to_srgb(image: Image.Image, profile: bytes, path: Path) -> Image.Image:
    """`image` (L, RGB, CMYK or LAB) converted from its ICC `profile` to sRGB, or unchanged if that is sRGB."""
    try:
        transform = srgb_transform(profile, image.mode)
    except (ImageCms.PyCMSError, OSError) as error:  # OSError: bytes that are no profile
        raise DataError(
            f"cannot convert image {path} (mode {image.mode}) faithfully: its ICC profile does not apply ({error}): "
            f"{FIX}, or save it without the profile"
        ) from error
    return image if transform is None else transform.apply(image)  # a truncated file's OSError stays one


@lru_cache(maxsize=16)
def srgb_transform(profile: bytes, mode: str) -> ImageCms.ImageCmsTransform | None:
    """The transform from `profile` to sRGB for `mode`, built once per profile (building costs milliseconds)."""
    source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
    if "sRGB" in (source.profile.profile_description or ""):
        return None
    # LittleCMS's precomputed 8-bit shortcut stays within a level for RGB profiles (common: Display P3, Adobe RGB) but
    # is up to 16 levels off in the darks of grey and CMYK ones; those, rare, take the exact path, 5 to 8 times slower
    flags = 0 if mode == "RGB" else NOOPTIMIZE
    return ImageCms.buildTransform(source, SRGB, mode, "RGB", flags=flags)
