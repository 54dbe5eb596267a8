"""gansuite.load: the generator of a real run (conftest's `trained_runs`), rebuilt from its checkpoint alone, gives
exactly what the training module gives for the same seed and inputs (the EMA generator when the run kept one), in a
process that imports neither Lightning nor Hydra; checkpoints it cannot use are refused with one line."""

import subprocess
import sys
from pathlib import Path

import pytest
import torch
from gansuite_testing import (
    ROOT,
)
from PIL import Image

import gansuite
from gansuite.artifacts.checkpoints import read_checkpoint
from gansuite.commands import sample
from gansuite.errors import ConfigError
from gansuite.modules.loading import load_module


def test_samples_equal_the_training_modules_for_the_same_seed(trained_runs: dict[str, Path]) -> None:
    for name in ("toy", "dcgan_ema"):
        module, _ = load_module(trained_runs[name] / "checkpoints" / "last.ckpt")
        torch.manual_seed(3)
        expected = module.sample(16)  # module.generate: the EMA generator when on
        generator = gansuite.load(trained_runs[name])
        assert generator.use == "sample" and generator.checkpoint_path.name == "last.ckpt"
        torch.testing.assert_close(generator.sample(16, seed=3), expected, rtol=0, atol=0)
        assert not generator.sample(16, seed=3).requires_grad


