"""The speed variants (on-device data, channels_last, bf16-mixed, torch.compile, sync-free step) train the same GAN.

Each variant runs a few real Trainer steps on tiny nets from the real Hydra config and must give finite losses
equal to the plain path's within a stated tolerance; the penalty under bf16 autocast is checked against float64.
"""

import os
import sys
from pathlib import Path

import lightning as L
import pytest
import torch
from gansuite_testing import TINY_CONV, compose_config
from hydra.errors import InstantiationException
from hydra.utils import instantiate
from omegaconf import OmegaConf

from gansuite.callbacks.run_config import RunConfig
from gansuite.commands.entry import user_error
from gansuite.data.batches import DeviceBatches
from gansuite.data.images import random_hflip, wants_on_device
from gansuite.errors import ConfigError
from gansuite.modules.loading import build_model, load_module

# Small conv nets on 16x16 MNIST-shaped images, in batches of 32; without labels, as the random images that stand
# in for them below have none.
TINY_MNIST = ["data=mnist", "data.image_size=16", "data.batch_size=32", "data.labels=false", *TINY_CONV]


class ReseedEachBatch(L.Callback):
    """Same noise and penalty interpolation at every batch whatever RNG draws the loader made."""

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx: int) -> None:
        torch.manual_seed(1000 + batch_idx)


class RecordLosses(L.Callback):
    def __init__(self) -> None:
        self.losses: list[dict[str, float]] = []

    def on_train_batch_end(self, trainer, pl_module, *args) -> None:
        self.losses.append({k: float(v) for k, v in trainer.callback_metrics.items() if k.startswith("train/")})


def fit_losses(tmp_path: Path, overrides: list[str], steps: int = 3, images: torch.Tensor | None = None):
    """Per-batch logged losses of a short real run (logging every batch), and the trained module."""
    cfg = compose_config([*TINY_MNIST, f"steps={steps}", "trainer.log_every_n_steps=1", *overrides], tmp_path)
    L.seed_everything(cfg.seed)
    datamodule = instantiate(cfg.data)
    if images is not None:
        datamodule.images = images  # setup keeps images it already holds
    module = build_model(cfg, datamodule.shape)
    recorder = RecordLosses()
    run_config = RunConfig(OmegaConf.to_container(cfg, resolve=True), datamodule.shape)
    trainer = instantiate(
        cfg.trainer,
        max_steps=module.optimizer_steps_for(steps),
        callbacks=[ReseedEachBatch(), recorder, run_config],
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
    )
    trainer.fit(module, datamodule=datamodule)
    return recorder.losses, module


def assert_losses_close(variant: list[dict], plain: list[dict], rtol: float, atol: float) -> None:
    assert len(variant) == len(plain) > 0
    for got, want in zip(variant, plain, strict=True):
        assert got.keys() == want.keys()
        for name, value in got.items():
            assert torch.isfinite(torch.tensor(value)), (name, got)
            assert value == pytest.approx(want[name], rel=rtol, abs=atol), (name, got, want)


def random_images(n: int = 32, size: int = 16) -> torch.Tensor:
    return torch.randint(0, 256, (n, 1, size, size), generator=torch.Generator().manual_seed(0), dtype=torch.uint8)


def test_device_batches_cover_each_epoch_once_and_split_across_ranks():
    data = torch.arange(20).view(20, 1)
    epochs = [torch.cat(list(DeviceBatches(data, batch_size=6))).flatten() for _ in range(2)]
    for epoch in epochs:
        assert len(epoch) == 18 and len(set(epoch.tolist())) == 18  # 3 full batches, no row twice
    assert not torch.equal(epochs[0], epochs[1])  # reshuffled each epoch
    torch.manual_seed(3)
    rank0 = torch.cat(list(DeviceBatches(data, 4, rank=0, world_size=2))).flatten().tolist()
    torch.manual_seed(3)  # seed_everything gives every rank the same host RNG
    rank1 = torch.cat(list(DeviceBatches(data, 4, rank=1, world_size=2))).flatten().tolist()
    assert len(rank0) == len(rank1) == 8 and not set(rank0) & set(rank1)
    with pytest.raises(ValueError, match="batch_size=30 is larger"):
        DeviceBatches(data, 30)


