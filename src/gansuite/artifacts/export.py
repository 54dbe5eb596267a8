"""A trained generator as a file that runs without gansuite: ONNX, TorchScript or a torch.export ExportedProgram,
with a parity check of the file against the PyTorch generator.

The generator is the one gansuite.load gives (the EMA weights when the run kept them). Its inputs: noise `z`
(N, latent_dim) and, for a conditional generator, `labels` (N,) int64; images (N, C, H, W) in [-1, 1] for a translating
(CycleGAN, pix2pix: one direction) or upscaling generator. The batch size is dynamic, and so are the height and width
of image inputs. The parity check runs the exported file on fixed seeded inputs of another batch size than the one
traced (and, for images, at the training size and at twice it) and compares with the PyTorch outputs: the largest
absolute difference must stay within PARITY_TOLERANCE.

ONNX goes through the TorchScript-based exporter with `dynamic_axes`, not the torch.export-based one: torch.export
specializes a size of 1, which fixes the height and width of the pix2pix U-Net (1x1 at its innermost layer at the
training size). For the same reason an ExportedProgram of a U-Net keeps the training height and width (said when
exported); its batch size stays dynamic.
"""

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import Tensor, nn
from torch.export import Dim

from gansuite.artifacts import EXPORT_FORMATS
from gansuite.artifacts.pretrained import DIRECTIONS, Pretrained
from gansuite.errors import ConfigError
from gansuite.files import atomic_write

PARITY_TOLERANCE = 1e-4  # float32 outputs in [-1, 1]; the formats reorder float arithmetic, nothing more
TRACED_BATCH, CHECKED_BATCH = 2, 3


class LabelledGenerator(nn.Module):
    """A conditional generator with the labels as a second positional input, as exporters pass inputs."""

    def __init__(self, generator: nn.Module) -> None:
        super().__init__()
        self.generator = generator

    def forward(self, z: Tensor, labels: Tensor) -> Tensor:
        return self.generator(z, labels=labels)


@dataclass
class Exportable:
    """The network to export, the names of its inputs, and seeded example inputs at a batch size and scale."""

    network: nn.Module
    input_names: list[str]
    image_input: bool
    pretrained: Pretrained
    use: str

    def inputs(self, batch: int, size_factor: int = 1, seed: int = 0) -> tuple[Tensor, ...]:
        generator = torch.Generator().manual_seed(seed)
        if not self.image_input:
            z = torch.randn(batch, self.pretrained.latent_dim, generator=generator)
            if self.pretrained.num_classes is None:
                return (z,)
            return z, torch.randint(0, self.pretrained.num_classes, (batch,), generator=generator)
        channels, height, width = self.pretrained.data_shape
        if self.use == "upscale":
            scale = self.pretrained.arguments["upscale"]["scale"]
            height, width = height // scale, width // scale
        shape = (batch, channels, height * size_factor, width * size_factor)
        return (torch.rand(shape, generator=generator) * 2 - 1,)


def exportable(pretrained: Pretrained, direction: str | None) -> Exportable:
    """What `pretrained` exports: its sampling or upscaling generator, or its translator in `direction`."""
    if pretrained.use == "translate":
        directions = [use for use in pretrained.networks if use in DIRECTIONS]
        direction = direction or (directions[0] if len(directions) == 1 else None)
        if direction not in directions:
            raise ConfigError(
                f"{pretrained.checkpoint_path} translates {' and '.join(directions)}: pass direction=a2b or b2a"
            )
        return Exportable(pretrained.networks[direction], ["images"], True, pretrained, direction)
    if direction is not None:
        raise ConfigError(f"direction={direction} applies to translation models; {pretrained.checkpoint_path} does not")
    network = pretrained.networks[pretrained.use]
    if pretrained.use == "upscale":
        return Exportable(network, ["images"], True, pretrained, "upscale")
    if pretrained.num_classes is not None:
        return Exportable(LabelledGenerator(network), ["z", "labels"], False, pretrained, "sample")
    return Exportable(network, ["z"], False, pretrained, "sample")


def dynamic_axes(target: Exportable) -> dict[int, str]:
    """The dynamic axes of each input and of the output: the batch, and the height and width of images."""
    return {0: "batch", 2: "height", 3: "width"} if target.image_input else {0: "batch"}


