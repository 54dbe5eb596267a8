"""The Frechet distance between two sets of features (FID when they are Inception's), in float64:

    ||mu_r - mu_g||^2 + tr(S_r) + tr(S_g) - 2 tr sqrt(S_r S_g)

The usual code (torchmetrics, torch-fidelity) takes the last term from the eigenvalues of the product S_r S_g, a
general eigenproblem of the feature width (2048 for Inception) whatever the number of images. Here it is the sum of
the singular values of F_r F_g^T, where S = F^T F: the eigenvalues of S_r S_g = F_r^T F_r F_g^T F_g are the squared
singular values of F_r F_g^T. F is a set's centred features over sqrt(n - 1) when it has no more images than
features (a class of an intra-class FID: a problem of the classes' sizes, not of 2048), else the triangular factor of
their QR decomposition (the same F^T F, 2048 wide). Exact, and no square root of a rounded eigenvalue: checked against
scipy's sqrtm and torch-fidelity (tests/test_frechet.py, tests/test_metrics_agreement.py).
"""

import torch
from torch import Tensor


def mean_and_covariance_factor(features: Tensor) -> tuple[Tensor, Tensor]:
    """The features' mean and F (at most as many rows as columns) with F^T F their unbiased covariance, in float64."""
    features = features.double()
    mean = features.mean(dim=0)
    centred = (features - mean) / (len(features) - 1) ** 0.5
    return mean, centred if len(features) <= features.shape[1] else torch.linalg.qr(centred, mode="r").R


def frechet_distance(real: Tensor, fake: Tensor) -> float:
    """The Frechet distance of the Gaussians fitted to two sets of features (rows), at least 2 rows each."""
    (mean_real, factor_real), (mean_fake, factor_fake) = map(mean_and_covariance_factor, (real, fake))
    trace_of_root = torch.linalg.svdvals(factor_real @ factor_fake.T).sum()
    traces = factor_real.square().sum() + factor_fake.square().sum()
    return float((mean_real - mean_fake).square().sum() + traces - 2 * trace_of_root)
