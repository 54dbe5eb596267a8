"""What the benchmark scripts share: the run built from Hydra overrides exactly as train.py builds it, and timing
that waits for the device, so a measured interval holds the device's work and not just its launch."""

import tempfile
import time
from pathlib import Path

import lightning as L
import torch
from hydra import compose, initialize_config_dir
from hydra.utils import instantiate
from lightning import LightningModule
from omegaconf import DictConfig
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils.flop_counter import flop_registry

from gansuite.conf_dir import CONFIG_DIR
from gansuite.modules.loading import build_model
from gansuite.run.train import train


def compose_config(overrides: list[str]) -> DictConfig:
    """The run config of `python train.py <overrides>`, writing into a fresh temporary directory."""
    output_dir = tempfile.mkdtemp(prefix="gansuite-bench-")
    with initialize_config_dir(config_dir=CONFIG_DIR, version_base="1.3"):
        return compose("config", overrides=[f"paths.output_dir={output_dir}", *overrides])


def train_timed(overrides: list[str], output_dir: Path) -> tuple[float | None, float]:
    """`python train.py <overrides>` writing into `output_dir`: the monitored metric train() returns, and the
    seconds the run took (start-up and evaluations included)."""
    with initialize_config_dir(config_dir=CONFIG_DIR, version_base="1.3"):
        cfg = compose("config", overrides=[*overrides, f"paths.output_dir={output_dir}"])
    start = time.perf_counter()
    result = train(cfg)
    return result, time.perf_counter() - start


def build_run(cfg: DictConfig) -> tuple[L.LightningDataModule, LightningModule]:
    """The seeded datamodule (set up) and module of `cfg`, as train.train builds them."""
    L.seed_everything(cfg.seed)
    datamodule = instantiate(cfg.data)
    datamodule.setup("fit")
    return datamodule, build_model(cfg, datamodule.shape, getattr(datamodule, "num_classes", None))


def device_clock(device: torch.device) -> float:
    """Seconds on the host clock once all queued work on `device` has finished."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return time.perf_counter()


def write_table(rows: list[dict[str, object]], path: Path | None = None) -> str:
    """A Markdown table of `rows` (the keys of the first row are the columns), also written to `path` if given."""
    columns = list(rows[0])
    lines = ["| " + " | ".join(columns) + " |", "|" + "|".join("---" for _ in columns) + "|"]
    lines += ["| " + " | ".join(str(row[c]) for c in columns) + " |" for row in rows]
    table = "\n".join(lines)
    if path is not None:
        path.write_text(table + "\n")
    return table


def print_row(row: dict[str, object]) -> None:
    """One finished row of a benchmark table, printed as soon as it is measured."""
    print(write_table([row]).splitlines()[-1], flush=True)


def print_table(caption: str, rows: list[dict[str, object]]) -> None:
    """The whole table of a benchmark after its caption (the command and where its runs are)."""
    print(f"\n{caption}")
    print(write_table(rows))


class CountFlops(TorchDispatchMode):
    """FLOPs of the matmuls and convolutions run inside it, forward and backward, by torch's own FLOP formulas.

    torch.utils.flop_counter.FlopCounterMode does the same but tracks modules with hooks that fail inside
    `torch.autograd.grad`, which the gradient penalty calls; this counts ops alone.
    """

    def __init__(self) -> None:
        super().__init__()
        self.flops = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        out = func(*args, **kwargs)
        count = flop_registry.get(func._overloadpacket)
        if count is not None:
            self.flops += count(*args, **kwargs, out_val=out)
        return out
