"""Super-resolution: SRResNet and the SRGAN discriminator against the reference's sizes, the SR protocol's PSNR/SSIM
against closed forms and the literature's bicubic row, (low, high) pairs from folders and CIFAR-10, real Trainer
runs of SRGAN (pixel and VGG content) and SRResNet, and translate.py upscaling a folder with the checkpoint."""

import math
from pathlib import Path

import pytest
import torch
import torchvision
from gansuite_testing import LOG_EVERY_BATCH, QUIET, TINY_SRGAN, compose_config
from hydra.utils import instantiate
from PIL import Image
from torchmetrics.functional.image import learned_perceptual_image_patch_similarity
from torchvision.io import write_png

from gansuite.commands import translate
from gansuite.commands.entry import user_error
from gansuite.data.images import to_model_range
from gansuite.data.super_resolution import bicubic_resize, downscale
from gansuite.errors import ConfigError, DataError
from gansuite.metrics import lpips
from gansuite.metrics.image_metrics import to_uint8
from gansuite.metrics.super_resolution import psnr_ssim, rgb_to_y
from gansuite.modules.loading import load_module
from gansuite.nets import vgg
from gansuite.nets.srresnet import SRGANDiscriminator, SRResNet
from gansuite.objective.losses import feature_content_loss
from gansuite.run import evaluating
from gansuite.run.train import train

SRGAN = [*TINY_SRGAN, *QUIET, *LOG_EVERY_BATCH, "data=sr_cifar", "data.batch_size=4", "data.num_test=8"]


@pytest.mark.parametrize("scale", [2, 4, 8])
def test_srresnet_upscales_by_its_scale_at_any_size(scale: int) -> None:
    generator = SRResNet(3, scale, width=8, num_blocks=2)
    assert generator(torch.randn(2, 3, 7, 5)).shape == (2, 3, 7 * scale, 5 * scale)


def test_reference_sized_networks() -> None:
    # Lim et al. 2017 (EDSR), Table 1: SRResNet, 16 blocks of 64 filters, 1.5M parameters (x4; one PReLU slope each).
    assert sum(p.numel() for p in SRResNet(3, 4).parameters()) == 1_549_462
    discriminator = SRGANDiscriminator((3, 96, 96))
    assert discriminator.head[1].in_features == 512 * 6 * 6  # the paper's 96x96 crops end as 6x6x512 features
    assert discriminator(torch.randn(2, 3, 96, 96)).shape == (2,)
    with pytest.raises(ConfigError, match="powers of two"):
        SRResNet(3, 3)
    with pytest.raises(ConfigError, match="multiple of 16"):
        SRGANDiscriminator((3, 40, 40))


def test_y_channel_is_itu_r_bt601_studio_swing() -> None:
    pixels = torch.tensor([[0, 0, 0], [255, 255, 255], [255, 0, 0], [0, 255, 0], [0, 0, 255], [10, 20, 30]])
    y = rgb_to_y(pixels.T.reshape(1, 3, 6, 1).float()).flatten()
    expected = [16 + (65.481 * r + 128.553 * g + 24.966 * b) / 255 for r, g, b in pixels.tolist()]
    torch.testing.assert_close(y, torch.tensor(expected, dtype=torch.float64), rtol=0, atol=1e-12)
    assert y[0] == 16 and y[1] == pytest.approx(235)  # black and white: the studio range's ends


def test_psnr_and_ssim_against_closed_forms() -> None:
    image = torch.randint(20, 200, (3, 24, 24), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))
    assert psnr_ssim(image, image, border=4) == (math.inf, pytest.approx(1.0))
    # +d on every RGB value moves Y by d * 219 / 255 everywhere: PSNR = 20 log10(255 / that), in float64
    for offset in (1, 7):
        psnr, _ = psnr_ssim(image + offset, image, border=4)
        assert psnr == pytest.approx(20 * math.log10(255 / (offset * 219 / 255)), abs=1e-5)
        psnr_rgb, _ = psnr_ssim(image + offset, image, border=4, channel="rgb")
        assert psnr_rgb == pytest.approx(20 * math.log10(255 / offset), abs=1e-5)
    # Flat images: the variance and covariance terms are C2 / C2, and SSIM is the luminance term alone, in float64
    flat, brighter = torch.full((3, 24, 24), 100, dtype=torch.uint8), torch.full((3, 24, 24), 130, dtype=torch.uint8)
    y1, y2 = (16 + v * 219 / 255 for v in (100, 130))
    c1 = (0.01 * 255) ** 2
    assert psnr_ssim(brighter, flat, border=4)[1] == pytest.approx((2 * y1 * y2 + c1) / (y1**2 + y2**2 + c1), abs=1e-9)
    framed = image.clone()
    framed[:, :4] = 0  # a difference inside the removed border only
    assert psnr_ssim(framed, image, border=4)[0] == math.inf and psnr_ssim(framed, image, border=3)[0] < 100


