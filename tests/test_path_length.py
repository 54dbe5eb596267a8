"""Perceptual path length: on a linear generator against its closed form (z and w, full and end paths), the LPIPS
distance against torchmetrics', the offline and config errors, and scripts/evaluate.py metrics=ppl on a trained
conditional StyleGAN2."""

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from gansuite_testing import QUIET, TINY_STYLEGAN2, compose_config
from torch import Tensor, nn
from torchmetrics.functional.image.lpips import learned_perceptual_image_patch_similarity

from gansuite.callbacks.evaluation import path_length_evaluation
from gansuite.errors import ConfigError
from gansuite.metrics import lpips
from gansuite.metrics.path_length import PerceptualPathLength
from gansuite.run import evaluating
from gansuite.run.train import train


class LinearStyleGenerator(nn.Module):
    """G(z) = A z in float64, reshaped to images; as a style generator its one w is z itself (identity mapping)."""

    def __init__(self, latent_dim: int, shape: tuple[int, ...] = (3, 8, 8), scale: float = 1.0) -> None:
        super().__init__()
        generator = torch.Generator().manual_seed(0)
        pixels = int(np.prod(shape))
        self.matrix = nn.Parameter(scale * torch.randn(pixels, latent_dim, generator=generator, dtype=torch.float64))
        self.shape = shape

    def ws(self, z: Tensor, labels: Tensor | None = None) -> Tensor:
        return z[:, None]

    def synthesis(self, ws: Tensor) -> Tensor:
        return (ws[:, 0] @ self.matrix.T).view(-1, *self.shape)

    def forward(self, z: Tensor) -> Tensor:
        return self.synthesis(self.ws(z))


class Holder(nn.Module):
    """What the evaluator reads of a model family's module: its generator (no EMA), latent size and device."""

    def __init__(self, generator: nn.Module, latent_dim: int) -> None:
        super().__init__()
        self.generator, self.ema_generator, self.latent_dim = generator, None, latent_dim
        self.device = torch.device("cpu")


def reference_trimmed_mean(values: np.ndarray) -> float:
    low, high = np.percentile(values, 1, method="lower"), np.percentile(values, 99, method="higher")
    return float(values[(values >= low) & (values <= high)].mean())


def closed_form(matrix: Tensor, z0: Tensor, z1: Tensor, t: Tensor, space: str) -> Tensor:
    """The squared speed of the image along the path, per pixel: ||A dp/dt||^2 / P.

    w (lerp): dp/dt = z1 - z0. z (slerp on the sphere of radius r = sqrt(D) from the direction a of z0 towards that
    of z1, the angle between them Omega, c the unit vector of z1's direction orthogonal to a):
    p(t) = r (cos(t Omega) a + sin(t Omega) c), so dp/dt = r Omega (-sin(t Omega) a + cos(t Omega) c)."""
    if space == "w":
        velocity = z1 - z0
    else:
        a, b = z0 / z0.norm(dim=1, keepdim=True), z1 / z1.norm(dim=1, keepdim=True)
        cosine = (a * b).sum(dim=1, keepdim=True)
        omega = torch.acos(cosine)
        c = (b - cosine * a) / (b - cosine * a).norm(dim=1, keepdim=True)
        velocity = z0.shape[1] ** 0.5 * omega * (-torch.sin(t * omega) * a + torch.cos(t * omega) * c)
    return (velocity @ matrix.T).square().mean(dim=1)


