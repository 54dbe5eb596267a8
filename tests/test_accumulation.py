"""Gradient accumulation (`accumulate=k`, gansuite.objective.accumulation): one update from k micro-batches equals
one update from the whole batch, in float64 through networks without batch statistics, for each loss and regularizer;
the state that follows batches (ADA, LeCam, the path-length mean) moves once per update; the clock counts updates."""

from pathlib import Path

import pytest
import torch
from gansuite_testing import QUIET, TINY_CONV, TINY_CYCLEGAN, TINY_MLP, TINY_STYLEGAN2, compose_config
from hydra.errors import InstantiationException
from lightning import Trainer
from torch import Tensor, nn
from torch.utils.data import DataLoader, TensorDataset

from gansuite.commands.entry import user_error
from gansuite.errors import ConfigError
from gansuite.modules.gan import random_states, replaying
from gansuite.modules.loading import build_model
from gansuite.nets import build_generator
from gansuite.objective.accumulation import split_batch
from gansuite.objective.adversarial import AdversarialObjective
from gansuite.objective.augment import AdaptiveAugment
from gansuite.objective.losses import HingeLoss, NonSaturatingLoss
from gansuite.objective.regularizers import BalancedConsistency, GeneratorBatch, LeCam, PathLength, path_lengths
from gansuite.run.train import train

F64 = torch.float64
BATCH, MICRO_BATCHES = 64, 4
#: The issue's bound: float64 gradients of k micro-batches and of the whole batch agree to 1e-6 (relative); they
#: differ only by the order of float64 sums, around 1e-15.
EXACT = {"rtol": 1e-6, "atol": 1e-12}


def one_update_gradients(
    tmp_path: Path, overrides: list[str], accumulate: int, num_classes: int | None = None
) -> dict[str, Tensor]:
    """Every parameter's gradient after one generator update of the toy GAN of `overrides` at batch 64 (the critic's
    from its update, the generator's from its own), trained in float64 by a real Trainer from the same weights, data
    and random draws whatever `accumulate` is."""
    cfg = compose_config([*TINY_MLP, f"accumulate={accumulate}", *overrides], tmp_path)
    torch.manual_seed(0)
    module = build_model(cfg, (2,), num_classes)
    points = torch.randn(BATCH, 2)
    data = points if num_classes is None else TensorDataset(points, torch.arange(BATCH) % num_classes)
    trainer = Trainer(
        max_steps=module.optimizer_steps_for(1),
        precision="64-true",
        accelerator="cpu",
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
    )
    trainer.fit(module, DataLoader(data, batch_size=BATCH))
    assert module.generator_updates == 1 and trainer.global_step == module.optimizer_steps_for(1)
    gradients = {name: parameter.grad for name, parameter in module.named_parameters()}
    assert all(gradient.dtype == F64 for gradient in gradients.values())
    return gradients


@pytest.mark.parametrize(
    ("loss", "regularizers", "extra"),
    [
        ("nonsaturating", "[r1,gp]", []),  # the number: R1 and GP on
        ("minimax", "[r2]", []),
        ("hinge", "[zero_gp]", []),
        ("wasserstein", "[gp]", []),
        ("lsgan", "[r1_lazy]", []),
        ("rpgan", "[r1,r2]", []),
        ("nonsaturating", "[r1]", ["model.conditioning=acgan", "model.class_loss_on_fakes=true"]),
    ],
)
def test_micro_batches_give_the_whole_batchs_gradients(tmp_path, loss, regularizers, extra) -> None:
    """One update at batch 64 and four micro-batches of 16: the same float64 gradients for both players to 1e-6.
    The noise is drawn once for the batch; the interpolates' draws come in the same order (CPU generator)."""
    overrides = [f"loss={loss}", f"regularizers={regularizers}", *extra]
    num_classes = 4 if extra else None
    whole = one_update_gradients(tmp_path / "whole", overrides, 1, num_classes)
    split = one_update_gradients(tmp_path / "split", overrides, MICRO_BATCHES, num_classes)
    assert any(name.startswith("discriminator.") for name in whole) and any(g.abs().sum() > 0 for g in whole.values())
    for name, gradient in whole.items():
        torch.testing.assert_close(split[name], gradient, **EXACT, msg=lambda m, name=name: f"{name}: {m}")


