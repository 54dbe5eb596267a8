"""Any aspect ratio (issue 33): `data.image_size=[H, W]` for the DCGAN, ResNet and StyleGAN2 nets (grown from a
rectangular base grid) and for the translation families, and `data.aspect=crop|pad|stretch` for image folders."""

import hashlib
from pathlib import Path

import numpy as np
import pytest
import torch
from gansuite_testing import (
    QUIET,
    TINY_CONV,
    TINY_CYCLEGAN,
    TINY_PIX2PIX,
    TINY_RESNET,
    TINY_STYLEGAN2,
    compose_config,
)
from PIL import Image
from torchvision.transforms import v2

import gansuite
from gansuite.commands.entry import user_error
from gansuite.data.image_folder import ImageFolder
from gansuite.data.unpaired import MnistPair
from gansuite.errors import ConfigError
from gansuite.nets.dcgan import DCGANDiscriminator, DCGANGenerator
from gansuite.nets.resnet import ResNetDiscriminator, ResNetGenerator
from gansuite.nets.stylegan2 import StyleGAN2Discriminator, StyleGAN2Generator
from gansuite.run.train import train

TINY_SG2 = {"channel_base": 128, "channel_max": 8}
# The networks at 32x32, as tiny as the training tests build them.
SQUARE_NETS = {
    "dcgan_generator": lambda: DCGANGenerator(16, (3, 32, 32), width=8),
    "dcgan_discriminator": lambda: DCGANDiscriminator((3, 32, 32), width=8),
    "resnet_generator": lambda: ResNetGenerator(16, (3, 32, 32), width=8),
    "resnet_discriminator": lambda: ResNetDiscriminator((3, 32, 32), width=8),
    "stylegan2_generator": lambda: StyleGAN2Generator(8, (3, 32, 32), w_dim=8, mapping_layers=2, **TINY_SG2),
    "stylegan2_discriminator": lambda: StyleGAN2Discriminator((3, 32, 32), **TINY_SG2),
}
# sha256 (first 16 hex digits) of the "name shape" lines of each net's state_dict, as the code before non-square sizes
# built them: the same names and shapes, so the checkpoints written then still load.
SQUARE_STATE_DIGESTS = {
    "dcgan_generator": (20, "1ac3460c7f33eb5f"),
    "dcgan_discriminator": (16, "e4cd4db5c0c5309d"),
    "resnet_generator": (57, "9e0d5f1e5dfadf13"),
    "resnet_discriminator": (22, "8039af59041c2d24"),
    "stylegan2_generator": (68, "db3d8984c85600fd"),
    "stylegan2_discriminator": (29, "808d7f17769fd058"),
}
RUN = ["data.batch_size=4", "steps=2", "metrics=none", "logger=csv", *QUIET]


@pytest.mark.parametrize("name", list(SQUARE_NETS))
def test_square_nets_keep_their_parameter_names_and_shapes(name: str) -> None:
    lines = [f"{key} {tuple(value.shape)}" for key, value in SQUARE_NETS[name]().state_dict().items()]
    assert (len(lines), hashlib.sha256("\n".join(lines).encode()).hexdigest()[:16]) == SQUARE_STATE_DIGESTS[name]