def test_on_device_setting_resolves_and_rejects_bad_values(tmp_path):
    images = random_images()
    assert wants_on_device(True, images, torch.device("cpu"))
    assert not wants_on_device(False, images, torch.device("cpu"))
    assert not wants_on_device("auto", images, torch.device("cpu"))  # auto is for CUDA only
    with pytest.raises(InstantiationException) as raised:
        instantiate(compose_config([*TINY_MNIST, "model=dcgan", "data.on_device=sometimes"], tmp_path).data)
    error = user_error(raised.value)  # what the CLI prints as one line
    assert isinstance(error, ConfigError) and "data.on_device must be true, false or auto" in str(error)


def test_random_hflip_mirrors_about_half_the_images():
    torch.manual_seed(0)
    images = torch.randn(200, 3, 4, 4)
    flipped = random_hflip(images)
    same = (flipped == images).flatten(1).all(1)
    mirrored = (flipped == images.flip(-1)).flatten(1).all(1)
    assert torch.all(same ^ mirrored)
    assert 70 < int(mirrored.sum()) < 130


def test_on_device_batches_train_like_the_host_loader(tmp_path):
    # One batch = the whole set, so both loaders feed the same images (in another order): equal up to float
    # summation order, within rtol 1e-4 over 4 generator updates.
    images = random_images()
    plain, _ = fit_losses(tmp_path, ["model=dcgan", "data.on_device=false"], steps=4, images=images)
    on_device, module = fit_losses(tmp_path, ["model=dcgan", "data.on_device=true"], steps=4, images=images)
    assert_losses_close(on_device, plain, rtol=1e-4, atol=1e-5)
    assert isinstance(module.trainer.train_dataloader, DeviceBatches)


def test_channels_last_trains_like_contiguous(tmp_path):
    # Convolutions in NHWC use other kernels (other summation orders): rtol 1e-4 over 3 generator updates.
    plain, _ = fit_losses(tmp_path, ["model=dcgan"])
    nhwc, module = fit_losses(tmp_path, ["model=dcgan", "model.channels_last=true"])
    assert_losses_close(nhwc, plain, rtol=1e-4, atol=1e-5)
    weight = module.discriminator.features[2].weight  # (16, 8, 4, 4): the layouts differ
    assert weight.is_contiguous(memory_format=torch.channels_last) and not weight.is_contiguous()
    # The batches reach the step as the datamodule makes them (contiguous): the first convolution turns them NHWC.
    first = module.discriminator.features[0]
    assert first(torch.randn(2, *module.data_shape)).is_contiguous(memory_format=torch.channels_last)


def test_channels_last_needs_images(tmp_path):
    cfg = compose_config(["data=ring8", "model=gan", "model.channels_last=true"], tmp_path)
    datamodule = instantiate(cfg.data)
    with pytest.raises(InstantiationException) as raised:
        build_model(cfg, datamodule.shape)
    assert "channels_last=true needs image data" in str(user_error(raised.value))


def test_bf16_mixed_wgan_gp_trains_like_float32(tmp_path):
    # bf16 matmuls and convolutions: losses of the first 2 generator updates (12 batches) within rtol 5e-2 / atol 2e-2.
    plain, _ = fit_losses(tmp_path, ["model=wgan"], steps=2)
    bf16, _ = fit_losses(tmp_path, ["model=wgan", "trainer.precision=bf16-mixed"], steps=2)
    assert_losses_close(bf16, plain, rtol=5e-2, atol=2e-2)