def gradients(network: nn.Module) -> list[Tensor | None]:
    """`network`'s gradients, copied (None for a parameter the loss does not reach)."""
    return [None if parameter.grad is None else parameter.grad.clone() for parameter in network.parameters()]


def critic_gradients(
    objective: AdversarialObjective, critic: nn.Module, real: Tensor, fake: Tensor, count: int
) -> list[Tensor]:
    """The critic's gradients of one discriminator update through `objective` from `count` micro-batches, as
    GAN.training_step makes it in plain torch."""
    critic.zero_grad(set_to_none=True)
    with objective.accumulating("discriminator", count) as update:
        for real_part, fake_part in split_batch(count, real, fake):
            loss, terms = objective.discriminator_loss(critic, real_part, fake_part, None, step=0, progress=0.0)
            update.add(loss, terms).backward()
    return gradients(critic)


def point_critic() -> nn.Module:
    return nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 1), nn.Flatten(0)).to(F64)


def test_balanced_consistency_accumulates_exactly() -> None:
    """bCR with a deterministic transform (a reflection; DiffAugment's draws differ per micro-batch)."""
    torch.manual_seed(0)
    critic, real, fake = point_critic(), torch.randn(BATCH, 2, dtype=F64), torch.randn(BATCH, 2, dtype=F64)
    objective = AdversarialObjective(NonSaturatingLoss(), {"bcr": BalancedConsistency(lambda x: x.flip(-1))})
    whole = critic_gradients(objective, critic, real, fake, 1)
    for split, expected in zip(critic_gradients(objective, critic, real, fake, MICRO_BATCHES), whole, strict=True):
        torch.testing.assert_close(split, expected, **EXACT)


def lecam_with_anchors(real_anchor: float, fake_anchor: float) -> LeCam:
    lecam = LeCam(weight=0.3, decay=0.9)
    lecam.alpha_real.fill_(real_anchor)
    lecam.alpha_fake.fill_(fake_anchor)
    lecam.initialized.fill_(True)
    return lecam


def test_lecam_micro_batches_use_the_previous_anchors_and_move_them_once_by_the_whole_batch() -> None:
    """The documented semantics of accumulated LeCam: every micro-batch's penalty against the anchors the previous
    update left (the closed form below, on the whole batch), then one move of the anchors, to where one batch of 64
    moves them."""
    torch.manual_seed(0)
    critic, real, fake = point_critic(), torch.randn(BATCH, 2, dtype=F64), torch.randn(BATCH, 2, dtype=F64) + 1
    accumulated = lecam_with_anchors(0.2, -0.1)
    split = critic_gradients(AdversarialObjective(HingeLoss(), {"lecam": accumulated}), critic, real, fake, 4)
    critic.zero_grad(set_to_none=True)
    real_scores, fake_scores = critic(real), critic(fake)
    real_anchor, fake_anchor = (torch.tensor(anchor).to(F64) for anchor in (0.2, -0.1))  # the float32 buffers' values
    penalty = (real_scores - fake_anchor).relu().pow(2).mean() + (real_anchor - fake_scores).relu().pow(2).mean()
    (HingeLoss().discriminator_loss(real_scores, fake_scores) + 0.3 * penalty).backward()
    for gradient, parameter in zip(split, critic.parameters(), strict=True):
        torch.testing.assert_close(gradient, parameter.grad, **EXACT)
    whole = lecam_with_anchors(0.2, -0.1)
    whole.update(real_scores, fake_scores)  # where one whole batch moves them
    torch.testing.assert_close(accumulated.alpha_real, whole.alpha_real, rtol=1e-6, atol=0)
    torch.testing.assert_close(accumulated.alpha_fake, whole.alpha_fake, rtol=1e-6, atol=0)