@pytest.mark.parametrize("size", [(32, 48), (48, 32), (16, 40)])
def test_nets_grow_a_rectangle_from_its_base_grid_and_score_it(size: tuple[int, int]) -> None:
    """The shorter side sets the doublings (down to 4), the base grid is the image over 2**doublings."""
    height, width = size
    base = (4, width * 4 // height) if height <= width else (height * 4 // width, 4)
    nets = [
        (DCGANGenerator(16, (3, *size), width=8), DCGANDiscriminator((3, *size), width=8), 16),
        (ResNetGenerator(16, (3, *size), width=8), ResNetDiscriminator((3, *size), width=8), 16),
        (StyleGAN2Generator(8, (3, *size), w_dim=8, mapping_layers=2, **TINY_SG2), None, 8),
    ]
    for generator, discriminator, latent_dim in nets:
        images = generator(torch.randn(4, latent_dim))
        assert images.shape == (4, 3, *size)
        if discriminator is not None:
            assert discriminator(images).shape == (4,)
    assert nets[0][0].net[1].weight.shape[-2:] == base  # DCGAN: the first transposed conv makes the base grid
    assert tuple(nets[2][0].const.shape[1:]) == base  # StyleGAN2: the constant input is the base grid
    assert StyleGAN2Discriminator((3, *size), **TINY_SG2)(torch.randn(4, 3, *size)).shape == (4,)


def write_images(folder: Path, count: int, size: tuple[int, int] = (40, 100)) -> Path:
    """`count` RGB PNGs of height x width `size`: a red band of the left tenth, a blue band of the right tenth and
    green between, so what a fit keeps of the sides shows in its colours."""
    height, width = size
    pixels = np.zeros((height, width, 3), np.uint8)
    band = width // 10
    pixels[:, :band, 0] = 255
    pixels[:, band:-band, 1] = 255
    pixels[:, -band:, 2] = 255
    folder.mkdir(parents=True)
    for index in range(count):
        Image.fromarray(pixels).save(folder / f"{index}.png")
    return folder


FAMILIES = {
    "dcgan": (["model=dcgan", *TINY_CONV], DCGANGenerator),
    "resnet": (
        ["model=gan", "model.generator.arch=resnet", "model.discriminator.arch=resnet", *TINY_RESNET],
        ResNetGenerator,
    ),
    "stylegan2": (TINY_STYLEGAN2, StyleGAN2Generator),
}


@pytest.mark.parametrize("family", list(FAMILIES))
def test_every_family_trains_at_32x48_and_samples_at_that_shape(family: str, tmp_path: Path, data_dir: Path) -> None:
    """DCGAN on an image folder of 40x100 pictures (padded), the others on CIFAR-10 stretched to 32x48."""
    model, generator_class = FAMILIES[family]
    if family == "dcgan":
        folder = write_images(tmp_path / "images", 8)
        data = ["data=image_folder", f"data.path={folder}", "data.aspect=pad", "data.num_workers=0"]
    else:
        data = ["data=cifar10_subset"]
    run = tmp_path / "run"
    train(compose_config([*model, *data, "data.image_size=[32,48]", *RUN], run))
    generator = gansuite.load(run)
    assert generator.data_shape == (3, 32, 48)
    assert isinstance(generator.networks["sample"], generator_class)
    samples = generator.sample(2, seed=0)
    assert samples.shape == (2, 3, 32, 48) and samples.isfinite().all()


@pytest.mark.parametrize(
    ("overrides", "size"),
    [
        ([*TINY_CYCLEGAN, "data=cifar_pair", "data.image_size=[32,48]", "data.load_size=[36,54]"], (32, 48)),
        # The U-Net halves 5 times at least: sides that are multiples of 32 (32x48 is refused, below).
        ([*TINY_PIX2PIX, "data=cifar_colorize", "data.image_size=[32,64]", "data.load_size=[32,64]"], (32, 64)),
    ],
    ids=["cyclegan", "pix2pix"],
)
def test_translation_families_train_at_a_non_square_size(
    overrides: list[str], size: tuple[int, int], tmp_path: Path, data_dir: Path
) -> None:
    run = tmp_path / "run"
    train(compose_config([*overrides, *RUN], run))
    translator = gansuite.load(run)
    assert translator.data_shape == (3, *size)
    assert translator.translate(torch.zeros(2, 3, *size), "a2b").shape == (2, 3, *size)


RED, GREEN, BLUE, BLACK = (255, 0, 0), (0, 255, 0), (0, 0, 255), (0, 0, 0)


def all_of(colour: tuple[int, int, int], pixels: torch.Tensor) -> bool:
    """Whether every pixel of the uint8 (3, H, W) `pixels` is `colour`."""
    return bool((pixels == torch.tensor(colour, dtype=torch.uint8)[:, None, None]).all())


def folder_image(folder: Path, size: list[int] | int, aspect: str) -> torch.Tensor:
    data = ImageFolder(str(folder), image_size=size, batch_size=1, num_workers=0, aspect=aspect)
    data.setup()
    return data.dataset[0]


@pytest.mark.parametrize("aspect", ["crop", "pad", "stretch"])
@pytest.mark.parametrize("size", [[32, 48], [48, 32], 64])
def test_aspect_modes_give_the_image_size(aspect: str, size: list[int] | int, tmp_path: Path) -> None:
    folder = write_images(tmp_path / "images", 1)
    height, width = (size, size) if isinstance(size, int) else size
    image = folder_image(folder, size, aspect)
    assert image.shape == (3, height, width) and image.dtype == torch.uint8


def test_crop_keeps_the_centre_pad_the_whole_image_and_stretch_fills(tmp_path: Path) -> None:
    """On the 40x100 red | green | blue picture at 32x48: crop (scaled to 32x80, centre 48 columns) shows only the
    green middle; pad (scaled to 19x48) keeps the red and blue sides between black bands of 6 and 7 rows; stretch
    keeps the sides and fills every pixel."""
    folder = write_images(tmp_path / "images", 1)
    crop = folder_image(folder, [32, 48], "crop")
    assert all_of(GREEN, crop)

    pad = folder_image(folder, [32, 48], "pad")
    assert all_of(BLACK, pad[:, :6]) and all_of(BLACK, pad[:, 25:])
    picture = pad[:, 6:25]
    assert (picture.amax(dim=0) > 0).all()  # no black inside the picture: all of its 19 rows are the image
    assert all_of(RED, picture[:, :, :4]) and all_of(BLUE, picture[:, :, -4:])

    stretch = folder_image(folder, [32, 48], "stretch")
    assert (stretch.amax(dim=0) > 0).all()
    assert all_of(RED, stretch[:, :, :4]) and all_of(BLUE, stretch[:, :, -4:])


def test_crop_at_a_square_size_is_the_resize_and_center_crop_of_before(tmp_path: Path) -> None:
    folder = tmp_path / "images"
    folder.mkdir()
    pixels = np.random.default_rng(0).integers(0, 256, (40, 100, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(folder / "noise.png")
    before = v2.Compose([v2.Resize(32, antialias=True), v2.CenterCrop(32)])
    assert torch.equal(folder_image(folder, 32, "crop"), before(torch.from_numpy(pixels).permute(2, 0, 1)))


BAD_SIZES = {
    "model=dcgan data=cifar10_subset data.image_size=[30,48]": "[32,48]",
    "model=stylegan2 data=cifar10_subset data.image_size=[32,44]": "[32,40] or [32,48]",
    "model=dcgan data=cifar10_subset data.image_size=[32]": "must be a side in pixels or [height, width]",
    f"{' '.join(TINY_PIX2PIX)} data=cifar_colorize data.image_size=[32,48] data.load_size=[32,48]": "[32,64]",
    "model=cyclegan data=cifar_pair data.image_size=[32,48]": "data.load_size=32 is smaller than data.image_size",
    "model=dcgan data=image_folder data.path=. data.aspect=fit": "data.aspect=fit is unknown: choose one of crop",
}


@pytest.mark.parametrize("overrides", list(BAD_SIZES))
def test_a_size_the_nets_or_data_cannot_take_is_one_config_error_line(overrides: str, tmp_path: Path) -> None:
    with pytest.raises(Exception) as raised:
        train(compose_config([*overrides.split(), *RUN], tmp_path))
    error = user_error(raised.value)  # what the CLI prints, unwrapped from Hydra's InstantiationException
    assert isinstance(error, ConfigError), raised.value
    assert BAD_SIZES[overrides] in str(error) and "\n" not in str(error)


def test_mnist_pair_refuses_quarter_turns_that_would_change_a_rectangle(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="use a square data.image_size or an even quarter_turns"):
        MnistPair(root=str(tmp_path), image_size=[32, 48], load_size=[32, 48], quarter_turns=1)


def test_image_size_of_a_module_reads_the_config_forms(tmp_path: Path) -> None:
    """An int and a square [H, W] name the same square data; a rectangle keeps (H, W)."""
    modules = [ImageFolder(str(tmp_path), image_size=size) for size in (32, [32, 32], [32, 48])]
    assert [(m.image_size, m.shape) for m in modules] == [
        (32, (3, 32, 32)),
        (32, (3, 32, 32)),
        ((32, 48), (3, 32, 48)),
    ]