@pytest.mark.parametrize(
    ("space", "sampling", "tolerance"),
    # lerp of a linear map: the finite difference is exact, up to float64 rounding amplified by 1 / epsilon^2.
    # slerp: the forward difference is off by about epsilon * Omega relative (the path's curvature): at most 3.2e-4.
    [("w", "full", 1e-8), ("w", "end", 1e-8), ("z", "full", 1e-3), ("z", "end", 1e-3)],
)
def test_ppl_of_a_linear_generator_is_its_closed_form(space: str, sampling: str, tolerance: float) -> None:
    generator = LinearStyleGenerator(latent_dim=6)
    evaluator = PerceptualPathLength(num_samples=500, space=space, sampling=sampling, distance="mse", batch_size=64)
    ((name, value),) = evaluator(Holder(generator, 6), None).items()
    draws = [tuple(draw[:3]) for draw in evaluator.draws(6)]
    with torch.no_grad():
        exact = torch.cat([closed_form(generator.matrix, *draw, space) for draw in draws])
        # The same per pair, not only on average: each pair's finite difference against its derivative.
        measured = torch.cat([evaluator.path_lengths(generator, *draw, None) for draw in draws])
    torch.testing.assert_close(measured, exact, rtol=tolerance, atol=0.0)
    assert value == pytest.approx(reference_trimmed_mean(exact.numpy()), rel=tolerance)
    assert name == f"ppl_{space}{sampling}_mse"
    assert bool((torch.cat([draw[2] for draw in draws]) == 0).all()) == (sampling == "end")


def test_the_trimmed_mean_drops_the_values_outside_the_1st_and_99th_percentiles() -> None:
    """Against the closed form's expectation without trimming, 2 ||A||_F^2 / P for lerp in w (z1 - z0 ~ N(0, 2I)):
    the trimmed mean of a chi-square-like spread sits a little below it, the untrimmed one within sampling error."""
    generator = LinearStyleGenerator(latent_dim=4)
    evaluator = PerceptualPathLength(num_samples=4000, space="w", distance="mse", batch_size=1000)
    expectation = 2 * float(generator.matrix.detach().square().sum()) / len(generator.matrix)
    lengths = torch.cat([evaluator.path_lengths(generator, *draw) for draw in evaluator.draws(4)]).detach()
    assert float(lengths.mean()) == pytest.approx(expectation, rel=0.05)  # std of the mean ~1.6% here
    assert 0.9 * float(lengths.mean()) < evaluator(Holder(generator, 4), None)["ppl_wfull_mse"] < float(lengths.mean())


def test_lpips_distance_is_torchmetrics_lpips_per_pair(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Random SqueezeNet weights in a temporary hub cache (the real files are absent offline): the per-pair value is
    torchmetrics' LPIPS of the two images over epsilon^2, to float32 precision."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    lpips.write_random_backbone("squeeze")
    generator = LinearStyleGenerator(latent_dim=4, shape=(3, 32, 32), scale=0.05)  # SqueezeNet needs 32 pixels
    evaluator = PerceptualPathLength(num_samples=4, space="w", distance="lpips_squeeze", epsilon=1e-2)
    z0, z1, t, _ = next(evaluator.draws(4))
    with torch.no_grad():
        measured = evaluator.path_lengths(generator, z0, z1, t, None)
        images = [generator.synthesis(torch.lerp(z0, z1, s)[:, None]).float() for s in (t, t + 1e-2)]
    expected = learned_perceptual_image_patch_similarity(*images, net_type="squeeze", reduction="none") / 1e-4
    torch.testing.assert_close(measured, expected, rtol=1e-6, atol=0.0)
    assert evaluator.names == ["ppl_wfull_lpips_squeeze"]
    assert "LPIPS on SqueezeNet 1.1" in evaluator.protocol()["distance"]


def test_without_the_vgg16_file_lpips_ppl_stops_with_one_line_naming_it_and_the_vgg_free_option(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "empty"))
    for proxy in ("https_proxy", "HTTPS_PROXY"):  # nothing listens there: no download either
        monkeypatch.setenv(proxy, "http://127.0.0.1:9")
    with pytest.raises(ConfigError) as raised:
        PerceptualPathLength()
    message = str(raised.value)
    assert "\n" not in message and message.startswith("metrics.distance=lpips_vgg needs the VGG16 weights")
    assert str(lpips.hub_path(lpips.backbone_url("vgg"))) in message and "vgg16-" in message
    assert "metrics.distance=mse" in message


