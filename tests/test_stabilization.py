"""The stabilization kit inside real training runs: regularizers, augmentation, relativistic losses, spectral norm,
schedules and the EMA half-life, composed from conf/ and trained through train(); and their state across a resume."""

import csv
import math
from pathlib import Path

import pytest
import torch
from gansuite_testing import QUIET, TINY_CONV, TINY_CYCLEGAN, TINY_MLP, TINY_RESNET, TINY_TOY, compose_config
from hydra.errors import InstantiationException
from lightning import Callback
from omegaconf import open_dict

from gansuite.commands.entry import user_error
from gansuite.errors import ConfigError
from gansuite.modules.loading import build_model
from gansuite.objective.augment import AdaptiveAugment
from gansuite.objective.regularizers import LeCam
from gansuite.objective.schedules import OptimizerSchedule, ema_beta
from gansuite.run.train import train

TOY_RUN = ["logger=csv", "trainer.log_every_n_steps=1", *TINY_TOY, *TINY_MLP, *QUIET]
IMAGE_RUN = ["data=cifar10_subset", "data.batch_size=8", "metrics=none", "logger=csv", "trainer.log_every_n_steps=1"]


def build_error(cfg, shape: tuple[int, ...]) -> str:
    """The one-line message of the ConfigError that building the model of `cfg` raises (Hydra wraps it)."""
    with pytest.raises(InstantiationException) as raised:
        build_model(cfg, shape)
    error = user_error(raised.value)
    assert isinstance(error, ConfigError)
    return str(error)


def logged(run_dir: Path) -> list[dict[str, str]]:
    with open(run_dir / "csv" / "metrics.csv") as f:
        return list(csv.DictReader(f))


def logged_values(run_dir: Path, key: str) -> list[float]:
    return [float(row[key]) for row in logged(run_dir) if row.get(key)]


def test_toy_run_with_every_penalty_logs_each_term(tmp_path: Path) -> None:
    regularizers = "regularizers=[r1,r2,zero_gp,lecam]"
    train(compose_config([*TOY_RUN, "steps=6", "loss=rpgan", regularizers, "augment=instance_noise"], tmp_path))
    for key in ("train/r1", "train/r2", "train/zero_gp", "train/lecam", "augment/noise_std"):
        values = logged_values(tmp_path, key)
        assert values and all(math.isfinite(v) for v in values), key
    noise = logged_values(tmp_path, "augment/noise_std")
    assert noise[0] > noise[-1]  # annealed over the run


def test_lazy_r1_is_logged_only_on_its_steps(tmp_path: Path) -> None:
    train(compose_config([*TOY_RUN, "steps=8", "regularizers=[r1]", "regularizers.r1.every=4"], tmp_path))
    rows = [row for row in logged(tmp_path) if row.get("train/d_loss")]
    # CSV rows hold the latest value of each loss; the term changes only on discriminator updates 0, 4.
    assert len({row["train/r1"] for row in rows}) == 2


@pytest.mark.parametrize("loss", ["rpgan", "ragan"])
def test_relativistic_losses_train_a_dcgan_with_diffaugment(tmp_path: Path, data_dir: Path, loss: str) -> None:
    overrides = [*IMAGE_RUN, "model=dcgan", *TINY_CONV, f"loss={loss}", "augment=diffaugment", "steps=3"]
    train(compose_config(overrides, tmp_path))
    g_losses = logged_values(tmp_path, "train/g_loss")
    assert len(g_losses) == 3 and all(math.isfinite(v) for v in g_losses)
    assert logged_values(tmp_path, "augment/p") == [1.0] * 3


def test_spectral_norm_resnet_critic_makes_a_wasserstein_loss_valid(tmp_path: Path, data_dir: Path) -> None:
    base = [*IMAGE_RUN, "model=gan", "model.generator.arch=resnet", "model.discriminator.arch=resnet", *TINY_RESNET]
    assert "needs a Lipschitz critic" in build_error(compose_config([*base, "loss=wasserstein"], tmp_path), (3, 32, 32))
    cfg = compose_config([*base, "loss=wasserstein", "model.discriminator.spectral_norm=true", "steps=2"], tmp_path)
    train(cfg)
    assert logged_values(tmp_path, "gen_step")[-1] == 2


