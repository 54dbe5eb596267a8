"""The adversarial objective alone (gansuite.objective): a bare PyTorch loop trains with it, it needs no Lightning,
its terms are the losses' and regularizers' own, and lazy intervals adjust their player's optimizer."""

import subprocess
import sys

import pytest
import torch
from gansuite_testing import QUIET, TINY_MLP, TINY_STYLEGAN2, TINY_TOY, compose_config

from gansuite.data.toy import ring
from gansuite.errors import ConfigError
from gansuite.metrics.mode_coverage import mode_coverage
from gansuite.modules.loading import build_model
from gansuite.modules.optimizers import adjust_for_lazy_interval
from gansuite.nets import build_discriminator, build_generator
from gansuite.objective.adversarial import AdversarialObjective
from gansuite.objective.losses import HingeLoss, NonSaturatingLoss, RelativisticPairingLoss
from gansuite.objective.regularizers import R1, R2, CriticBatch, GeneratorBatch, PathLength, Regularizer
from gansuite.run.train import train


def bare_loop(updates: int, seed: int = 0) -> torch.nn.Module:
    """The toy GAN trained by a plain loop with R3GAN's objective (RpGAN + R1 + R2, gamma 0.1, Adam 1e-3 (0, 0.99)):
    the objective is the only gansuite piece of the step."""
    torch.manual_seed(seed)
    data = ring()
    generator = build_generator("mlp", latent_dim=64, data_shape=(2,), mlp={"width": 128, "depth": 3})
    critic = build_discriminator("mlp", data_shape=(2,), mlp={"width": 128, "depth": 3})
    objective = AdversarialObjective(RelativisticPairingLoss(), regularizers={"r1": R1(0.1), "r2": R2(0.1)})
    opt_g = torch.optim.Adam(generator.parameters(), lr=1e-3, betas=(0.0, 0.99))
    opt_d = torch.optim.Adam(critic.parameters(), lr=1e-3, betas=(0.0, 0.99))
    for update in range(updates):
        real = data.sample(256)
        fake = generator(torch.randn(256, 64))
        d_loss, _ = objective.discriminator_loss(critic, real, fake.detach(), None, update, update / updates)
        opt_d.zero_grad()
        d_loss.backward()
        opt_d.step()
        g_loss = objective.generator_loss(critic, real, fake)
        opt_g.zero_grad()
        g_loss.backward()  # also reaches the critic's grads, which its next zero_grad clears
        opt_g.step()
    return generator


@pytest.mark.slow
def test_a_bare_pytorch_loop_trains_the_toy_gan_with_the_objective() -> None:
    """1000 updates, ~11 s on one core: measured 6/8 modes and 34% high quality (1500 updates: 8/8, 58%)."""
    untrained, trained = bare_loop(0), bare_loop(1000)
    data = ring()
    with torch.no_grad():
        before, after = (mode_coverage(g(torch.randn(2000, 64)), data.centers, data.std) for g in (untrained, trained))
    assert before["high_quality"] < 0.05 and before["modes"] <= 1  # all points near the origin, inside the ring
    assert after["high_quality"] > 0.25 and after["modes"] >= 5, after


def test_the_objective_runs_without_lightning() -> None:
    code = "import sys, gansuite.objective.adversarial; sys.exit('lightning' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], timeout=120).returncode == 0


def test_the_discriminator_loss_is_the_loss_plus_each_term_and_lazy_terms_skip() -> None:
    torch.manual_seed(0)
    critic = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1), torch.nn.Flatten(0))
    real, fake = torch.randn(16, 2), torch.randn(16, 2)
    r1 = R1(gamma=2.0, every=2)
    objective = AdversarialObjective(HingeLoss(), regularizers={"r1": r1})
    adversarial = HingeLoss().discriminator_loss(critic(real), critic(fake))
    loss, terms = objective.discriminator_loss(critic, real, fake, None, step=4, progress=0.0)
    batch = CriticBatch(critic, real, fake, critic(real), critic(fake), 4, 0.0)
    expected_r1 = 2.0 * (2.0 / 2) * r1.penalty(batch)  # every x gamma/2 x penalty
    torch.testing.assert_close(terms["train/r1"], expected_r1, rtol=1e-6, atol=0)
    torch.testing.assert_close(loss, adversarial + expected_r1, rtol=1e-6, atol=0)
    loss, terms = objective.discriminator_loss(critic, real, fake, None, step=5, progress=0.0)  # r1 skips odd steps
    assert terms == {} and torch.allclose(loss, adversarial)


