"""Our FID, IS, KID and precision/recall against torch_fidelity.calculate_metrics on the same images and weights.

The real Inception weights are not available offline, so both implementations load one inception-v3-compat file
with seeded random weights: what is under test is the protocol (TF1 resize, uint8 rounding, float64 statistics,
seeded splits and subsets), which does not depend on the weights. Where the real file is in the torch hub cache,
the last test repeats the comparison with it.
"""

import os
from pathlib import Path

import pytest
import torch
import torch_fidelity
from torch import nn
from torch.utils.data import Dataset
from torch_fidelity.feature_extractor_inceptionv3 import FeatureExtractorInceptionV3

from gansuite.data.images import TorchvisionImages
from gansuite.metrics import inception
from gansuite.metrics.image_metrics import ImageMetrics, real_image_batches
from gansuite.nets import build_generator

ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = Path(os.environ.get("GANSUITE_DATA_DIR", ROOT.parent / "shared" / "data"))
NUM_IMAGES = 100  # per side; Inception at 299x299 on a CPU is what this test spends its time on
RELATIVE_TOLERANCE = 1e-3
OURS_TO_THEIRS = {
    "fid": "frechet_inception_distance",
    "is": "inception_score_mean",
    "is_std": "inception_score_std",
    "kid": "kernel_inception_distance_mean",
    "kid_std": "kernel_inception_distance_std",
    "precision": "precision",
    "recall": "recall",
}


class RandomInception(FeatureExtractorInceptionV3):
    """inception-v3-compat that keeps its fresh initialisation instead of loading a state dict."""

    def load_state_dict(self, state_dict, strict=True, assign=False):
        return None


def random_inception_weights(path: Path) -> Path:
    """An inception-v3-compat weights file: seeded He-normal convolutions, so activations neither vanish nor explode."""
    empty = path.with_name("empty.pth")
    torch.save({}, empty)
    torch.manual_seed(0)
    net = RandomInception("inception-v3-compat", ["2048"], feature_extractor_weights_path=str(empty))
    for module in net.modules():
        if isinstance(module, nn.Conv2d):
            nn.init.kaiming_normal_(module.weight, nonlinearity="relu")
    torch.save(net.state_dict(), path)
    return path


class TinyGenerator(nn.Module):
    """What ImageMetrics samples from: a generator, its latent size and its device."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(1)
        self.latent_dim = 16
        self.generator = build_generator("conv", 16, (3, 32, 32), conv={"width": 8, "norm": "batch"})
        self.device = torch.device("cpu")


class Images(Dataset):
    """uint8 (3, H, W) images, the Dataset input torch-fidelity accepts."""

    def __init__(self, images: torch.Tensor) -> None:
        self.images = images

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> torch.Tensor:
        return self.images[index]


def compare(weights: Path, cache_dir: Path) -> tuple[dict[str, float], dict[str, float]]:
    datamodule = TorchvisionImages("cifar10", str(DATA_DIR), 32, base_folder="cifar-10-batches-py-subset")
    module = TinyGenerator()
    protocol = dict(num_fake=NUM_IMAGES, num_real=NUM_IMAGES, kid_subsets=10, kid_subset_size=50, batch_size=50)
    metrics = ImageMetrics(inception_weights=str(weights), precision_recall=True, cache_dir=str(cache_dir), **protocol)
    ours = metrics(module, datamodule)
    fake = torch.cat(list(metrics.generated_batches(module)))
    real = torch.cat(list(real_image_batches(datamodule, "train", NUM_IMAGES, 50, metrics.seed)))
    theirs = torch_fidelity.calculate_metrics(
        input1=Images(fake),
        input2=Images(real),
        cuda=False,
        isc=True,
        fid=True,
        kid=True,
        prc=True,
        kid_subsets=10,
        kid_subset_size=50,
        feature_extractor_weights_path=str(weights),
        cache=False,
        save_cpu_ram=True,  # no DataLoader worker processes
        verbose=False,
    )
    return ours, theirs


def assert_agree(ours: dict[str, float], theirs: dict[str, float]) -> None:
    for name, reference_name in OURS_TO_THEIRS.items():
        reference = theirs[reference_name]
        assert ours[name] == pytest.approx(reference, rel=RELATIVE_TOLERANCE), (name, ours[name], reference)


def test_metrics_agree_with_torch_fidelity(tmp_path):
    ours, theirs = compare(random_inception_weights(tmp_path / "random-inception.pth"), tmp_path / "cache")
    assert_agree(ours, theirs)
    assert ours["fid"] > 1 and ours["is"] > 1 and 0 < ours["precision"] < 1  # a real comparison, not 0 == 0


@pytest.mark.skipif(
    not inception.hub_weights_path().is_file(),
    reason=f"the real Inception weights are not in {inception.hub_weights_path().parent} (offline machine)",
)
def test_metrics_agree_with_torch_fidelity_on_the_real_weights(tmp_path):
    ours, theirs = compare(inception.hub_weights_path(), tmp_path / "cache")
    assert_agree(ours, theirs)
