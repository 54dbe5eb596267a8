"""pix2pix (Isola et al. 2017): a U-Net generator G translates the input x into y' and a PatchGAN D judges the pair
(x, y) against (x, y'), so D learns what a plausible output for this input looks like; G also pays `l1_weight` times
the L1 distance to the target, which carries the low frequencies while D carries the texture.

Each batch (a, b) of aligned pairs is one discriminator update and then one generator update, in the reference's
order (pytorch-CycleGAN-and-pix2pix's Pix2PixModel.optimize_parameters):

    fake = G(x)
    D:  (loss(D(x, y), D(x, fake.detach())) + regularizers) * discriminator_loss_weight      # 0.5 in the reference
    G:  adversarial(D(x, fake)) + l1_weight * |fake - y|_1        # reconstruction=l2: the squared error instead

`direction=a2b` takes A as the input x and B as the target y (`b2a` the reverse). Its learning rate follows the
reference's rule over generator updates (gansuite.modules.translation). Translations run in eval mode (batch norm on
running statistics, no dropout); the reference's test script runs the networks in train mode unless `--eval`.
"""

from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor, nn
from torch.optim.lr_scheduler import LambdaLR

from gansuite.errors import ConfigError
from gansuite.modules.capabilities import Capabilities
from gansuite.modules.translation import TranslationModule
from gansuite.objective.losses import reconstruction_loss

DIRECTIONS = ("a2b", "b2a")


class Pix2Pix(TranslationModule):
    """`generator(data_shape=...)` maps an image of the data's shape to one; `discriminator(data_shape=...)` is
    built for the input and output concatenated along the channels (twice the data's channels)."""

    capabilities = Capabilities(consumes="pairs", produces="translations")

    def __init__(
        self,
        generator: Callable[..., nn.Module],
        discriminator: Callable[..., nn.Module],
        direction: str = "a2b",
        l1_weight: float = 100.0,
        discriminator_loss_weight: float = 0.5,
        lr_decay_fraction: float = 0.5,
        reconstruction: str = "l1",
        **base: Any,
    ) -> None:
        """`reconstruction`: l1 (the paper's: the median, sharper) or l2 (the mean: the best guess where PSNR is
        the score, as for colorization against its gray input); `l1_weight` weighs it either way. `base`: the loss,
        optimizers, data_shape and speed options of AdversarialModule."""
        super().__init__(lr_decay_fraction, **base)
        if direction not in DIRECTIONS:
            raise ConfigError(f"model.direction={direction} is unknown: choose a2b (A -> B) or b2a (B -> A)")
        if self.loss.needs_lipschitz and not self.regularizers:
            raise ConfigError(
                f"{type(self.loss).__name__} needs a Lipschitz critic, which model=pix2pix does not enforce without a "
                "penalty: use loss=nonsaturating (the reference's vanilla GAN loss), lsgan or hinge, or add "
                "regularizers=gp"
            )
        if l1_weight < 0 or discriminator_loss_weight <= 0:
            raise ConfigError(
                f"model.l1_weight must be >= 0 and model.discriminator_loss_weight > 0 (the reference: 100 and 0.5), "
                f"got {l1_weight} and {discriminator_loss_weight}"
            )
        if reconstruction not in ("l1", "l2"):
            raise ConfigError(f"model.reconstruction={reconstruction} is unknown: choose l1 (the paper's) or l2")
        self.direction, self.reconstruction = direction, reconstruction
        self.directions = (direction,)
        self.l1_weight, self.discriminator_loss_weight = l1_weight, discriminator_loss_weight
        channels, height, width = self.data_shape
        self.generator = self.recorded_generator("generator", direction, generator, data_shape=self.data_shape)
        self.discriminator = discriminator(data_shape=(2 * channels, height, width))

    def forward(self, x: Tensor) -> Tensor:
        return self.generator(x)

    def generator_for(self, direction: str) -> nn.Module:
        return self.generator

    def translation_grid(self, real_a: Tensor, real_b: Tensor) -> tuple[Tensor, int]:
        """One row per test pair: input | output | target."""
        source, target = (real_a, real_b) if self.direction == "a2b" else (real_b, real_a)
        output = self.translate(source, self.direction)
        return torch.stack([source, output, target], dim=1).flatten(0, 1), 3

    def training_step(self, batch: tuple[Tensor, Tensor], batch_idx: int) -> dict[str, Tensor]:
        real_a, real_b = batch
        source, target = (real_a, real_b) if self.direction == "a2b" else (real_b, real_a)
        opt_g, opt_d = self.optimizers()
        fake = self.generator(source)
        real_pair, fake_pair = torch.cat([source, target], 1), torch.cat([source, fake], 1)

        d_loss, d_terms = self.discriminator_objective(self.discriminator, real_pair, fake_pair.detach())
        d_loss = self.discriminator_loss_weight * d_loss
        opt_d.zero_grad(set_to_none=True)
        self.manual_backward(d_loss)
        opt_d.step()

        self.toggle_optimizer(opt_g)  # no gradients for the discriminator's weights in the generator's backward
        adversarial = self.adversarial_generator_loss(self.discriminator, real_pair, fake_pair)
        reconstruction = reconstruction_loss(fake, target, self.reconstruction)
        g_loss = adversarial + self.l1_weight * reconstruction
        opt_g.zero_grad(set_to_none=True)
        self.manual_backward(g_loss)
        opt_g.step()
        self.untoggle_optimizer(opt_g)

        lr = self.step_schedulers()
        losses = {"train/g_adversarial": adversarial, f"train/g_{self.reconstruction}": reconstruction}
        losses |= {"train/g_loss": g_loss, "train/d_loss": d_loss}
        self.end_batch({**d_terms, **losses, "train/lr": lr})
        return {"d_loss": d_loss.detach(), "g_loss": g_loss.detach()}  # for DivergenceGuard

    def configure_optimizers(self) -> tuple[list[torch.optim.Optimizer], list[LambdaLR]]:
        optimizers = [
            self.build_optimizer(self.optimizer_g, self.generator),
            self.build_optimizer(self.optimizer_d, self.discriminator),
        ]
        return optimizers, self.decaying_schedulers(optimizers)
