"""SRGAN and SRResNet (Ledig et al. 2017): a generator upscales the low-resolution image by `scale`; it learns from a
content loss against the high-resolution original and, for SRGAN, from a discriminator of high-resolution crops.

Each batch (low, high) of random crops and their bicubic downscales:

    fake = G(low)
    D (SRGAN only):  loss(D(high), D(fake.detach())) + regularizers
    G:  content(fake, high) + adversarial_weight * adversarial(D(fake))       # the paper's 1e-3

`content=pixel` is the MSE of the pixels, `content=l1` their mean absolute error (EDSR's loss: it converges faster
and reaches a higher PSNR than the MSE it is scored by, Lim et al. 2017, Zhao et al. 2017); `content=vgg` the MSE of
VGG19's phi_5,4 features rescaled by 1/12.75 (the paper's SRGAN-VGG54). `adversarial_weight=0` is SRResNet
(model=srresnet): no discriminator is built and each batch is one generator update. The VGG19 weights are only
needed to train: a checkpoint upscales without them.
"""

from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor, nn

from gansuite.errors import ConfigError
from gansuite.modules.base import AdversarialModule, eval_mode
from gansuite.modules.capabilities import Capabilities
from gansuite.nets import vgg
from gansuite.objective.losses import feature_content_loss, reconstruction_loss

CONTENTS = ("pixel", "l1", "vgg")


class SRGAN(AdversarialModule):
    """`generator(channels=..., scale=...)` upscales images of any size; `discriminator(data_shape=...)` scores
    high-resolution crops of the data's shape. `scale` is the data's (`${data.scale}` in the config)."""

    capabilities = Capabilities(consumes="resolution_pairs", produces="upscales")

    def __init__(
        self,
        generator: Callable[..., nn.Module],
        discriminator: Callable[..., nn.Module],
        scale: int = 4,
        content: str = "vgg",
        adversarial_weight: float = 1e-3,
        vgg_weights: str | None = None,
        vgg_rescale: float = 1 / 12.75,
        **base: Any,
    ) -> None:
        """`base`: the loss, optimizers, data_shape (of the high-resolution crops) and speed options of
        AdversarialModule."""
        super().__init__(**base)
        if content not in CONTENTS:
            raise ConfigError(
                f"model.content={content} is unknown: choose vgg (SRGAN's VGG54), pixel (MSE) or l1 (absolute error)"
            )
        if adversarial_weight < 0:
            raise ConfigError(
                f"model.adversarial_weight must be >= 0 (SRGAN: 1e-3; 0 is SRResNet), got {adversarial_weight}"
            )
        self.scale, self.content, self.adversarial_weight = scale, content, adversarial_weight
        self.vgg_weights, self.vgg_rescale = vgg_weights, vgg_rescale
        self.generator = self.recorded_generator(
            "generator", "upscale", generator, channels=self.data_shape[0], scale=scale
        )
        self.discriminator = discriminator(data_shape=self.data_shape) if adversarial_weight > 0 else None
        # Built when training starts, not as a submodule: checkpoints stay small and upscale without the weights.
        self.content_features: list[vgg.VGGFeatures] = []

    @property
    def optimizer_steps_per_generator_update(self) -> int:
        return 1 if self.discriminator is None else 2

    def forward(self, low: Tensor) -> Tensor:
        return self.generator(low)

    def upscale(self, images: Tensor) -> Tensor:
        """`images` in [-1, 1] upscaled by `scale`, in eval mode."""
        with eval_mode(self.generator):
            return self.generator(images.to(self.device))

    def on_fit_start(self) -> None:
        if self.content == "vgg" and not self.content_features:
            self.content_features.append(vgg.VGGFeatures(vgg.resolve_weights(self.vgg_weights)).to(self.device))

    def content_loss(self, fake: Tensor, high: Tensor) -> Tensor:
        if self.content != "vgg":
            return reconstruction_loss(fake, high, "l2" if self.content == "pixel" else "l1")
        return feature_content_loss(fake, high, self.content_features[0], self.vgg_rescale)

    def training_step(self, batch: tuple[Tensor, Tensor], batch_idx: int) -> dict[str, Tensor]:
        low, high = batch
        optimizers = self.optimizers()
        opt_g = optimizers[0] if isinstance(optimizers, list) else optimizers
        fake = self.generator(low)
        losses: dict[str, Tensor] = {}
        if self.discriminator is not None:
            opt_d = optimizers[1]
            d_loss, losses = self.discriminator_objective(self.discriminator, high, fake.detach())
            opt_d.zero_grad(set_to_none=True)
            self.manual_backward(d_loss)
            opt_d.step()
            losses["train/d_loss"] = d_loss
            self.toggle_optimizer(opt_g)  # no gradients for the discriminator's weights in the generator's backward

        content = self.content_loss(fake, high)
        g_loss = content
        if self.discriminator is not None:
            adversarial = self.adversarial_generator_loss(self.discriminator, high, fake)
            g_loss = g_loss + self.adversarial_weight * adversarial
            losses["train/g_adversarial"] = adversarial
        opt_g.zero_grad(set_to_none=True)
        self.manual_backward(g_loss)
        opt_g.step()
        if self.discriminator is not None:
            self.untoggle_optimizer(opt_g)

        self.end_batch({**losses, f"train/g_content_{self.content}": content, "train/g_loss": g_loss})
        result = {"g_loss": g_loss.detach()}  # for DivergenceGuard
        return result | ({"d_loss": losses["train/d_loss"].detach()} if self.discriminator is not None else {})

    def configure_optimizers(self) -> list[torch.optim.Optimizer]:
        optimizers = [self.build_optimizer(self.optimizer_g, self.generator)]
        if self.discriminator is not None:
            optimizers.append(self.build_optimizer(self.optimizer_d, self.discriminator))
        return optimizers
