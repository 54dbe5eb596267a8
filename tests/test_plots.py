"""The pictures a run leaves: the toy plot's density against scipy's exact KDE, and the report's SVG curves."""

import re

import numpy as np
import pytest
from PIL import Image
from scipy.stats import gaussian_kde

from gansuite.artifacts.plots import kde_on_grid, plot_toy
from gansuite.artifacts.svg_plots import grid_of_plots, line_plot, nice_ticks, tick_label


def ring_and_blob(seed: int) -> np.ndarray:
    """Eight tight modes on a ring and a correlated Gaussian blob: narrow and wide kernels, a full covariance."""
    rng = np.random.default_rng(seed)
    angles = rng.integers(0, 8, 2000) * np.pi / 4
    ring = np.stack([2 * np.cos(angles), 2 * np.sin(angles)], 1) + rng.normal(0, 0.05, (2000, 2))
    blob = rng.normal(0, 1, (500, 2)) @ np.array([[1.0, 0.5], [0.0, 0.7]])
    return np.concatenate([ring, blob])


@pytest.mark.parametrize("seed", [0, 1])
def test_the_binned_kde_is_scipys_to_half_a_percent_of_its_peak(seed: int) -> None:
    """Binning moves each point by at most half a cell (0.02-0.05 here, against a bandwidth of ~0.3): the density
    differs from scipy's exact evaluation by under 0.5% of its peak at every grid point."""
    points = ring_and_blob(seed)
    xs, ys = np.linspace(-3.5, 3.5, 150), np.linspace(-3.0, 3.2, 120)
    grid_x, grid_y = np.meshgrid(xs, ys)
    exact = gaussian_kde(points.T)(np.vstack([grid_x.ravel(), grid_y.ravel()])).reshape(grid_x.shape)
    binned = kde_on_grid(points, xs, ys)
    assert binned.shape == exact.shape == (120, 150)
    assert np.abs(binned - exact).max() < 0.005 * exact.max()


def test_the_toy_plot_draws_points_and_their_density(tmp_path) -> None:
    import torch

    points = torch.from_numpy(ring_and_blob(0)).float()
    plot_toy(points, points + 0.1, tmp_path / "toy.png", title="ring")
    with Image.open(tmp_path / "toy.png") as image:
        pixels = np.asarray(image.convert("RGB")).astype(int)
    reddish = (pixels[..., 0] > 150) & (pixels[..., 1] < 120) & (pixels[..., 2] < 120)
    assert reddish.sum() > 1000  # generated points and contours drawn


@pytest.mark.parametrize(
    ("low", "high"),
    [
        (0.0, 1.0),
        (1.0, 3000.0),
        (-0.37, 0.012),
        (2.0, 2.0),
        (1e-6, 3e-6),
        (999.0, 1001.5),
        (0.0, 10.0),
        (0.0, 2e5),
        (0.99999997, 1.0),
        (3e5, 3.0003e5),
    ],
)
def test_nice_ticks_cover_the_range_in_a_few_round_steps(low: float, high: float) -> None:
    ticks = nice_ticks(low, high)
    step = ticks[1] - ticks[0]
    rounding = step * 1e-6  # k x step in floating point
    assert 2 <= len(ticks) <= 7 and ticks[0] <= low + rounding and ticks[-1] >= high - rounding
    assert all(b - a == pytest.approx(step) for a, b in zip(ticks, ticks[1:], strict=False))
    mantissa = step / 10 ** np.floor(np.log10(step))
    assert any(mantissa == pytest.approx(m) for m in (1, 2, 2.5, 5, 10))
    labels = [tick_label(t, step) for t in ticks]
    assert [float(label) for label in labels] == pytest.approx(ticks, abs=step / 100)  # each label is its tick


def test_a_line_plot_puts_each_point_where_its_value_is() -> None:
    """The polyline's pixels map back to the values, against the tick labels the plot prints."""
    x, y = [0.0, 50.0, 100.0], [2.0, 1.0, 4.0]
    svg = line_plot("val/fid", [("fid", x, y)], "generator updates")
    assert svg.startswith("<svg") and svg.endswith("</svg>") and "val/fid" in svg and "generator updates" in svg
    points = [tuple(map(float, p.split(","))) for p in re.search(r'points="([^"]+)"', svg).group(1).split()]
    ticks = {
        label: float(position) for position, label in re.findall(r'<text x="[^"]+" y="([^"]+)"[^>]*end">([^<]+)<', svg)
    }
    (y_low, y_low_px), (y_high, y_high_px) = (
        (float(min(ticks, key=float)), ticks[min(ticks, key=float)]),
        (
            float(max(ticks, key=float)),
            ticks[max(ticks, key=float)],
        ),
    )
    for (_, py), value in zip(points, y, strict=True):
        # The label's baseline sits 3 px below its tick.
        expected = y_low_px - 3 + (value - y_low) / (y_high - y_low) * (y_high_px - y_low_px)
        assert py == pytest.approx(expected, abs=0.1)
    assert points[0][0] < points[1][0] < points[2][0]


def test_a_grid_of_plots_holds_one_svg_per_panel_and_a_legend_for_several_curves() -> None:
    panels = [(f"val/metric_{i}", [("a", [1.0, 2.0], [3.0, 4.0])], "updates") for i in range(4)]
    panels.append(("losses", [("g_loss", [1.0, 2.0], [0.5, 0.7]), ("d_loss", [1.0, 2.0], [1.5, 1.2])], "updates"))
    grid = grid_of_plots(panels, "metrics", per_row=2)
    assert grid.count("<svg") == 5 and 'aria-label="metrics"' in grid and "repeat(2," in grid
    assert ">g_loss</text>" in grid and ">d_loss</text>" in grid  # the legend
    assert "http" not in grid and "<script" not in grid
