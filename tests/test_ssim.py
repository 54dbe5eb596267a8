"""SSIM with the separable window against torchmetrics' (one 11x11 convolution), in float64 to 1e-12, on images of
the shapes the SR and colorization scores see."""

import pytest
import torch
from torchmetrics.functional.image import structural_similarity_index_measure

from gansuite.metrics.ssim import ssim


@pytest.mark.parametrize("shape", [(1, 1, 6, 6), (1, 1, 64, 48), (2, 3, 32, 37), (4, 1, 100, 13)])
def test_ssim_matches_torchmetrics(shape: tuple[int, ...]) -> None:
    generator = torch.Generator().manual_seed(0)
    target = torch.rand(shape, generator=generator, dtype=torch.float64) * 255
    output = (target + 30 * torch.randn(shape, generator=generator, dtype=torch.float64)).clamp(0, 255)
    expected = structural_similarity_index_measure(output, target, data_range=255.0)
    torch.testing.assert_close(ssim(output, target, 255.0), expected, rtol=1e-12, atol=1e-12)


def test_ssim_of_an_image_with_itself_is_one_and_falls_with_noise() -> None:
    image = torch.rand(1, 1, 40, 40, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    assert float(ssim(image, image, 1.0)) == pytest.approx(1.0, abs=1e-12)
    noisy = [float(ssim(image + sigma * torch.randn_like(image), image, 1.0)) for sigma in (0.01, 0.1, 0.3)]
    assert 1 > noisy[0] > noisy[1] > noisy[2]
