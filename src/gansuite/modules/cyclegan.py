"""CycleGAN (Zhu et al. 2017): two generators A -> B and B -> A, two PatchGAN discriminators, trained with an
adversarial loss per direction, the cycle-consistency loss and the identity loss, as in the authors'
pytorch-CycleGAN-and-pix2pix.

Each batch (a, b) makes one generator update (both generators, one optimizer) and then one discriminator update
(both discriminators, one optimizer, on fakes drawn through the image pools), so Lightning's global_step counts 2
optimizer steps per generator update, and `steps=N` is N generator updates as for the other models.

Learning rate: the reference keeps it constant for n_epochs and decays it linearly to zero over n_epochs_decay
more. Here the same rule runs over generator updates: our budget is `steps` generator updates, not epochs, an
epoch's length depends on the data set, and a per-update schedule is exact for runs shorter than an epoch. Over
the reference's 200 epochs of about 1000 updates the two differ by at most 1/101 of the base rate per update.
"""

from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor, nn
from torch.optim.lr_scheduler import LambdaLR

from gansuite.errors import ConfigError
from gansuite.losses import reconstruction_loss
from gansuite.modules.base import AdversarialModule, eval_mode
from gansuite.modules.image_pool import ImagePool

DIRECTIONS = ("a2b", "b2a")


def linear_decay(update: int, total_updates: int, decay_updates: int) -> float:
    """Learning-rate factor for generator update `update` (0-based): the reference's linear policy
    `1 - max(0, epoch + 1 - n_epochs) / (n_epochs_decay + 1)` with epochs read as generator updates.

    1 for the first `total_updates - decay_updates` updates, then falling by 1 / (decay_updates + 1) per update,
    so it is 1 / (decay_updates + 1) at the last update and 0 once the budget is spent.
    """
    constant_updates = total_updates - decay_updates
    return 1.0 - max(0, update + 1 - constant_updates) / (decay_updates + 1)


class CycleGAN(AdversarialModule):
    """`generator(data_shape=...)` and `discriminator(data_shape=...)` are called twice each (one per direction /
    domain). `adversarial_weight` scales the adversarial generator terms: 2 with loss=lsgan reproduces the
    reference's MSE(D(G(x)), 1), since our LeastSquaresLoss carries Mao et al.'s factor 1/2. The identity term is
    weighted `identity_weight * cycle_weight` (0.5 x 10 in the reference)."""

    needs_domains = True  # gansuite.validation refuses single-domain data before anything is loaded
    optimizer_steps_per_generator_update = 2  # one step of both generators, then one of both discriminators

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
        """`base`: the loss, optimizer_g, optimizer_d, data_shape and speed options of AdversarialModule."""
        super().__init__(**base)
        if self.loss.needs_lipschitz:
            raise ConfigError(
                f"{type(self.loss).__name__} needs a Lipschitz critic, which model=cyclegan does not enforce (no "
                "gradient penalty or clipping): use loss=lsgan (the reference), hinge or nonsaturating"
            )
        if not 0.0 <= lr_decay_fraction <= 1.0:
            raise ConfigError(
                f"model.lr_decay_fraction must be in [0, 1] (share of the steps with a decaying learning rate), got "
                f"{lr_decay_fraction}"
            )
        self.cycle_weight = cycle_weight
        self.identity_weight = identity_weight
        self.adversarial_weight = adversarial_weight
        self.lr_decay_fraction = lr_decay_fraction
        self.generator_ab = generator(data_shape=self.data_shape)
        self.generator_ba = generator(data_shape=self.data_shape)
        self.discriminator_a = discriminator(data_shape=self.data_shape)  # real A vs B -> A translations
        self.discriminator_b = discriminator(data_shape=self.data_shape)  # real B vs A -> B translations
        self.pool_a = ImagePool(pool_size)
        self.pool_b = ImagePool(pool_size)

    def forward(self, a: Tensor) -> Tensor:
        return self.generator_ab(a)

    def translate(self, images: Tensor, direction: str = "a2b") -> Tensor:
        """Translations of `images` in [-1, 1] with the generator of `direction` ('a2b' or 'b2a'), in eval mode."""
        if direction not in DIRECTIONS:
            raise ConfigError(f"direction must be one of {', '.join(DIRECTIONS)}, got {direction!r}")
        generator = self.generator_ab if direction == "a2b" else self.generator_ba
        with eval_mode(generator):
            return generator(images.to(self.device))

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

        lr = opt_g.param_groups[0]["lr"]
        for scheduler in self.lr_schedulers():
            scheduler.step()
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
        max_steps = self.trainer.max_steps
        if max_steps is None or max_steps < 0:
            raise ConfigError(
                "CycleGAN's learning-rate schedule (constant, then linear to zero) needs a step budget: set steps=N "
                "(generator updates) or the Trainer's max_steps"
            )
        total = max_steps // self.optimizer_steps_per_generator_update
        decay = round(total * self.lr_decay_fraction)
        optimizers = [
            self.build_optimizer(self.optimizer_g, self.generator_ab, self.generator_ba),
            self.build_optimizer(self.optimizer_d, self.discriminator_a, self.discriminator_b),
        ]
        schedulers = [LambdaLR(opt, lambda update: linear_decay(update, total, decay)) for opt in optimizers]
        return optimizers, schedulers
