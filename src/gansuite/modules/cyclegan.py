"""CycleGAN (Zhu et al. 2017): two generators A -> B and B -> A, two PatchGAN discriminators, trained with an
adversarial loss per direction, the cycle-consistency loss and the identity loss, as in the authors'
pytorch-CycleGAN-and-pix2pix.

Each batch (a, b) makes one generator update (both generators, one optimizer) and then one discriminator update
(both discriminators, one optimizer, on fakes drawn through the image pools); the learning-rate rule is the
reference's, over generator updates (gansuite.modules.translation).
"""

from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor, nn
from torch.optim.lr_scheduler import LambdaLR

from gansuite.errors import ConfigError
from gansuite.modules.image_pool import ImagePool
from gansuite.modules.translation import TranslationModule
from gansuite.objective.losses import reconstruction_loss


class CycleGAN(TranslationModule):
    """`generator(data_shape=...)` and `discriminator(data_shape=...)` are called twice each (one per direction /
    domain). `adversarial_weight` scales the adversarial generator terms: 2 with loss=lsgan reproduces the
    reference's MSE(D(G(x)), 1), since our LeastSquaresLoss carries Mao et al.'s factor 1/2. The identity term is
    weighted `identity_weight * cycle_weight` (0.5 x 10 in the reference)."""

    directions = ("a2b", "b2a")

    def __init__(
        self,
        generator: Callable[..., nn.Module],
        discriminator: Callable[..., nn.Module],
        cycle_weight: float = 10.0,
        identity_weight: float = 0.5,
        adversarial_weight: float = 1.0,
        pool_size: int = 50,
        lr_decay_fraction: float = 0.5,
        **base: Any,
    ) -> None:
        """`base`: lr_decay_fraction (TranslationModule) and the loss, optimizers, data_shape and speed options of
        AdversarialModule."""
        super().__init__(lr_decay_fraction, **base)
        if self.loss.needs_lipschitz:
            raise ConfigError(
                f"{type(self.loss).__name__} needs a Lipschitz critic, which model=cyclegan does not enforce (no "
                "gradient penalty or clipping): use loss=lsgan (the reference), hinge or nonsaturating"
            )
        self.cycle_weight = cycle_weight
        self.identity_weight = identity_weight
        self.adversarial_weight = adversarial_weight
        self.generator_ab = self.recorded_generator("generator_ab", "a2b", generator, data_shape=self.data_shape)
        self.generator_ba = self.recorded_generator("generator_ba", "b2a", generator, data_shape=self.data_shape)
        self.discriminator_a = discriminator(data_shape=self.data_shape)  # real A vs B -> A translations
        self.discriminator_b = discriminator(data_shape=self.data_shape)  # real B vs A -> B translations
        self.pool_a = ImagePool(pool_size)
        self.pool_b = ImagePool(pool_size)

    def forward(self, a: Tensor) -> Tensor:
        return self.generator_ab(a)

    def generator_for(self, direction: str) -> nn.Module:
        return self.generator_ab if direction == "a2b" else self.generator_ba

    def translation_grid(self, real_a: Tensor, real_b: Tensor) -> tuple[Tensor, int]:
        """Six rows: real A, A -> B, A -> B -> A, real B, B -> A, B -> A -> B."""
        fake_b, fake_a = self.translate(real_a, "a2b"), self.translate(real_b, "b2a")
        rows = [real_a, fake_b, self.translate(fake_b, "b2a"), real_b, fake_a, self.translate(fake_a, "a2b")]
        return torch.cat([row.to(self.device) for row in rows]), len(real_a)

    def generator_losses(self, real_a: Tensor, real_b: Tensor, fake_a: Tensor, fake_b: Tensor) -> dict[str, Tensor]:
        """The unweighted terms of the generators' objective, by direction (a2b: the A -> B generator's terms)."""
        losses = {
            "adversarial_a2b": self.adversarial_generator_loss(self.discriminator_b, real_b, fake_b),
            "adversarial_b2a": self.adversarial_generator_loss(self.discriminator_a, real_a, fake_a),
            "cycle_aba": reconstruction_loss(self.generator_ba(fake_b), real_a),
            "cycle_bab": reconstruction_loss(self.generator_ab(fake_a), real_b),
        }
        if self.identity_weight:
            losses["identity_a2b"] = reconstruction_loss(self.generator_ab(real_b), real_b)
            losses["identity_b2a"] = reconstruction_loss(self.generator_ba(real_a), real_a)
        return losses

    def generator_objective(self, losses: dict[str, Tensor]) -> Tensor:
        weights = {
            "adversarial": self.adversarial_weight,
            "cycle": self.cycle_weight,
            "identity": self.identity_weight * self.cycle_weight,
        }
        return sum(weights[name.split("_")[0]] * value for name, value in losses.items())

    def training_step(self, batch: tuple[Tensor, Tensor], batch_idx: int) -> dict[str, Tensor]:
        real_a, real_b = batch
        opt_g, opt_d = self.optimizers()
        fake_b = self.generator_ab(real_a)
        fake_a = self.generator_ba(real_b)

        self.toggle_optimizer(opt_g)  # no gradients for the discriminators' weights in the generators' backward
        g_terms = self.generator_losses(real_a, real_b, fake_a, fake_b)
        g_loss = self.generator_objective(g_terms)
        opt_g.zero_grad(set_to_none=True)
        self.manual_backward(g_loss)
        opt_g.step()
        self.untoggle_optimizer(opt_g)

        d_loss_a, d_terms_a = self.discriminator_objective(self.discriminator_a, real_a, self.pool_a.query(fake_a))
        d_loss_b, d_terms_b = self.discriminator_objective(self.discriminator_b, real_b, self.pool_b.query(fake_b))
        opt_d.zero_grad(set_to_none=True)
        self.manual_backward(d_loss_a + d_loss_b)
        opt_d.step()

        lr = self.step_schedulers()
        d_loss = d_loss_a + d_loss_b
        losses = {f"train/{name}": value for name, value in g_terms.items()}
        losses |= {f"{name}_a": value for name, value in d_terms_a.items()}
        losses |= {f"{name}_b": value for name, value in d_terms_b.items()}
        losses |= {
            "train/g_loss": g_loss,
            "train/d_loss": d_loss,
            "train/d_loss_a": d_loss_a,
            "train/d_loss_b": d_loss_b,
        }
        self.end_batch({**losses, "train/lr": lr})
        return {"d_loss": d_loss.detach(), "g_loss": g_loss.detach()}  # for DivergenceGuard

    def configure_optimizers(self) -> tuple[list[torch.optim.Optimizer], list[LambdaLR]]:
        optimizers = [
            self.build_optimizer(self.optimizer_g, self.generator_ab, self.generator_ba),
            self.build_optimizer(self.optimizer_d, self.discriminator_a, self.discriminator_b),
        ]
        return optimizers, self.decaying_schedulers(optimizers)
