"""StyleGAN2 (Karras et al. 2020): the GAN recipe with StyleGAN2's networks (gansuite.nets.stylegan2). Everything
else is configuration of what the suite has: the non-saturating logistic loss, lazy R1 (`regularizers=[r1_lazy]`),
lazy path-length regularization of the generator (`generator_regularizers=[path_length]`,
gansuite.objective.regularizers: here its lengths are taken in w space), the optimizers adjusted for both lazy
intervals, generator EMA with its half-life in images and ramp-up (`model.ema_half_life_images`,
`model.ema_rampup`), style mixing and truncation (the generator).
"""

from collections.abc import Callable
from typing import Any

from torch import Tensor

from gansuite.errors import ConfigError
from gansuite.modules.gan import GAN


class StyleGAN2(GAN):
    def __init__(self, **gan: Any) -> None:
        """`gan`: everything GAN takes (networks, loss, regularizers, EMA, optimizers, ...)."""
        super().__init__(**gan)
        if not hasattr(self.generator, "synthesis"):
            raise ConfigError("model=stylegan2 needs the StyleGAN2 generator (gansuite.nets.stylegan2)")

    def latent_path(self, labels: Tensor | None) -> tuple[Callable[[int], Tensor], Callable[[Tensor], Tensor]]:
        """Per-layer ws of fresh noise (for the first n `labels` when conditional) and the synthesis network, as
        the official path-length penalty differentiates."""

        def latents(n: int) -> Tensor:
            return self.generator.ws(self.sample_noise(n), None if labels is None else labels[:n])

        return latents, self.generator.synthesis
