"""pix2pix: the U-Net and the conditional PatchGAN against the reference's sizes and wiring, aligned pairs from both
folder layouts and from the CIFAR-10 subset, their errors, real Trainer runs and translate.py on the checkpoint."""

import csv
import math
from pathlib import Path

import pytest
import torch
from gansuite_testing import LOG_EVERY_BATCH, QUIET, TINY_PIX2PIX, compose_config
from hydra.utils import instantiate
from PIL import Image
from torchvision.io import write_png

from gansuite.commands import translate
from gansuite.commands.entry import user_error
from gansuite.data.images import to_model_range
from gansuite.data.paired import luma, sobel_edges
from gansuite.errors import ConfigError, DataError
from gansuite.metrics.translation import TranslationScores, set_psnr
from gansuite.modules.loading import build_model, load_module
from gansuite.nets.patchgan import PatchGANDiscriminator
from gansuite.nets.unet import UnetBlock, UnetGenerator
from gansuite.run.train import train

PIX2PIX = [*TINY_PIX2PIX, *QUIET, *LOG_EVERY_BATCH, "metrics=none"]


def parameters(network: torch.nn.Module) -> int:
    return sum(p.numel() for p in network.parameters())


def test_reference_sized_networks_have_the_reference_parameter_counts() -> None:
    # pytorch-CycleGAN-and-pix2pix prints "[Network G] Total number of parameters : 54.414 M" and "[Network D] ...
    # : 2.769 M" for the default pix2pix (unet_256, basic D on 3 + 3 channels, batch norm).
    assert parameters(UnetGenerator((3, 256, 256))) == 54_413_955
    assert parameters(PatchGANDiscriminator((6, 256, 256), norm="batch")) == 2_768_705
    # CycleGAN's D keeps instance norm and its conv biases: 2.765 M in the reference's printout.
    assert round(parameters(PatchGANDiscriminator((3, 256, 256))) / 1e6, 3) == 2.765


@pytest.mark.parametrize(("size", "downs"), [(32, 5), (256, 8)])
def test_unet_keeps_the_shape_and_concatenates_each_encoder_stage(size: int, downs: int) -> None:
    torch.manual_seed(0)
    generator = UnetGenerator((3, size, size), ngf=4).eval()
    assert generator.num_downs == downs
    seen = []
    for block in generator.modules():
        if isinstance(block, UnetBlock) and not block.outermost:
            block.register_forward_hook(lambda b, inputs, output: seen.append((inputs[0].shape, output.shape)))
    x = torch.randn(2, 3, size, size)
    y = generator(x)
    assert y.shape == x.shape and y.abs().max() <= 1
    assert len(seen) == downs - 1  # every block but the outermost returns cat(input, decoded)
    for input_shape, output_shape in seen:
        assert output_shape[2:] == input_shape[2:] and output_shape[1] == 2 * input_shape[1]
    assert seen[0][0][2] == 2  # the innermost block sees 2x2 and goes down to 1x1 inside
    with torch.no_grad():  # the skip reaches the output: changing one corner pixel changes the output there
        x2 = x.clone()
        x2[:, :, 0, 0] += 1
        assert not torch.allclose(generator(x2)[:, :, :2, :2], y[:, :, :2, :2])


def test_unet_sizes_it_cannot_make_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="power-of-two data.image_size of at least 32"):
        UnetGenerator((3, 16, 16))
    with pytest.raises(ConfigError, match="divisible by 2\\*\\*num_downs"):
        UnetGenerator((3, 48, 48))


def write_side_by_side(root: Path, split: str, count: int, size: int = 36) -> None:
    """A|B images whose right half is the negative of the left half."""
    (root / split).mkdir(parents=True)
    for i in range(count):
        a = torch.randint(0, 256, (3, size, size), dtype=torch.uint8, generator=torch.Generator().manual_seed(i))
        write_png(torch.cat([a, 255 - a], dim=2), str(root / split / f"{i}.png"))


def write_two_folders(root: Path, names: dict[str, list[str]], size: int = 36) -> None:
    """A/<split>/<name>.png and B/<split>/<name>.png, B the negative of A."""
    for split, files in names.items():
        for side in "AB":
            (root / side / split).mkdir(parents=True)
        for i, name in enumerate(files):
            a = torch.randint(0, 256, (3, size, size), dtype=torch.uint8, generator=torch.Generator().manual_seed(i))
            write_png(a, str(root / "A" / split / f"{name}.png"))
            write_png(255 - a, str(root / "B" / split / f"{name}.png"))


def paired_folder(path: Path, tmp_path: Path, *overrides: str):
    data = ["data=paired_folder", f"data.path={path}", "data.image_size=32", "data.load_size=34", "data.num_workers=0"]
    return instantiate(compose_config([*PIX2PIX, *data, *overrides], tmp_path).data)


