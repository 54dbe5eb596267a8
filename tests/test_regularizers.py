"""Each discriminator regularizer against a closed form or a float64 finite-difference reference, and the shared
weight / schedule / lazy-interval wrapper against its definition."""

import math
from collections.abc import Callable

import pytest
import torch
from torch import Tensor

from gansuite.errors import ConfigError
from gansuite.objective.regularizers import (
    R1,
    R2,
    BalancedConsistency,
    CriticBatch,
    GradientPenalty,
    LeCam,
    Regularizer,
    ZeroCenteredGradientPenalty,
)

F64 = torch.float64


def make_batch(
    critic: Callable[[Tensor], Tensor], real: Tensor, fake: Tensor, step: int = 0, progress: float = 0.0
) -> CriticBatch:
    """A batch as the training step builds it: detached inputs, scores with their graph."""
    real, fake = real.detach(), fake.detach()
    return CriticBatch(critic, real, fake, critic(real), critic(fake), step, progress)


def mlp_critic(dim: int = 3, dtype: torch.dtype = F64) -> torch.nn.Module:
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(dim, 16), torch.nn.Tanh(), torch.nn.Linear(16, 1)).to(dtype)


def linear_critic(weight: list[float], dtype: torch.dtype = F64) -> torch.nn.Linear:
    critic = torch.nn.Linear(len(weight), 1).to(dtype)
    with torch.no_grad():
        critic.weight.copy_(torch.tensor([weight], dtype=dtype))
        critic.bias.fill_(0.25)
    return critic


def finite_difference_gradients(critic: Callable[[Tensor], Tensor], points: Tensor, eps: float = 1e-6) -> Tensor:
    """grad_x critic(x) for each row of `points` by central differences (float64)."""
    grads = torch.zeros_like(points)
    with torch.no_grad():
        for j in range(points.shape[1]):
            step = torch.zeros_like(points)
            step[:, j] = eps
            grads[:, j] = (critic(points + step) - critic(points - step)).reshape(-1) / (2 * eps)
    return grads


def seeded_interpolates(real: Tensor, fake: Tensor, seed: int) -> Tensor:
    """The interpolates GradientPenalty draws after torch.manual_seed(seed): a ~ U(0, 1) per sample, first."""
    torch.manual_seed(seed)
    alpha = torch.rand(real.shape[0], *([1] * (real.dim() - 1)), dtype=real.dtype)
    return alpha * real + (1 - alpha) * fake


# --- the gradient penalties against closed forms and finite differences ---

QUADRATIC_WEIGHTS = torch.tensor([0.5, -1.5, 2.0], dtype=F64)


def quadratic_critic(x: Tensor) -> Tensor:
    """D(x) = sum(w * x^2): its input gradient is 2 w x, known in closed form."""
    return (QUADRATIC_WEIGHTS * x**2).sum(1)


def test_r1_r2_match_the_closed_form_of_a_quadratic_critic():
    """D(x) = sum(w * x^2) has grad 2 w x, so E||grad||^2 = E sum(4 w^2 x^2) (tolerance 1e-10, float64)."""
    w, critic = QUADRATIC_WEIGHTS, quadratic_critic
    torch.manual_seed(0)
    real, fake = torch.randn(6, 3, dtype=F64), torch.randn(6, 3, dtype=F64)
    batch = make_batch(critic, real, fake)
    for regularizer, points in ((R1(gamma=10.0), real), (R2(gamma=10.0), fake)):
        expected = (4 * w**2 * points**2).sum(1).mean().item()
        assert regularizer.penalty(batch).item() == pytest.approx(expected, abs=1e-10)
        # The term is gamma/2 times the penalty: the `gamma` of Mescheder et al.
        assert regularizer(batch).item() == pytest.approx(5.0 * expected, abs=1e-10)
        assert regularizer.last_penalty.item() == pytest.approx(expected, abs=1e-10)


def test_zero_centered_gp_matches_the_closed_form_of_a_quadratic_critic():
    w, critic = QUADRATIC_WEIGHTS, quadratic_critic
    torch.manual_seed(0)
    real, fake = torch.randn(6, 3, dtype=F64), torch.randn(6, 3, dtype=F64)
    batch = make_batch(critic, real, fake)
    points = seeded_interpolates(real, fake, seed=3)
    expected = (4 * w**2 * points**2).sum(1).mean().item()
    torch.manual_seed(3)
    assert ZeroCenteredGradientPenalty(weight=1.0).penalty(batch).item() == pytest.approx(expected, abs=1e-10)


