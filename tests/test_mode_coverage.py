"""Mode coverage against exact cases and against an independent NumPy implementation."""

import math

import numpy as np
import pytest
import torch

from gansuite.data.toy import grid, ring
from gansuite.metrics.mode_coverage import mode_coverage


def test_perfect_samples_cover_every_mode():
    data = ring()
    result = mode_coverage(data.centers.repeat(100, 1), data.centers, data.std)
    assert result == {"modes": 8.0, "high_quality": 1.0, "kl": pytest.approx(0.0, abs=1e-12)}


def test_collapse_onto_one_mode():
    data = ring()
    result = mode_coverage(data.centers[:1].repeat(800, 1), data.centers, data.std)
    assert result["modes"] == 1.0
    assert result["kl"] == pytest.approx(math.log(8), rel=1e-12)


def numpy_reference(samples, centers, std, min_fraction=0.2):
    distances = np.sqrt(((samples[:, None, :] - centers[None, :, :]) ** 2).sum(-1))
    nearest = distances.argmin(1)
    hq = distances[np.arange(len(samples)), nearest] <= 3 * std
    k = len(centers)
    expected_hq = len(samples) / k * (1 - np.exp(-4.5))
    covered = sum((hq & (nearest == m)).sum() >= min_fraction * expected_hq for m in range(k))
    p = np.bincount(nearest, minlength=k) / len(samples)
    kl = sum(pi * np.log(pi * k) for pi in p if pi > 0)
    return covered, hq.mean(), kl


def test_agrees_with_numpy_reference_on_real_and_noisy_samples():
    data = grid()
    generator = torch.Generator().manual_seed(0)
    real = data.sample(2500, generator)
    noisy = real[:1500] + 0.1 * torch.randn(1500, 2, generator=generator)  # spread: some points leave 3 std
    for samples in (real, noisy):
        result = mode_coverage(samples, data.centers, data.std)
        covered, hq, kl = numpy_reference(samples.double().numpy(), data.centers.double().numpy(), data.std)
        assert result["modes"] == covered
        assert result["high_quality"] == pytest.approx(hq, rel=1e-12)
        assert result["kl"] == pytest.approx(kl, rel=1e-9, abs=1e-12)
    assert mode_coverage(real, data.centers, data.std)["modes"] == 25.0
