"""The options the CPU recipes of each family are built from, each usable on its own: starting a run from another
run's weights (`init_from=`: what fits, reported; FreezeD), colorization that keeps the input's luma, SRResNet's
bicubic skip and batch-norm-free blocks, the L1 content loss, decoding a small SR training set once and turning its
crops."""

from pathlib import Path

import pytest
import torch
from gansuite_testing import QUIET, TINY_CONV, TINY_PIX2PIX, TINY_SRGAN, TINY_STYLEGAN2, compose_config
from hydra.utils import instantiate
from torch.nn import functional as F

from gansuite.data.super_resolution import RandomCropPairs, downscale
from gansuite.errors import ConfigError
from gansuite.modules.initialization import initialize_from
from gansuite.modules.loading import build_model, load_module
from gansuite.nets.color import luma_of, with_luma_of
from gansuite.nets.dcgan import DCGANDiscriminator
from gansuite.nets.freeze import discriminator_blocks, freeze_leading_blocks
from gansuite.nets.srresnet import SRResNet
from gansuite.nets.unet import UnetGenerator
from gansuite.run.train import train
from gansuite.run.validation import validate

SR = [*TINY_SRGAN, "data=sr_cifar", "data.batch_size=4", "metrics=none", "logger=csv", *QUIET]


@pytest.fixture(scope="module")
def srresnet_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 3-update SRResNet run (the generator of the SRGAN runs below, at the same sizes)."""
    run_dir = tmp_path_factory.mktemp("srresnet")
    train(compose_config([*SR, "model.adversarial_weight=0", "steps=3"], run_dir))
    return run_dir


def test_init_from_copies_the_generator_and_nothing_else(srresnet_run: Path, tmp_path: Path, data_dir: Path) -> None:
    source, _ = load_module(srresnet_run / "checkpoints" / "last.ckpt")
    cfg = compose_config([*SR, "steps=1"], tmp_path)
    module = build_model(cfg, (3, 32, 32))
    before = {k: v.clone() for k, v in module.discriminator.state_dict().items()}
    initialize_from(module, srresnet_run, ["generator"])  # a run directory: its last checkpoint
    for key, value in source.generator.state_dict().items():
        assert torch.equal(module.generator.state_dict()[key], value), key
    assert all(torch.equal(module.discriminator.state_dict()[k], v) for k, v in before.items())


def test_init_from_trains_from_the_copied_weights(srresnet_run: Path, tmp_path: Path, data_dir: Path) -> None:
    """Through train.py's config: the SRGAN run starts at SRResNet's generator with a fresh clock (steps=2 from 0)."""
    cfg = compose_config([*SR, "steps=2", f"init_from={srresnet_run}"], tmp_path)
    train(cfg)
    checkpoint = torch.load(tmp_path / "checkpoints" / "last.ckpt", weights_only=True)
    assert checkpoint["global_step"] == 4  # 2 generator updates of 2 optimizer steps: the SRResNet's 3 not counted


def test_init_from_copies_what_fits_and_reports_the_rest(
    srresnet_run: Path, tmp_path: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A generator of another width: every tensor of the same name and shape is copied, the rest listed and left."""
    source = load_module(srresnet_run / "checkpoints" / "last.ckpt")[0].generator.state_dict()
    module = build_model(compose_config([*SR, "model.generator.width=16"], tmp_path), (3, 32, 32))
    initial = {key: value.clone() for key, value in module.generator.state_dict().items()}
    left = initialize_from(module, srresnet_run, ["generator"])["generator"]
    after = module.generator.state_dict()
    fits = [key for key, value in source.items() if value.shape == after[key].shape]
    assert fits and "head.0.weight" in left and set(left) == set(after) - set(fits)
    assert all(torch.equal(after[key], source[key]) for key in fits)
    assert all(torch.equal(after[key], initial[key]) for key in left)
    printed = capsys.readouterr().out
    assert f"generator: {len(fits)} tensors copied; {len(left)} left as initialised (" in printed