def test_penalties_of_a_linear_critic_are_closed_forms():
    """A linear critic's input gradient is its weight w everywhere: WGAN-GP gives (||w|| - 1)^2, 0-GP ||w||^2."""
    critic = linear_critic([3.0, 4.0])  # ||w|| = 5
    torch.manual_seed(0)
    batch = make_batch(critic, torch.randn(8, 2, dtype=F64), torch.randn(8, 2, dtype=F64))
    assert GradientPenalty().penalty(batch).item() == pytest.approx(16.0, abs=1e-10)
    assert ZeroCenteredGradientPenalty(weight=1.0).penalty(batch).item() == pytest.approx(25.0, abs=1e-10)
    assert GradientPenalty(weight=10.0)(batch).item() == pytest.approx(160.0, abs=1e-9)


@pytest.mark.parametrize("kind", ["r1", "r2", "zero_centered", "wgan_gp"])
def test_penalties_match_finite_differences_on_an_mlp_critic(kind):
    """Autograd's input gradients vs central differences (step 1e-6) in float64, tolerance 1e-6 relative."""
    critic = mlp_critic()
    torch.manual_seed(1)
    real, fake = torch.randn(5, 3, dtype=F64), torch.randn(5, 3, dtype=F64)
    batch = make_batch(critic, real, fake)
    regularizer, points = {
        "r1": (R1(gamma=1.0), real),
        "r2": (R2(gamma=1.0), fake),
        "zero_centered": (ZeroCenteredGradientPenalty(weight=1.0), seeded_interpolates(real, fake, seed=2)),
        "wgan_gp": (GradientPenalty(), seeded_interpolates(real, fake, seed=2)),
    }[kind]
    norms = finite_difference_gradients(critic, points).norm(dim=1)
    expected = ((norms - 1) ** 2).mean() if kind == "wgan_gp" else (norms**2).mean()
    torch.manual_seed(2)
    assert regularizer.penalty(batch).item() == pytest.approx(expected.item(), rel=1e-6)


@pytest.mark.parametrize(
    "regularizer",
    [R1(gamma=1.0), R2(gamma=1.0), ZeroCenteredGradientPenalty(weight=1.0), GradientPenalty()],
    ids=lambda r: type(r).__name__,
)
def test_gradient_penalties_train_the_critic(regularizer):
    """The penalty keeps its graph (create_graph), so its term sends gradients to every weight of the critic."""
    critic = mlp_critic(dtype=torch.float32)
    torch.manual_seed(1)
    regularizer(make_batch(critic, torch.randn(8, 3), torch.randn(8, 3))).backward()
    for parameter in (critic[0].weight, critic[2].weight):
        assert parameter.grad is not None and parameter.grad.abs().sum() > 0


def test_lipschitz_flag_is_set_only_by_wgan_gp():
    assert GradientPenalty.lipschitz
    assert not any(
        cls.lipschitz for cls in (R1, R2, ZeroCenteredGradientPenalty, LeCam, BalancedConsistency, Regularizer)
    )


# --- GradientPenalty reproduces the former gansuite.objective.losses.gradient_penalty ---


def former_gradient_penalty(critic: Callable[[Tensor], Tensor], real: Tensor, fake: Tensor) -> Tensor:
    """The body of the deleted `gansuite.objective.losses.gradient_penalty`, kept here as the reference."""
    alpha = torch.rand(real.shape[0], *([1] * (real.dim() - 1)), device=real.device, dtype=real.dtype)
    interpolates = (alpha * real.detach() + (1.0 - alpha) * fake.detach()).requires_grad_(True)
    scores = critic(interpolates)
    (grads,) = torch.autograd.grad(scores.sum(), interpolates, create_graph=True)
    norms = grads.flatten(1).float().norm(2, dim=1)
    return ((norms - 1.0) ** 2).mean()


