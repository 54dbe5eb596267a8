"""The adversarial base of every model family: what all of them share, so a fix here reaches them all.

It owns the generator-update clock (`steps=` and every `every_n_updates` count generator updates, while Lightning's
global_step counts optimizer steps: `optimizer_steps_for` and `generator_updates_at` are the one conversion), holds
both players' objective (gansuite.objective: loss, `regularizers=`, `generator_regularizers=`, `augment=`, the class
loss) and calls it on that clock, and keeps learning-rate schedules, the sync-free loss logging, eval-mode sampling,
the generator EMA, optimizer building (fused on CUDA, adjusted for lazy regularization), channels_last and
torch.compile, and the check that a checkpoint fits before it loads.
A family owns its networks and one `training_step`. Adding one is a subclass and a config file:

    class Pix2Pix(AdversarialModule):
        optimizer_steps_per_generator_update = 2      # each batch: one generator step, one discriminator step

        def __init__(self, generator, discriminator, **base):   # base: loss, optimizers, data_shape, speed
            super().__init__(**base)
            self.generator = generator(data_shape=self.data_shape)
            self.discriminator = discriminator(data_shape=self.data_shape)
            ...

        def training_step(self, batch, batch_idx):
            ... g_loss = self.adversarial_generator_loss(self.discriminator, real, fake) + ... ; opt_g.step()
            d_loss, d_terms = self.discriminator_objective(self.discriminator, real, fake.detach()); opt_d.step()
            self.end_batch({"train/g_loss": g_loss, "train/d_loss": d_loss})
            return {"g_loss": g_loss.detach(), "d_loss": d_loss.detach()}   # what DivergenceGuard checks

        def configure_optimizers(self):
            return [self.build_optimizer(self.optimizer_g, self.generator), ...]

    # conf/model/pix2pix.yaml: _target_: gansuite.modules.pix2pix.Pix2Pix, plus the networks' and optimizers' keys

The step never waits for the device: `end_batch` keeps losses as detached device tensors and hands them to the
loggers only on the batches Lightning writes logs (`trainer.log_every_n_steps`), and no Python branch reads a
tensor value.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import torch
from torch import Tensor, nn
from torch.optim.swa_utils import AveragedModel

from gansuite.artifacts.checkpoints import check_fits
from gansuite.errors import ConfigError, is_integer
from gansuite.lightning_adapter import writes_logs_this_batch
from gansuite.modules.capabilities import Capabilities
from gansuite.modules.clocks import TrainingClocks
from gansuite.modules.ema import averaged_copy
from gansuite.modules.optimizers import OptimizerFactory, adjust_for_lazy_interval, build_optimizer
from gansuite.nets.recipes import network_recipe
from gansuite.objective.adversarial import AdversarialObjective, lazy_interval, with_labels
from gansuite.objective.augment import DiscriminatorAugment
from gansuite.objective.losses import AdversarialLoss
from gansuite.objective.regularizers import Regularizer
from gansuite.objective.schedules import OptimizerSchedule


@contextmanager
def eval_mode(*networks: nn.Module) -> Iterator[None]:
    """Runs the block with `networks` in eval mode (batch norm on running statistics, no dropout) and without
    gradients, and puts each back in the mode it had."""
    modes = [network.training for network in networks]
    try:
        for network in networks:
            network.eval()
        with torch.no_grad():
            yield
    finally:
        for network, mode in zip(networks, modes, strict=True):
            network.train(mode)


class AdversarialModule(TrainingClocks):
    """Manual optimization with the shared machinery; see the module docstring for what a subclass adds.

    A subclass sets `optimizer_steps_per_generator_update` (a class attribute or a property) and, when it keeps a
    generator EMA, calls `keep_ema_of(network, decay)` after building that network. `generate` and `sample` use
    `self.generator` (its EMA when on): families without a single generator (CycleGAN) offer their own sampling
    through `eval_mode`.
    """

    #: What the family trains on and makes (gansuite.modules.capabilities): a GAN's samples by default.
    capabilities = Capabilities()
    #: Whether its training_step splits each batch into `accumulate` micro-batches (gansuite.objective.accumulation);
    #: the families that do not refuse accumulate > 1.
    accumulates: bool = False

    def __init__(
        self,
        loss: AdversarialLoss,
        optimizer_g: OptimizerFactory,
        optimizer_d: OptimizerFactory,
        data_shape: tuple[int, ...],
        regularizers: dict[str, Regularizer] | None = None,
        augment: DiscriminatorAugment | None = None,
        schedule_g: OptimizerSchedule | None = None,
        schedule_d: OptimizerSchedule | None = None,
        channels_last: bool = False,
        compile: bool = False,
        num_classes: int | None = None,
        class_loss_weight: float = 1.0,
        class_loss_on_fakes: bool = False,
        generator_regularizers: dict[str, Regularizer] | None = None,
        accumulate: int = 1,
    ) -> None:
        """The loss, `regularizers` (the `regularizers=` group), `generator_regularizers` (the
        `generator_regularizers=` group: families that produce samples from noise), `augment` (the `augment=`
        group) and the class loss settings make `self.objective` (gansuite.objective.AdversarialObjective);
        `schedule_g`/`schedule_d` move the optimizers' learning rates over training. `num_classes`: the classes of
        labelled data (from the datamodule), for families that condition on them. `accumulate`: the micro-batches
        each batch is split into (the top-level `accumulate=`), for families that `accumulates`."""
        super().__init__()
        if not is_integer(accumulate) or accumulate < 1:
            raise ConfigError(
                f"accumulate must be a positive integer (the micro-batches each batch is split into; 1: none), got "
                f"{accumulate!r}"
            )
        if accumulate > 1 and not self.accumulates:
            raise ConfigError(
                f"{type(self).__name__} does not split its batches into micro-batches: set accumulate=1 (the noise-"
                "driven models, model=gan|dcgan|wgan|stylegan2, accumulate)"
            )
        self.accumulate = accumulate
        self.automatic_optimization = False
        self.loss = loss
        self.optimizer_g, self.optimizer_d = optimizer_g, optimizer_d
        self.data_shape = tuple(data_shape)
        if channels_last and len(self.data_shape) != 3:
            raise ConfigError(f"model.channels_last=true needs image data, got data of shape {self.data_shape}")
        # Submodules, so their state (LeCam's anchors, ADA's p, the path-length mean) travels in checkpoints.
        self.regularizers = nn.ModuleDict(regularizers or {})
        self.generator_regularizers = nn.ModuleDict(generator_regularizers or {})
        if self.generator_regularizers and self.capabilities.produces != "samples":
            raise ConfigError(
                f"{type(self).__name__} has no noise-driven generator to regularize: set generator_regularizers=[]"
            )
        if augment is not None and augment.needs_images and len(self.data_shape) != 3:
            raise ConfigError(
                f"augment={type(augment).__name__} needs image data, got data of shape {self.data_shape}: use "
                "augment=instance_noise or augment=null for point data"
            )
        self.augment = augment
        self.objective = AdversarialObjective(
            loss, self.regularizers, self.generator_regularizers, augment, class_loss_weight, class_loss_on_fakes
        )
        self.schedules = {"g": schedule_g or OptimizerSchedule(), "d": schedule_d or OptimizerSchedule()}
        # By role ("g", "d"): building the optimizers again (a second fit) replaces them.
        self.scheduled_optimizers: dict[str, tuple[torch.optim.Optimizer, OptimizerSchedule]] = {}
        self.channels_last = channels_last
        self.compile_networks = compile
        self.ema_generator: AveragedModel | None = None
        self.ema_of: str | None = None
        self.images_per_generator_update = 0
        self.num_classes = num_classes
        self.latest_losses: dict[str, Tensor | float] = {}
        self.generator_recipes: dict[str, dict[str, Any]] = {}

    def recorded_generator(self, name: str, use: str, factory: Callable[..., nn.Module], **arguments: Any) -> nn.Module:
        """`factory(**arguments)`, the generator the subclass keeps as `self.<name>`, recorded for checkpoints
        (see `generator_checkpoint`) so gansuite.artifacts.pretrained rebuilds it alone. `use`: what it does, `sample`
        (noise -> images), `a2b` / `b2a` (translates images) or `upscale`."""
        self.generator_recipes[name] = {**network_recipe(factory, arguments), "use": use}
        return factory(**arguments)

    def generator_checkpoint(self) -> dict[str, dict[str, Any]]:
        """The recorded generators with the state_dict prefix of the weights to load: the EMA's when on."""
        generators = {}
        for name, recipe in self.generator_recipes.items():
            averaged = self.ema_generator is not None and self.ema_of == name
            generators[name] = {**recipe, "state_prefix": "ema_generator.module." if averaged else f"{name}."}
        return generators

    # Both players' objective (gansuite.objective.adversarial), on the module's clock.
    def discriminator_objective(
        self, critic: nn.Module, real: Tensor, fake: Tensor, labels: Tensor | None = None
    ) -> tuple[Tensor, dict[str, Tensor]]:
        """`critic`'s loss on a real and a fake batch and the named terms to log (AdversarialObjective's
        discriminator_loss at this discriminator update and progress)."""
        return self.objective.discriminator_loss(critic, real, fake, labels, self.discriminator_updates, self.progress)

    def adversarial_generator_loss(
        self, critic: nn.Module, real: Tensor, fake: Tensor, labels: Tensor | None = None
    ) -> Tensor:
        """The generator's adversarial (and class) term on `critic`'s view of `fake` (AdversarialObjective's)."""
        return self.objective.generator_loss(critic, real, fake, labels)

    def end_batch(self, losses: dict[str, Tensor | float]) -> None:
        """What every training_step ends with. Keeps the latest value of each loss (device tensors, detached) and
        hands them all to the loggers on the batches Lightning writes logs, not on the progress bar (which reads
        its values on every batch, waiting for the device). After a generator update the EMA follows the generator.

        `gen_step`, the generator updates so far, goes into every logged row (the x of every curve) and into
        `trainer.callback_metrics` after each generator update, where checkpoint names read it. It is put there
        directly rather than through `self.log` on every batch: a profile of a toy run put each `self.log` call at
        ~1.7 ms of Lightning's bookkeeping (moving its result record to the value's device), though
        scripts/bench_overhead.py could not tell the difference from its noise (docs/benchmarks.md)."""
        self.latest_losses.update({k: v.detach() if isinstance(v, Tensor) else v for k, v in losses.items()})
        update = self.completed_generator_update
        if update is not None:
            if self.ema_generator is not None:
                self.ema_generator.update_parameters(self.generator)
            # A host tensor (a Python number would be copied to the device).
            self.trainer.callback_metrics["gen_step"] = torch.tensor(float(update))
        if writes_logs_this_batch(self.trainer):
            self.log("gen_step", torch.tensor(float(self.generator_updates)))
            self.log_dict(self.latest_losses)
            self.log("time/wall_s", torch.tensor(self.wall_seconds, dtype=torch.float64))

    # The generator EMA and sampling.
    def keep_ema_of(
        self,
        network: nn.Module,
        decay: float | None,
        half_life_images: float | None = None,
        rampup: float | None = None,
    ) -> None:
        """Keeps `ema_generator`, the exponential moving average of `network`'s weights and buffers (Karras et al.
        2018), updated after every generator update; `generate` (so grids, metrics and scripts/sample.py) uses it.
        Either a fixed `decay` per update, or StyleGAN's rule: a half-life of `half_life_images` images with the
        optional `rampup` (see gansuite.objective.schedules.ema_beta), so the average spans the same data whatever
        the batch size. A submodule, so checkpoints carry it."""
        self.ema_generator = averaged_copy(network, decay, half_life_images, rampup, self.images_seen)
        if self.ema_generator is not None:
            # AveragedModel keeps a copy: the name of the averaged network tells checkpoints whose EMA it is.
            self.ema_of = next(name for name, child in self.named_children() if child is network)

    def images_seen(self) -> tuple[int, int]:
        """Images per generator update and images seen so far: what an EMA with a half-life in images reads."""
        return self.images_per_generator_update, self.generator_updates * self.images_per_generator_update

    def generate(self, inputs: Tensor, labels: Tensor | None = None) -> Tensor:
        """Outputs of the EMA generator when on, else the generator, for `inputs` (and the `labels` of a conditional
        generator) in eval mode."""
        generator = self.generator if self.ema_generator is None else self.ema_generator
        with eval_mode(generator):
            labels = None if labels is None else labels.to(self.device)
            return with_labels(generator, labels)(inputs.to(self.device))

    def sample_noise(self, n: int) -> Tensor:
        return torch.randn(n, self.latent_dim, device=self.device)

    def sample(self, n: int) -> Tensor:
        return self.generate(self.sample_noise(n))

    # Speed: optimizers, memory layout, compilation.
    def build_optimizer(self, factory: OptimizerFactory, *networks: nn.Module) -> torch.optim.Optimizer:
        """`factory` over the parameters of `networks`, fused on CUDA when the optimizer has a fused kernel; when
        `factory` is `optimizer_g` or `optimizer_d`, the optimizer is adjusted for its player's lazy regularizers
        (`adjust_for_lazy_interval`) and follows `schedule_g` or `schedule_d`."""
        optimizer = build_optimizer(factory, [p for network in networks for p in network.parameters()])
        role = "g" if factory is self.optimizer_g else "d" if factory is self.optimizer_d else None
        if role is not None:
            regularizers = self.generator_regularizers if role == "g" else self.regularizers
            adjust_for_lazy_interval(optimizer, lazy_interval(regularizers))
        if role is not None and self.schedules[role] != OptimizerSchedule():
            self.scheduled_optimizers[role] = (optimizer, self.schedules[role])
        return optimizer

    def on_train_batch_start(self, batch: Any, batch_idx: int) -> None:
        """Sets each scheduled optimizer's learning rate (and beta2) for this batch, and counts the images a
        generator update sees (the EMA half-life is in images). A family that overrides it calls super()."""
        first = batch[0] if isinstance(batch, tuple | list) else batch
        self.images_per_generator_update = first.shape[0]
        progress = self.progress
        for optimizer, schedule in self.scheduled_optimizers.values():
            schedule.apply(optimizer, progress)

    def configure_model(self) -> None:
        """Before the optimizers are built: NHWC weights (the layout tensor cores and oneDNN convolutions run
        fastest in) and compiled network calls (state_dict keys stay those of the eager modules). The batches stay
        as the datamodule makes them (its on_after_batch_transfer is the one Lightning calls): a convolution whose
        weight is NHWC runs in NHWC and returns NHWC for a contiguous input too, so every later layer is NHWC."""
        if self.channels_last:
            self.to(memory_format=torch.channels_last)
        if self.compile_networks:
            for network in self.children():
                if any(True for _ in network.parameters()) and not isinstance(network, AveragedModel):
                    network.compile()

    def on_load_checkpoint(self, checkpoint: dict) -> None:
        check_fits(checkpoint, self)  # a checkpoint of another model or data shape: one clear line, not a traceback
        super().on_load_checkpoint(checkpoint)
