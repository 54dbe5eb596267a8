"""Translation at each image's own size (issue 32): the fully convolutional generators (CycleGAN's ResNet, pix2pix's
U-Net) get each image padded to the size they state they take (reflect; replicate where the image is too small to
reflect) and their output cropped back, through gansuite.load's .translate, the training module's .translate and
scripts/translate.py; `resize=true` keeps the resize to the training size. Padding is checked against numpy's
np.pad, the sizes the networks are run at with a hook, and the folder outputs against .translate of the same pixels."""

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from torch import Tensor, nn
from torchvision.io import write_png

import gansuite
from gansuite.commands import translate
from gansuite.data.images import to_model_range
from gansuite.errors import ConfigError
from gansuite.metrics.image_metrics import to_uint8
from gansuite.modules.loading import load_module
from gansuite.nets.resnet_generator import ResnetGenerator
from gansuite.nets.shapes import run_at_own_size
from gansuite.nets.unet import UnetGenerator

ODD_SIZES = [(33, 47), (31, 64), (97, 131), (3, 5), (1, 1)]  # odd, non-square, and too small to reflect
# (name, height, width) of a folder to translate: two of one size (one batch), the training size, a nested tiny one.
FOLDER = [("odd.png", 33, 47), ("odd_too.png", 33, 47), ("sub/tiny.png", 3, 5), ("train.png", 32, 32)]
FOLDER += [("wide.png", 20, 50)]


def random_images(n: int, height: int, width: int, seed: int = 0) -> Tensor:
    return torch.rand(n, 3, height, width, generator=torch.Generator().manual_seed(seed)) * 2 - 1


def sizes_run(network: nn.Module, images: Tensor) -> tuple[tuple[int, int], Tensor]:
    """The height and width `network` was run at inside run_at_own_size, and what that returned."""
    seen = []
    hook = network.register_forward_pre_hook(lambda _, inputs: seen.append(tuple(inputs[0].shape[-2:])))
    try:
        with torch.no_grad():
            output = run_at_own_size(network, images)
    finally:
        hook.remove()
    return seen[0], output


def test_the_size_run_at_comes_from_the_network() -> None:
    images = random_images(1, 33, 47)
    unet = UnetGenerator((3, 64, 64), ngf=4, num_downs=6).eval()  # halves 6 times: multiples of 64
    assert unet.size_multiple == 64 and sizes_run(unet, images)[0] == (64, 64)
    assert sizes_run(UnetGenerator((3, 32, 32), ngf=4).eval(), images)[0] == (64, 64)  # multiples of 32
    resnet = ResnetGenerator((3, 32, 32), ngf=4, num_blocks=1).eval()  # multiples of 4, at least 8
    assert (resnet.size_multiple, resnet.min_size) == (4, 8)
    assert sizes_run(resnet, images)[0] == (36, 48)
    assert sizes_run(resnet, random_images(1, 3, 5))[0] == (8, 8)
    already = random_images(1, 32, 48)  # a size the network takes is run as it is
    size, output = sizes_run(resnet, already)
    assert size == (32, 48)
    with torch.no_grad():
        torch.testing.assert_close(output, resnet(already), rtol=0, atol=0)