def test_gradient_penalty_reproduces_the_former_function_under_one_seed():
    """Same draw order (the interpolation weights first), same float32 norm: bit-identical in float32."""
    torch.manual_seed(0)
    critic = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))
    real, fake = torch.randn(4, 3), torch.randn(4, 3)
    torch.manual_seed(1)
    penalty = GradientPenalty().penalty(make_batch(critic, real, fake))
    torch.manual_seed(1)
    assert torch.equal(penalty, former_gradient_penalty(critic, real, fake))
    # The value the former function returned for this seed (float32 CPU; 1e-6 relative for other BLAS builds).
    assert penalty.item() == pytest.approx(0.3841972351074219, rel=1e-6)


def test_gradient_penalty_reproduces_the_former_function_on_images():
    """Image batches draw one weight per sample (shape N x 1 x 1 x 1), as before."""
    torch.manual_seed(0)
    weight = torch.randn(1, 2, 4, 4)

    def critic(x: Tensor) -> Tensor:
        return (weight * x).flatten(1).sum(1) + (x**2).flatten(1).sum(1)

    real, fake = torch.randn(5, 2, 4, 4), torch.randn(5, 2, 4, 4)
    torch.manual_seed(7)
    penalty = GradientPenalty().penalty(make_batch(critic, real, fake))
    torch.manual_seed(7)
    assert torch.equal(penalty, former_gradient_penalty(critic, real, fake))


def test_gradient_penalty_is_zero_for_a_unit_gradient_critic():
    """A linear critic with a unit-norm weight has gradient norm exactly 1 everywhere (tolerance 1e-6, float32)."""
    critic = torch.nn.Linear(2, 1, bias=False)
    with torch.no_grad():
        critic.weight.copy_(torch.tensor([[0.6, 0.8]]))
    batch = make_batch(critic, torch.randn(16, 2), torch.randn(16, 2))
    assert GradientPenalty().penalty(batch).item() == pytest.approx(0.0, abs=1e-6)


def test_gradient_penalty_under_bf16_autocast_is_computed_in_float32():
    """Under bfloat16 autocast the norms are taken in float32; the penalty stays within 5% of float64's."""
    critic = mlp_critic(dim=8, dtype=torch.float32)
    torch.manual_seed(1)
    real, fake = torch.randn(16, 8), torch.randn(16, 8)
    torch.manual_seed(2)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        penalty = GradientPenalty().penalty(make_batch(critic, real, fake))
    torch.manual_seed(2)
    reference = GradientPenalty().penalty(make_batch(critic.double(), real.double(), fake.double()))
    assert penalty.dtype == torch.float32 and torch.isfinite(penalty)
    assert penalty.item() == pytest.approx(reference.item(), rel=5e-2)


def test_interpolating_batches_of_different_shapes_is_rejected():
    critic = linear_critic([1.0, 1.0])
    batch = make_batch(critic, torch.zeros(4, 2, dtype=F64), torch.zeros(3, 2, dtype=F64))
    with pytest.raises(ValueError, match="one shape"):
        GradientPenalty().penalty(batch)


# --- weight, schedule and lazy interval ---


@pytest.mark.parametrize("make", [lambda every: R1(gamma=2.0, every=every), lambda every: R2(gamma=2.0, every=every)])
def test_lazy_terms_sum_to_the_eager_terms(make):
    """every=4 applies 4x the term on one step in four: over 4 steps it sums to the eager terms (1e-12, float64)."""
    critic = mlp_critic()
    torch.manual_seed(1)
    real, fake = torch.randn(5, 3, dtype=F64), torch.randn(5, 3, dtype=F64)
    lazy, eager = make(4), make(1)
    lazy_terms = [lazy(make_batch(critic, real, fake, step=step)) for step in range(4)]
    eager_terms = [eager(make_batch(critic, real, fake, step=step)) for step in range(4)]
    assert lazy_terms[0] is not None and lazy_terms[1:] == [None, None, None]
    assert all(term is not None for term in eager_terms)
    assert lazy_terms[0].item() == pytest.approx(sum(term.item() for term in eager_terms), abs=1e-12)
    # The next interval starts at step 4.
    assert lazy(make_batch(critic, real, fake, step=4)) is not None