def test_init_from_refuses_what_shares_nothing(srresnet_run: Path, tmp_path: Path, data_dir: Path) -> None:
    module = build_model(compose_config([*SR, "model.generator.width=16"], tmp_path), (3, 32, 32))
    with pytest.raises(ConfigError, match="holds no discriminator weights: drop discriminator from init_networks"):
        initialize_from(module, srresnet_run, ["discriminator"])
    with pytest.raises(ConfigError, match="init_networks names critic, which this model does not have"):
        initialize_from(module, srresnet_run, ["critic"])
    with pytest.raises(ConfigError, match="no checkpoint there"):
        initialize_from(module, tmp_path / "missing", ["generator"])
    dcgan = ["model=dcgan", "data=mnist", *TINY_CONV, "metrics=none", "logger=csv", *QUIET]
    other = build_model(compose_config(dcgan, tmp_path / "dcgan"), (1, 32, 32))
    with pytest.raises(ConfigError, match=r"its generator shares no tensor with this one \(.*\): pass the network"):
        initialize_from(other, srresnet_run, ["generator"])


def test_a_conditional_model_from_an_unconditional_one_keeps_every_shared_tensor(
    tmp_path: Path, data_dir: Path
) -> None:
    """The conditional networks wrap the unconditional ones (`backbone.`): every layer both have is copied, for both
    players, and only the class-dependent layers (label embeddings, class-conditional norms) start fresh."""
    overrides = ["model=dcgan", "data=mnist", *TINY_CONV, "metrics=none", "logger=csv", *QUIET]
    train(compose_config([*overrides, "steps=1", "data.batch_size=8"], tmp_path / "plain"))
    source, _ = load_module(tmp_path / "plain" / "checkpoints" / "last.ckpt")
    module = build_model(
        compose_config([*overrides, "model.conditioning=projection"], tmp_path / "cond"), (1, 32, 32), 10
    )
    left = initialize_from(module, tmp_path / "plain", ["generator", "discriminator"])
    for name in ("generator", "discriminator"):
        before, after = getattr(source, name).state_dict(), getattr(module, name).state_dict()
        shared = [
            key for key in before if f"backbone.{key}" in after and before[key].shape == after[f"backbone.{key}"].shape
        ]
        kernels = [key for key, value in before.items() if value.dim() >= 2]  # every convolution and linear layer
        assert kernels and set(kernels) <= set(shared), name
        assert all(torch.equal(after[f"backbone.{key}"], before[key]) for key in shared), name
        assert set(left[name]) == set(after) - {f"backbone.{key}" for key in shared}, name
    assert any("embedding" in key for key in left["discriminator"])


@pytest.mark.parametrize(
    ("overrides", "freeze", "frozen"),
    [
        (["model=dcgan", "data=mnist", *TINY_CONV], 2, ("features.0.", "features.2.")),
        ([*TINY_STYLEGAN2, "data=mnist"], 1, ("from_rgb.", "blocks.0.")),
        ([*TINY_PIX2PIX, "data=cifar_colorize"], 1, ("net.0.",)),
    ],
)
def test_freezed_fine_tuning_keeps_the_first_blocks_bit_identical(
    overrides: list[str], freeze: int, frozen: tuple[str, ...], tmp_path: Path, data_dir: Path
) -> None:
    """FreezeD as used: fine-tune a trained run (init_from=, both networks) with its first blocks frozen; after 3
    updates those blocks' weights are the source's, bit for bit, and the rest of the discriminator moved."""
    common = [*overrides, "data.batch_size=8", "metrics=none", "logger=csv", *QUIET]
    train(compose_config([*common, "steps=1"], tmp_path / "source"))
    tuned = [*common, "steps=3", f"init_from={tmp_path / 'source'}", "init_networks=[generator,discriminator]"]
    train(compose_config([*tuned, f"model.discriminator.freeze={freeze}"], tmp_path / "tuned"))

    def discriminator(run: str) -> dict[str, torch.Tensor]:
        state = torch.load(tmp_path / run / "checkpoints" / "last.ckpt", weights_only=True)["state_dict"]
        return {
            key.removeprefix("discriminator."): value
            for key, value in state.items()
            if key.startswith("discriminator.")
        }

    source, after = discriminator("source"), discriminator("tuned")
    held = [key for key in after if key.startswith(frozen) and "running" not in key and "batches" not in key]
    assert held and all(torch.equal(after[key], source[key]) for key in held)
    moved = [key for key in after if not key.startswith(frozen) and key.endswith("weight")]
    assert any(not torch.equal(after[key], source[key]) for key in moved)


