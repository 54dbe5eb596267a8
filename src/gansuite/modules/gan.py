"""One alternating-update core for the vanilla GAN, DCGAN and WGAN-GP.

A model is a choice of networks, loss, n_critic, Lipschitz constraint and optimizers (all from config); the
training loop below is the same for all three. Every batch updates the discriminator once; every `n_critic`-th
batch also updates the generator. Lightning's global_step counts both optimizer steps, so the generator-update
count is `global_step // (n_critic + 1)`, which survives a resume without extra state.

The step never waits for the device: losses are kept as detached device tensors and handed to the loggers only on
the batches Lightning writes logs (`trainer.log_every_n_steps`; the generator loss is the latest one), and no Python
branch reads a tensor value.
"""

from collections.abc import Callable

import torch
from lightning import LightningModule
from torch import Tensor, nn
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

from gansuite.checkpoints import check_fits
from gansuite.errors import ConfigError
from gansuite.losses import AdversarialLoss, feature_matching_loss, gradient_penalty
from gansuite.modules.optimizers import OptimizerFactory, build_optimizer


class GAN(LightningModule):
    def __init__(
        self,
        generator: Callable[..., nn.Module],
        discriminator: Callable[..., nn.Module],
        loss: AdversarialLoss,
        optimizer_g: OptimizerFactory,
        optimizer_d: OptimizerFactory,
        data_shape: tuple[int, ...],
        latent_dim: int = 64,
        n_critic: int = 1,
        gradient_penalty: float = 0.0,
        weight_clip: float | None = None,
        feature_matching: float = 0.0,
        num_fixed_samples: int = 64,
        ema_decay: float | None = None,
        channels_last: bool = False,
        compile: bool = False,
    ) -> None:
        super().__init__()
        if n_critic < 1:
            raise ConfigError(
                f"model.n_critic must be >= 1 (discriminator updates per generator update), got {n_critic}"
            )
        if loss.needs_lipschitz and not (gradient_penalty > 0 or weight_clip):
            raise ConfigError(
                f"{type(loss).__name__} needs a Lipschitz critic but model.gradient_penalty=0 and no "
                "model.weight_clip: use model=wgan (gradient penalty 10), or set model.gradient_penalty=10 "
                "or model.weight_clip=0.01"
            )
        self.automatic_optimization = False
        self.loss = loss
        self.optimizer_g, self.optimizer_d = optimizer_g, optimizer_d
        self.data_shape = tuple(data_shape)
        self.latent_dim = latent_dim
        self.n_critic = n_critic
        self.gradient_penalty = gradient_penalty
        self.weight_clip = weight_clip
        self.feature_matching = feature_matching
        self.generator = generator(latent_dim=latent_dim, data_shape=self.data_shape)
        self.discriminator = discriminator(data_shape=self.data_shape)
        # The exponential moving average of the generator's weights and buffers (Karras et al. 2018), updated after
        # every generator step; when on, it is what generate/sample (so grids and metrics) use. A submodule, so
        # checkpoints carry it.
        self.ema_generator: AveragedModel | None = None
        if ema_decay:
            if not 0 < ema_decay < 1:
                raise ConfigError(
                    f"model.ema_decay must be in (0, 1) (e.g. 0.999) or null to turn EMA off, got {ema_decay}"
                )
            average = get_ema_multi_avg_fn(ema_decay)
            self.ema_generator = AveragedModel(self.generator, multi_avg_fn=average, use_buffers=True)
            self.ema_generator.requires_grad_(False)
        if channels_last and len(self.data_shape) != 3:
            raise ConfigError(f"model.channels_last=true needs image data, got data of shape {self.data_shape}")
        self.channels_last = channels_last
        if channels_last:  # NHWC: the layout tensor cores and oneDNN convolutions run fastest in
            self.to(memory_format=torch.channels_last)
        if compile:  # compiles the modules' calls in place: state_dict keys stay those of the eager modules
            self.generator.compile()
            self.discriminator.compile()
        self._last_losses: dict[str, Tensor] = {}
        # A buffer, so the sample grids of a resumed run continue from the same noise.
        self.register_buffer("fixed_noise", torch.randn(num_fixed_samples, latent_dim))

    @property
    def optimizer_steps_per_generator_update(self) -> int:
        return self.n_critic + 1

    @property
    def generator_updates(self) -> int:
        return self.global_step // self.optimizer_steps_per_generator_update

    def forward(self, z: Tensor) -> Tensor:
        return self.generator(z)

    def sample_noise(self, n: int) -> Tensor:
        return torch.randn(n, self.latent_dim, device=self.device)

    @torch.no_grad()
    def generate(self, z: Tensor) -> Tensor:
        """Outputs of the EMA generator when on, else the generator, for `z` in eval mode (batch norm on running
        statistics), restoring the mode after."""
        generator = self.generator if self.ema_generator is None else self.ema_generator
        was_training = generator.training
        generator.eval()
        samples = generator(z.to(self.device))
        generator.train(was_training)
        return samples

    def sample(self, n: int) -> Tensor:
        return self.generate(self.sample_noise(n))

    def training_step(self, real: Tensor, batch_idx: int) -> dict[str, Tensor]:
        opt_d, opt_g = self.optimizers()
        generator_turn = self.global_step % self.optimizer_steps_per_generator_update == self.n_critic - 1
        if self.channels_last:
            real = real.contiguous(memory_format=torch.channels_last)
        # The generator's graph is kept only on the batches that update it; critic-only batches need its output.
        with torch.set_grad_enabled(generator_turn):
            fake = self.generator(self.sample_noise(real.shape[0]))

        d_loss = self.loss.discriminator_loss(self.discriminator(real), self.discriminator(fake.detach()))
        if self.gradient_penalty:
            # The eager forward: torch.compile's backward cannot be differentiated again (create_graph).
            penalty = gradient_penalty(self.discriminator.forward, real, fake)
            self._last_losses["train/gradient_penalty"] = penalty.detach()
            d_loss = d_loss + self.gradient_penalty * penalty
        opt_d.zero_grad(set_to_none=True)
        self.manual_backward(d_loss)
        opt_d.step()
        if self.weight_clip:
            with torch.no_grad():
                for p in self.discriminator.parameters():
                    p.clamp_(-self.weight_clip, self.weight_clip)
        self._last_losses["train/d_loss"] = d_loss.detach()

        if generator_turn:
            self.toggle_optimizer(opt_g)  # no gradients for D's weights in the generator's backward
            g_loss = self._generator_loss(real, fake)
            opt_g.zero_grad(set_to_none=True)
            self.manual_backward(g_loss)
            opt_g.step()
            self.untoggle_optimizer(opt_g)
            if self.ema_generator is not None:
                self.ema_generator.update_parameters(self.generator)
            self._last_losses["train/g_loss"] = g_loss.detach()
            # A host tensor (a Python number would be copied to the device): checkpoint names read it.
            self.log("gen_step", torch.tensor(float(self.generator_updates)))
        if self.trainer._logger_connector.should_update_logs:  # Lightning's own test for writing logs
            # Not on the progress bar: it reads its values on every batch, which would wait for the device.
            self.log_dict(self._last_losses)
        if generator_turn:  # for DivergenceGuard, which checks them at the logging interval
            return {"d_loss": d_loss.detach(), "g_loss": g_loss.detach()}
        return {"d_loss": d_loss.detach()}

    def _generator_loss(self, real: Tensor, fake: Tensor) -> Tensor:
        if not self.feature_matching:
            return self.loss.generator_loss(self.discriminator(fake))
        fake_features = self.discriminator.features(fake)
        with torch.no_grad():
            real_features = self.discriminator.features(real)
        g_loss = self.loss.generator_loss(self.discriminator.head(fake_features).squeeze(1))
        return g_loss + self.feature_matching * feature_matching_loss(real_features, fake_features)

    def on_load_checkpoint(self, checkpoint: dict) -> None:
        check_fits(checkpoint, self)  # a checkpoint of another model or data shape: one clear line, not a traceback

    def configure_optimizers(self) -> list[torch.optim.Optimizer]:
        return [
            build_optimizer(self.optimizer_d, self.discriminator.parameters()),
            build_optimizer(self.optimizer_g, self.generator.parameters()),
        ]