def test_cosine_schedule_anneals_from_weight_to_final_weight():
    regularizer = GradientPenalty(weight=10.0, schedule="cosine", final_weight=2.0)
    assert regularizer.weight_at(0.0) == pytest.approx(10.0, abs=1e-12)
    assert regularizer.weight_at(1.0) == pytest.approx(2.0, abs=1e-12)
    assert regularizer.weight_at(0.5) == pytest.approx(6.0, abs=1e-12)
    assert regularizer.weight_at(0.25) == pytest.approx(2.0 + 8.0 * (1 + math.cos(math.pi / 4)) / 2, abs=1e-12)
    # Progress outside 0..1 (a run extended past its budget) holds the end value.
    assert regularizer.weight_at(1.5) == pytest.approx(2.0, abs=1e-12)
    # R1's schedule is in gamma: the weight is half of it.
    r1 = R1(gamma=10.0, schedule="cosine", final_gamma=1.0)
    assert (r1.weight_at(0.0), r1.weight_at(1.0)) == pytest.approx((5.0, 0.5), abs=1e-12)


def test_constant_schedule_ignores_progress_and_forward_reads_it():
    critic = linear_critic([3.0, 4.0])
    batch = make_batch(critic, torch.zeros(2, 2, dtype=F64), torch.ones(2, 2, dtype=F64), progress=0.5)
    assert GradientPenalty(weight=10.0).weight_at(0.9) == 10.0
    annealed = GradientPenalty(weight=10.0, schedule="cosine", final_weight=2.0)
    assert annealed(batch).item() == pytest.approx(6.0 * 16.0, abs=1e-9)  # weight 6 at mid-training


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: GradientPenalty(weight=-1.0), "weight must be >= 0"),
        (lambda: R1(gamma=-1.0), "R1 gamma must be >= 0, got -1.0"),
        (lambda: R2(gamma=0.1, final_gamma=-1.0), "R2 final_gamma must be >= 0, got -1.0"),
        (lambda: R1(gamma=0.1, schedule="cosine"), "R1 schedule=cosine anneals gamma to final_gamma: set final_gamma"),
        (lambda: GradientPenalty(every=0), "every must be an integer >= 1"),
        (lambda: GradientPenalty(every=2.5), "every must be an integer >= 1"),
        (lambda: GradientPenalty(schedule="linear"), "schedule must be one of constant, cosine"),
        (lambda: GradientPenalty(schedule="cosine"), "set final_weight"),
        (lambda: GradientPenalty(schedule="cosine", final_weight=-1.0), "final_weight must be >= 0"),
        (lambda: LeCam(every=2), "cannot be lazy: set every=1"),
        (lambda: LeCam(decay=1.0), r"decay must be in \[0, 1\)"),
        (lambda: BalancedConsistency(lambda x: x, real_weight=-1.0), "real_weight must be >= 0"),
    ],
)
def test_bad_values_are_config_errors(make, match):
    with pytest.raises(ConfigError, match=match):
        make()


# --- LeCam ---


def lecam_batch(real_scores: list[float], fake_scores: list[float]) -> CriticBatch:
    """LeCam reads only the scores: the critic and inputs are placeholders."""
    real, fake = torch.tensor(real_scores, dtype=F64), torch.tensor(fake_scores, dtype=F64)
    return CriticBatch(lambda x: x, real, fake, real.clone().requires_grad_(True), fake.clone(), 0, 0.0)


def test_lecam_penalty_matches_hand_computed_value():
    lecam = LeCam(weight=0.3, decay=0.5)
    lecam.alpha_real.fill_(0.5)
    lecam.alpha_fake.fill_(-0.5)
    lecam.initialized.fill_(True)
    batch = lecam_batch([1.0, -1.0, 0.0], [0.5, -2.0, 0.0])
    # Anchors first: alpha_R = 0.5 * 0.5 + 0.5 * mean(real) = 0.25; alpha_F = 0.5 * -0.5 + 0.5 * -0.5 = -0.5.
    # relu(real - alpha_F) = (1.5, 0, 0.5): squares average 2.5 / 3.
    # relu(alpha_R - fake) = (0, 2.25, 0.25): squares average 5.125 / 3.
    term = lecam(batch)
    assert (lecam.alpha_real.item(), lecam.alpha_fake.item()) == (0.25, -0.5)
    assert lecam.last_penalty.item() == pytest.approx(7.625 / 3, rel=1e-12)
    assert term.item() == pytest.approx(0.3 * 7.625 / 3, rel=1e-12)
    # real_scores keep their graph: d/d real_i of mean(relu(real - alpha_F)^2) = 2 relu(.) / 3, times 0.3.
    term.backward()
    assert batch.real_scores.grad.tolist() == pytest.approx([0.3 * 2 * 1.5 / 3, 0.0, 0.3 * 2 * 0.5 / 3], rel=1e-12)


