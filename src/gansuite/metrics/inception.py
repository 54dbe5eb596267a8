"""The Inception network of published FID, IS and KID: torch-fidelity's inception-v3-compat, its weights file found
in the torch hub cache, downloaded when online, or given as a path; never a silent switch to another network.

torch-fidelity's extractor resizes with its TF1-compatible bilinear interpolation (no antialiasing) to 299x299,
the resize of the original TensorFlow code. torchmetrics >= 1.8 builds its own Inception with `antialias=True`,
which gives other numbers at 32x32, so we build torch-fidelity's extractor ourselves and hand its output to
torchmetrics: one forward pass gives the pool features (FID, KID, precision/recall) and the logits (IS).
"""

import hashlib
from pathlib import Path

import torch
from torch import Tensor, nn
from torch_fidelity.feature_extractor_inceptionv3 import URL_INCEPTION_V3, FeatureExtractorInceptionV3

from gansuite.errors import ConfigError

WEIGHTS_FILE = "weights-inception-2015-12-05-6726825d.pth"
SHA256_PREFIX = "6726825d"
RESIZE = "TF1-compatible bilinear to 299x299 (torch-fidelity), no antialias"


def hub_weights_path() -> Path:
    """Where torch-fidelity and torchmetrics look for the weights: $TORCH_HOME/hub/checkpoints/."""
    return Path(torch.hub.get_dir()) / "checkpoints" / WEIGHTS_FILE


def resolve_weights(
    path: str | None,
    offline_fix: str = "metrics=none trains without these metrics (evaluate.py cannot score them without the file)",
) -> Path:
    """The weights file: `path` when given, else the hub cache (checked against its sha256), downloading into it when
    the network allows. `offline_fix` is the caller's way to go on without the file, for the error message."""
    if path:
        weights = Path(path).expanduser()
        if not weights.is_file():
            raise ConfigError(f"metrics.inception_weights={path} does not exist: pass the path of {WEIGHTS_FILE}")
        return weights
    cached = hub_weights_path()
    if cached.is_file():
        digest = file_digest(cached)
        if digest != SHA256_PREFIX:
            raise ConfigError(
                f"the Inception weights {cached} are damaged or truncated (sha256 {digest}..., expected "
                f"{SHA256_PREFIX}...): delete the file and run again to download it, or copy a sound one there; "
                f"offline, {offline_fix}"
            )
        return cached
    cached.parent.mkdir(parents=True, exist_ok=True)
    try:
        torch.hub.download_url_to_file(URL_INCEPTION_V3, str(cached), hash_prefix=SHA256_PREFIX, progress=False)
    except Exception as error:  # URLError offline, a hash mismatch, a full disk: the message matters, not the type
        raise ConfigError(
            f"the Inception weights {WEIGHTS_FILE} (sha256 {SHA256_PREFIX}...) are not in {cached.parent} and "
            f"the download from {URL_INCEPTION_V3} failed ({error}). Copy the file into {cached.parent} (or set "
            f"TORCH_HOME to a folder whose hub/checkpoints/ holds it), or pass metrics.inception_weights=PATH; "
            f"offline, {offline_fix}"
        ) from error
    return cached


def file_digest(path: Path) -> str:
    """The first 8 hex digits of the file's sha256: which weights made a cached statistic."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:8]


class _Unloaded(FeatureExtractorInceptionV3):
    """inception-v3-compat that keeps its fresh initialisation instead of loading a state dict."""

    def load_state_dict(self, state_dict, strict=True, assign=False):
        return None


def write_random_weights(path: Path, seed: int = 0) -> Path:
    """An inception-v3-compat weights file with seeded random weights: the real network's shape and cost, for tests
    and benchmarks where the real file cannot be had. He-normal convolutions keep activations from vanishing or
    exploding; the classifier rows sum to zero, so the logits follow what differs between images (an IS above 1)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    empty = path.with_suffix(".empty")
    torch.save({}, empty)
    torch.manual_seed(seed)
    net = _Unloaded("inception-v3-compat", ["2048"], feature_extractor_weights_path=str(empty))
    empty.unlink()
    for module in net.modules():
        if isinstance(module, nn.Conv2d):
            nn.init.kaiming_normal_(module.weight, nonlinearity="relu")
    fc = torch.randn_like(net.fc.weight) * 2.0
    net.fc.weight.data = fc - fc.mean(dim=1, keepdim=True)
    torch.save(net.state_dict(), path)
    return path


class InceptionFeatures(nn.Module):
    """uint8 images (N, 1 or 3, H, W) -> pool features (N, 2048) and unbiased logits (N, 1008), as torch-fidelity.

    Grayscale images are repeated to three channels, the usual way of scoring MNIST-like data with Inception.
    """

    num_features = 2048

    def __init__(self, weights_path: str | None = None) -> None:
        super().__init__()
        weights = resolve_weights(weights_path)
        try:
            self.net = FeatureExtractorInceptionV3(
                "inception-v3-compat", ["2048", "logits_unbiased"], feature_extractor_weights_path=str(weights)
            )
        except Exception as error:  # a torn zip, a pickle of something else, a state dict of another network
            reason = str(error).strip().splitlines()[0][:200] if str(error).strip() else type(error).__name__
            raise ConfigError(
                f"cannot load the Inception weights {weights} ({reason}): pass the path of a sound {WEIGHTS_FILE}"
            ) from error
        # Channels-last weights: ~40% less time per image on a CPU (scripts/bench_metrics.py: 3.5 -> 6.1 images/s,
        # docs/benchmarks.md), and features that differ from the contiguous layout's by float32 rounding (~1e-6).
        self.net.to(memory_format=torch.channels_last)
        digest = file_digest(weights)
        self.identity = f"inception-v3-compat-{digest}"
        self.description = f"inception-v3-compat ({weights.name}, sha256 {digest}...)"
        self.resize = RESIZE

    def forward(self, images: Tensor) -> tuple[Tensor, Tensor]:
        if images.shape[1] == 1:
            images = images.expand(-1, 3, -1, -1)
        return self.net(images)