def test_bicubic_x4_on_set5_reproduces_the_literature_row() -> None:
    """The SR protocol end to end: Set5 cropped to multiples of 4, PIL bicubic down and up, Y PSNR with 4 border
    pixels removed. The literature's bicubic x4 row is 28.42 dB (MATLAB imresize); PIL's kernel gives 28.43 here."""
    datamodule = instantiate(compose_config([*SRGAN, "data=sr_folder", "data.num_test=null"], Path("/tmp")).data)
    scores = [psnr_ssim(bicubic_resize(low, *high.shape[1:]), high, 4) for low, high in datamodule.test_pairs()]
    psnr = sum(p for p, _ in scores) / len(scores)
    assert len(scores) == 5 and psnr == pytest.approx(28.43, abs=0.01) and abs(psnr - 28.42) < 0.1


def test_folder_pairs_are_random_crops_and_their_bicubic_downscales(tmp_path: Path) -> None:
    for folder, count in (("train", 3), ("test", 2)):
        (tmp_path / folder).mkdir()
        for i in range(count):
            image = torch.randint(0, 256, (3, 50, 41), dtype=torch.uint8, generator=torch.Generator().manual_seed(i))
            write_png(image, str(tmp_path / folder / f"{i}.png"))
    data = [f"data.path={tmp_path / 'train'}", f"data.test_path={tmp_path / 'test'}", "data.num_workers=0"]
    cfg = compose_config([*SRGAN, "data=sr_folder", *data, "data.crop_size=32", "data.batch_size=4"], tmp_path)
    datamodule = instantiate(cfg.data)
    datamodule.setup()
    low, high = next(iter(datamodule.train_dataloader()))
    assert low.shape == (4, 3, 8, 8) and high.shape == (4, 3, 32, 32)
    assert all(torch.equal(downscale(h, 4), lo) for lo, h in zip(low, high, strict=True))
    (low, high), _ = datamodule.test_pairs()
    assert high.shape == (3, 48, 40) and low.shape == (3, 12, 10)  # 50x41 cropped to multiples of 4

    write_png(torch.zeros(3, 20, 20, dtype=torch.uint8), str(tmp_path / "train" / "9.png"))
    small = instantiate(cfg.data)
    small.setup()
    with pytest.raises(DataError, match=r"9.png is 20x20, smaller than data.crop_size=32"):
        for _ in small.train_dataloader():
            pass
    with pytest.raises(Exception) as raised:
        instantiate(compose_config([*SRGAN, "data.crop_size=30"], tmp_path).data)
    assert "must be an integer >= 2 that divides the crop size" in str(user_error(raised.value))


def test_test_images_of_any_size_draw_one_grid_and_too_small_ones_stop_at_setup(tmp_path: Path) -> None:
    """Test images of several sizes (one narrower than the grid's crop) train and draw the upscaling grid; one
    smaller than the scale is refused when the data is set up, naming data.scale, before any update."""
    for folder, sizes in (("train", [(40, 40)]), ("test", [(48, 40), (12, 36), (40, 20)])):
        (tmp_path / folder).mkdir()
        for i, (height, width) in enumerate(sizes):
            image = torch.randint(
                0, 256, (3, height, width), dtype=torch.uint8, generator=torch.Generator().manual_seed(i)
            )
            write_png(image, str(tmp_path / folder / f"{i}.png"))
    data = [f"data.path={tmp_path / 'train'}", f"data.test_path={tmp_path / 'test'}", "data.num_workers=0"]
    data += ["data=sr_folder", "data.crop_size=32", "data.batch_size=2", "data.num_test=null"]
    grid = ["callbacks.sample_grid.every_n_updates=1", "callbacks.sample_grid.num_images=3", "metrics=none"]
    train(compose_config([*SRGAN, *data, *grid, "steps=1"], tmp_path / "run"))
    with Image.open(tmp_path / "run" / "samples.png") as picture:  # 3 rows of 3 cells of 32x32, padded where smaller
        assert picture.size == (3 * 34 + 2, 3 * 34 + 2)

    write_png(torch.zeros(3, 3, 30, dtype=torch.uint8), str(tmp_path / "test" / "9.png"))
    with pytest.raises(DataError, match=r"9.png is 30x3, smaller than the scale, 4 \(data.scale\): remove it from"):
        instantiate(compose_config([*SRGAN, *data], tmp_path).data).setup("fit")


