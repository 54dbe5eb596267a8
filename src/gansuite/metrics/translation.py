"""Evaluator of an image-to-image model in each direction it translates (CycleGAN both, pix2pix one): translated
test A against real test B (`a2b`), translated test B against real test A (`b2a`), with a set-to-set score
`distance(generated, real)` on images in [-1, 1].

With FID as the distance this is the CUT paper's protocol (Park et al. 2020): all test images of each domain,
e.g. horse2zebra's 120 test horses translated and scored against its 140 test zebras (`fid_a2b`). On aligned pairs
(pix2pix's data) each translation also has its own target, and `psnr_rgb_a2b` is the PSNR of the translations
against their targets over all test pairs, 10 log10(255^2 / MSE) with the MSE of every uint8 RGB value (torchmetrics,
data range 255). Over the set, not a mean of per-image PSNRs: a test input equal to its target (a gray photo in a
colorization set) would make that mean infinite.
"""

from collections.abc import Callable

import torch
from lightning import LightningModule
from torch import Tensor
from torchmetrics.functional.image import peak_signal_noise_ratio

from gansuite.data.images import to_model_range
from gansuite.metrics import inception
from gansuite.metrics.frechet import frechet_distance
from gansuite.metrics.image_metrics import to_uint8


class FrechetDistance:
    """FID between two image sets in [-1, 1] on the image metrics' protocol: torch-fidelity's inception-v3-compat
    and resize, uint8 by rounding, float64 statistics (gansuite.metrics.frechet). The weights are resolved at
    construction, so a run without them stops before training. The real side's features are extracted once per real
    tensor and kept, so periodic evaluations only pay for the generated images."""

    def __init__(self, inception_weights: str | None = None, batch_size: int = 50) -> None:
        self.weights = inception.resolve_weights(
            inception_weights,
            "metrics=none trains without the translation FID (evaluate.py cannot score it without the file)",
        )
        self.batch_size = batch_size
        self.extractor: inception.InceptionFeatures | None = None
        self.real_sides: dict[int, tuple[Tensor, Tensor]] = {}  # id(real) -> (real, its features)

    def features(self, images: Tensor) -> Tensor:
        return torch.cat([self.extractor(to_uint8(batch))[0] for batch in images.split(self.batch_size)])

    @torch.inference_mode()
    def __call__(self, generated: Tensor, real: Tensor) -> float:
        if self.extractor is None or next(self.extractor.parameters()).device != generated.device:
            self.extractor = inception.InceptionFeatures(str(self.weights)).to(generated.device).eval()
            self.real_sides.clear()
        kept = self.real_sides.get(id(real))
        if kept is None or kept[0] is not real:
            kept = self.real_sides[id(real)] = (real, self.features(real))
        return frechet_distance(kept[1], self.features(generated))


class TranslationScores:
    """`num_test` None is the protocol (all test images); a number keeps the first `num_test` of each domain, for a
    quick check whose numbers are not comparable with published ones."""

    def __init__(
        self,
        distance: Callable[[Tensor, Tensor], float],
        name: str = "fid",
        batch_size: int = 50,
        num_test: int | None = None,
    ) -> None:
        self.distance = distance
        self.name = name
        self.batch_size = batch_size
        self.num_test = num_test
        self.real: dict[str, Tensor] | None = None

    def translate(self, pl_module: LightningModule, images: Tensor, direction: str) -> Tensor:
        batches = images.split(self.batch_size)
        return torch.cat([pl_module.translate(batch.to(pl_module.device), direction) for batch in batches])

    def protocol(self) -> dict[str, str]:
        """How the numbers were made, for tables and reports."""
        return {
            "images": "all test images" if self.num_test is None else f"the first {self.num_test} test images",
            "set-to-set score": f"{self.name}: translated test inputs against the real images of the target domain",
            "paired data": "also PSNR over all test pairs (uint8 RGB, data range 255)",
        }

    def __call__(self, pl_module: LightningModule, datamodule) -> dict[str, float]:
        if self.real is None:  # the test images do not change during a run: one copy on the device, reused
            test = {d: datamodule.test_images(d)[: self.num_test] for d in ("a", "b")}
            self.real = {d: to_model_range(images).to(pl_module.device) for d, images in test.items()}
        values = {}
        for direction in pl_module.directions:
            source, target = self.real[direction[0]], self.real[direction[-1]]
            translated = self.translate(pl_module, source, direction)
            values[f"{self.name}_{direction}"] = float(self.distance(translated, target))
            if getattr(datamodule, "paired", False):
                values[f"psnr_rgb_{direction}"] = set_psnr(translated, target)
        return values


def set_psnr(images: Tensor, targets: Tensor) -> float:
    """The PSNR (dB) of uint8-rounded images in [-1, 1] against their targets, from the MSE over all of them."""
    return float(peak_signal_noise_ratio(to_uint8(images).double(), to_uint8(targets).double(), data_range=255.0))