def test_the_ema_generator_is_the_one_loaded(trained_runs: dict[str, Path]) -> None:
    module, _ = load_module(trained_runs["dcgan_ema"] / "checkpoints" / "last.ckpt")
    noise = torch.randn(8, 16, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        raw, averaged = module.generator.eval()(noise), module.ema_generator.eval()(noise)
    assert (raw - averaged).abs().max() > 1e-4  # two updates at decay 0.5 move the average away
    loaded = gansuite.load(trained_runs["dcgan_ema"]).networks["sample"]
    torch.testing.assert_close(loaded(noise), averaged, rtol=0, atol=0)


def test_a_conditional_generator_samples_the_labels_asked_for(trained_runs: dict[str, Path], tmp_path: Path) -> None:
    module, _ = load_module(trained_runs["dcgan_conditional"] / "checkpoints" / "last.ckpt")
    generator = gansuite.load(trained_runs["dcgan_conditional"] / "checkpoints" / "last.ckpt")
    assert generator.num_classes == 10
    labels = torch.tensor([7, 7, 0, 3])
    noise = torch.randn(4, 16, generator=torch.Generator().manual_seed(5))
    torch.testing.assert_close(generator.sample(4, seed=5, labels=labels), module.generate(noise, labels))
    default = generator.sample(12, seed=5)  # the classes in turn: 0..9, 0, 1
    torch.testing.assert_close(
        default, module.generate(torch.randn(12, 16, generator=torch.Generator().manual_seed(5)), torch.arange(12) % 10)
    )
    with pytest.raises(ConfigError, match=r"labels must be 2 integer class indices in \[0, 10\), got \[3, 10\]"):
        generator.sample(2, labels=[3, 10])
    grid = generator.save_grid(tmp_path / "grid.png", n=20)
    with Image.open(grid) as image:  # 8 per row, 3 rows of 32x32 digits (DCGAN pads MNIST) with 2-pixel padding
        assert image.size == (8 * 34 + 2, 3 * 34 + 2)


def test_translators_and_upscalers_equal_their_modules(trained_runs: dict[str, Path]) -> None:
    images = torch.rand(2, 3, 32, 32, generator=torch.Generator().manual_seed(0)) * 2 - 1
    module, _ = load_module(trained_runs["cyclegan"] / "checkpoints" / "last.ckpt")
    generator = gansuite.load(trained_runs["cyclegan"])
    assert generator.use == "translate"
    for direction in ("a2b", "b2a"):
        torch.testing.assert_close(generator.translate(images, direction), module.translate(images, direction))
    with pytest.raises(ConfigError, match="translates a2b and b2a: pass one"):
        generator.translate(images)
    with pytest.raises(ConfigError, match="is a model that can translate, not sample: call .translate()"):
        generator.sample(4)

    module, _ = load_module(trained_runs["pix2pix"] / "checkpoints" / "last.ckpt")
    torch.testing.assert_close(
        gansuite.load(trained_runs["pix2pix"]).translate(images), module.translate(images, "a2b")
    )

    module, _ = load_module(trained_runs["srgan"] / "checkpoints" / "last.ckpt")
    generator = gansuite.load(trained_runs["srgan"])
    low = images[:, :, :8, :8]
    assert generator.upscale(low).shape == (2, 3, 32, 32)
    torch.testing.assert_close(generator.upscale(low), module.upscale(low))


BAD_SAMPLE_CALLS = [  # (run, keyword arguments of .sample, the message's key part)
    ("toy", {"n": 0}, r"n must be a positive integer .*got 0"),
    ("toy", {"n": -3}, r"n must be a positive integer .*got -3"),
    ("toy", {"n": 2.5}, r"n must be a positive integer .*got 2.5"),
    ("toy", {"n": True}, r"n must be a positive integer .*got True"),
    ("toy", {"n": 2, "seed": -1}, r"seed must be an integer in \[0, 2\*\*32\), got -1"),
    ("toy", {"n": 2, "truncation": 1.5}, r"truncation must be a number in \[0, 1\] .*got 1.5"),
    ("dcgan_conditional", {"n": 2, "labels": [1.0, 2.0]}, r"labels must be 2 integer class indices .*got \[1.0, 2.0\]"),
    ("dcgan_conditional", {"n": 2, "labels": [True, False]}, r"labels must be 2 integer class indices"),
    ("dcgan_conditional", {"n": 2, "labels": [1]}, r"labels must be 2 integer class indices in \[0, 10\), got \[1\]"),
    ("stylegan2", {"n": 2, "truncation": float("nan")}, r"truncation must be a number in \[0, 1\] .*got nan"),
    ("stylegan2", {"n": 2, "truncation": "abc"}, r"truncation must be a number in \[0, 1\] .*got 'abc'"),
    ("stylegan2", {"n": 2, "truncation": -1}, r"truncation must be a number in \[0, 1\] .*got -1"),
]
BAD_IMAGES = [  # (run, the call, images, the message's key part)
    (
        "cyclegan",
        "translate",
        torch.zeros(2, 1, 32, 32),
        r"takes a float tensor \(N, 3, H, W\).*got shape \(2, 1, 32, 32\)",
    ),
    (
        "cyclegan",
        "translate",
        torch.zeros(3, 32, 32),
        r"got shape \(3, 32, 32\): add a batch dimension with images\[None\]",
    ),
    ("cyclegan", "translate", torch.zeros(1, 3, 32, 32, dtype=torch.uint8), r"got dtype torch.uint8: convert uint8"),
    ("cyclegan", "translate", torch.zeros(1, 3, 0, 30), r"got an empty 0x30 image: give at least 1x1 pixels"),
    ("cyclegan", "translate", [[0.0]], r"got a list: convert it with torch.as_tensor"),
    ("srgan", "upscale", torch.zeros(1, 3, 8, 0), r"got an empty 8x0 image: give at least 1x1 pixels"),
    ("srgan", "upscale", torch.zeros(1, 1, 8, 8), r"\.upscale\(\) takes a float tensor \(N, 3, H, W\)"),
]


@pytest.mark.parametrize(("run", "arguments", "message"), BAD_SAMPLE_CALLS)
def test_bad_sample_arguments_get_one_error_naming_them(
    trained_runs: dict[str, Path], run: str, arguments: dict, message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        gansuite.load(trained_runs[run]).sample(**arguments)


@pytest.mark.parametrize(("run", "call", "images", "message"), BAD_IMAGES)
def test_images_a_network_cannot_take_get_one_error_naming_them(
    trained_runs: dict[str, Path], run: str, call: str, images: object, message: str
) -> None:
    generator = gansuite.load(trained_runs[run])
    with pytest.raises(ConfigError, match=message):
        generator.translate(images, "a2b") if call == "translate" else generator.upscale(images)


def test_stylegan2_samples_are_in_range_and_truncation_applies_for_the_call_only(trained_runs: dict[str, Path]) -> None:
    generator = gansuite.load(trained_runs["stylegan2"])
    network = generator.networks["sample"]
    noise = torch.randn(64, generator.latent_dim, generator=torch.Generator().manual_seed(0))
    raw = network(noise)
    assert raw.abs().max() > 1  # no tanh: the network itself overshoots, so the clamp below is what keeps the range
    torch.testing.assert_close(generator.sample(64, seed=0), raw.clamp(-1, 1), rtol=0, atol=0)
    average = generator.sample(4, seed=0, truncation=0)  # psi 0: every sample is the average w's image
    torch.testing.assert_close(average, average[:1].expand(4, -1, -1, -1))
    assert network.truncation_psi == 1.0 and not torch.equal(generator.sample(4, seed=0), average)


@pytest.mark.parametrize("run", ["toy", "dcgan_conditional"])
def test_truncation_of_a_noise_model_scales_z(trained_runs: dict[str, Path], run: str) -> None:
    """psi 0 is G(0) for every sample, psi 1 the untruncated generator, psi 0.5 the generator at z / 2."""
    generator = gansuite.load(trained_runs[run])
    network = generator.networks["sample"]
    noise = torch.randn(4, generator.latent_dim, generator=torch.Generator().manual_seed(3))
    labels = None if generator.num_classes is None else torch.arange(4) % generator.num_classes
    at = (lambda z: network(z)) if labels is None else (lambda z: network(z, labels=labels))
    torch.testing.assert_close(generator.sample(4, seed=3, labels=labels, truncation=1), at(noise).clamp(-1, 1))
    torch.testing.assert_close(generator.sample(4, seed=3, labels=labels, truncation=0.5), at(noise / 2).clamp(-1, 1))
    torch.testing.assert_close(generator.sample(4, seed=3, labels=labels, truncation=0), at(0 * noise).clamp(-1, 1))


def test_loading_imports_neither_lightning_nor_hydra(trained_runs: dict[str, Path]) -> None:
    program = (
        "import sys, gansuite\n"
        f"g = gansuite.load({str(trained_runs['dcgan_ema'])!r})\n"
        "assert g.sample(2, seed=0).shape == (2, 3, 32, 32)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('lightning', 'pytorch_lightning', 'hydra')))\n"
    )
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, cwd=ROOT, check=True)
    assert result.stdout.strip() == "[]"


def test_checkpoints_it_cannot_use_are_refused_with_one_line(trained_runs: dict[str, Path], tmp_path: Path) -> None:
    checkpoint = torch.load(trained_runs["toy"] / "checkpoints" / "last.ckpt", weights_only=True)
    del checkpoint["gansuite"]["generators"]
    torch.save(checkpoint, tmp_path / "old.ckpt")
    with pytest.raises(ConfigError, match="holds no generator recipe .*load_module, or train the run again"):
        gansuite.load(tmp_path / "old.ckpt")

    checkpoint = torch.load(trained_runs["toy"] / "checkpoints" / "last.ckpt", weights_only=True)
    key = next(key for key in checkpoint["state_dict"] if key.startswith("generator."))
    checkpoint["state_dict"][key] = torch.zeros(3, 3)
    torch.save(checkpoint, tmp_path / "edited.ckpt")
    with pytest.raises(ConfigError, match=rf"the weights of generator in .* do not fit .*\({key[10:]} has shape"):
        gansuite.load(tmp_path / "edited.ckpt")

    with pytest.raises(ConfigError, match="holds no checkpoints/best.ckpt or last.ckpt"):
        gansuite.load(tmp_path)
    with pytest.raises(ConfigError, match="does not exist: pass a run directory"):
        gansuite.load(tmp_path / "nowhere")


def test_a_device_torch_does_not_have_is_named_and_torchs_other_map_locations_load(
    trained_runs: dict[str, Path],
) -> None:
    """device=gpu was reported as a truncated checkpoint (torch.load's RuntimeError); a dict or a function as
    map_location is torch.load's own and still loads."""
    run = trained_runs["toy"]
    with pytest.raises(ConfigError, match=r"^device=gpu is not a torch device: use cpu, cuda or cuda:<index>$"):
        gansuite.load(run, map_location="gpu")
    reference = read_checkpoint(run / "checkpoints" / "last.ckpt")["state_dict"]
    for location in ({"cuda:0": "cpu"}, lambda storage, _: storage, torch.device("cpu")):
        loaded = read_checkpoint(run / "checkpoints" / "last.ckpt", location)["state_dict"]
        assert loaded.keys() == reference.keys() and all(torch.equal(loaded[k], reference[k]) for k in reference)


@pytest.mark.parametrize("psi", ["abc", "nan", "-1", "1.5"])
def test_sample_script_refuses_a_truncation_outside_0_1(trained_runs: dict[str, Path], psi: str) -> None:
    with pytest.raises(ConfigError, match="truncation must be a number in \\[0, 1\\]"):
        sample.main([f"ckpt_path={trained_runs['stylegan2'] / 'checkpoints' / 'last.ckpt'}", f"truncation={psi}"])