def test_generator_regularizers_join_the_generator_loss_on_their_updates() -> None:
    torch.manual_seed(0)
    generator = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 2))
    path_length = PathLength(weight=2.0, every=3, decay=0.5)
    objective = AdversarialObjective(NonSaturatingLoss(), generator_regularizers={"path_length": path_length})
    loss = torch.tensor(1.0)
    batch = GeneratorBatch(lambda n: torch.randn(n, 4), generator, batch_size=8, step=1, progress=0.0)
    assert objective.generator_regularization(loss, batch) == (loss, {})  # step 1: not one of every 3
    batch.step = 3
    total, terms = objective.generator_regularization(loss, batch)
    assert set(terms) == {"train/g_path_length"} and total == loss + terms["train/g_path_length"]
    assert float(path_length.mean) > 0  # the running mean moved (from 0, by half: decay 0.5)


def test_a_regularizer_in_the_other_players_group_is_one_line() -> None:
    with pytest.raises(ConfigError, match="PathLength regularizes the generator, not the discriminator: move pl"):
        AdversarialObjective(NonSaturatingLoss(), regularizers={"pl": PathLength()})
    with pytest.raises(ConfigError, match="R1 regularizes the discriminator, not the generator"):
        AdversarialObjective(NonSaturatingLoss(), generator_regularizers={"r1": R1(gamma=1.0)})


def test_adjust_for_lazy_interval_is_the_official_correction() -> None:
    optimizer = torch.optim.Adam([torch.nn.Parameter(torch.zeros(1))], lr=0.002, betas=(0.0, 0.99))
    adjust_for_lazy_interval(optimizer, 16)
    assert optimizer.param_groups[0]["lr"] == pytest.approx(0.0018823529, rel=1e-7)  # stylegan2's hand-typed value
    assert optimizer.param_groups[0]["betas"] == pytest.approx((0.0, 0.990585), rel=1e-6)
    adjust_for_lazy_interval(optimizer, 1)
    assert optimizer.param_groups[0]["lr"] == pytest.approx(0.0018823529, rel=1e-7)  # interval 1: unchanged


@pytest.mark.parametrize(("r1_every", "pl_every"), [(16, 4), (8, 3)])
def test_each_players_optimizer_follows_its_configured_lazy_interval(tmp_path, r1_every: int, pl_every: int) -> None:
    tiny = [override for override in TINY_STYLEGAN2 if ".every=" not in override]
    overrides = [*tiny, f"regularizers.r1.every={r1_every}", f"generator_regularizers.path_length.every={pl_every}"]
    module = build_model(compose_config(overrides, tmp_path), (3, 8, 8))
    opt_d, opt_g = (optimizer.param_groups[0] for optimizer in module.configure_optimizers())
    for group, every in ((opt_d, r1_every), (opt_g, pl_every)):
        ratio = every / (every + 1)
        assert group["lr"] == pytest.approx(0.002 * ratio, rel=1e-12)
        assert group["betas"] == pytest.approx((0.0, 0.99**ratio), rel=1e-12)


def test_two_lazy_intervals_on_one_player_are_refused(tmp_path) -> None:
    overrides = [*TINY_STYLEGAN2, "regularizers=[r1_lazy,r2]", "regularizers.r2.every=4"]
    module = build_model(compose_config(overrides, tmp_path), (3, 8, 8))
    with pytest.raises(ConfigError, match=r"share one interval .* every=\[2, 4\]"):
        module.configure_optimizers()


class OutputMean(Regularizer):
    """The README's generator-side example: weight * (mean of fresh samples)^2."""

    player = "generator"

    def penalty(self, batch: GeneratorBatch) -> torch.Tensor:
        return batch.synthesize(batch.latents(batch.batch_size)).mean().square()


def test_a_new_generator_regularizer_is_a_class_and_its_config(tmp_path) -> None:
    """The README's "Extending" example, given on the command line instead of a YAML file: it trains and logs."""
    regularizer = ["+generator_regularizers.output_mean._target_=test_objective.OutputMean"]
    regularizer += ["+generator_regularizers.output_mean.weight=0.1"]
    toy = [override for override in TINY_TOY if not override.startswith("metrics.")]
    overrides = [*toy, *TINY_MLP, *QUIET, "steps=3", "metrics=none", "logger=csv", "trainer.log_every_n_steps=1"]
    train(compose_config([*overrides, *regularizer], tmp_path))
    log = (tmp_path / "csv" / "metrics.csv").read_text()
    assert "train/g_output_mean" in log
