"""Pictures of samples: image grids, and toy 2-D scatter plots with the generated density as contours."""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from torch import Tensor  # noqa: E402
from torchvision.utils import save_image  # noqa: E402

from gansuite.files import atomic_write  # noqa: E402


def save_image_grid(images: Tensor, path: Path, nrow: int = 8) -> None:
    """Images in [-1, 1] as one PNG grid."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path) as file:
        save_image(images.float().cpu(), file, format="png", nrow=nrow, normalize=True, value_range=(-1, 1))


def kde_on_grid(points: np.ndarray, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """scipy's Gaussian KDE (`scipy.stats.gaussian_kde`: Scott's bandwidth, the points' full covariance) of (N, 2)
    `points` at the uniform grid `xs` x `ys`, as a (len(ys), len(xs)) array, by binning the points into the grid's
    cells and convolving the counts with the kernel: O(cells log cells) where evaluating the KDE at every cell is
    O(N x cells), ~1 s for a toy run's samples at the end of every run. Each point moves by at most half a cell
    (tests/test_plots.py holds it to scipy's KDE); points beyond the grid are left out, as the contours drawn from it
    are. numpy only: importing scipy.stats and scipy.signal costs a training run's start a second or more."""
    dx, dy = xs[1] - xs[0], ys[1] - ys[0]
    x_range, y_range = (xs[0] - dx / 2, xs[-1] + dx / 2), (ys[0] - dy / 2, ys[-1] + dy / 2)
    counts = np.histogram2d(points[:, 1], points[:, 0], bins=(len(ys), len(xs)), range=(y_range, x_range))[0]
    covariance = np.cov(points.T) * len(points) ** (-2 / 6)  # Scott's factor n^(-1/(d+4)), squared, for d = 2
    reach = 4 * np.sqrt(np.diag(covariance))  # the kernel is cut at 4 standard deviations
    offset_x = np.arange(-np.ceil(reach[0] / dx), np.ceil(reach[0] / dx) + 1) * dx
    offset_y = np.arange(-np.ceil(reach[1] / dy), np.ceil(reach[1] / dy) + 1) * dy
    offsets = np.stack(np.meshgrid(offset_x, offset_y), axis=-1)
    exponent = np.einsum("...i,ij,...j->...", offsets, np.linalg.inv(covariance), offsets)
    kernel = np.exp(-exponent / 2) / (2 * np.pi * np.sqrt(np.linalg.det(covariance)))
    return np.maximum(convolve_same(counts, kernel), 0) / len(points)


def convolve_same(image: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """The 2-D convolution of `image` with an odd-sized `kernel`, cropped to the image (scipy's mode="same"), by FFT."""
    shape = (image.shape[0] + kernel.shape[0] - 1, image.shape[1] + kernel.shape[1] - 1)
    full = np.fft.irfft2(np.fft.rfft2(image, shape) * np.fft.rfft2(kernel, shape), shape)
    top, left = (kernel.shape[0] - 1) // 2, (kernel.shape[1] - 1) // 2
    return full[top : top + image.shape[0], left : left + image.shape[1]]


def plot_toy(real: Tensor, fake: Tensor, path: Path, title: str = "") -> None:
    """Real (grey) and generated (red) points, with a Gaussian KDE of the generated points drawn as contours."""
    real, fake = real.detach().float().cpu().numpy(), fake.detach().float().cpu().numpy()
    low = np.minimum(real.min(0), np.percentile(fake, 0.5, axis=0)) - 0.5
    high = np.maximum(real.max(0), np.percentile(fake, 99.5, axis=0)) + 0.5
    fig, ax = plt.subplots(figsize=(6, 6))
    ax.scatter(real[:, 0], real[:, 1], s=2, c="0.6", alpha=0.5, label="real")
    ax.scatter(fake[:, 0], fake[:, 1], s=2, c="tab:red", alpha=0.5, label="generated")
    if np.isfinite(fake).all() and np.linalg.matrix_rank(np.cov(fake.T)) == 2:
        xs, ys = np.meshgrid(np.linspace(low[0], high[0], 150), np.linspace(low[1], high[1], 150))
        density = kde_on_grid(fake, xs[0], ys[:, 0])
        ax.contour(xs, ys, density, levels=8, cmap="Reds", linewidths=0.8)
    ax.set(xlim=(low[0], high[0]), ylim=(low[1], high[1]), aspect="equal", title=title)
    ax.legend(loc="upper right", markerscale=4)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path) as file:
        fig.savefig(file, format="png", dpi=100, bbox_inches="tight")
    plt.close(fig)