def write(target: Exportable, export_format: str, out: Path) -> str | None:
    """Writes the file; returns a note on what stayed static, or None."""
    example = target.inputs(TRACED_BATCH)
    network = target.network.eval()
    # The exporters write into a file object whose content replaces `out` only when complete (gansuite.files).
    with warnings.catch_warnings(), atomic_write(out) as file:  # the exporters' warnings say nothing of this network
        warnings.simplefilter("ignore")
        if export_format == "onnx":
            axes = {name: dynamic_axes(target) for name in target.input_names}
            axes["output"] = {axis: f"output_{name}" for axis, name in dynamic_axes(target).items()}
            names = {"input_names": target.input_names, "output_names": ["output"]}
            torch.onnx.export(network, example, file, **names, dynamic_axes=axes, dynamo=False)
        elif export_format == "torchscript":
            torch.jit.save(torch.jit.trace(network, example), file)
        else:
            program, note = export_program(target, network, example)
            torch.export.save(program, file)
            return note
    return None


def export_program(target: Exportable, network: nn.Module, example: tuple[Tensor, ...]):
    """torch.export with a dynamic batch and, where the network allows it, dynamic height and width."""
    dims = [dict.fromkeys(dynamic_axes(target), Dim.AUTO) for _ in target.input_names]
    program = torch.export.export(network, example, dynamic_shapes=tuple(dims))
    if not target.image_input:
        return program, None
    try:
        program.module()(*target.inputs(CHECKED_BATCH, size_factor=2))
        return program, None
    except (AssertionError, RuntimeError):  # a guard on the height or width: the network fixed them
        static = tuple({0: Dim.AUTO, 2: Dim.STATIC, 3: Dim.STATIC} for _ in dims)
        height, width = example[0].shape[2:]
        note = f"height and width fixed at {height}x{width} (torch.export specializes this network's sizes)"
        return torch.export.export(network, example, dynamic_shapes=static), note


def check_onnx_installed() -> None:
    """torch's ONNX exporter needs onnx, the parity check onnxruntime: the optional `export` extra."""
    import importlib.util

    missing = [name for name in ("onnx", "onnxruntime") if importlib.util.find_spec(name) is None]
    if missing:
        raise ConfigError(
            f"format=onnx needs {' and '.join(missing)}, not installed: pip install 'gansuite[export]', or export "
            "with format=torchscript or exported_program"
        )


def run_exported(export_format: str, out: Path, inputs: tuple[Tensor, ...], names: list[str]) -> Tensor:
    if export_format == "onnx":
        import onnxruntime  # the optional export extra, checked by check_onnx_installed

        session = onnxruntime.InferenceSession(str(out), providers=["CPUExecutionProvider"])
        feeds = {name: value.numpy() for name, value in zip(names, inputs, strict=True)}
        return torch.from_numpy(np.asarray(session.run(None, feeds)[0]))
    if export_format == "torchscript":
        return torch.jit.load(str(out))(*inputs)
    return torch.export.load(str(out)).module()(*inputs)


@torch.no_grad()
def parity(target: Exportable, export_format: str, out: Path, note: str | None) -> tuple[float, list[str]]:
    """The largest |exported - PyTorch| over the checked inputs, and their shapes in words."""
    factors = [1] if not target.image_input or note else [1, 2]
    largest, checked = 0.0, []
    for factor in factors:
        inputs = target.inputs(CHECKED_BATCH, factor, seed=1)
        expected = target.network(*inputs)
        largest = max(
            largest, float((run_exported(export_format, out, inputs, target.input_names) - expected).abs().max())
        )
        checked.append("x".join(str(size) for size in inputs[0].shape))
    return largest, checked


def export(pretrained: Pretrained, export_format: str, out: Path, direction: str | None = None) -> dict[str, object]:
    """Writes the generator of `pretrained` to `out` in `export_format` and checks it; the facts, for printing."""
    if export_format not in EXPORT_FORMATS:
        raise ConfigError(f"format={export_format} is unknown: choose one of {', '.join(EXPORT_FORMATS)}")
    if export_format == "onnx":
        check_onnx_installed()
    target = exportable(pretrained.to("cpu"), direction)
    out.parent.mkdir(parents=True, exist_ok=True)
    note = write(target, export_format, out)
    largest, checked = parity(target, export_format, out, note)
    if not largest <= PARITY_TOLERANCE:
        raise RuntimeError(
            f"the exported {export_format} file {out} differs from the PyTorch generator by {largest:.3g} (tolerance "
            f"{PARITY_TOLERANCE:g}) on inputs {', '.join(checked)}: do not use it; report the model and format"
        )
    dynamic = "batch, height, width" if target.image_input and not note else "batch"
    return {
        "file": str(out),
        "format": export_format,
        "generator": target.use,
        "inputs": ", ".join(target.input_names),
        "dynamic": f"{dynamic}; {note}" if note else dynamic,
        "parity": f"max |{export_format} - PyTorch| = {largest:.2e} on inputs {', '.join(checked)} "
        f"(tolerance {PARITY_TOLERANCE:g})",
    }