def test_freeze_counts_blocks_and_refuses_all_of_them() -> None:
    discriminator = DCGANDiscriminator((1, 32, 32), width=8)  # 32 -> 4: three conv stages
    assert len(discriminator_blocks(discriminator)) == 3
    with pytest.raises(ConfigError, match=r"freeze=3 would freeze every block of this discriminator, which has 3"):
        freeze_leading_blocks(discriminator, 3)
    with pytest.raises(ConfigError, match=r"freeze must be a number of blocks >= 0"):
        freeze_leading_blocks(discriminator, -1)


def test_init_from_also_starts_the_generator_average_there(tmp_path: Path, data_dir: Path) -> None:
    overrides = ["model=dcgan", "data=mnist", "model.generator.conv.width=8", "model.discriminator.conv.width=8"]
    overrides += ["model.latent_dim=16", "model.ema_decay=0.9", "metrics=none", "logger=csv", *QUIET]
    train(compose_config([*overrides, "steps=2", "data.batch_size=8"], tmp_path / "first"))
    module = build_model(compose_config(overrides, tmp_path / "second"), (1, 32, 32))
    initialize_from(module, tmp_path / "first", ["generator"])
    for key, value in module.generator.state_dict().items():
        assert torch.equal(module.ema_generator.module.state_dict()[key], value), key


def test_keep_luma_output_has_the_input_luma_and_the_net_chroma() -> None:
    torch.manual_seed(0)
    gray = torch.rand(2, 1, 32, 32, dtype=torch.float64) * 2 - 1
    net = UnetGenerator((3, 32, 32), ngf=4, keep_luma=True).double().eval()
    output = net(gray.expand(-1, 3, -1, -1))
    assert torch.allclose(luma_of(output), gray, atol=1e-12)  # float64 rounding only
    free = net.net(gray.expand(-1, 3, -1, -1))  # the U-Net's own RGB: the chroma differences must be its
    assert torch.allclose(output - luma_of(output), free - luma_of(free), atol=1e-12)


def test_luma_is_bt601_in_any_range() -> None:
    """The same luma as the data's uint8 conversion (data.paired.luma), computed in the model's [-1, 1] range."""
    rgb = torch.randint(0, 256, (4, 3, 8, 8), dtype=torch.float64)
    expected = 0.299 * rgb[:, :1] + 0.587 * rgb[:, 1:2] + 0.114 * rgb[:, 2:]
    assert torch.allclose(luma_of(rgb), expected, atol=1e-9)
    assert torch.allclose(luma_of(rgb / 127.5 - 1), expected / 127.5 - 1, atol=1e-12)
    shifted = with_luma_of(rgb, expected + 7)
    assert torch.allclose(luma_of(shifted), expected + 7, atol=1e-9)


def test_keep_luma_needs_rgb_output() -> None:
    with pytest.raises(ConfigError, match="keep_luma=true colorizes: it needs RGB output, got 1 channels"):
        UnetGenerator((1, 32, 32), ngf=4, keep_luma=True)


def test_srresnet_with_bicubic_skip_starts_at_the_bicubic_upscale() -> None:
    torch.manual_seed(0)
    low = torch.rand(2, 3, 12, 10) * 2 - 1
    net = SRResNet(3, scale=4, width=8, num_blocks=2, batch_norm=False, bicubic_skip=True)
    expected = F.interpolate(low, scale_factor=4, mode="bicubic", align_corners=False)
    assert torch.equal(net(low), expected)
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in net.modules())
    assert sum(isinstance(m, torch.nn.BatchNorm2d) for m in SRResNet(3, width=8, num_blocks=2).modules()) == 5


def test_l1_content_loss_is_the_mean_absolute_error(tmp_path: Path, data_dir: Path) -> None:
    module = build_model(compose_config([*SR, "model.content=l1"], tmp_path), (3, 32, 32))
    fake, high = torch.randn(2, 3, 8, 8), torch.randn(2, 3, 8, 8)
    assert module.content_loss(fake, high) == pytest.approx(float((fake - high).abs().mean()), rel=1e-6)
    with pytest.raises(Exception, match="model.content=l2 is unknown"):  # Hydra wraps the module's ConfigError
        build_model(compose_config([*SR, "model.content=l2"], tmp_path), (3, 32, 32))


