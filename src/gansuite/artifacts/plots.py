"""Pictures of samples: image grids, and toy 2-D scatter plots with the generated density as contours."""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from scipy.stats import gaussian_kde  # noqa: E402
from torch import Tensor  # noqa: E402
from torchvision.utils import save_image  # noqa: E402

from gansuite.files import atomic_write  # noqa: E402


def save_image_grid(images: Tensor, path: Path, nrow: int = 8) -> None:
    """Images in [-1, 1] as one PNG grid."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path) as file:
        save_image(images.float().cpu(), file, format="png", nrow=nrow, normalize=True, value_range=(-1, 1))


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
        density = gaussian_kde(fake.T)(np.vstack([xs.ravel(), ys.ravel()])).reshape(xs.shape)
        ax.contour(xs, ys, density, levels=8, cmap="Reds", linewidths=0.8)
    ax.set(xlim=(low[0], high[0]), ylim=(low[1], high[1]), aspect="equal", title=title)
    ax.legend(loc="upper right", markerscale=4)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path) as file:
        fig.savefig(file, format="png", dpi=100, bbox_inches="tight")
    plt.close(fig)
