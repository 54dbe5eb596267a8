"""Real-image features computed once and kept on disk, keyed by dataset, split, size, extractor and count.

The features themselves are stored (float32, as the extractor gives them, like torch-fidelity's cache): FID's
float64 mean and covariance, KID and precision/recall all derive from them. Writes go through a temporary file
and a rename, so a run that dies mid-write, or two runs writing at once, never leave a torn file.
"""

import os
from collections.abc import Callable
from pathlib import Path

import torch
from torch import Tensor


def cache_path(cache_dir: str | Path, key: dict[str, str | int]) -> Path:
    name = "-".join(f"{value}" for value in key.values()).replace("/", "_")
    return Path(cache_dir) / f"{name}.pt"


def cached_features(
    cache_dir: str | Path, key: dict[str, str | int], compute: Callable[[], Tensor], device: torch.device
) -> tuple[Tensor, bool]:
    """The features stored under `key`, computing and storing them on a miss; and whether they came from disk."""
    path = cache_path(cache_dir, key)
    if path.is_file():
        saved = torch.load(path, map_location=device, weights_only=True)
        if saved["key"] == key:
            return saved["features"], True
    features = compute()
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(f".{os.getpid()}.tmp")
    torch.save({"key": key, "features": features.cpu()}, temporary)
    temporary.replace(path)
    return features, False
