"""One alternating-update recipe for the vanilla GAN, DCGAN, WGAN-GP, SNGAN and the R3GAN-style baseline.

A model is a choice of networks, loss, regularizers, augmentation, n_critic, Lipschitz constraint, conditioning and
optimizers (all from config); the training step below is the same for all of them. Every batch updates the
discriminator once; every `n_critic`-th batch also updates the generator, so a generator update takes
`n_critic + 1` optimizer steps. A conditional model (`conditioning` projection, acgan, tac or concat) makes its fakes
for the real batch's labels, so they follow the real class frequencies.

With `accumulate=k` each batch (its samples, noise and labels) is split into k micro-batches whose gradients add up
before each player's one optimizer step (gansuite.objective.accumulation): Lightning's own accumulate_grad_batches
does not apply to this manual optimization. Only one micro-batch's graphs are alive at a time: on the generator's
turn its fakes are made again, from the same noise and random draws, for its own update.
"""

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import torch
from torch import Tensor, nn

from gansuite.errors import ConfigError, is_integer
from gansuite.modules.base import AdversarialModule
from gansuite.nets import check_conditioning
from gansuite.nets.spectral import is_spectrally_normalized
from gansuite.objective.accumulation import split_batch
from gansuite.objective.adversarial import with_labels
from gansuite.objective.losses import feature_matching_loss
from gansuite.objective.regularizers import GeneratorBatch


def random_states(device: torch.device) -> list[Tensor]:
    """The states of the random generators a forward on `device` may draw from: the CPU's and, on CUDA, the
    device's (StyleGAN2's generator draws its noise inputs on the device and its style-mixing cut on the CPU)."""
    return [torch.get_rng_state(), *([torch.cuda.get_rng_state(device)] if device.type == "cuda" else [])]


@contextmanager
def replaying(states: Sequence[Tensor], device: torch.device) -> Iterator[None]:
    """Runs the block from `states` (`random_states`), so it draws the numbers drawn after them before, and then
    puts the generators back: the draws after the block are those it would have had without it."""
    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else [], device_type="cuda"):
        torch.set_rng_state(states[0])
        if device.type == "cuda":
            torch.cuda.set_rng_state(states[1], device)
        yield


