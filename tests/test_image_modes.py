"""Every image mode Pillow opens reaches the model with the values it means (issue 12: 16-bit PNGs trained as white).

Each file is written with known values, read through ImageFiles at its own size (Resize and CenterCrop are then the
identity) and compared with a conversion done by hand in numpy. 8-bit modes must match exactly; where Pillow or
LittleCMS rounds through another precision (luma, ICC transforms) the tolerance is stated where it is used.
"""

import re
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image, ImageCms

from gansuite.data.image_folder import ImageFiles
from gansuite.data.pixels import to_uint8
from gansuite.data.unpaired import ImageFileDomain
from gansuite.errors import DataError

SIZE = 8
RNG = np.random.default_rng(12)
SRGB = ImageCms.createProfile("sRGB")
#: The colorants of Pillow's built-in sRGB profile (PCS XYZ, D50): a profile built from them shares its matrix.
COLORANTS = np.array([SRGB.red_colorant[0], SRGB.green_colorant[0], SRGB.blue_colorant[0]]).T
D50 = (0.9642, 1.0, 0.8249)


def noise(*channels: int, high: int = 256, dtype: type = np.uint8) -> np.ndarray:
    return RNG.integers(0, high, (SIZE, SIZE, *channels), dtype=dtype)


def read(tmp_path: Path, image: Image.Image, channels: int = 3, name: str = "image.png", **save) -> np.ndarray:
    """`image` saved as `name` and loaded through ImageFiles, as (H, W, C) int64."""
    path = tmp_path / name
    image.save(path, **save)
    with Image.open(path) as saved:
        assert saved.mode == image.mode  # the file kept the mode under test
    return ImageFiles([path], size=SIZE, channels=channels)[0].permute(1, 2, 0).numpy().astype(np.int64)


def repeat(grey: np.ndarray, channels: int) -> np.ndarray:
    return np.repeat(grey[..., None], channels, axis=2)


def luma(rgb: np.ndarray) -> np.ndarray:
    """ITU-R 601-2 luma, (H, W, 1); Pillow rounds it through 16-bit fixed point, so compare with atol=1."""
    return np.rint(rgb @ [0.299, 0.587, 0.114])[..., None]


