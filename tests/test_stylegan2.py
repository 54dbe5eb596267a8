"""StyleGAN2: the fused modulated convolution against a per-sample loop (float64), demodulation's unit variance,
equalized learning rate, path lengths against finite differences (float64), truncation, style mixing, and real
training runs at 32 and 64 pixels whose checkpoints sample through the script (truncation, style mixing, w)."""

import csv
import math
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from gansuite_testing import QUIET, TINY_STYLEGAN2, compose_config
from PIL import Image
from test_regularizers import finite_difference_gradients, make_batch

import gansuite
from gansuite.commands import sample
from gansuite.errors import ConfigError
from gansuite.nets.stylegan2 import (
    EqualizedConv2d,
    EqualizedLinear,
    StyleGAN2Discriminator,
    StyleGAN2Generator,
    modulated_conv2d,
)
from gansuite.objective.regularizers import R1, path_lengths
from gansuite.run.train import train

PATH_LENGTH_MEAN = "generator_regularizers.path_length.mean"  # the running mean's state_dict key
TINY = {"w_dim": 8, "mapping_layers": 2, "channel_base": 64, "channel_max": 8}


def test_the_modulated_convolution_is_the_per_sample_loop() -> None:
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(3, 4, 7, 6, dtype=torch.float64, generator=generator)
    weight = torch.randn(5, 4, 3, 3, dtype=torch.float64, generator=generator)
    styles = torch.rand(3, 4, dtype=torch.float64, generator=generator) + 0.5
    for demodulate in (True, False):
        expected = []
        for i in range(3):
            w = weight * styles[i].view(1, 4, 1, 1)
            if demodulate:
                w = w / (w.square().sum(dim=(1, 2, 3), keepdim=True) + 1e-8).sqrt()
            expected.append(F.conv2d(x[i : i + 1], w, padding=1))
        modulated = modulated_conv2d(x, weight, styles, demodulate)
        torch.testing.assert_close(modulated, torch.cat(expected), rtol=1e-12, atol=1e-12)


def test_the_modulated_convolution_keeps_no_per_sample_weights_for_backward() -> None:
    """Memory: the fused form kept (N, out, in, k, k) weight copies for backward, ~350 MB per image of config-f at
    32 px on the CPU (25 GB at batch 64, more than this machine has); what is saved now scales with the
    activations and the shared weight only (docs/benchmarks.md: 7.0 GB at batch 64)."""
    n, channels = 8, 64
    x = torch.randn(n, channels, 8, 8, requires_grad=True)
    weight = torch.randn(channels, channels, 3, 3, requires_grad=True)
    styles = torch.rand(n, channels, requires_grad=True)
    saved: list[torch.Size] = []

    def pack(tensor: torch.Tensor) -> torch.Tensor:  # every tensor autograd keeps for the backward pass
        saved.append(tensor.shape)
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
        modulated_conv2d(x, weight, styles).sum().backward()
    assert saved and max(shape.numel() for shape in saved) < n * channels * channels * 9 / 4


def test_demodulated_outputs_have_unit_variance_for_unit_variance_inputs() -> None:
    generator = torch.Generator().manual_seed(1)
    x = torch.randn(8, 64, 40, 40, generator=generator)
    weight, styles = torch.randn(32, 64, 3, 3, generator=generator), torch.rand(8, 64, generator=generator) * 3
    out = modulated_conv2d(x, weight, styles)[:, :, 1:-1, 1:-1]  # the interior: no zero padding in the window
    assert out.var().item() == pytest.approx(1.0, abs=0.03)  # 8 x 32 x 38 x 38 values: sampling error ~0.003


def test_equalized_learning_rate_scales_at_runtime_and_scales_the_gradient() -> None:
    layer = EqualizedLinear(16, 8, lr_multiplier=0.01)
    assert layer.weight_gain == pytest.approx(0.01 / math.sqrt(16)) and layer.bias_gain == 0.01
    assert EqualizedConv2d(6, 4, 3).weight_gain == pytest.approx(1 / math.sqrt(6 * 9))
    x = torch.randn(5, 16)
    upstream = torch.randn(5, 8)
    (layer(x) * upstream).sum().backward()
    effective = (upstream.T @ x).double()  # d loss / d (weight * gain)
    torch.testing.assert_close(layer.weight.grad.double(), effective * layer.weight_gain, rtol=1e-5, atol=1e-9)
    torch.testing.assert_close(layer(x), F.linear(x, layer.weight * 0.01 / 4, layer.bias * 0.01))


