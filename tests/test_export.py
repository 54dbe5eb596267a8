"""gansuite-export on every model family (conftest's `trained_runs`) in every format: the file is written, its parity
check (another batch size than traced; for images also twice the height and width) passes, and the file, loaded
again by its own runtime, reproduces the PyTorch generator; bad requests get one line."""

from pathlib import Path

import numpy as np
import onnxruntime
import pytest
import torch

import gansuite
from gansuite.artifacts.export import PARITY_TOLERANCE
from gansuite.commands import export as export_command
from gansuite.errors import ConfigError

CASES = {  # run -> the direction to export (translation models) and what the file takes
    "toy": (None, "z"),
    "dcgan_ema": (None, "z"),
    "dcgan_conditional": (None, "z, labels"),
    "cyclegan": ("b2a", "images"),
    "pix2pix": (None, "images"),
    "srgan": (None, "images"),
}


@pytest.mark.parametrize("export_format", ["onnx", "torchscript", "exported_program"])
@pytest.mark.parametrize("run", list(CASES))
def test_every_family_exports_in_every_format_with_parity(
    trained_runs: dict[str, Path], tmp_path: Path, run: str, export_format: str, capsys: pytest.CaptureFixture
) -> None:
    direction, inputs = CASES[run]
    out = tmp_path / f"generator.{export_format}"
    arguments = [f"ckpt_path={trained_runs[run]}", f"format={export_format}", f"out={out}"]
    facts = export_command.main([*arguments, *([f"direction={direction}"] if direction else [])])
    assert out.is_file() and facts["inputs"] == inputs
    assert f"max |{export_format} - PyTorch|" in capsys.readouterr().out

    # The file by its own runtime, at a batch size of 5, against gansuite.load's generator.
    generator = gansuite.load(trained_runs[run])
    if inputs == "images":
        channels, height, width = generator.data_shape
        side = height // 4 if run == "srgan" else height
        images = torch.rand(5, channels, side, side, generator=torch.Generator().manual_seed(2)) * 2 - 1
        expected = generator.upscale(images) if run == "srgan" else generator.translate(images, direction)
        feeds = (images,)
    else:
        labels = torch.tensor([1, 2, 3, 4, 5]) if generator.num_classes else None
        expected = generator.sample(5, seed=2, labels=labels)
        z = torch.randn(5, generator.latent_dim, generator=torch.Generator().manual_seed(2))
        feeds = (z,) if labels is None else (z, labels)
    if export_format == "onnx":
        session = onnxruntime.InferenceSession(str(out), providers=["CPUExecutionProvider"])
        names = [node.name for node in session.get_inputs()]
        arrays = dict(zip(names, [feed.numpy() for feed in feeds], strict=True))
        output = torch.from_numpy(np.asarray(session.run(None, arrays)[0]))
    elif export_format == "torchscript":
        output = torch.jit.load(str(out))(*feeds)
    else:
        output = torch.export.load(str(out)).module()(*feeds)
    torch.testing.assert_close(output, expected, rtol=0, atol=PARITY_TOLERANCE)


def test_the_unet_exported_program_says_its_size_is_fixed(trained_runs: dict[str, Path], tmp_path: Path) -> None:
    facts = export_command.main(
        [f"ckpt_path={trained_runs['pix2pix']}", "format=exported_program", f"out={tmp_path / 'g.pt2'}"]
    )
    assert facts["dynamic"].startswith("batch; height and width fixed at 32x32")
    facts = export_command.main([f"ckpt_path={trained_runs['pix2pix']}", "format=onnx", f"out={tmp_path / 'g.onnx'}"])
    assert facts["dynamic"] == "batch, height, width"  # ONNX keeps them dynamic (checked at 64x64 by the parity)


def test_bad_export_requests_get_one_line(trained_runs: dict[str, Path], tmp_path: Path) -> None:
    cyclegan = f"ckpt_path={trained_runs['cyclegan']}"
    with pytest.raises(ConfigError, match="translates a2b and b2a: pass direction=a2b or b2a"):
        export_command.main([cyclegan, f"out={tmp_path / 'g.onnx'}"])
    with pytest.raises(
        ConfigError, match="format=tflite is unknown: choose one of onnx, torchscript, exported_program"
    ):
        export_command.main([cyclegan, "format=tflite"])
    with pytest.raises(ConfigError, match="direction=a2b applies to translation models"):
        export_command.main([f"ckpt_path={trained_runs['toy']}", "direction=a2b", f"out={tmp_path / 'g.onnx'}"])
    (tmp_path / "taken.onnx").write_bytes(b"")
    with pytest.raises(ConfigError, match="taken.onnx already exists: pass out=<another path>, or overwrite=true"):
        export_command.main([f"ckpt_path={trained_runs['toy']}", f"out={tmp_path / 'taken.onnx'}"])
    assert (tmp_path / "taken.onnx").read_bytes() == b""