def over_black(colour: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    return np.rint(colour.astype(np.float64) * alpha[..., None] / 255)


def srgb_encode(linear: np.ndarray) -> np.ndarray:
    """Linear light in [0, 1] as 8-bit sRGB (IEC 61966-2-1)."""
    return np.rint(255 * np.where(linear <= 0.0031308, 12.92 * linear, 1.055 * linear ** (1 / 2.4) - 0.055))


def icc(space: bytes, tags: dict[bytes, bytes], device_class: bytes = b"mntr") -> bytes:
    """A minimal ICC v2 profile from `space` to PCS XYZ, with `tags` (signature -> tag data)."""
    table, data, start = b"", b"", 132 + 12 * len(tags)
    for signature, body in tags.items():
        table += struct.pack(">4sII", signature, start + len(data), len(body))
        data += body + bytes(-len(body) % 4)
    illuminant = (round(v * 65536) for v in D50)
    header = struct.pack(
        ">I4sI4s4s4s12s4s4sI4s4s8sI3i4s16s28s", start + len(data), b"", 0x02100000, device_class, space, b"XYZ ",
        b"", b"acsp", b"", 0, b"", b"", b"", 0, *illuminant, b"", b"", b"",
    )  # fmt: skip
    return header + struct.pack(">I", len(tags)) + table + data


def desc(name: str) -> bytes:
    return struct.pack(">4s4xI", b"desc", len(name) + 1) + name.encode() + bytes(1 + 4 + 4 + 2 + 1 + 67)


def xyz(values) -> bytes:
    return struct.pack(">4s4x3i", b"XYZ ", *(round(v * 65536) for v in values))


LINEAR = struct.pack(">4s4xIH2x", b"curv", 1, 0x0100)  # gamma 1.0
LINEAR_RGB = icc(
    b"RGB ",
    {b"desc": desc("linear RGB"), b"wtpt": xyz(D50), b"rTRC": LINEAR, b"gTRC": LINEAR, b"bTRC": LINEAR}
    | {tag: xyz(COLORANTS[:, i]) for i, tag in enumerate((b"rXYZ", b"gXYZ", b"bXYZ"))},
)
LINEAR_GREY = icc(b"GRAY", {b"desc": desc("linear grey"), b"wtpt": xyz(D50), b"kTRC": LINEAR})


def cmyk_profile() -> bytes:
    """CMYK whose linear-light RGB is 1 - (c + k) / 2, 1 - (m + k) / 2, 1 - (y + k) / 2: a lut16 with two grid points
    a channel, which LittleCMS's interpolation (linear in c, tetrahedral in m, y, k) reproduces exactly only for a
    function linear in every channel."""
    corners = np.array(np.meshgrid(*[[0, 1]] * 4, indexing="ij")).reshape(4, -1).T  # c varies slowest
    linear = 1 - (corners[:, :3] + corners[:, 3:]) / 2
    clut = np.rint(linear @ COLORANTS.T * 32768).astype(">u2")  # v2 lut16 PCS XYZ: 1.0 is 0x8000
    ramp = np.array([0, 65535], ">u2").tobytes()
    lut = struct.pack(">4s4xBBBx9iHH", b"mft2", 4, 3, 2, 65536, 0, 0, 0, 65536, 0, 0, 0, 65536, 2, 2)
    lut += ramp * 4 + clut.tobytes() + ramp * 3
    return icc(b"CMYK", {b"desc": desc("linear CMYK"), b"wtpt": xyz(D50), b"A2B0": lut}, device_class=b"prtr")


@pytest.mark.parametrize("channels", [1, 3])
def test_bilevel_and_grey_keep_their_values(tmp_path: Path, channels: int) -> None:
    bits, grey = noise(high=2).astype(bool), noise()
    assert (read(tmp_path, Image.fromarray(bits), channels, "bits.png") == repeat(bits * 255, channels)).all()
    assert (read(tmp_path, Image.fromarray(grey), channels, "grey.png") == repeat(grey, channels)).all()


def test_palette_images_read_through_their_palette_and_transparency(tmp_path: Path) -> None:
    indices, palette, alpha = noise(high=64), RNG.integers(0, 256, (64, 3)), RNG.integers(0, 256, 64, np.uint8)
    image = Image.frombytes("P", (SIZE, SIZE), indices.tobytes())
    image.putpalette(palette.astype(np.uint8).tobytes())
    colour = palette[indices]
    assert (read(tmp_path, image, name="p.png") == colour).all()
    transparent = over_black(colour, alpha[indices])
    assert (read(tmp_path, image, name="pa.png", transparency=alpha.tobytes()) == transparent).all()


def test_colour_images_keep_their_values_and_reduce_to_luma(tmp_path: Path) -> None:
    rgb = noise(3)
    assert (read(tmp_path, Image.fromarray(rgb)) == rgb).all()
    assert np.abs(read(tmp_path, Image.fromarray(rgb), channels=1) - luma(rgb)).max() <= 1


@pytest.mark.parametrize("channels", [1, 3])
def test_alpha_is_composited_over_black(tmp_path: Path, channels: int) -> None:
    rgba, grey_alpha = noise(4), noise(2)
    grey = over_black(repeat(grey_alpha[..., 0], channels), grey_alpha[..., 1])
    assert (read(tmp_path, Image.fromarray(grey_alpha), channels, "la.png") == grey).all()
    colour = rgba[..., :3] if channels == 3 else luma(rgba[..., :3])
    expected = over_black(colour, rgba[..., 3])
    # luma may be one level off before the multiplication by alpha <= 1, so at most one level after it
    assert np.abs(read(tmp_path, Image.fromarray(rgba), channels, "rgba.png") - expected).max() <= (channels == 1)


def test_cmyk_without_a_profile_gets_the_naive_formula(tmp_path: Path) -> None:
    cmyk = noise(4).astype(np.int64)
    image = Image.frombytes("CMYK", (SIZE, SIZE), cmyk.astype(np.uint8).tobytes())
    expected = np.rint((255 - cmyk[..., :3]) * (255 - cmyk[..., 3:]) / 255)
    assert (read(tmp_path, image, name="cmyk.tif") == expected).all()


def test_cmyk_with_a_profile_is_converted_through_it(tmp_path: Path) -> None:
    cmyk = noise(4)
    image = Image.frombytes("CMYK", (SIZE, SIZE), cmyk.tobytes())
    linear = 1 - (cmyk[..., :3] / 255 + cmyk[..., 3:] / 255) / 2
    # LittleCMS rounds through 16 bits: within one level
    got = read(tmp_path, image, name="cmyk.tif", icc_profile=cmyk_profile())
    assert np.abs(got - srgb_encode(linear)).max() <= 1


def test_icc_profiles_convert_to_srgb(tmp_path: Path) -> None:
    rgb, grey = noise(3), noise()
    srgb = ImageCms.ImageCmsProfile(SRGB).tobytes()
    assert (read(tmp_path, Image.fromarray(rgb), name="srgb.png", icc_profile=srgb) == rgb).all()
    # LittleCMS rounds through 16 bits: within one level of the exact sRGB encoding of the linear values
    got = read(tmp_path, Image.fromarray(rgb), name="linear.png", icc_profile=LINEAR_RGB)
    assert np.abs(got - srgb_encode(rgb / 255)).max() <= 1
    got = read(tmp_path, Image.fromarray(grey), name="linear-grey.png", icc_profile=LINEAR_GREY)
    assert np.abs(got - repeat(srgb_encode(grey / 255), 3)).max() <= 1


@pytest.mark.parametrize(("mode", "name"), [("I;16", "image.png"), ("I", "image.tif")])
def test_sixteen_bit_grey_is_scaled_not_clipped(tmp_path: Path, mode: str, name: str) -> None:
    values = noise(high=65536, dtype=np.int64)
    values[0, :3] = 0, 32768, 65535
    image = Image.fromarray(values.astype(np.uint16 if mode == "I;16" else np.int32))
    expected = (values * 255 + 32767) // 65535  # round(v * 255 / 65535) in integers, exact: 65535 is odd
    assert (read(tmp_path, image, name=name) == repeat(expected, 3)).all()


def test_mid_grey_sixteen_bit_png_is_mid_grey(tmp_path: Path) -> None:
    """The regression: Image.convert clipped 32768 to 255, so 16-bit folders trained on white."""
    got = read(tmp_path, Image.fromarray(np.full((SIZE, SIZE), 32768, np.uint16)), channels=1)
    assert (got == 128).all()


def test_sixteen_bit_rgb_png_opens_as_eight_bit(tmp_path: Path) -> None:
    """Pillow keeps the high byte of 16-bit colour PNGs: under one level from v / 257."""
    values = noise(3, high=65536, dtype=np.uint16)
    rows = b"".join(b"\0" + row.astype(">u2").tobytes() for row in values)
    chunks = [(b"IHDR", struct.pack(">IIBBBBB", SIZE, SIZE, 16, 2, 0, 0, 0)), (b"IDAT", zlib.compress(rows))]
    path = tmp_path / "rgb16.png"
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + b"".join(struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d)) for t, d in chunks)
        + struct.pack(">I", 0) + b"IEND" + struct.pack(">I", zlib.crc32(b"IEND"))
    )  # fmt: skip
    got = ImageFiles([path], size=SIZE)[0].permute(1, 2, 0).numpy()
    assert np.abs(got - values / 257).max() < 1


