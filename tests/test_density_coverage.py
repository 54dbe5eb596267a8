"""Density and coverage (Naeem et al. 2020) against a numpy transcription of the paper's definitions, on small
feature sets; on a set scored against itself; and wired into the image metrics (names, config, protocol, values)."""

import numpy as np
import pytest
import torch
from gansuite_testing import DATA_DIR, compose_config
from metrics_replay import Replay

from gansuite.data.images import TorchvisionImages
from gansuite.metrics.image_metrics import ImageMetrics, density_coverage, precision_recall, real_image_batches


def reference(fake: np.ndarray, real: np.ndarray, k: int) -> tuple[float, float]:
    """The paper's equations, X real (N), Y fake (M), B(X_i, NND_k(X_i)) the open ball reaching X_i's k-th nearest
    other real sample: density = 1/(kM) sum_j sum_i 1[Y_j in B_i], coverage = 1/N sum_i 1[exists j: Y_j in B_i]."""
    real_to_real = np.linalg.norm(real[:, None] - real[None], axis=-1)
    radii = np.sort(real_to_real, axis=1)[:, k]  # column 0 is the sample itself
    inside = np.linalg.norm(real[:, None] - fake[None], axis=-1) < radii[:, None]  # (N, M)
    return inside.sum() / (k * len(fake)), inside.any(axis=1).mean()


@pytest.mark.parametrize(
    ("num_real", "num_fake", "dim", "k", "shift", "batch_size"),
    [(60, 50, 8, 5, 0.5, 7), (40, 90, 3, 5, 0.0, 1000), (30, 30, 16, 3, 1.5, 4), (25, 10, 2, 1, 0.2, 3)],
)
def test_density_and_coverage_match_the_papers_definitions(
    num_real: int, num_fake: int, dim: int, k: int, shift: float, batch_size: int
) -> None:
    """Exact in float64: both are counts of strict inequalities, and random continuous features have no ties."""
    generator = torch.Generator().manual_seed(num_real + dim)
    real = torch.randn(num_real, dim, generator=generator, dtype=torch.float64)
    fake = 1.3 * torch.randn(num_fake, dim, generator=generator, dtype=torch.float64) + shift
    expected = reference(fake.numpy(), real.numpy(), k)
    assert density_coverage(fake, real, k, batch_size) == pytest.approx(expected, rel=1e-12)
    assert 0 < expected[1] < 1  # neither bound: the sets test something


def test_a_set_against_itself_has_coverage_one_and_density_about_one() -> None:
    """Each real ball holds its own center and the k - 1 samples nearer than the k-th: k of every k per sample, so
    density 1 in exact arithmetic. torch.cdist's matrix-product distances round differently in the two orientations
    (real x real for the radii, fake x real for the balls), so a k-th neighbour, on its ball's edge, may count:
    density within 1% above 1 (0.13-0.4% measured, float64 and float32); coverage exactly 1."""
    for seed in range(3):
        features = torch.randn(300, 32, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
        for dtype in (torch.float64, torch.float32):
            density, coverage = density_coverage(features.to(dtype), features.to(dtype), 5, batch_size=64)
            assert 1.0 <= density <= 1.01 and coverage == 1.0


def test_far_fakes_cover_nothing_and_fake_outliers_leave_density_but_not_recall() -> None:
    """The paper's point: fake outliers swell recall's fake balls, but density and coverage use only real balls."""
    generator = torch.Generator().manual_seed(1)
    real = torch.randn(200, 4, generator=generator, dtype=torch.float64)
    assert density_coverage(real + 100.0, real, 5) == (0.0, 0.0)
    fake = torch.randn(200, 4, generator=generator, dtype=torch.float64)
    outliers = fake.clone()
    outliers[:10] = 50 * torch.randn(10, 4, generator=generator, dtype=torch.float64)
    _, recall = precision_recall(fake, real)
    _, recall_with_outliers = precision_recall(outliers, real)
    assert recall_with_outliers > recall
    density, coverage = density_coverage(fake, real)
    density_with_outliers, coverage_with_outliers = density_coverage(outliers, real)
    assert density_with_outliers <= density and coverage_with_outliers <= coverage


def test_image_metrics_name_and_describe_density_and_coverage(tmp_path) -> None:
    cfg = compose_config(["data=mnist", "metrics.extractor=classifier", "metrics.density_coverage=true"], tmp_path)
    assert cfg.metrics.density_coverage is True and cfg.metrics.density_coverage_neighborhood == 5
    metrics = ImageMetrics(extractor="classifier", dataset="mnist", density_coverage=True, name_suffix="_mnist_clf")
    assert metrics.names[-2:] == ["density_mnist_clf", "coverage_mnist_clf"]
    assert metrics.protocol()["density / coverage"] == "k = 5 NN balls of the real pool features"
    assert "density_mnist_clf" not in ImageMetrics(extractor="classifier", dataset="mnist").names


def test_image_metrics_score_the_real_images_as_covered_at_density_about_one(tmp_path) -> None:
    """The evaluation subset of MNIST replayed as the generated images, through the MNIST classifier's features:
    the same set on both sides, so coverage 1 and density about 1 (see the test above for the rounding)."""
    mnist = TorchvisionImages("mnist", str(DATA_DIR), 32, download=False)
    protocol = dict(num_fake=1000, num_real=1000, split="test", extractor="classifier", dataset="mnist")
    metrics = ImageMetrics(**protocol, kid_subsets=5, cache_dir=str(tmp_path), density_coverage=True)
    real = torch.cat(list(real_image_batches(mnist, "test", 1000, 100, metrics.seed)))
    values = metrics(Replay(real), mnist)
    assert values["coverage"] == 1.0 and 1.0 <= values["density"] <= 1.01