@pytest.mark.parametrize("layout", ["side_by_side", "two_folders"])
def test_paired_folder_layouts_yield_aligned_pairs_through_one_crop_and_flip(layout: str, tmp_path: Path) -> None:
    if layout == "side_by_side":
        write_side_by_side(tmp_path / "data", "train", 3)
        write_side_by_side(tmp_path / "data", "val", 2)  # no test/: val/ is the test split, as in maps
    else:
        write_two_folders(tmp_path / "data", {"train": ["x", "y", "z"], "test": ["u", "v"]})
    datamodule = paired_folder(tmp_path / "data", tmp_path, "data.batch_size=3")
    datamodule.setup()
    assert {split: len(images) for split, images in datamodule.domains.items()} == {
        "trainA": 3,
        "trainB": 3,
        "testA": 2,
        "testB": 2,
    }
    torch.manual_seed(0)
    for _ in range(4):  # resized to 34, random crops to 32 and flips: B stays the negative of A, pixel for pixel
        a, b = next(iter(datamodule.train_dataloader()))
        assert a.shape == (3, 3, 32, 32)
        assert (a.int() + b.int() - 255).abs().max() <= 1  # bicubic is linear: only rounding at .5 may differ
    test_a, test_b = datamodule.test_images("a"), datamodule.test_images("b")  # resized 36 -> 32, in file order
    assert (test_a.int() + test_b.int() - 255).abs().max() <= 1


def test_paired_folder_faults_are_one_line_data_errors(tmp_path: Path) -> None:
    write_two_folders(tmp_path / "unpaired", {"train": ["x", "y"], "test": ["u"]})
    (tmp_path / "unpaired" / "B" / "train" / "y.png").rename(tmp_path / "unpaired" / "B" / "train" / "w.png")
    with pytest.raises(DataError, match=r"A/train/y.png has no partner in .*B/train \(files pair by name"):
        paired_folder(tmp_path / "unpaired", tmp_path).setup()

    write_two_folders(tmp_path / "sizes", {"train": ["x"], "test": ["u"]})
    write_png(torch.zeros(3, 20, 36, dtype=torch.uint8), str(tmp_path / "sizes" / "B" / "train" / "x.png"))
    with pytest.raises(DataError, match=r"x.png is 36x36 but its partner .*x.png is 36x20: a pair must have one size"):
        paired_folder(tmp_path / "sizes", tmp_path).setup()

    write_side_by_side(tmp_path / "corrupt", "train", 2)
    write_side_by_side(tmp_path / "corrupt", "test", 1)
    (tmp_path / "corrupt" / "train" / "1.png").write_bytes(b"not a png")
    with pytest.raises(DataError, match=r"cannot read image .*corrupt/train/1.png .*delete or replace it"):
        paired_folder(tmp_path / "corrupt", tmp_path).setup()

    (tmp_path / "odd" / "train").mkdir(parents=True)
    write_png(torch.zeros(3, 8, 9, dtype=torch.uint8), str(tmp_path / "odd" / "train" / "0.png"))
    with pytest.raises(DataError, match="is 9 pixels wide, not an A|B pair"):
        paired_folder(tmp_path / "odd", tmp_path).setup()

    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="holds neither train/ .* nor A/ and B/"):
        paired_folder(tmp_path / "empty", tmp_path).setup()

    cfg = compose_config([*PIX2PIX, "data=facades", f"paths.data_dir={tmp_path}", "data.download=false"], tmp_path)
    with pytest.raises(DataError, match=r"facades not found .* download https://\S+/facades.tar.gz"):
        instantiate(cfg.data).setup()


def test_cifar_pairs_are_gray_or_edges_of_the_photo(tmp_path: Path) -> None:
    colorize = instantiate(compose_config([*PIX2PIX, "data=cifar_colorize"], tmp_path).data)
    colorize.setup()
    gray, photo = colorize.domains["trainA"][:4], colorize.domains["trainB"][:4]
    assert torch.equal(gray[:, 0], gray[:, 1]) and torch.equal(gray[:, 0], gray[:, 2])
    # ITU-R BT.601 luma by hand, float64, one pixel
    r, g, b = (float(photo[0, c, 5, 7]) for c in range(3))
    assert int(gray[0, 0, 5, 7]) == round(0.299 * r + 0.587 * g + 0.114 * b)
    assert len(colorize.domains["testA"]) == len(colorize.domains["testB"]) > 0

    flat = torch.full((1, 3, 8, 8), 100, dtype=torch.uint8)
    step = flat.clone()
    step[..., 4:] = 200
    assert int(sobel_edges(flat).max()) == 0  # no gradient, no edge
    edges = sobel_edges(step)[0, 0]
    assert edges[:, 3:5].min() == 255 and edges[:, :2].max() == 0 and edges[:, 6:].max() == 0
    assert luma(step).dtype == torch.float32


def logged_rows(output_dir: Path) -> list[dict[str, str]]:
    with open(output_dir / "csv" / "metrics.csv") as f:
        return list(csv.DictReader(f))