@pytest.mark.slow
def test_compiled_wgan_gp_trains_like_eager_and_checkpoints_cleanly(tmp_path):
    # One compile of tiny nets (~1 min on 2 cores). Inductor's fused kernels reorder float sums: rtol 1e-3.
    plain, eager = fit_losses(tmp_path, ["model=wgan"], steps=1)
    compiled_losses, compiled = fit_losses(tmp_path, ["model=wgan", "model.compile=true"], steps=1)
    assert_losses_close(compiled_losses, plain, rtol=1e-3, atol=1e-4)
    assert compiled.state_dict().keys() == eager.state_dict().keys()
    path = tmp_path / "compiled.ckpt"
    compiled.trainer.save_checkpoint(path)
    loaded, config = load_module(path)
    assert config.model.compile
    z = torch.randn(4, compiled.latent_dim)
    compiled.eval(), loaded.eval()
    with torch.no_grad():  # the eager forwards: the weights, not a second compile, are under test
        torch.testing.assert_close(loaded.generator.forward(z), compiled.generator.forward(z))


def test_fused_optimizer_is_chosen_only_on_cuda_and_unset():
    from functools import partial

    from gansuite.modules.optimizers import accepts_fused, build_optimizer

    params = [torch.nn.Parameter(torch.zeros(3))]
    assert accepts_fused(partial(torch.optim.Adam, lr=1e-3))
    assert not accepts_fused(partial(torch.optim.Adam, lr=1e-3, fused=False))
    assert build_optimizer(partial(torch.optim.Adam, lr=1e-3), params).defaults["fused"] is None  # CPU: default


HOST_READS = ("item", "tolist", "numpy", "__bool__", "__float__", "__int__", "__index__")


def from_optimizer(frame) -> bool:
    """torch's optimizers keep their step counts on the host (unless fused or capturable): reading those is free."""
    while frame is not None:
        if f"torch{os.sep}optim{os.sep}" in frame.f_code.co_filename:
            return True
        frame = frame.f_back
    return False


class CountHostReads(L.Callback):
    """Per batch (from one batch start to the next, so Lightning's loop and callbacks count too) the tensor reads
    that would wait for a GPU; and whether Lightning wrote logs on that batch."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        self.logs: bool | None = None
        self.per_batch: list[tuple[int, bool]] = []
        for name in HOST_READS:
            original = getattr(torch.Tensor, name)
            monkeypatch.setattr(torch.Tensor, name, self.counting(original))

    def counting(self, original):
        def read(tensor, *args, **kwargs):
            if not from_optimizer(sys._getframe(1)):
                self.count += 1
            return original(tensor, *args, **kwargs)

        return read

    def on_train_batch_start(self, trainer, pl_module, *args) -> None:
        if self.logs is not None:  # the previous batch, now that its logging and callbacks are done
            self.per_batch.append((self.count, self.logs))
        self.count = 0
        self.logs = trainer._logger_connector.should_update_logs

    def on_train_end(self, trainer, pl_module) -> None:
        self.per_batch.append((self.count, self.logs))


def test_training_step_reads_no_tensor_on_the_host_between_logging_batches(tmp_path, monkeypatch):
    """WGAN-GP on on-device data with the configured loggers and progress bar: host reads only when logs are due."""
    overrides = ["model=wgan", "steps=4", "trainer.log_every_n_steps=8", "data.on_device=true"]
    cfg = compose_config([*TINY_MNIST, *overrides], tmp_path)
    datamodule = instantiate(cfg.data)
    datamodule.images = random_images(640)  # 20 batches of 32: one epoch
    module = build_model(cfg, datamodule.shape)
    counter = CountHostReads(monkeypatch)
    loggers = [instantiate(c) for c in cfg.logger.values()]
    trainer = instantiate(cfg.trainer, max_steps=24, callbacks=[counter], logger=loggers, enable_checkpointing=False)
    trainer.fit(module, datamodule=datamodule)
    assert len(counter.per_batch) == 20  # 24 optimizer steps = 4 x (5 critic batches + 1 generator update)
    quiet = [count for count, logs in counter.per_batch if not logs]
    assert len(quiet) == 18 and not any(quiet), f"{counter.per_batch}"
    assert any(count for count, logs in counter.per_batch if logs)  # the counter does see the logging reads