def test_float_in_unit_range_is_scaled(tmp_path: Path) -> None:
    values = RNG.random((SIZE, SIZE), dtype=np.float32)
    values[0, :2] = 0, 1
    got = read(tmp_path, Image.fromarray(values), channels=1, name="float.tif")
    assert (got == np.rint(values.astype(np.float64) * 255)[..., None]).all()


@pytest.mark.parametrize(
    ("values", "found"), [(np.float32([0, 2.5]), r"\[0, 2.5\]"), (np.int32([-1, 9]), r"\[-1, 9\]")]
)
def test_values_outside_the_implied_range_are_refused_with_the_path(
    tmp_path: Path, values: np.ndarray, found: str
) -> None:
    path = tmp_path / "out-of-range.tif"
    Image.fromarray(np.resize(values, (SIZE, SIZE))).save(path)
    with pytest.raises(DataError, match=re.escape(str(path)) + r" \(mode [FI]\) faithfully: its values span " + found):
        ImageFiles([path], size=SIZE)[0]


def test_a_mode_without_a_faithful_reading_is_refused_with_the_path() -> None:
    with pytest.raises(DataError, match=r"cannot convert image odd\.tif \(mode HSV\) faithfully: convert it"):
        to_uint8(Image.new("HSV", (SIZE, SIZE)), 3, Path("odd.tif"))


def test_unpaired_domains_read_16_bit_files_by_the_same_rule(tmp_path: Path) -> None:
    """CycleGAN's folders: torchvision's decoder handed 16-bit PNGs on as uint16, now mid-grey stays mid-grey."""
    path = tmp_path / "grey16.png"
    Image.fromarray(np.full((8, 8), 32768, dtype=np.uint16)).save(path)
    image = ImageFileDomain([path], channels=3)[0]
    assert image.dtype == torch.uint8 and image.shape == (3, 8, 8) and int(image.unique()) == 128