@pytest.mark.parametrize(("height", "width", "mode"), [(33, 47, "reflect"), (20, 50, "reflect"), (3, 5, "edge")])
def test_padding_is_numpys_reflect_or_edge_and_the_crop_is_the_images_place(height: int, width: int, mode: str) -> None:
    """The reference: np.pad's reflect (mirror without repeating the edge, torch's reflect) when every pad is shorter
    than the side, else its edge mode (torch's replicate), centred; the network on that, cropped where the image is."""
    network = UnetGenerator((3, 32, 32), ngf=4).eval()
    images = random_images(2, height, width)
    padded_h, padded_w = (-(-side // 32) * 32 for side in (height, width))
    top, left = (padded_h - height) // 2, (padded_w - width) // 2
    pads = ((0, 0), (0, 0), (top, padded_h - height - top), (left, padded_w - width - left))
    reference = torch.from_numpy(np.pad(images.numpy(), pads, mode=mode))
    with torch.no_grad():
        expected = network(reference)[..., top : top + height, left : left + width]
        torch.testing.assert_close(run_at_own_size(network, images), expected, rtol=0, atol=0)


@pytest.mark.parametrize(("run", "directions"), [("cyclegan", ("a2b", "b2a")), ("pix2pix", ("a2b",))])
def test_translate_keeps_odd_and_non_square_sizes(
    trained_runs: dict[str, Path], run: str, directions: tuple[str, ...]
) -> None:
    generator = gansuite.load(trained_runs[run])
    module, _ = load_module(trained_runs[run] / "checkpoints" / "last.ckpt")
    for height, width in ODD_SIZES:
        images = random_images(2, height, width)
        for direction in directions:
            output = generator.translate(images, direction)
            assert output.shape == images.shape and output.abs().max() <= 1
            torch.testing.assert_close(output, module.translate(images, direction))  # float32 defaults


def read_uint8(path: Path) -> Tensor:
    return torch.from_numpy(np.asarray(Image.open(path).convert("RGB")).copy()).permute(2, 0, 1)


@pytest.mark.parametrize(("run", "direction"), [("cyclegan", "b2a"), ("pix2pix", "a2b")])
def test_the_folder_comes_back_at_its_own_sizes_and_names(
    trained_runs: dict[str, Path], run: str, direction: str, tmp_path: Path
) -> None:
    """Each output: the input's name (as PNG) and size, the pixels .translate gives that image alone; the image of
    the training size: the resize path's pixels. Tolerance: one uint8 level, for the float rounding of a batch of
    two against one image alone (and of four in the resize path) before quantization."""
    folder = tmp_path / "inputs"
    for index, (name, height, width) in enumerate(FOLDER):
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        seeded = torch.Generator().manual_seed(index)
        write_png(torch.randint(0, 256, (3, height, width), dtype=torch.uint8, generator=seeded), str(folder / name))
    ckpt = f"ckpt_path={trained_runs[run] / 'checkpoints' / 'last.ckpt'}"
    arguments = [ckpt, f"input={folder}", f"direction={direction}"]
    written = translate.main([*arguments, f"output={tmp_path / 'own'}"])
    assert [path.relative_to(tmp_path / "own").as_posix() for path in written] == [name for name, _, _ in FOLDER]
    generator = gansuite.load(trained_runs[run])
    for path, (name, height, width) in zip(written, FOLDER, strict=True):
        output = read_uint8(path)
        assert output.shape == (3, height, width), name
        alone = to_uint8(generator.translate(to_model_range(read_uint8(folder / name)[None]), direction))[0]
        assert (output.int() - alone.int()).abs().max() <= 1, name

    resized = translate.main([*arguments, f"output={tmp_path / 'resized'}", "resize=true"])
    assert all(read_uint8(path).shape == (3, 32, 32) for path in resized)  # today's behaviour: the training size
    own, through_resize = (read_uint8(tmp_path / out / "train.png").int() for out in ("own", "resized"))
    assert (own - through_resize).abs().max() <= 1


def test_resize_is_refused_where_it_cannot_apply(trained_runs: dict[str, Path], tmp_path: Path) -> None:
    folder = tmp_path / "inputs"
    folder.mkdir()
    write_png(torch.zeros(3, 9, 13, dtype=torch.uint8), str(folder / "a.png"))
    arguments = [f"input={folder}", f"output={tmp_path / 'out'}"]
    with pytest.raises(ConfigError, match="upscales each image at its own size: drop resize=true"):
        translate.main([f"ckpt_path={trained_runs['srgan'] / 'checkpoints' / 'last.ckpt'}", *arguments, "resize=true"])
    with pytest.raises(ConfigError, match=r"resize must be true \(to the training size\) or false .*got 'maybe'"):
        translate.main(
            [f"ckpt_path={trained_runs['cyclegan'] / 'checkpoints' / 'last.ckpt'}", *arguments, "resize=maybe"]
        )