def test_feature_content_loss_is_the_rescaled_feature_mse() -> None:
    prediction, target = torch.randn(2, 3, 4, 4, dtype=torch.float64), torch.randn(2, 3, 4, 4, dtype=torch.float64)

    def features(x: torch.Tensor) -> torch.Tensor:
        return 3 * x

    expected = (((3 * prediction - 3 * target) / 12.75) ** 2).mean()
    torch.testing.assert_close(feature_content_loss(prediction, target, features), expected, rtol=1e-12, atol=0)


@pytest.mark.parametrize("model", ["srgan", "srresnet"])
def test_trains_and_its_checkpoint_upscales_a_folder(
    model: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    output_dir = tmp_path / "run"
    overrides = [*SRGAN, f"model={model}", "steps=3", "metrics.every_n_updates=3"]
    overrides += ["callbacks.sample_grid.every_n_updates=3", "callbacks.sample_grid.num_images=2"]
    final = train(compose_config(overrides, output_dir))
    assert math.isfinite(final) and final > 0  # val/psnr_y of the 8 test images
    checkpoint = torch.load(output_dir / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=False)
    assert checkpoint["global_step"] == (6 if model == "srgan" else 3)  # SRResNet: no discriminator step
    with Image.open(output_dir / "samples.png") as grid:  # 2 test crops, each a row: input | output | target
        assert grid.size == (3 * 34 + 2, 2 * 34 + 2)

    folder = tmp_path / "inputs"
    folder.mkdir()
    write_png(torch.full((3, 9, 13), 90, dtype=torch.uint8), str(folder / "a.png"))
    written = translate.main(
        [f"ckpt_path={output_dir / 'checkpoints' / 'last.ckpt'}", f"input={folder}", f"output={tmp_path / 'out'}"]
    )
    with Image.open(written[0]) as image:
        assert image.size == (4 * 13, 4 * 9)  # upscaled at its own size
    module, _ = load_module(output_dir / "checkpoints" / "last.ckpt")
    assert (module.discriminator is None) == (model == "srresnet")

    # evaluate.py scores the checkpoint on another folder of test images: one 44x40 image, scored by hand here, LPIPS
    # by torchmetrics' functional form on the same crops (random AlexNet weights: the real ones are absent offline)
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch_home"))
    lpips.write_random_backbone("alex")
    (tmp_path / "set").mkdir()
    high = torch.randint(0, 256, (3, 40, 44), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))
    write_png(high, str(tmp_path / "set" / "x.png"))
    ckpt = f"ckpt_path={output_dir / 'checkpoints' / 'last.ckpt'}"
    overrides = [ckpt, "metrics=sr_lpips", f"test_path={tmp_path / 'set'}"]
    values = evaluating.evaluate(compose_config(overrides, tmp_path, config_name="evaluate"))
    upscaled = to_uint8(module.upscale(to_model_range(downscale(high, 4)[None])))[0]
    psnr, ssim = psnr_ssim(upscaled, high, 4)
    crops = [to_model_range(image[None, :, 4:36, 4:40]) for image in (upscaled, high)]
    perceptual = float(learned_perceptual_image_patch_similarity(*crops, net_type="alex"))
    assert values == pytest.approx({"psnr_y": psnr, "ssim_y": ssim, "lpips_alex": perceptual}, rel=1e-6)
    assert perceptual > 0


