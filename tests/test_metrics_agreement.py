"""Our FID, IS, KID, precision/recall and intra-class FID against torch_fidelity.calculate_metrics on the same
images and weights (intra-class FID: torch-fidelity's FID per class, averaged).

The real Inception weights are not available offline, so both implementations load one inception-v3-compat file
with seeded random weights: what is under test is the protocol (TF1 resize, uint8 rounding, float64 statistics,
seeded splits and subsets), which does not depend on the weights. Where the real file is present, the comparison
runs with it too.
"""

import os
import warnings
from pathlib import Path

import pytest
import torch
import torch_fidelity
from gansuite_testing import DATA_DIR
from metrics_replay import Replay
from torch.utils.data import Dataset
from torch_fidelity.metric_fid import fid_features_to_statistics, fid_statistics_to_metric
from torchmetrics.utilities import dim_zero_cat

from gansuite.data.images import TorchvisionImages
from gansuite.metrics import inception
from gansuite.metrics.image_metrics import ImageMetrics, real_image_batches, to_uint8
from gansuite.nets import build_generator

NUM_IMAGES = 40  # per side; Inception at 299x299 on a CPU is what this test spends its time on
RELATIVE_TOLERANCE = 1e-3
NUM_CLASSES = 10  # CIFAR-10's
# The seed of the real subset and the generated labels: with it the 40 real images hold at least 3 of each class, so
# each class has a (rank-deficient, as the 40-image FID is) covariance; most seeds leave a class one or two images.
SEED = 169
OURS_TO_THEIRS = {
    "fid": "frechet_inception_distance",
    "is": "inception_score_mean",
    "is_std": "inception_score_std",
    "kid": "kernel_inception_distance_mean",
    "kid_std": "kernel_inception_distance_std",
    "precision": "precision",
    "recall": "recall",
    "intra_fid": "intra_class_fid",
}


class Images(Dataset):
    """uint8 (3, H, W) images, the Dataset input torch-fidelity accepts."""

    def __init__(self, images: torch.Tensor) -> None:
        self.images = images

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> torch.Tensor:
        return self.images[index]


def fake_images(datamodule) -> torch.Tensor:
    """Half real test images, half an untrained DCGAN's samples: precision and recall strictly between 0 and 1."""
    torch.manual_seed(1)
    generator = build_generator("conv", 16, (3, 32, 32), conv={"width": 8, "norm": "batch"}).eval()
    with torch.no_grad():
        samples = to_uint8(generator(torch.randn(NUM_IMAGES // 2, 16)))
    return torch.cat([datamodule.split_images(train=False)[: NUM_IMAGES - len(samples)], samples])


def compare(weights: Path, cache_dir: Path) -> tuple[dict[str, float], dict[str, float]]:
    """Both implementations on the same images; the generated ones are scored as a conditional model's, so our
    intra-class FID is computed too, against torch-fidelity's Frechet distance of each class, averaged."""
    datamodule = TorchvisionImages("cifar10", str(DATA_DIR), 32, base_folder="cifar-10-batches-py-subset")
    protocol = dict(num_fake=NUM_IMAGES, num_real=NUM_IMAGES, kid_subsets=10, kid_subset_size=32, batch_size=32)
    metrics = ImageMetrics(
        inception_weights=str(weights),
        precision_recall=True,
        cache_dir=str(cache_dir),
        conditioning="projection",
        label_accuracy=False,  # no CIFAR-10 classifier offline; tested on MNIST in test_conditional.py
        seed=SEED,
        **protocol,
    )
    fake = fake_images(datamodule)
    ours = metrics(Replay(fake, num_classes=NUM_CLASSES), datamodule)
    real = torch.cat(list(real_image_batches(datamodule, "train", NUM_IMAGES, 32, metrics.seed)))
    theirs = torch_fidelity_metrics(fake, real, weights, isc=True, fid=True, kid=True, prc=True)
    # Intra-class FID: torch-fidelity's Frechet distance of each class's features (the labels each generated image
    # was asked for; Replay returns the images in order, whatever the label), averaged. The features are ours, which
    # the overall FID above checks against torch-fidelity's own; this checks the per-class split and the average.
    fake_features = dim_zero_cat(metrics.kid.fake_features)
    per_class = [
        torch_fidelity_frechet(fake_features[metrics.fake_labels == c], metrics.real_features[metrics.real_labels == c])
        for c in range(NUM_CLASSES)
    ]
    theirs["intra_class_fid"] = sum(per_class) / NUM_CLASSES
    return ours, theirs


def torch_fidelity_frechet(a: torch.Tensor, b: torch.Tensor) -> float:
    """torch-fidelity's Frechet distance of two feature sets of a few images each, in the span of their centred
    features and the difference of their means: an orthonormal change of basis that keeps the means' distance, both
    traces and the eigenvalues of the covariances' product, so the distance is the same, while torch-fidelity's
    general eigenproblem shrinks from 2048x2048 (3 s on one core, ten classes) to a few dozen rows."""
    a, b = a.double(), b.double()
    spanning = torch.cat([a - a.mean(0), b - b.mean(0), (a.mean(0) - b.mean(0))[None]]).T
    basis = torch.linalg.qr(spanning).Q
    statistics = [fid_features_to_statistics(features @ basis) for features in (a, b)]
    return fid_statistics_to_metric(*statistics, verbose=False)["frechet_inception_distance"]


def torch_fidelity_metrics(fake: torch.Tensor, real: torch.Tensor, weights: Path, **which: bool) -> dict[str, float]:
    return torch_fidelity.calculate_metrics(
        input1=Images(fake),
        input2=Images(real),
        cuda=False,
        kid_subsets=10,
        kid_subset_size=32,
        rng_seed=SEED,  # of the IS splits and KID subsets, as ours
        feature_extractor="inception-v3-compat",  # for prc too (torch-fidelity's default prc network is VGG16)
        feature_extractor_weights_path=str(weights),
        cache=False,
        save_cpu_ram=True,  # no DataLoader worker processes
        verbose=False,
        **which,
    )


def assert_agree(ours: dict[str, float], theirs: dict[str, float]) -> None:
    for name, reference_name in OURS_TO_THEIRS.items():
        reference = theirs[reference_name]
        assert ours[name] == pytest.approx(reference, rel=RELATIVE_TOLERANCE), (name, ours[name], reference)


# The real weights join where they exist: the hub cache, or GANSUITE_INCEPTION_WEIGHTS=PATH. Not a skip: without
# them the random-weights case still runs, and it warns (in pytest's summary) that the real case did not.
REAL_WEIGHTS = Path(os.environ.get("GANSUITE_INCEPTION_WEIGHTS", inception.hub_weights_path()))
WEIGHTS = ["random", "real"] if REAL_WEIGHTS.is_file() else ["random"]


@pytest.mark.slow
@pytest.mark.parametrize("weights", WEIGHTS)
def test_metrics_agree_with_torch_fidelity(tmp_path, weights):
    if weights == "random":
        path = inception.write_random_weights(tmp_path / "random-inception.pth")
        if not REAL_WEIGHTS.is_file():
            warnings.warn(f"agreement checked on random Inception weights only: {REAL_WEIGHTS} is absent", stacklevel=1)
    else:
        path = REAL_WEIGHTS
    ours, theirs = compare(path, tmp_path / "cache")
    assert_agree(ours, theirs)
    # A comparison of values that say something, not of zeros or of a uniform IS.
    assert ours["fid"] > 1 and ours["intra_fid"] > ours["fid"] and ours["is"] > 1.05
    assert 0 < ours["precision"] < 1 and ours["recall"] > 0
