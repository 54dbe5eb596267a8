"""One alternating-update recipe for the vanilla GAN, DCGAN, WGAN-GP, SNGAN and the R3GAN-style baseline.

A model is a choice of networks, loss, regularizers, augmentation, n_critic, Lipschitz constraint and optimizers
(all from config); the training step below is the same for all of them. Every batch updates the discriminator once;
every `n_critic`-th batch also updates the generator, so a generator update takes `n_critic + 1` optimizer steps.
"""

from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor, nn

from gansuite.errors import ConfigError
from gansuite.losses import feature_matching_loss
from gansuite.modules.base import AdversarialModule
from gansuite.nets.spectral import is_spectrally_normalized


class GAN(AdversarialModule):
    def __init__(
        self,
        generator: Callable[..., nn.Module],
        discriminator: Callable[..., nn.Module],
        latent_dim: int = 64,
        n_critic: int = 1,
        weight_clip: float | None = None,
        feature_matching: float = 0.0,
        num_fixed_samples: int = 64,
        ema_decay: float | None = None,
        ema_half_life_images: float | None = None,
        ema_rampup: float | None = None,
        **base: Any,
    ) -> None:
        """`base`: the loss, regularizers, augment, optimizers, schedules, data_shape and speed options of
        AdversarialModule."""
        super().__init__(**base)
        if n_critic < 1:
            raise ConfigError(
                f"model.n_critic must be >= 1 (discriminator updates per generator update), got {n_critic}"
            )
        self.latent_dim = latent_dim
        self.n_critic = n_critic
        self.weight_clip = weight_clip
        self.feature_matching = feature_matching
        self.generator = generator(latent_dim=latent_dim, data_shape=self.data_shape)
        self.discriminator = discriminator(data_shape=self.data_shape)
        lipschitz = weight_clip or is_spectrally_normalized(self.discriminator)
        if self.loss.needs_lipschitz and not (lipschitz or any(r.lipschitz for r in self.regularizers.values())):
            raise ConfigError(
                f"{type(self.loss).__name__} needs a Lipschitz critic but there is no gradient penalty, weight clip "
                "or spectral norm: use model=wgan (gradient penalty 10), or add regularizers=[gp], "
                "model.weight_clip=0.01 or model.discriminator.spectral_norm=true"
            )
        self.keep_ema_of(self.generator, ema_decay, ema_half_life_images, ema_rampup)
        # A buffer, so the sample grids of a resumed run continue from the same noise.
        self.register_buffer("fixed_noise", torch.randn(num_fixed_samples, latent_dim))

    @property
    def optimizer_steps_per_generator_update(self) -> int:
        return self.n_critic + 1

    def forward(self, z: Tensor) -> Tensor:
        return self.generator(z)

    def training_step(self, real: Tensor, batch_idx: int) -> dict[str, Tensor]:
        opt_d, opt_g = self.optimizers()
        generator_turn = self.global_step % self.optimizer_steps_per_generator_update == self.n_critic - 1
        # The generator's graph is kept only on the batches that update it; critic-only batches need its output.
        with torch.set_grad_enabled(generator_turn):
            fake = self.generator(self.sample_noise(real.shape[0]))
        d_loss, losses = self.discriminator_objective(self.discriminator, real, fake.detach())
        opt_d.zero_grad(set_to_none=True)
        self.manual_backward(d_loss)
        opt_d.step()
        if self.weight_clip:
            with torch.no_grad():
                for p in self.discriminator.parameters():
                    p.clamp_(-self.weight_clip, self.weight_clip)
        losses["train/d_loss"] = d_loss
        outputs = {"d_loss": d_loss.detach()}  # for DivergenceGuard, which checks them at the logging interval

        if generator_turn:
            self.toggle_optimizer(opt_g)  # no gradients for D's weights in the generator's backward
            g_loss = self.generator_loss(real, fake)
            opt_g.zero_grad(set_to_none=True)
            self.manual_backward(g_loss)
            opt_g.step()
            self.untoggle_optimizer(opt_g)
            losses["train/g_loss"] = outputs["g_loss"] = g_loss.detach()
        self.end_batch(losses)
        return outputs

    def generator_loss(self, real: Tensor, fake: Tensor) -> Tensor:
        g_loss = self.adversarial_generator_loss(self.discriminator, real, fake)
        if not self.feature_matching:
            return g_loss
        with torch.no_grad():
            real_features = self.discriminator.features(real)
        fake_features = self.discriminator.features(fake)
        return g_loss + self.feature_matching * feature_matching_loss(real_features, fake_features)

    def configure_optimizers(self) -> list[torch.optim.Optimizer]:
        return [
            self.build_optimizer(self.optimizer_d, self.discriminator),
            self.build_optimizer(self.optimizer_g, self.generator),
        ]