def test_diffaugment_on_points_fails_before_training(tmp_path: Path) -> None:
    message = build_error(compose_config([*TOY_RUN, "augment=diffaugment"], tmp_path), (2,))
    assert "augment=DiffAugment needs image data" in message


def test_cyclegan_takes_the_same_regularizers_and_augmentation(tmp_path: Path, data_dir: Path) -> None:
    overrides = [*TINY_CYCLEGAN, "data=cifar_pair", "data.batch_size=2", "metrics=none", "logger=csv"]
    overrides += ["trainer.log_every_n_steps=1", "regularizers=[r1]", "augment=ada", "steps=2", *QUIET]
    train(compose_config(overrides, tmp_path))
    for key in ("train/r1_a", "train/r1_b", "augment/p_a", "augment/p_b"):
        assert len(logged_values(tmp_path, key)) == 2, key


class RecordAtFirstBatch(Callback):
    """Keeps what a resumed run starts from: the regularizers' and augmentation's state and the learning rates."""

    seen: dict[str, object] = {}

    def on_train_batch_end(self, trainer, pl_module, *args) -> None:
        if not RecordAtFirstBatch.seen:
            RecordAtFirstBatch.seen = {
                "global_step_before": pl_module.global_step - 2,  # one D and one G step per batch here
                "lr_g": trainer.optimizers[1].param_groups[0]["lr"],
            }


def test_resume_continues_the_regularizers_augmentation_and_schedules(tmp_path: Path) -> None:
    """LeCam's anchors, ADA's p and the learning-rate schedule's position come back from the checkpoint."""
    overrides = [*TOY_RUN, "regularizers=[lecam]", "augment=instance_noise", "model.schedule_g.kind=linear"]
    first = compose_config([*overrides, "steps=4"], tmp_path)
    train(first)
    checkpoint = torch.load(tmp_path / "checkpoints" / "last.ckpt", weights_only=True)
    state = checkpoint["state_dict"]
    assert bool(state["regularizers.lecam.initialized"]) and float(state["augment.sigma"]) < 0.1
    resumed = compose_config([*overrides, "steps=8", f"ckpt_path={tmp_path / 'checkpoints' / 'last.ckpt'}"], tmp_path)
    with open_dict(resumed):
        resumed.callbacks.record = {"_target_": f"{__name__}.RecordAtFirstBatch"}
    RecordAtFirstBatch.seen = {}
    train(resumed)
    assert RecordAtFirstBatch.seen["global_step_before"] == checkpoint["global_step"] == 8
    # The first resumed batch runs at progress 8/16 of the new budget: lr = 2e-4 * (1 - 0.5).
    assert RecordAtFirstBatch.seen["lr_g"] == pytest.approx(1e-4)
    module = build_model(resumed, (2,))
    module.load_state_dict(torch.load(tmp_path / "checkpoints" / "last.ckpt", weights_only=True)["state_dict"])
    lecam = module.regularizers["lecam"]
    assert isinstance(lecam, LeCam) and float(lecam.alpha_real) != float(state["regularizers.lecam.alpha_real"])


def test_ada_probability_travels_in_the_checkpoint(tmp_path: Path, data_dir: Path) -> None:
    overrides = [*IMAGE_RUN, "model=dcgan", *TINY_CONV, "augment=ada", "augment.initial_p=0.5", "steps=4"]
    train(compose_config([*overrides, "augment.interval=1", "augment.speed_images=64"], tmp_path))
    state = torch.load(tmp_path / "checkpoints" / "last.ckpt", weights_only=True)["state_dict"]
    logged_p = logged_values(tmp_path, "augment/p")
    assert float(state["augment.p"]) == pytest.approx(logged_p[-1]) and len(set(logged_p)) > 1
    module = build_model(compose_config(overrides, tmp_path), (3, 32, 32))
    module.load_state_dict(state)
    assert isinstance(module.augment, AdaptiveAugment) and float(module.augment.p) == pytest.approx(logged_p[-1])