@pytest.mark.parametrize(("data", "direction"), [("cifar_colorize", "a2b"), ("cifar_edges", "b2a")])
def test_trains_and_its_checkpoint_translates_a_folder(data: str, direction: str, tmp_path: Path) -> None:
    output_dir = tmp_path / "run"
    overrides = [*PIX2PIX, f"data={data}", "data.batch_size=4", f"model.direction={direction}", "steps=4"]
    overrides += ["callbacks.sample_grid.every_n_updates=2", "callbacks.sample_grid.num_images=3"]
    train(compose_config(overrides, output_dir))

    rows = logged_rows(output_dir)
    assert [float(row["gen_step"]) for row in rows] == [1, 2, 3, 4]
    for name in ("g_adversarial", "g_l1", "g_loss", "d_loss"):
        assert all(math.isfinite(float(row[f"train/{name}"])) for row in rows), name
    # L1 weight 100: the generator's loss is its adversarial term plus 100 times the L1 term, update by update
    for row in rows:
        expected = float(row["train/g_adversarial"]) + 100 * float(row["train/g_l1"])
        assert float(row["train/g_loss"]) == pytest.approx(expected, rel=1e-5)
    assert [float(row["train/lr"]) for row in rows] == pytest.approx([2e-4, 2e-4, 2e-4 * 2 / 3, 2e-4 / 3], rel=1e-6)
    with Image.open(output_dir / "samples.png") as grid:  # 3 test pairs, each a row: input | output | target
        assert grid.size == (3 * 34 + 2, 3 * 34 + 2)

    module, _ = load_module(output_dir / "checkpoints" / "last.ckpt")
    assert module.directions == (direction,)
    with pytest.raises(ConfigError, match=f"not a direction this Pix2Pix model translates: use {direction}"):
        module.translate(torch.zeros(1, 3, 32, 32), "b2a" if direction == "a2b" else "a2b")
    folder = tmp_path / "inputs"
    folder.mkdir()
    for i in range(2):
        write_png(torch.full((3, 32, 32), 60 * i, dtype=torch.uint8), str(folder / f"{i}.png"))
    arguments = [f"ckpt_path={output_dir / 'checkpoints' / 'last.ckpt'}", f"input={folder}"]
    written = translate.main([*arguments, f"output={tmp_path / 'out'}", f"direction={direction}"])
    assert [p.name for p in written] == ["0.png", "1.png"]
    with Image.open(written[0]) as image:
        assert image.size == (32, 32) and image.mode == "RGB"


def test_unpaired_or_single_domain_data_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="Pix2Pix learns from aligned .* CifarPair holds unpaired domains: .*"):
        train(compose_config([*PIX2PIX, "data=cifar_pair", "steps=1"], tmp_path))
    with pytest.raises(ConfigError, match="data=cifar_colorize or data=cifar_edges"):
        train(compose_config([*PIX2PIX, "data=mnist", "steps=1"], tmp_path))
    with pytest.raises(Exception) as raised:
        train(compose_config([*PIX2PIX, "data=cifar_colorize", "model.direction=AtoB", "steps=1"], tmp_path))
    error = user_error(raised.value)  # what the CLI prints, unwrapped from Hydra's InstantiationException
    assert isinstance(error, ConfigError) and "model.direction=AtoB is unknown: choose a2b" in str(error)


def test_paired_evaluator_scores_psnr_against_each_target(tmp_path: Path) -> None:
    datamodule = instantiate(compose_config([*PIX2PIX, "data=cifar_colorize"], tmp_path).data)
    module = build_model(compose_config([*PIX2PIX, "data=cifar_colorize"], tmp_path), datamodule.shape)

    def mean_gap(generated: torch.Tensor, real: torch.Tensor) -> float:
        return float(generated.mean() - real.mean())

    evaluator = TranslationScores(mean_gap, batch_size=64, num_test=20)
    scores = evaluator(module, datamodule)
    assert evaluator.protocol()["images"] == "the first 20 test images"  # what evaluate.py prints beside them
    assert set(scores) == {"fid_a2b", "psnr_rgb_a2b"}
    test_a = to_model_range(datamodule.test_images("a")[:20])
    test_b = to_model_range(datamodule.test_images("b")[:20])
    assert scores["psnr_rgb_a2b"] == pytest.approx(set_psnr(module.translate(test_a, "a2b"), test_b), abs=1e-9)


def test_psnr_against_the_closed_form() -> None:
    """A uniform offset of d grey levels: PSNR = 20 log10(255 / d) (to 1e-5 dB: torchmetrics takes the log in
    float32); identical images: infinite; over the set: from the mean squared error of all pixels."""
    images = torch.randint(10, 200, (3, 3, 8, 8), generator=torch.Generator().manual_seed(0))
    as_model_range = images.double() / 127.5 - 1
    for offset in (1, 5, 40):
        shifted = (images + offset).double() / 127.5 - 1
        assert set_psnr(as_model_range, shifted) == pytest.approx(20 * math.log10(255 / offset), abs=1e-5)
    assert set_psnr(as_model_range, as_model_range) == math.inf
    one_shifted = torch.cat([images[:1] + 10, images[1:]]).double() / 127.5 - 1  # one image of three off by 10 levels
    assert set_psnr(one_shifted, as_model_range) == pytest.approx(10 * math.log10(255**2 / (100 / 3)), abs=1e-5)
