"""The adversarial base of every model family: what all of them share, so a fix here reaches them all.

It owns the generator-update clock (`steps=` and every `every_n_updates` count generator updates, while Lightning's
global_step counts optimizer steps), the sync-free loss logging, eval-mode sampling, the generator EMA, optimizer
building (fused on CUDA), channels_last and torch.compile, and the check that a checkpoint fits before it loads.
A family owns its networks and one `training_step`. Adding one is a subclass and a config file:

    class Pix2Pix(AdversarialModule):
        optimizer_steps_per_generator_update = 2      # each batch: one generator step, one discriminator step

        def __init__(self, generator, discriminator, **base):   # base: loss, optimizers, data_shape, speed
            super().__init__(**base)
            self.generator = generator(data_shape=self.data_shape)
            self.discriminator = discriminator(data_shape=self.data_shape)
            ...

        def training_step(self, batch, batch_idx):
            ... opt_g.step() ... opt_d.step() ...
            self.end_batch({"train/g_loss": g_loss, "train/d_loss": d_loss})
            return {"g_loss": g_loss.detach(), "d_loss": d_loss.detach()}   # what DivergenceGuard checks

        def configure_optimizers(self):
            return [self.build_optimizer(self.optimizer_g, self.generator), ...]

    # conf/model/pix2pix.yaml: _target_: gansuite.modules.pix2pix.Pix2Pix, plus the networks' and optimizers' keys

The step never waits for the device: `end_batch` keeps losses as detached device tensors and hands them to the
loggers only on the batches Lightning writes logs (`trainer.log_every_n_steps`), and no Python branch reads a
tensor value.
"""

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import torch
from lightning import LightningModule
from lightning.fabric.utilities.apply_func import apply_to_collection
from torch import Tensor, nn
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

from gansuite.errors import ConfigError
from gansuite.lightning_adapter import writes_logs_this_batch
from gansuite.losses import AdversarialLoss
from gansuite.modules.optimizers import OptimizerFactory, build_optimizer

# Lightning notes that the module's on_after_batch_transfer (channels_last batches) wins over the datamodule's,
# which has none: that is the intent.
warnings.filterwarnings("ignore", message="You have overridden `on_after_batch_transfer` in `LightningModule`")


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


def check_fits(checkpoint: dict[str, Any], module: nn.Module) -> None:
    """ConfigError when the checkpoint's weights do not fit `module` (another model, net size or data shape),
    naming the first difference and what the checkpoint was trained with, instead of load_state_dict's traceback."""
    saved, current = checkpoint.get("state_dict", {}), module.state_dict()
    missing = sorted(current.keys() - saved.keys())
    unexpected = sorted(saved.keys() - current.keys())
    resized = [k for k in current if k in saved and tuple(saved[k].shape) != tuple(current[k].shape)]
    if not (missing or unexpected or resized):
        return
    if resized:
        key = resized[0]
        difference = f"{key} has shape {tuple(saved[key].shape)} there but {tuple(current[key].shape)} here"
    else:
        difference = f"{(missing or unexpected)[0]} is {'missing from' if missing else 'only in'} the checkpoint"
    run = checkpoint.get("gansuite")
    origin = ""
    if run is not None:
        model = run["config"].get("model", {})
        origin = f"; it was trained with model {model.get('_target_')} on data of shape {tuple(run['data_shape'])}"
    raise ConfigError(
        f"the checkpoint does not fit this model ({difference}){origin}: pass the model and data options of the "
        "run that wrote it, or drop ckpt_path to start fresh"
    )