class GAN(AdversarialModule):
    accumulates = True

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
        conditioning: str = "none",
        **base: Any,
    ) -> None:
        """`conditioning`: none, or how the networks take the class (gansuite.nets.conditional). `base`: the loss,
        regularizers, augment, optimizers, schedules, data_shape, num_classes and speed options of
        AdversarialModule."""
        super().__init__(**base)
        self.conditional = check_conditioning(conditioning, self.num_classes)
        self.objective.condition_on(conditioning)
        self.objective.check_micro_batches(self.accumulate)
        if self.accumulate > 1 and feature_matching:
            raise ConfigError(
                f"accumulate={self.accumulate} splits the batch, but feature matching compares the batch's mean "
                "features, which micro-batches change: set accumulate=1 or model.feature_matching=0"
            )
        if not is_integer(n_critic) or n_critic < 1:
            raise ConfigError(
                "model.n_critic must be a positive integer (discriminator updates per generator update, e.g. 5), "
                f"got {n_critic}"
            )
        self.latent_dim = latent_dim
        self.n_critic = n_critic
        self.weight_clip = weight_clip
        self.feature_matching = feature_matching
        classes = {"num_classes": self.num_classes, "conditioning": conditioning}
        self.generator = self.recorded_generator(
            "generator", "sample", generator, latent_dim=latent_dim, data_shape=self.data_shape, **classes
        )
        self.discriminator = discriminator(data_shape=self.data_shape, **classes)
        lipschitz = weight_clip or is_spectrally_normalized(self.discriminator)
        if self.loss.needs_lipschitz and not (lipschitz or any(r.lipschitz for r in self.regularizers.values())):
            raise ConfigError(
                f"{type(self.loss).__name__} needs a Lipschitz critic but there is no gradient penalty, weight clip "
                "or spectral norm: use model=wgan (gradient penalty 10), or add regularizers=[gp], "
                "model.weight_clip=0.01 or model.discriminator.spectral_norm=true"
            )
        self.keep_ema_of(self.generator, ema_decay, ema_half_life_images, ema_rampup)
        # Buffers, so the sample grids of a resumed run continue from the same noise. A conditional grid has one
        # row per class, each row the same noise vectors, so a column shows one z across the classes.
        if self.conditional:
            columns = max(1, num_fixed_samples // self.num_classes)
            self.register_buffer("fixed_noise", torch.randn(columns, latent_dim).repeat(self.num_classes, 1))
            self.register_buffer("fixed_labels", torch.arange(self.num_classes).repeat_interleave(columns))
        else:
            self.register_buffer("fixed_noise", torch.randn(num_fixed_samples, latent_dim))
            self.fixed_labels = None

    @property
    def optimizer_steps_per_generator_update(self) -> int:
        return self.n_critic + 1

    def forward(self, z: Tensor, labels: Tensor | None = None) -> Tensor:
        return with_labels(self.generator, labels)(z)

    def fixed_samples(self) -> tuple[Tensor, int]:
        """The generated images of the fixed noise (and labels), and how many make one row of their grid."""
        images = self.generate(self.fixed_noise, self.fixed_labels)
        return images, len(images) // self.num_classes if self.conditional else 8

    def training_step(self, batch: Tensor | tuple[Tensor, Tensor], batch_idx: int) -> dict[str, Tensor]:
        real, labels = (batch, None) if isinstance(batch, Tensor) else batch
        labels = labels if self.conditional else None  # labelled data trains an unconditional model as well
        opt_d, opt_g = self.optimizers()
        generator_turn = self.steps_into_update == self.n_critic - 1  # after n_critic - 1 critic-only batches
        micro_batches = split_batch(self.accumulate, real, self.sample_noise(real.shape[0]), labels)
        # A whole batch keeps the generator's graph from the critic's update for its own (critic-only batches need
        # only its output); micro-batches make their fakes again for it, from the random states kept here.
        keep_graph = generator_turn and self.accumulate == 1
        fakes, states = [], []
        opt_d.zero_grad(set_to_none=True)
        with self.objective.accumulating("discriminator", self.accumulate) as critic_update:
            for real_part, noise, labels_part in micro_batches:
                states.append(random_states(self.device) if generator_turn and not keep_graph else [])
                with torch.set_grad_enabled(keep_graph):
                    fakes.append(self(noise, labels_part))
                d_loss, d_terms = self.discriminator_objective(
                    self.discriminator, real_part, fakes[-1].detach(), labels_part
                )
                self.manual_backward(critic_update.add(d_loss, d_terms))
        opt_d.step()
        if self.weight_clip:
            with torch.no_grad():
                for p in self.discriminator.parameters():
                    p.clamp_(-self.weight_clip, self.weight_clip)
        losses = critic_update.terms
        losses["train/d_loss"] = critic_update.loss
        outputs = {"d_loss": critic_update.loss}  # for DivergenceGuard, which checks them at the logging interval

        if generator_turn:
            self.toggle_optimizer(opt_g)  # no gradients for D's weights in the generator's backward
            opt_g.zero_grad(set_to_none=True)
            with self.objective.accumulating("generator", self.accumulate) as generator_update:
                for (real_part, noise, labels_part), fake, state in zip(micro_batches, fakes, states, strict=True):
                    if not keep_graph:
                        with replaying(state, self.device):
                            fake = self(noise, labels_part)
                    g_loss, g_terms = self.generator_loss(real_part, fake, labels_part)
                    self.manual_backward(generator_update.add(g_loss, g_terms))
            opt_g.step()
            self.untoggle_optimizer(opt_g)
            losses |= generator_update.terms
            losses["train/g_loss"] = outputs["g_loss"] = generator_update.loss
        self.end_batch(losses)
        return outputs

    def generator_loss(
        self, real: Tensor, fake: Tensor, labels: Tensor | None = None
    ) -> tuple[Tensor, dict[str, Tensor]]:
        """The generator's loss (adversarial, class, feature matching, `generator_regularizers`) and its named
        regularizer terms to log."""
        g_loss = self.adversarial_generator_loss(self.discriminator, real, fake, labels)
        if self.feature_matching:
            features = with_labels(self.discriminator.features, labels)
            with torch.no_grad():
                real_features = features(real)
            fake_features = features(fake)
            g_loss = g_loss + self.feature_matching * feature_matching_loss(real_features, fake_features)
        if not self.generator_regularizers:
            return g_loss, {}
        latents, synthesize = self.latent_path(labels)
        batch = GeneratorBatch(latents, synthesize, real.shape[0], self.generator_updates, self.progress)
        return self.objective.generator_regularization(g_loss, batch)

    def latent_path(self, labels: Tensor | None) -> tuple[Callable[[int], Tensor], Callable[[Tensor], Tensor]]:
        """What generator regularizers differentiate: fresh latents for n samples, and latents -> images (for
        the first n of `labels` when conditional). Here the noise and the generator; StyleGAN2 uses its ws."""

        def synthesize(z: Tensor) -> Tensor:
            return self(z, None if labels is None else labels[: len(z)])

        return self.sample_noise, synthesize

    def configure_optimizers(self) -> list[torch.optim.Optimizer]:
        return [
            self.build_optimizer(self.optimizer_d, self.discriminator),
            self.build_optimizer(self.optimizer_g, self.generator),
        ]