def test_path_lengths_match_finite_differences_in_float64() -> None:
    generator = torch.Generator().manual_seed(2)
    mixing = torch.randn(3, 4, 16, dtype=torch.float64, generator=generator)  # a tiny "synthesis": ws -> 4x4

    def synthesis(ws: torch.Tensor) -> torch.Tensor:
        return torch.tanh(torch.einsum("nlw,lwp->np", ws, mixing)).view(-1, 1, 4, 4)

    ws = torch.randn(2, 3, 4, dtype=torch.float64, generator=generator, requires_grad=True)
    noise = torch.randn(2, 1, 4, 4, dtype=torch.float64, generator=generator) / 4
    lengths = path_lengths(synthesis(ws), ws, noise)
    eps, expected = 1e-6, []
    for n in range(2):
        gradient = torch.zeros(3, 4, dtype=torch.float64)
        for index in range(12):
            step = torch.zeros(2, 12, dtype=torch.float64)
            step[n, index] = eps
            step = step.view(2, 3, 4)
            with torch.no_grad():
                plus, minus = (synthesis(ws + step) * noise)[n].sum(), (synthesis(ws - step) * noise)[n].sum()
            gradient.view(-1)[index] = (plus - minus) / (2 * eps)
        expected.append(gradient.square().sum(dim=1).mean().sqrt())
    torch.testing.assert_close(lengths.detach(), torch.stack(expected), rtol=1e-7, atol=0)
    assert lengths.requires_grad  # the penalty backpropagates through it


def tiny_generator(**options) -> StyleGAN2Generator:
    torch.manual_seed(0)
    return StyleGAN2Generator(latent_dim=8, data_shape=(3, 16, 16), **{**TINY, **options}).eval()


def test_truncation_zero_is_the_average_w_and_one_is_the_generator() -> None:
    generator = tiny_generator()
    generator.mapping.w_avg.copy_(torch.randn(8))
    z = torch.randn(4, 8)
    with torch.no_grad():
        average = generator.synthesis(generator.mapping.w_avg.expand(1, generator.num_ws, 8))
        generator.truncation_psi = 0.0
        torch.testing.assert_close(generator(z), average.expand(4, -1, -1, -1))
        generator.truncation_psi = 1.0
        untruncated = generator.synthesis(generator.mapping(z)[:, None].repeat(1, generator.num_ws, 1))
        torch.testing.assert_close(generator(z), untruncated)


def test_style_mixing_keeps_the_first_latents_coarse_layers() -> None:
    generator = tiny_generator()
    first, second = torch.randn(2, 2, 8)
    outputs: dict[str, list[torch.Tensor]] = {}

    def record(name: str) -> list:
        outputs[name] = []
        return [
            layer.register_forward_hook(lambda _m, _i, out: outputs[name].append(out)) for layer in generator.layers
        ]

    with torch.no_grad():
        hooks = record("first")
        generator(first)
        [hook.remove() for hook in hooks]
        hooks = record("mixed")
        mixed = generator.mixed(first, second, layer=3)
        [hook.remove() for hook in hooks]
        torch.testing.assert_close(generator.mixed(first, first, layer=3), generator(first))
    for index in range(3):  # layers 0..2 (4x4 and 8x8) take the first latent's w: the same activations
        torch.testing.assert_close(outputs["mixed"][index], outputs["first"][index])
    assert (outputs["mixed"][3] - outputs["first"][3]).abs().max() > 1e-4
    assert (mixed - generator(first)).abs().max() > 1e-4

    generator.train()  # training mode, mixing always on: a cutoff after which the ws are another latent's
    generator.style_mixing = 1.0
    ws = generator.ws(first)
    changes = [index for index in range(1, generator.num_ws) if not torch.equal(ws[:, index], ws[:, index - 1])]
    assert len(changes) <= 1 and all(torch.equal(ws[:, i], ws[:, 0]) for i in range(changes[0] if changes else 1))