class AdversarialModule(LightningModule):
    """Manual optimization with the shared machinery; see the module docstring for what a subclass adds.

    A subclass sets `optimizer_steps_per_generator_update` (a class attribute or a property) and, when it keeps a
    generator EMA, calls `keep_ema_of(network, decay)` after building that network. `generate` and `sample` use
    `self.generator` (its EMA when on): families without a single generator (CycleGAN) offer their own sampling
    through `eval_mode`.
    """

    optimizer_steps_per_generator_update: int

    def __init__(
        self,
        loss: AdversarialLoss,
        optimizer_g: OptimizerFactory,
        optimizer_d: OptimizerFactory,
        data_shape: tuple[int, ...],
        channels_last: bool = False,
        compile: bool = False,
    ) -> None:
        super().__init__()
        self.automatic_optimization = False
        self.loss = loss
        self.optimizer_g, self.optimizer_d = optimizer_g, optimizer_d
        self.data_shape = tuple(data_shape)
        if channels_last and len(self.data_shape) != 3:
            raise ConfigError(f"model.channels_last=true needs image data, got data of shape {self.data_shape}")
        self.channels_last = channels_last
        self.compile_networks = compile
        self.ema_generator: AveragedModel | None = None
        self.latest_losses: dict[str, Tensor | float] = {}

    # The generator-update clock.
    @property
    def generator_updates(self) -> int:
        """Generator updates made so far: Lightning's global_step counts every optimizer step, so this survives a
        resume without state of its own."""
        return self.global_step // self.optimizer_steps_per_generator_update

    @property
    def completed_generator_update(self) -> int | None:
        """The generator-update count when the batch that just ran completed a generator update, else None."""
        if self.global_step == 0 or self.global_step % self.optimizer_steps_per_generator_update:
            return None
        return self.generator_updates

    def end_batch(self, losses: dict[str, Tensor | float]) -> None:
        """What every training_step ends with. Keeps the latest value of each loss (device tensors, detached) and
        hands them all to the loggers on the batches Lightning writes logs, not on the progress bar (which reads
        its values on every batch, waiting for the device). After a generator update the EMA follows the generator
        and `gen_step` is logged."""
        self.latest_losses.update({k: v.detach() if isinstance(v, Tensor) else v for k, v in losses.items()})
        update = self.completed_generator_update
        if update is not None:
            if self.ema_generator is not None:
                self.ema_generator.update_parameters(self.generator)
            # A host tensor (a Python number would be copied to the device): checkpoint names read it.
            self.log("gen_step", torch.tensor(float(update)))
        if writes_logs_this_batch(self.trainer):
            self.log_dict(self.latest_losses)

    # The generator EMA and sampling.
    def keep_ema_of(self, network: nn.Module, decay: float | None) -> None:
        """With a decay, keeps `ema_generator`, the exponential moving average of `network`'s weights and buffers
        (Karras et al. 2018), updated after every generator update; `generate` (so grids, metrics and
        scripts/sample.py) uses it. A submodule, so checkpoints carry it."""
        if not decay:
            return
        if not 0 < decay < 1:
            raise ConfigError(f"model.ema_decay must be in (0, 1) (e.g. 0.999) or null to turn EMA off, got {decay}")
        self.ema_generator = AveragedModel(network, multi_avg_fn=get_ema_multi_avg_fn(decay), use_buffers=True)
        self.ema_generator.requires_grad_(False)

    def generate(self, inputs: Tensor) -> Tensor:
        """Outputs of the EMA generator when on, else the generator, for `inputs` in eval mode."""
        generator = self.generator if self.ema_generator is None else self.ema_generator
        with eval_mode(generator):
            return generator(inputs.to(self.device))

    def sample_noise(self, n: int) -> Tensor:
        return torch.randn(n, self.latent_dim, device=self.device)

    def sample(self, n: int) -> Tensor:
        return self.generate(self.sample_noise(n))

    # Speed: optimizers, memory layout, compilation.
    @staticmethod
    def build_optimizer(factory: OptimizerFactory, *networks: nn.Module) -> torch.optim.Optimizer:
        """`factory` over the parameters of `networks`, fused on CUDA when the optimizer has a fused kernel."""
        return build_optimizer(factory, [p for network in networks for p in network.parameters()])

    def configure_model(self) -> None:
        """Before the optimizers are built: NHWC weights (the layout tensor cores and oneDNN convolutions run
        fastest in) and compiled network calls (state_dict keys stay those of the eager modules)."""
        if self.channels_last:
            self.to(memory_format=torch.channels_last)
        if self.compile_networks:
            for network in self.children():
                if any(True for _ in network.parameters()) and not isinstance(network, AveragedModel):
                    network.compile()

    def on_after_batch_transfer(self, batch: Any, dataloader_idx: int) -> Any:
        if not self.channels_last:
            return batch
        return apply_to_collection(
            batch, Tensor, lambda t: t.contiguous(memory_format=torch.channels_last) if t.dim() == 4 else t
        )

    def on_load_checkpoint(self, checkpoint: dict) -> None:
        check_fits(checkpoint, self)  # a checkpoint of another model or data shape: one clear line, not a traceback
