"""Mode coverage for Gaussian-mixture toy data (Srivastava et al. 2017, VEEGAN; Lin et al. 2018, PacGAN).

Each generated point is assigned to its nearest mode. It is high quality when it lies within `3 * std` of that
mode. A mode is covered when it holds at least `min_fraction` of the high-quality points it would hold under the
real distribution (PacGAN's 20 of 100 expected for 25 modes and 2500 samples). The KL is KL(generated || real)
between the nearest-mode histograms of generated points and the mixture weights: the reverse KL of PacGAN, finite
when modes are dropped (all mass on one of 8 modes gives log 8 = 2.08).
"""

import torch
from torch import Tensor

from gansuite.errors import ConfigError, is_integer


def mode_coverage(samples: Tensor, centers: Tensor, std: float, min_fraction: float = 0.2) -> dict[str, float]:
    """Modes covered, high-quality share and KL of `samples` (N, 2) against an equal-weight mixture."""
    samples = samples.detach().double().cpu()
    centers = centers.double().cpu()
    distances = torch.cdist(samples, centers)
    nearest_distance, nearest = distances.min(dim=1)
    high_quality = nearest_distance <= 3 * std
    num_modes = len(centers)
    hq_counts = torch.bincount(nearest[high_quality], minlength=num_modes)
    # In 2-D, P(|x - mu| <= 3 std) = P(chi2_2 <= 9) = 1 - exp(-4.5) = 0.989 of the real points are high quality.
    expected_hq = len(samples) / num_modes * (1 - torch.exp(torch.tensor(-4.5, dtype=torch.float64)))
    covered = int((hq_counts >= min_fraction * expected_hq).sum())
    generated = torch.bincount(nearest, minlength=num_modes).double() / len(samples)
    real = torch.full((num_modes,), 1.0 / num_modes, dtype=torch.float64)
    support = generated > 0
    kl = float((generated[support] * (generated[support] / real[support]).log()).sum())
    return {
        "modes": float(covered),
        "high_quality": float(high_quality.double().mean()),
        "kl": kl,
    }


class ModeCoverage:
    """Evaluator: draws `num_samples` from the generator and scores them against the datamodule's mixture."""

    names = ["modes", "high_quality", "kl"]

    def __init__(self, num_samples: int = 2500, min_fraction: float = 0.2) -> None:
        # 0 samples scored every mode covered and a KL of 0, with a NaN high-quality share.
        if not is_integer(num_samples) or num_samples < 1:
            raise ConfigError(f"metrics.num_samples must be a positive integer (e.g. 2500), got {num_samples!r}")
        if not 0 < min_fraction <= 1:
            raise ConfigError(f"metrics.min_fraction must be in (0, 1] (0.2: the usual share), got {min_fraction!r}")
        self.num_samples = num_samples
        self.min_fraction = min_fraction

    def prepare(self, datamodule, device: torch.device) -> None:
        """Before training: the data has modes to count (its `centers`)."""
        if not hasattr(datamodule, "centers"):
            raise ConfigError(
                f"metrics=mode_coverage counts the modes of a Gaussian mixture, which {type(datamodule).__name__} "
                "is not: use data=ring8 or data=grid25, or metrics=default for images"
            )

    def __call__(self, pl_module, datamodule) -> dict[str, float]:
        samples = pl_module.sample(self.num_samples)
        return mode_coverage(samples, datamodule.centers, datamodule.std, self.min_fraction)

    def protocol(self) -> dict[str, str]:
        """How the numbers were made, for tables and reports."""
        return {
            "samples": f"{self.num_samples} generated points, each assigned to its nearest mode",
            "high quality": "within 3 standard deviations of that mode",
            "mode covered": f"holds >= {self.min_fraction:g} of its expected high-quality points",
        }
