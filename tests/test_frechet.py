"""The Frechet distance against the textbook formula with scipy's matrix square root, in float64, for fewer samples
than features (a class of an intra-class FID) and for more (an evaluation's 10,000 images), and its edge values."""

import numpy as np
import pytest
import torch
from scipy import linalg

from gansuite.metrics.frechet import frechet_distance


def textbook(real: np.ndarray, fake: np.ndarray) -> float:
    """||mu_r - mu_g||^2 + tr(S_r + S_g - 2 sqrtm(S_r S_g)) with scipy's sqrtm (Heusel et al. 2017's code)."""
    sigma_r, sigma_g = np.cov(real, rowvar=False), np.cov(fake, rowvar=False)
    root = linalg.sqrtm(sigma_r @ sigma_g).real
    return float(np.sum((real.mean(0) - fake.mean(0)) ** 2) + np.trace(sigma_r + sigma_g - 2 * root))


@pytest.mark.parametrize(("num_real", "num_fake", "width"), [(40, 30, 64), (30, 50, 64), (300, 200, 16), (9, 200, 16)])
def test_frechet_distance_matches_the_textbook_formula(num_real: int, num_fake: int, width: int) -> None:
    generator = np.random.default_rng(0)
    mixing = generator.normal(size=(width, width))  # correlated features, as a network's are
    real = generator.normal(size=(num_real, width)) @ mixing
    fake = generator.normal(0.3, 1.2, size=(num_fake, width)) @ mixing
    ours = frechet_distance(torch.from_numpy(real).float(), torch.from_numpy(fake).float())
    # float32 inputs (as features come), float64 inside; sqrtm of a rank-deficient product is itself only good to
    # ~1e-6 relative
    assert ours == pytest.approx(textbook(real.astype(np.float32), fake.astype(np.float32)), rel=1e-5)


def test_frechet_distance_is_zero_for_the_same_set_and_the_squared_shift_for_a_shifted_one() -> None:
    features = torch.randn(50, 20, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    assert frechet_distance(features, features) == pytest.approx(0, abs=1e-9)
    assert frechet_distance(features, features + 0.5) == pytest.approx(20 * 0.25, rel=1e-9)