def test_the_discriminator_scores_each_image_and_projects_labels() -> None:
    critic = StyleGAN2Discriminator((3, 16, 16), channel_base=64, channel_max=8)
    assert critic(torch.randn(6, 3, 16, 16)).shape == (6,)
    conditional = StyleGAN2Discriminator((3, 16, 16), 10, "projection", channel_base=64, channel_max=8)
    images = torch.randn(4, 3, 16, 16)
    scores = conditional(images, torch.tensor([0, 1, 2, 3]))
    assert scores.shape == (4,) and not torch.allclose(scores, conditional(images, torch.tensor([4, 5, 6, 7])))
    with pytest.raises(ConfigError, match="power of two >= 8"):
        StyleGAN2Discriminator((3, 24, 24))


def test_the_orig_discriminator_is_the_residual_one_without_its_skips() -> None:
    torch.manual_seed(0)
    residual = StyleGAN2Discriminator((3, 16, 16), channel_base=64, channel_max=8)
    orig = StyleGAN2Discriminator((3, 16, 16), channel_base=64, channel_max=8, architecture="orig")
    skips = {name for name in residual.state_dict() if ".skip." in name}
    assert skips and set(orig.state_dict()) == set(residual.state_dict()) - skips
    orig.load_state_dict({k: v for k, v in residual.state_dict().items() if k not in skips})
    for block in residual.blocks:  # a zero skip leaves sqrt(1/2) x the main path: undo it to get the orig blocks
        block.skip.weight.data.zero_()
        block.conv1.weight.data *= math.sqrt(2)
        block.conv1.bias.data *= math.sqrt(2)
    images = torch.randn(4, 3, 16, 16)
    torch.testing.assert_close(orig(images), residual(images), rtol=1e-5, atol=1e-6)
    with pytest.raises(ConfigError, match="resnet, orig"):
        StyleGAN2Discriminator((3, 16, 16), architecture="skip")


@pytest.mark.slow
@pytest.mark.parametrize("size", [32, 64])
def test_trains_and_its_checkpoint_samples_through_the_script(size: int, tmp_path: Path) -> None:
    data = ["data=cifar10_subset", "data.batch_size=4", f"data.image_size={size}"]
    overrides = [*TINY_STYLEGAN2, *data, "steps=4", "metrics=none", "logger=csv", *QUIET, "trainer.log_every_n_steps=1"]
    train(compose_config(overrides, tmp_path / "run"))
    log = (tmp_path / "run" / "csv" / "metrics.csv").read_text()
    assert "train/g_path_length" in log and "train/r1" in log
    ckpt = tmp_path / "run" / "checkpoints" / "last.ckpt"
    checkpoint = torch.load(ckpt, weights_only=True)
    assert checkpoint["global_step"] == 8 and float(checkpoint["state_dict"][PATH_LENGTH_MEAN]) > 0

    out = sample.main([f"ckpt_path={ckpt}", "n=4", "truncation=0.7", f"out={tmp_path / 'truncated'}"])
    with Image.open(out.with_suffix(".png")) as grid:
        assert grid.size == (2 * (size + 2) + 2, 2 * (size + 2) + 2)
    out = sample.main([f"ckpt_path={ckpt}", "style_mixing=true", "rows=3", f"out={tmp_path / 'mixed'}"])
    with Image.open(out.with_suffix(".png")) as grid:
        assert grid.size == (3 * (size + 2) + 2, 3 * (size + 2) + 2)
    sample.main([f"ckpt_path={ckpt}", "interpolate=true", "space=w", "rows=2", "steps=3", f"out={tmp_path / 'w'}"])
    assert (tmp_path / "w.png").is_file()
    loaded = gansuite.load(tmp_path / "run")  # the EMA generator, through its recipe
    assert loaded.sample(2, seed=0).shape == (2, 3, size, size)


def test_bf16_and_channels_last_train_with_the_penalties_in_float32(tmp_path: Path) -> None:
    speed = ["trainer.precision=bf16-mixed", "model.channels_last=true", "trainer.log_every_n_steps=1"]
    overrides = [*TINY_STYLEGAN2, "data=cifar10_subset", "data.batch_size=4", "steps=2", "metrics=none", *speed]
    train(compose_config([*overrides, "logger=csv", *QUIET], tmp_path))
    with (tmp_path / "csv" / "metrics.csv").open() as file:
        rows = list(csv.DictReader(file))
    penalties = [float(row["train/g_path_length"]) for row in rows if row.get("train/g_path_length")]
    assert penalties and all(math.isfinite(value) for value in penalties)
    state = torch.load(tmp_path / "checkpoints" / "last.ckpt", weights_only=True)["state_dict"]
    assert float(state[PATH_LENGTH_MEAN]) > 0