def test_lecam_first_accumulated_update_sets_the_anchors_to_the_whole_batchs_means() -> None:
    torch.manual_seed(0)
    critic, real, fake = point_critic(), torch.randn(BATCH, 2, dtype=F64), torch.randn(BATCH, 2, dtype=F64) + 1
    lecam = LeCam()
    gradients = critic_gradients(AdversarialObjective(HingeLoss(), {"lecam": lecam}), critic, real, fake, 4)
    assert all(torch.isfinite(g).all() for g in gradients) and bool(lecam.initialized)
    with torch.no_grad():
        expected = (critic(real).mean(), critic(fake).mean())
    torch.testing.assert_close((lecam.alpha_real, lecam.alpha_fake), expected, rtol=1e-6, atol=0, check_dtype=False)


def image_critic() -> nn.Module:
    return nn.Sequential(nn.Flatten(), nn.Linear(3 * 8 * 8, 1), nn.Flatten(0)).to(F64)


def test_ada_counts_one_step_per_update_and_adds_every_micro_batchs_statistics() -> None:
    """ADA at p = 0 (the inputs pass unchanged, so both ways see the same images): after each update its
    statistics, step count and p are the whole batch's, and p moves only at the interval's end, once."""
    torch.manual_seed(0)
    critic = image_critic()
    real, fake = torch.randn(BATCH, 3, 8, 8, dtype=F64), torch.randn(BATCH, 3, 8, 8, dtype=F64)
    # target -0.99: r_t is above it, so p rises at the interval's end by the interval's images / speed_images.
    augments = {count: AdaptiveAugment(target=-0.99, interval=2, speed_images=1000) for count in (1, MICRO_BATCHES)}
    for update in range(2):
        whole, split = (
            critic_gradients(AdversarialObjective(HingeLoss(), augment=augments[count]), critic, real, fake, count)
            for count in (1, MICRO_BATCHES)
        )
        for split_gradient, whole_gradient in zip(split, whole, strict=True):
            torch.testing.assert_close(split_gradient, whole_gradient, **EXACT)
        whole_state, split_state = (augments[count].state_dict() for count in (1, MICRO_BATCHES))
        assert all(torch.equal(split_state[name], value) for name, value in whole_state.items()), split_state
        assert int(augments[MICRO_BATCHES].steps) == 1 - update  # one step per update, reset at the interval's end
    assert float(augments[MICRO_BATCHES].p) == pytest.approx(2 * BATCH / 1000)  # moved once, by the 128 images