def test_lecam_anchors_start_at_the_first_means_then_follow_the_ema():
    lecam = LeCam(decay=0.9)
    assert not lecam.initialized
    means = [(1.0, -1.0), (2.0, 0.0), (-1.0, 3.0), (0.5, 0.5)]
    alpha_real, alpha_fake = means[0]
    for i, (real_mean, fake_mean) in enumerate(means):
        lecam(lecam_batch([real_mean - 1, real_mean + 1], [fake_mean + 2, fake_mean - 2]))
        if i > 0:
            alpha_real = 0.9 * alpha_real + 0.1 * real_mean
            alpha_fake = 0.9 * alpha_fake + 0.1 * fake_mean
        assert lecam.initialized
        # float32 buffers: 1e-6 relative.
        assert lecam.alpha_real.item() == pytest.approx(alpha_real, rel=1e-6)
        assert lecam.alpha_fake.item() == pytest.approx(alpha_fake, rel=1e-6)


def test_lecam_state_dict_round_trip_restores_the_anchors():
    lecam = LeCam(decay=0.9)
    for real_mean in (1.0, 2.0, 4.0):
        lecam(lecam_batch([real_mean], [-real_mean]))
    restored = LeCam(decay=0.9)
    restored.load_state_dict(lecam.state_dict())
    assert set(lecam.state_dict()) == {"alpha_real", "alpha_fake", "initialized"}
    assert bool(restored.initialized)
    assert torch.equal(restored.alpha_real, lecam.alpha_real) and torch.equal(restored.alpha_fake, lecam.alpha_fake)
    # A resumed run continues the EMA instead of re-initialising it.
    batch = lecam_batch([3.0, -1.0], [0.5, 1.5])
    assert restored(batch).item() == lecam(batch).item()
    assert torch.equal(restored.alpha_real, lecam.alpha_real)


# --- bCR ---


def test_balanced_consistency_is_zero_under_the_identity_augment():
    critic = mlp_critic()
    torch.manual_seed(1)
    batch = make_batch(critic, torch.randn(5, 3, dtype=F64), torch.randn(5, 3, dtype=F64))
    assert BalancedConsistency(lambda x: x)(batch).item() == 0.0


def test_balanced_consistency_matches_the_closed_form_of_a_linear_critic():
    """With T(x) = x + 1 and D(x) = w.x + b, D(T(x)) - D(x) = sum(w) for every sample, real or fake, so the
    penalty is (real_weight + fake_weight) * sum(w)^2."""
    critic = linear_critic([0.5, -2.0, 1.0])  # sum(w) = -0.5
    torch.manual_seed(1)
    batch = make_batch(critic, torch.randn(4, 3, dtype=F64), torch.randn(4, 3, dtype=F64))
    bcr = BalancedConsistency(lambda x: x + 1, real_weight=2.0, fake_weight=3.0, weight=0.5)
    assert bcr.penalty(batch).item() == pytest.approx(5.0 * 0.25, abs=1e-12)
    assert bcr(batch).item() == pytest.approx(0.5 * 5.0 * 0.25, abs=1e-12)
    assert BalancedConsistency(lambda x: x + 1).penalty(batch).item() == pytest.approx(20.0 * 0.25, abs=1e-12)


def test_balanced_consistency_backpropagates_through_the_unaugmented_scores():
    """As in the paper, D(x) is not detached: its gradient is -2 * real_weight * (D(T(x)) - D(x)) / N."""
    critic = linear_critic([0.5, -2.0, 1.0])
    torch.manual_seed(1)
    real, fake = torch.randn(4, 3, dtype=F64), torch.randn(4, 3, dtype=F64)
    real_scores = critic(real).detach().requires_grad_(True)
    batch = CriticBatch(critic, real, fake, real_scores, critic(fake), 0, 0.0)
    BalancedConsistency(lambda x: x + 1, real_weight=2.0, fake_weight=3.0).penalty(batch).backward()
    assert real_scores.grad.flatten().tolist() == pytest.approx([-2 * 2.0 * -0.5 / 4] * 4, abs=1e-12)
