"""Checkpoint files that are never torn by a kill, and loads that never run code from the file (read through
gansuite.artifacts.checkpoints.read_checkpoint).

Lightning writes through an fsspec transaction whose temporary file lives in the system temp dir; when that is on
another filesystem than the run dir (local /tmp, logs on network storage) the final move is a copy, and a kill
during it leaves a truncated checkpoint. Here the temporary file sits beside the target, is flushed to disk, and
`os.replace` swaps it in: a reader sees the old file or the new one, never part of one.
"""

from pathlib import Path
from typing import Any

import torch
from lightning.fabric.plugins import TorchCheckpointIO

from gansuite.artifacts.checkpoints import read_checkpoint
from gansuite.files import atomic_write


class AtomicCheckpointIO(TorchCheckpointIO):
    def save_checkpoint(self, checkpoint: dict[str, Any], path: str | Path, storage_options: Any = None) -> None:
        if storage_options is not None or "://" in str(path):  # remote storage: fsspec's own transaction
            return super().save_checkpoint(checkpoint, path, storage_options)
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        with atomic_write(path) as file:
            torch.save(checkpoint, file)

    def load_checkpoint(self, path: str | Path, map_location: Any = "cpu", weights_only: bool | None = None) -> dict:
        """Loads tensors and plain containers only (`weights_only=True`) unless the caller asks otherwise; a
        missing or torn file is a one-line ConfigError."""
        if weights_only is False:
            return super().load_checkpoint(path, map_location=map_location, weights_only=False)
        return read_checkpoint(path, map_location)