def test_sr_folder_in_memory_gives_the_same_crops(tmp_path: Path, data_dir: Path) -> None:
    crops = []
    for in_memory in (False, True):
        cfg = compose_config(["data=sr_folder", f"data.in_memory={in_memory}", "data.num_workers=0"], tmp_path)
        datamodule = instantiate(cfg.data)
        datamodule.setup("fit")
        assert isinstance(datamodule.train_images, list) == in_memory
        torch.manual_seed(0)
        crops.append(next(iter(datamodule.train_dataloader())))
    assert all(torch.equal(a, b) for a, b in zip(*crops, strict=True))


def test_sr_rotate_turns_the_crops_by_quarter_turns_and_downscales_them_after() -> None:
    image = torch.randint(0, 256, (3, 8, 8), dtype=torch.uint8)  # cropped whole: only the orientation varies
    flips = (image, image.flip(-1))
    orientations = [torch.rot90(flipped, k, dims=(-2, -1)) for flipped in flips for k in range(4)]
    seen = set()
    torch.manual_seed(0)
    for index in range(200):
        low, high = RandomCropPairs([image], crop_size=8, scale=2, flip=True, length=200, rotate=True)[index]
        seen.add(next(i for i, o in enumerate(orientations) if torch.equal(o, high)))
        assert torch.equal(low, downscale(high, 2))
    assert seen == set(range(8))  # 200 draws of 8 equally likely orientations miss one with probability < 1e-10
    plain = RandomCropPairs([image], crop_size=8, scale=2, flip=False, length=20, rotate=False)
    assert all(torch.equal(plain[index][1], image) for index in range(20))


def test_a_recipe_that_starts_from_a_run_says_which_before_training(tmp_path: Path, data_dir: Path) -> None:
    with pytest.raises(ConfigError, match=r"init_from=<the run directory of experiment=srresnet_cpu>: no checkpoint"):
        validate(compose_config(["experiment=srgan_cpu"], tmp_path))
    with pytest.raises(ConfigError, match="init_networks is empty"):
        validate(compose_config([f"init_from={tmp_path}", "init_networks=[]"], tmp_path))


def test_pix2pix_l2_reconstruction_is_the_squared_error(tmp_path: Path, data_dir: Path) -> None:
    """model.reconstruction=l2 trains on the squared error (logged as train/g_l2); unknown kinds get one line."""
    overrides = ["model=pix2pix", "model.generator.ngf=4", "model.discriminator.ndf=4", "data=cifar_colorize"]
    overrides += ["metrics=none", "logger=csv", "trainer.log_every_n_steps=1", "data.batch_size=4", *QUIET]
    train(compose_config([*overrides, "model.reconstruction=l2", "steps=2"], tmp_path))
    header = (tmp_path / "csv" / "metrics.csv").read_text().splitlines()[0].split(",")
    assert "train/g_l2" in header and "train/g_l1" not in header
    with pytest.raises(Exception, match="model.reconstruction=huber is unknown"):
        build_model(compose_config([*overrides, "model.reconstruction=huber"], tmp_path), (3, 32, 32))


def test_chroma_at_a_quarter_resolution_keeps_the_luma() -> None:
    """chroma_scale=4: the output's luma is still the input's, and its chroma is the upsampled 4x4 block means of the
    net's own chroma (block means by reshaping, a second way of computing what avg_pool does)."""
    torch.manual_seed(0)
    gray = torch.rand(2, 1, 32, 32, dtype=torch.float64) * 2 - 1
    net = UnetGenerator((3, 32, 32), ngf=4, keep_luma=True, chroma_scale=4).double().eval()
    output = net(gray.expand(-1, 3, -1, -1))
    assert torch.allclose(luma_of(output), gray, atol=1e-12)
    free = net.net(gray.expand(-1, 3, -1, -1))
    blocks = (free - luma_of(free)).reshape(2, 3, 8, 4, 8, 4).mean(dim=(3, 5))
    expected = F.interpolate(blocks, size=(32, 32), mode="bilinear", align_corners=False)
    assert torch.allclose(output - gray, expected, atol=1e-12)
    with pytest.raises(ConfigError, match="chroma_scale=3: it needs keep_luma=true and must divide"):
        UnetGenerator((3, 32, 32), ngf=4, keep_luma=True, chroma_scale=3)
