"""Projection of images into a generator (gansuite.editing.projection): a known latent is recovered (its image
reproduced within a stated PSNR) for a DCGAN generator in z and a StyleGAN2 generator in w and w+; the noise
regulariser is zero for white noise and large for structure; the generator comes back as it was; the command
writes what it found and refuses bad input in one line."""

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import gansuite
from gansuite.commands import project as project_command
from gansuite.editing.feature_distance import DiscriminatorFeatureDistance
from gansuite.editing.projection import noise_autocorrelation, project, reconstruction_psnr
from gansuite.errors import ConfigError
from gansuite.metrics.lpips import write_random_backbone
from gansuite.nets.dcgan import DCGANDiscriminator, DCGANGenerator
from gansuite.nets.stylegan2 import StyleGAN2Generator

TINY_STYLE = {"w_dim": 16, "mapping_layers": 2, "channel_base": 64, "channel_max": 16}


def dcgan() -> DCGANGenerator:
    torch.manual_seed(0)
    return DCGANGenerator(8, (1, 16, 16), width=8).eval()


def stylegan2() -> StyleGAN2Generator:
    torch.manual_seed(0)
    return StyleGAN2Generator(16, (1, 16, 16), **TINY_STYLE).eval()


def test_a_dcgan_latent_is_recovered_in_z() -> None:
    generator = dcgan()
    z_true = torch.randn(3, 8, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        targets = generator(z_true)
    found = project(generator, targets, latent_dim=8, space="z", steps=300, starts=16)
    # Images in [-1, 1]: 30 dB is an RMS error of 0.063, a few grey levels; the random starts alone give ~10 dB.
    assert found.psnr.min() > 30, found.psnr
    torch.testing.assert_close(found.images, generator(found.latents).clamp(-1, 1))
    assert found.latents.shape == (3, 8) and found.noise == {}


@pytest.mark.parametrize("space", ["w", "w+"])
def test_a_stylegan2_latent_is_recovered_in_w_and_w_plus(space: str) -> None:
    generator = stylegan2()
    before = {name: value.clone() for name, value in generator.state_dict().items()}
    with torch.no_grad():
        ws = generator.ws(torch.randn(2, 16, generator=torch.Generator().manual_seed(2)))
        targets = generator.synthesis(ws)
    found = project(generator, targets, latent_dim=16, space=space, steps=300)
    # An untrained StyleGAN2 overshoots [-1, 1] (no tanh), where the projection's images are clamped: compared here
    # unclamped. Its noise strengths are still zero, so the noise maps found do not change the image.
    ws_found = found.latents if space == "w+" else found.latents[:, None].expand(-1, generator.num_ws, -1)
    with torch.no_grad():
        assert reconstruction_psnr(generator.synthesis(ws_found), targets).min() > 25
    assert found.latents.shape == ((2, 16) if space == "w" else (2, generator.num_ws, 16))
    assert set(found.noise) == {name.removesuffix(".noise_const") for name in before if "noise_const" in name}
    after = generator.state_dict()  # the weights, w_avg and the trained constant noise maps all as they were
    assert after.keys() == before.keys() and all(torch.equal(after[name], before[name]) for name in before)


def test_the_noise_regulariser_is_zero_for_white_noise_and_large_for_structure() -> None:
    white = torch.randn(4, 1, 64, 64, generator=torch.Generator().manual_seed(0))
    smooth = torch.nn.functional.avg_pool2d(white, 5, stride=1, padding=2)
    smooth = smooth / smooth.std(dim=(1, 2, 3), keepdim=True)
    # White noise: each shifted product's mean is ~N(0, 1/HW), squared ~2.4e-4 at 64x64; smoothed: ~(0.8)^2 per term.
    assert noise_autocorrelation(white).max() < 2e-3
    assert noise_autocorrelation(smooth).min() > 0.5


def test_space_w_needs_a_style_generator() -> None:
    with pytest.raises(ConfigError, match="space=w needs a style-based generator .*use space=z"):
        project(dcgan(), torch.zeros(1, 1, 16, 16), latent_dim=8, space="w", steps=1)


def test_the_discriminator_distance_is_zero_for_the_target_and_per_image() -> None:
    torch.manual_seed(0)
    discriminator = DCGANDiscriminator((1, 16, 16), width=8).eval()  # batch norm in eval mode: per image
    distance = DiscriminatorFeatureDistance(discriminator)
    targets = torch.rand(3, 1, 16, 16) * 2 - 1
    moved = targets.clone()
    moved[1] = -moved[1]
    d = distance(moved, targets)
    assert d[0] == 0 and d[2] == 0 and d[1] > 0.01
    assert distance(targets, targets).abs().max() < 1e-6


def write_target(path: Path, image: torch.Tensor) -> Path:
    pixels = ((image.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
    Image.fromarray(pixels.permute(1, 2, 0).squeeze(-1).numpy()).save(path)
    return path


def test_the_command_projects_a_generated_image_and_writes_what_it_found(
    trained_runs: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = trained_runs["dcgan_ema"]
    target = write_target(tmp_path / "digit.png", gansuite.load(run).sample(1, seed=5)[0])
    written = project_command.main(
        [  # the discriminator named: LPIPS's weights may be in this machine's hub cache
            f"ckpt_path={run}/checkpoints/last.ckpt",
            f"target={target}",
            "steps=30",
            "feature=discriminator",
            f"out={tmp_path / 'out'}",
        ]
    )
    printed = capsys.readouterr().out
    assert "with pixels + the discriminator's features" in printed and "digit.png: PSNR" in printed
    assert written == [tmp_path / "out" / "digit.npz"]
    stored = np.load(written[0])
    assert stored["latents"].shape == (gansuite.load(run).latent_dim,) and str(stored["space"]) == "z"
    psnr = float(printed.split("PSNR ")[1].split(" dB")[0])
    assert abs(psnr - float(stored["psnr"])) < 0.01
    for name in ("digit_projected.png", "digit_side_by_side.png"):
        assert (tmp_path / "out" / name).is_file()
    with Image.open(tmp_path / "out" / "digit_side_by_side.png") as grid:
        assert grid.size[0] > 2 * 32 and grid.size[1] >= 32  # target | projection, side by side
    with pytest.raises(ConfigError, match="digit.npz already exists: pass out=<another folder>, or overwrite=true"):
        project_command.main([f"ckpt_path={run}", f"target={target}", "steps=1", f"out={tmp_path / 'out'}"])


def test_lpips_is_the_feature_where_its_weights_are(
    trained_runs: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    generator = gansuite.load(trained_runs["dcgan_ema"])
    targets = generator.sample(2, seed=1)
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "empty"))
    with pytest.raises(ConfigError, match="feature=lpips needs .*or use feature=discriminator"):
        generator.project(targets, steps=1, feature="lpips")
    assert generator.project(targets, steps=1, feature="auto").feature.startswith("the discriminator's features (no")
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch_home"))
    write_random_backbone("alex")  # seeded random weights of AlexNet's architecture where the real file would be
    assert generator.project(targets, steps=1, feature="auto").feature == "LPIPS (AlexNet)"


BAD_PROJECTIONS = [  # (run, arguments after ckpt_path and target, the message's key part)
    ("dcgan_ema", ["space=w"], r"space=w needs a style-based generator .*use space=z"),
    ("dcgan_ema", ["space=q"], r"space=q is unknown: project into z, w or w\+"),
    ("dcgan_ema", ["feature=vgg"], r"feature=vgg is unknown: choose one of auto, lpips, discriminator, none"),
    ("dcgan_ema", ["steps=0"], r"steps must be a positive integer"),
    ("dcgan_ema", ["feature_weight=-1"], r"feature_weight must be a number >= 0"),
    ("dcgan_conditional", [], r"is a conditional generator: pass the targets' labels"),
    ("pix2pix", [], r"holds a model that can translate: projection needs a generator of noise"),
]


@pytest.mark.parametrize(("run", "arguments", "message"), BAD_PROJECTIONS)
def test_bad_projections_get_one_line(
    trained_runs: dict[str, Path], tmp_path: Path, run: str, arguments: list[str], message: str
) -> None:
    target = write_target(tmp_path / "t.png", torch.zeros(3, 32, 32))
    if run == "dcgan_conditional":
        target = write_target(tmp_path / "t.png", torch.zeros(1, 32, 32))
    with pytest.raises(ConfigError, match=message):
        project_command.main(
            [f"ckpt_path={trained_runs[run]}", f"target={target}", f"out={tmp_path / 'out'}", *arguments]
        )


def test_a_target_of_another_shape_gets_one_line(trained_runs: dict[str, Path], tmp_path: Path) -> None:
    run = f"ckpt_path={trained_runs['dcgan_ema']}"
    small = write_target(tmp_path / "small.png", torch.zeros(3, 31, 32))
    with pytest.raises(ConfigError, match=r"small.png is RGB 32x31 but the model makes RGB 32x32 images: convert and"):
        project_command.main([run, f"target={small}"])
    gray = write_target(tmp_path / "gray.png", torch.zeros(1, 32, 32))
    with pytest.raises(ConfigError, match=r"gray.png is grayscale 32x32 but the model makes RGB 32x32 images"):
        project_command.main([run, f"target={gray}"])