def test_r1_on_the_stylegan2_discriminator_matches_finite_differences_in_float64() -> None:
    torch.manual_seed(3)
    critic = StyleGAN2Discriminator((3, 8, 8), channel_base=32, channel_max=4, mbstd_group=1).double()
    real = torch.randn(2, 3, 8, 8, dtype=torch.float64)
    flat = lambda points: critic(points.view(-1, 3, 8, 8))  # noqa: E731 -- the critic on flattened points
    expected = (finite_difference_gradients(flat, real.flatten(1)).norm(dim=1) ** 2).mean()
    penalty = R1(gamma=1.0).penalty(make_batch(critic, real, real.clone()))
    assert penalty.item() == pytest.approx(expected.item(), rel=1e-6)


def test_a_conditional_generator_draws_each_label_differently() -> None:
    torch.manual_seed(0)
    generator = StyleGAN2Generator(8, (3, 16, 16), num_classes=10, conditioning="projection", **TINY).eval()
    z = torch.randn(2, 8)
    with torch.no_grad():
        assert (generator(z, torch.tensor([0, 0])) - generator(z, torch.tensor([5, 5]))).abs().max() > 1e-4
    with pytest.raises(ConfigError, match="StyleGAN2 takes model.conditioning=none or projection"):
        StyleGAN2Generator(8, (3, 16, 16), num_classes=10, conditioning="acgan", **TINY)


def test_a_conditional_checkpoint_mixes_styles_and_interpolates_w_per_class(tmp_path: Path) -> None:
    overrides = [*TINY_STYLEGAN2, "model.conditioning=projection", "data=cifar10_subset", "data.batch_size=4"]
    train(compose_config([*overrides, "data.image_size=16", "steps=2", "metrics=none", *QUIET], tmp_path / "run"))
    ckpt = tmp_path / "run" / "checkpoints" / "last.ckpt"
    grids = {}
    for chosen in ("all", 2, 5):
        mixing = ["style_mixing=true", "rows=3", f"class={chosen}", f"out={tmp_path / 'm'}", "overwrite=true"]
        out = sample.main([f"ckpt_path={ckpt}", *mixing])
        grids[chosen] = dict(np.load(out.with_suffix(".npz")))
    assert grids["all"]["labels"].tolist() == [0, 0, 0, 1, 1, 1, 2, 2, 2]  # row r: class r
    assert set(grids[2]["labels"].tolist()) == {2}
    assert np.abs(grids[2]["samples"] - grids[5]["samples"]).max() > 1e-4  # the same latents, another class
    out = sample.main(
        [f"ckpt_path={ckpt}", "interpolate=true", "space=w", "rows=2", "steps=3", f"out={tmp_path / 'w'}"]
    )
    interpolation = np.load(out.with_suffix(".npz"))
    assert interpolation["samples"].shape == (6, 3, 16, 16) and interpolation["labels"].tolist() == [0, 0, 0, 1, 1, 1]


@pytest.mark.parametrize("lr_multiplier", [0.01, 1.0])
def test_the_mapping_networks_lr_multiplier_scales_its_effective_steps(lr_multiplier: float) -> None:
    """Adam's first step moves each stored weight by the learning rate (up to eps): the weights the mapping network
    applies (stored x multiplier / sqrt(fan_in)) then move by lr x multiplier / sqrt(fan_in), whatever the init.
    In float64: the stored weights are ~1/multiplier, and float32 would round a 1e-3 step on them by ~1%."""
    torch.manual_seed(0)
    generator = StyleGAN2Generator(8, (3, 8, 8), mapping_lr_multiplier=lr_multiplier, **TINY).double()
    layer = generator.mapping.layers[0]
    before = (layer.weight * layer.weight_gain).detach().clone()
    optimizer = torch.optim.Adam(generator.mapping.parameters(), lr=1e-3, eps=1e-12)
    generator.mapping(torch.randn(16, 8, dtype=torch.float64)).square().sum().backward()
    optimizer.step()
    moved = ((layer.weight * layer.weight_gain).detach() - before).abs()
    expected = 1e-3 * lr_multiplier / math.sqrt(layer.weight.shape[1])
    assert moved.max().item() == pytest.approx(expected, rel=1e-6) and moved.min().item() > 0.999 * expected