def test_ema_half_life_counts_images(tmp_path: Path) -> None:
    """After `half_life` images the old average keeps half its weight, whatever the batch size."""
    for batch in (16, 64, 256):
        beta = ema_beta(10_000, None, batch, images_seen=10**6)
        assert beta ** (10_000 / batch) == pytest.approx(0.5, rel=1e-12)
    # Ramp-up: early on the half-life is rampup x the images seen (StyleGAN2's ema_rampup).
    assert ema_beta(10_000, 0.05, 64, images_seen=6400) == pytest.approx(0.5 ** (64 / 320))
    train(compose_config([*TOY_RUN, "steps=3", "model.ema_half_life_images=1000", "model.ema_rampup=0.05"], tmp_path))
    both = compose_config([*TOY_RUN, "model.ema_decay=0.9", "model.ema_half_life_images=10"], tmp_path)
    assert "choose one" in build_error(both, (2,))


def test_half_life_ema_follows_the_formula_in_a_module(tmp_path: Path) -> None:
    module = build_model(compose_config([*TOY_RUN, "model.ema_half_life_images=128"], tmp_path), (2,))
    module.images_per_generator_update = 64
    before = [p.detach().clone() for p in module.ema_generator.module.parameters()]
    module.ema_generator.update_parameters(module.generator)  # the first call copies
    with torch.no_grad():
        for p in module.generator.parameters():
            p.add_(1.0)
    module.ema_generator.update_parameters(module.generator)
    beta = 0.5 ** (64 / 128)
    averaged, current_weights = module.ema_generator.module.parameters(), module.generator.parameters()
    for old, new, current in zip(before, averaged, current_weights, strict=True):
        assert torch.allclose(new, beta * old + (1 - beta) * current, atol=1e-6)


@pytest.mark.parametrize(
    ("schedule", "progress", "factor"),
    [
        (OptimizerSchedule("constant"), 0.7, 1.0),
        (OptimizerSchedule("linear", final_lr_fraction=0.0), 0.25, 0.75),
        (OptimizerSchedule("cosine", final_lr_fraction=0.25), 0.5, 0.625),
        (OptimizerSchedule("cosine", final_lr_fraction=0.25), 1.0, 0.25),
        (OptimizerSchedule("linear", warmup=0.2), 0.1, 0.5),
        (OptimizerSchedule("linear", warmup=0.2), 0.6, 0.5),
    ],
)
def test_learning_rate_schedules(schedule: OptimizerSchedule, progress: float, factor: float) -> None:
    assert schedule.lr_factor(progress) == pytest.approx(factor)


def test_beta2_moves_with_the_schedule() -> None:
    optimizer = torch.optim.Adam([torch.nn.Parameter(torch.zeros(1))], lr=2e-4, betas=(0.0, 0.9))
    schedule = OptimizerSchedule("cosine", final_lr_fraction=0.25, final_beta2=0.99)
    schedule.apply(optimizer, 0.5)
    assert optimizer.param_groups[0]["betas"] == pytest.approx((0.0, 0.945))
    assert optimizer.param_groups[0]["lr"] == pytest.approx(2e-4 * 0.625)
    schedule.apply(optimizer, 1.0)
    assert optimizer.param_groups[0]["betas"] == pytest.approx((0.0, 0.99))
    with pytest.raises(ConfigError, match="unknown schedule kind 'step'"):
        OptimizerSchedule("step")


TOY_RECIPES = ["r3gan_toy", "wgan_gp_toy"]


@pytest.mark.parametrize("name", TOY_RECIPES)
def test_toy_recipes_train(tmp_path: Path, name: str) -> None:
    cfg = compose_config([f"experiment={name}", "steps=4", *TINY_TOY, *TINY_MLP, "logger=csv", *QUIET], tmp_path)
    kl = train(cfg)
    assert math.isfinite(kl)


def test_integer_betas_from_the_command_line_build_adam(tmp_path: Path) -> None:
    cfg = compose_config([*TOY_RUN, "model.optimizer_g.betas=[0,0.99]"], tmp_path)
    module = build_model(cfg, (2,))
    optimizer = module.build_optimizer(module.optimizer_g, module.generator)
    assert optimizer.defaults["betas"] == (0.0, 0.99)