@pytest.fixture(scope="module")
def vgg_weights(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Seeded random VGG19 weights in torchvision's file format (548 MB, ~2.5 s to write), once for the module."""
    return vgg.write_random_weights(tmp_path_factory.mktemp("vgg") / "vgg19.pth")


def test_vgg_content_trains_with_vgg19_weights_from_a_file(tmp_path: Path, vgg_weights: Path) -> None:
    overrides = [*SRGAN, "model.content=vgg", f"model.vgg_weights={vgg_weights}", "steps=2", "metrics=none"]
    train(compose_config(overrides, tmp_path / "run"))
    log = (tmp_path / "run" / "csv" / "metrics.csv").read_text()
    assert "train/g_content_vgg" in log and "train/g_adversarial" in log
    checkpoint = torch.load(tmp_path / "run" / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=False)
    assert not any("content_features" in key for key in checkpoint["state_dict"])  # VGG is not saved


def test_vgg_features_are_torchvisions_vgg19_up_to_phi_5_4_on_imagenet_normalised_images(vgg_weights: Path) -> None:
    """The features network, built without initialising and given the file's tensors, against torchvision's VGG19
    built and loaded the usual way, run in float64 on the same images normalised by hand."""
    reference = torchvision.models.vgg19()
    reference.load_state_dict(torch.load(vgg_weights, weights_only=True))
    images = torch.rand(2, 3, 16, 16, generator=torch.Generator().manual_seed(0), dtype=torch.float64) * 2 - 1
    # ImageNet's statistics as the module keeps them: float32 buffers, cast with it
    mean = torch.tensor([0.485, 0.456, 0.406]).double().view(1, 3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).double().view(1, 3, 1, 1)
    expected = reference.features[:36].double()(((images + 1) / 2 - mean) / std)
    features = vgg.VGGFeatures(vgg_weights).double()
    assert not any(p.requires_grad for p in features.parameters()) and not features.features.training
    torch.testing.assert_close(features(images), expected, rtol=1e-12, atol=1e-12)


def test_lpips_is_zero_for_identical_images_and_one_line_without_its_backbone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "empty"))
    with pytest.raises(ConfigError) as raised:
        lpips.lpips_metric("alex")
    message = str(raised.value)
    assert "\n" not in message and "alexnet-owt-7be5be79.pth" in message and "metrics=psnr_ssim" in message
    with pytest.raises(ConfigError, match="metrics.lpips=dino is unknown: choose one of alex, vgg, squeeze"):
        lpips.lpips_metric("dino")
    lpips.write_random_backbone("squeeze")
    metric = lpips.lpips_metric("squeeze")
    images = torch.rand(2, 3, 32, 32, generator=torch.Generator().manual_seed(0)) * 2 - 1
    assert float(metric(images, images)) == pytest.approx(0.0, abs=1e-7)
    assert float(metric(images, images.flip(0))) > 0.0


def test_missing_vgg_weights_offline_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "empty"))
    with pytest.raises(ConfigError) as raised:
        vgg.resolve_weights(None)
    message = str(raised.value)
    assert "\n" not in message and "vgg19-dcbb9e9d.pth" in message and "model.content=pixel" in message
    with pytest.raises(ConfigError, match="model.vgg_weights=/no/file is not a file"):
        vgg.resolve_weights("/no/file")


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        (["model=srgan", "data=mnist"], "SRGAN learns to upscale from (low, high) resolution pairs but"),
        (["model=dcgan", "data=sr_cifar"], "holds (low, high) resolution pairs, which GAN cannot train on"),
    ],
)
def test_super_resolution_needs_its_own_data(overrides: list[str], fragment: str, tmp_path: Path) -> None:
    with pytest.raises(Exception) as raised:
        train(compose_config([*overrides, "metrics=none", "steps=1"], tmp_path))
    error = user_error(raised.value)
    assert isinstance(error, ConfigError) and fragment in str(error)


def test_sr_cifar_is_cifar_at_32_from_8(tmp_path: Path) -> None:
    datamodule = instantiate(compose_config(SRGAN, tmp_path).data)
    datamodule.setup()
    low, high = next(iter(datamodule.train_dataloader()))
    assert low.shape == (4, 3, 8, 8) and high.shape == (4, 3, 32, 32)
    assert len(datamodule.test_pairs()) == 8