@pytest.mark.parametrize(
    ("options", "fragment"),
    [
        ({"space": "x"}, "metrics.space=x is unknown: choose one of z, w"),
        ({"sampling": "middle"}, "metrics.sampling=middle is unknown: choose one of full, end"),
        ({"distance": "l2"}, "metrics.distance=l2 is unknown: choose one of lpips_alex, lpips_vgg, lpips_squeeze, mse"),
        ({"epsilon": 0.0}, "metrics.epsilon=0.0 must be positive"),
    ],
)
def test_bad_options_are_config_errors(options: dict, fragment: str) -> None:
    with pytest.raises(ConfigError, match=fragment.replace(".", r"\.")):
        PerceptualPathLength(**{"distance": "mse", **options})


def test_w_space_needs_a_style_generator_and_crop_a_square_image() -> None:
    plain = nn.Linear(4, 3 * 8 * 8, dtype=torch.float64)
    with pytest.raises(ConfigError, match="metrics.space=w walks a style generator's ws .* Linear has none: use"):
        PerceptualPathLength(num_samples=8, space="w", distance="mse")(Holder(plain, 4), None)
    wide = LinearStyleGenerator(latent_dim=4, shape=(1, 8, 16))
    with pytest.raises(ConfigError, match=r"metrics.crop=true crops square faces, but the images are \(8, 16\)"):
        PerceptualPathLength(num_samples=8, crop=True, distance="mse")(Holder(wide, 4), None)


def test_the_config_monitor_names_the_distance(tmp_path: Path) -> None:
    for distance in ("mse", "lpips_alex"):
        cfg = compose_config(["data=mnist", "metrics=ppl", f"metrics.distance={distance}", "metrics.space=w"], tmp_path)
        assert cfg.metrics.monitor == f"val/ppl_wfull_{distance}"
    cfg = compose_config(["data=mnist", "metrics=ppl", "metrics.distance=mse"], tmp_path)
    evaluation = path_length_evaluation(**{k: v for k, v in cfg.metrics.items() if k != "_target_"})
    assert evaluation.evaluator.names == [cfg.metrics.monitor.removeprefix("val/")]
    assert evaluation.evaluator.epsilon == 1e-4 and evaluation.evaluator.num_samples == 100000


@pytest.fixture(scope="module")
def conditional_stylegan2(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2-update class-conditional StyleGAN2 on MNIST: the checkpoint evaluate.py reads."""
    run = tmp_path_factory.mktemp("stylegan2")
    overrides = [*TINY_STYLEGAN2, "data=mnist", "model.conditioning=projection", "metrics=none", "steps=2"]
    train(compose_config([*overrides, "logger=csv", "data.batch_size=8", *QUIET], run))
    return run / "checkpoints" / "last.ckpt"


def test_evaluate_prints_the_ppl_protocol_and_writes_the_value(
    tmp_path: Path, conditional_stylegan2: Path, capsys: pytest.CaptureFixture
) -> None:
    overrides = [f"ckpt_path={conditional_stylegan2}", "metrics=ppl", "metrics.space=w", "metrics.distance=mse"]
    overrides += ["metrics.num_samples=64", "metrics.batch_size=32"]
    values = evaluating.evaluate(compose_config(overrides, tmp_path, config_name="evaluate"))
    assert list(values) == ["ppl_wfull_mse"] and np.isfinite(values["ppl_wfull_mse"]) and values["ppl_wfull_mse"] > 0
    printed = capsys.readouterr().out
    for row in ("PPL (Karras et al. 2019) in w, lerp", "64 (seed 2020)", "0.0001", "VGG-free", "1st and 99th"):
        assert row in printed
    assert "one uniformly drawn class per pair" in printed  # the model is conditional
    written = json.loads((tmp_path / "evaluation.json").read_text())
    assert written["metrics"] == values and written["protocol"]["distance"].startswith("mean squared pixel")
    again = evaluating.evaluate(compose_config(overrides, tmp_path, config_name="evaluate"))
    assert again == values  # seeded pairs: the same number every time
