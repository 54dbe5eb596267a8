"""Pretrained weights files in the torch hub cache ($TORCH_HOME/hub/checkpoints/), where torchvision and torchmetrics
look for them: found there, downloaded there when the network allows, or one line naming the file to copy there.

Never a silent switch to other or random weights: a metric or a loss computed with the wrong network gives numbers
that look plausible and mean nothing.
"""

from pathlib import Path

import torch

from gansuite.errors import ConfigError


def hub_path(url: str) -> Path:
    """Where torch.hub keeps the file behind `url`."""
    return Path(torch.hub.get_dir()) / "checkpoints" / Path(url).name


def cached_weights(url: str, needed_by: str, network: str, fix: str) -> Path:
    """The cached file of `url`, downloading it when missing. Offline, a ConfigError saying that `needed_by` needs
    the file of `network`, where to copy it, and `fix` (the way to go on without it)."""
    cached = hub_path(url)
    if cached.is_file():
        return cached
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        torch.hub.download_url_to_file(url, str(cached), progress=False)
    except Exception as error:  # URLError offline, a full disk: the message matters, not the type
        reason = str(error).strip().splitlines()[-1] if str(error).strip() else type(error).__name__
        raise ConfigError(
            f"{needed_by} needs the {network} weights {cached}, absent, and the download from {url} failed ({reason}): "
            f"copy the file there, {fix}"
        ) from error
    return cached
