"""gansuite: GAN experiments on PyTorch Lightning and Hydra. `gansuite.load(run_dir_or_ckpt)` gives a trained
generator (gansuite.artifacts.pretrained); everything else runs from the command line (train.py, gansuite-train,
...)."""

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

    from gansuite.artifacts.pretrained import Pretrained


def load(path: "str | Path", map_location: "str | torch.device" = "cpu") -> "Pretrained":
    """The generator of a run directory (best.ckpt when present, else last.ckpt) or of a .ckpt file; see
    gansuite.artifacts.pretrained. Imported here on first use: `import gansuite` stays instant for the command-line
    checks, which answer a bad command before torch is imported."""
    from gansuite.artifacts.pretrained import load as load_pretrained

    return load_pretrained(path, map_location)