def test_path_length_micro_batches_use_the_previous_mean_and_move_it_once() -> None:
    """The path-length penalty from micro-batches (half of each, as config-f) with the same latents and the same
    projection noise: the gradient of the whole batch's penalty against the mean the previous update left, and one
    move of the mean by all the lengths. Plain noise latents: the lengths are taken with respect to them."""
    torch.manual_seed(0)
    generator = build_generator("mlp", latent_dim=4, data_shape=(2,), mlp={"width": 16, "depth": 2}).to(F64)
    latents = torch.randn(BATCH // 2, 4, dtype=F64)
    micro_batch_latents = iter(latents.split(BATCH // 2 // MICRO_BATCHES))

    def next_latents(n: int) -> Tensor:
        assert n == BATCH // 2 // MICRO_BATCHES  # half of each micro-batch
        return next(micro_batch_latents).clone()

    regularizer = PathLength(weight=2.0, every=1, decay=0.01)
    regularizer.mean.fill_(0.5)
    objective = AdversarialObjective(NonSaturatingLoss(), generator_regularizers={"path_length": regularizer})
    generator.zero_grad(set_to_none=True)
    torch.manual_seed(1)
    with objective.accumulating("generator", MICRO_BATCHES) as update:
        for _ in range(MICRO_BATCHES):
            batch = GeneratorBatch(next_latents, generator, BATCH // MICRO_BATCHES, step=0, progress=0.0)
            loss, terms = objective.generator_regularization(torch.zeros((), dtype=F64), batch)
            update.add(loss, terms).backward()
    split = gradients(generator)
    generator.zero_grad(set_to_none=True)
    torch.manual_seed(1)
    whole_latents = latents.clone().requires_grad_(True)
    lengths = path_lengths(generator(whole_latents), whole_latents)
    (2.0 * (lengths - 0.5).square().mean()).backward()
    whole = gradients(generator)
    assert any(gradient is not None for gradient in whole)
    for split_gradient, whole_gradient in zip(split, whole, strict=True):
        assert (split_gradient is None) == (whole_gradient is None)
        if whole_gradient is not None:
            torch.testing.assert_close(split_gradient, whole_gradient, **EXACT)
    expected_mean = torch.tensor(0.5, dtype=F64).lerp(lengths.detach().mean(), 0.01)
    torch.testing.assert_close(regularizer.mean, expected_mean, rtol=1e-6, atol=0, check_dtype=False)


@pytest.mark.parametrize(
    "model",
    [
        ["model=dcgan", "model.discriminator.conv.norm=none", "regularizers=[r1]", *TINY_CONV],
        # Its generator draws noise inputs (replayed for its own update) and it regularizes its path lengths.
        TINY_STYLEGAN2,
    ],
    ids=["dcgan", "stylegan2"],
)
def test_a_run_with_micro_batches_ends_at_its_generator_update_count(tmp_path, data_dir, model) -> None:
    """Real runs on tiny images: 2 generator updates of 2 micro-batches each are 4 optimizer steps, as without them,
    and the checkpoint is named by the generator update."""
    overrides = [
        *model, "accumulate=2", "steps=2", "data=cifar10_subset", "data.image_size=16", "data.batch_size=8",
        "metrics=none", "logger=csv", *QUIET,
    ]  # fmt: skip
    train(compose_config(overrides, tmp_path))
    checkpoint = torch.load(tmp_path / "checkpoints" / "last.ckpt", weights_only=False)
    assert checkpoint["global_step"] == 4
    assert sorted(path.name for path in (tmp_path / "checkpoints").iterdir()) == ["gen_step_000002.ckpt", "last.ckpt"]
    assert all(torch.isfinite(tensor.float()).all() for tensor in checkpoint["state_dict"].values())


def build_error(overrides: list[str], data_shape: tuple[int, ...], tmp_path: Path) -> str:
    """The one-line message of the ConfigError that building the model of `overrides` (for data of 4 classes)
    raises."""
    with pytest.raises(InstantiationException) as raised:
        build_model(compose_config(overrides, tmp_path), data_shape, num_classes=4)
    error = user_error(raised.value)
    assert isinstance(error, ConfigError) and "\n" not in str(error)
    return str(error)


@pytest.mark.parametrize(
    ("overrides", "data_shape", "fix"),
    [
        (["accumulate=0", *TINY_MLP], (2,), "positive integer"),
        (["accumulate=1.5", *TINY_MLP], (2,), "positive integer"),
        (["accumulate=2", "loss=ragan", *TINY_MLP], (2,), "loss=rpgan"),
        (["accumulate=2", "model.feature_matching=1.0", *TINY_MLP], (2,), "model.feature_matching=0"),
        (["accumulate=2", "model.conditioning=reacgan", *TINY_MLP], (2,), "model.conditioning=acgan"),
        (["accumulate=2", *TINY_CYCLEGAN], (3, 16, 16), "set accumulate=1"),
    ],
)
def test_accumulation_it_cannot_do_is_one_line(tmp_path, overrides, data_shape, fix) -> None:
    assert fix in build_error(overrides, data_shape, tmp_path)


def test_replaying_draws_the_same_numbers_and_leaves_the_later_draws_alone() -> None:
    """What makes a micro-batch's fakes again on the generator's turn: the same draws as when they were made for the
    critic, and the draws after as if they had not been made again."""
    torch.manual_seed(0)
    states = random_states(torch.device("cpu"))
    first = torch.randn(5)
    with replaying(states, torch.device("cpu")):
        again = torch.randn(5)
    after = torch.randn(3)
    torch.manual_seed(0)
    torch.randn(5)
    assert torch.equal(again, first) and torch.equal(after, torch.randn(3))


def test_a_batch_that_does_not_split_evenly_is_one_line() -> None:
    with pytest.raises(ConfigError, match="set data.batch_size to a multiple of 3"):
        split_batch(3, torch.zeros(64, 2), None)
    parts = split_batch(4, torch.arange(8), None)
    assert [part[0].tolist() for part in parts] == [[0, 1], [2, 3], [4, 5], [6, 7]] and parts[0][1] is None
