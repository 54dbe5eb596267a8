"""Each loss against values computed by hand, and the gradient penalty against a float64 finite-difference reference."""

import math

import pytest
import torch

from gansuite.losses import (
    HingeLoss,
    LeastSquaresLoss,
    MinimaxLoss,
    NonSaturatingLoss,
    WassersteinLoss,
    feature_matching_loss,
    gradient_penalty,
    reconstruction_loss,
)

REAL = [0.5, -1.0]
FAKE = [0.2, 1.5]


def sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def mean(values) -> float:
    values = list(values)
    return sum(values) / len(values)


def bce_real(x: float, label: float = 1.0) -> float:
    return -(label * math.log(sigmoid(x)) + (1 - label) * math.log(1 - sigmoid(x)))


EXPECTED = {
    # name: (loss, discriminator loss, generator loss)
    "minimax": (
        MinimaxLoss(),
        mean(bce_real(r) for r in REAL) + mean(-math.log(1 - sigmoid(f)) for f in FAKE),
        mean(math.log(1 - sigmoid(f)) for f in FAKE),
    ),
    "minimax_smoothed": (
        MinimaxLoss(real_label=0.9),
        mean(bce_real(r, 0.9) for r in REAL) + mean(-math.log(1 - sigmoid(f)) for f in FAKE),
        mean(math.log(1 - sigmoid(f)) for f in FAKE),
    ),
    "nonsaturating": (
        NonSaturatingLoss(),
        mean(bce_real(r) for r in REAL) + mean(-math.log(1 - sigmoid(f)) for f in FAKE),
        mean(-math.log(sigmoid(f)) for f in FAKE),
    ),
    "wasserstein": (WassersteinLoss(), mean(FAKE) - mean(REAL), -mean(FAKE)),
    "hinge": (
        HingeLoss(),
        mean(max(0, 1 - r) for r in REAL) + mean(max(0, 1 + f) for f in FAKE),
        -mean(FAKE),
    ),
    "lsgan": (
        LeastSquaresLoss(),
        0.5 * mean((r - 1) ** 2 for r in REAL) + 0.5 * mean(f**2 for f in FAKE),
        0.5 * mean((f - 1) ** 2 for f in FAKE),
    ),
}


@pytest.mark.parametrize("name", EXPECTED)
def test_loss_matches_hand_computed_value(name):
    loss, d_expected, g_expected = EXPECTED[name]
    real, fake = torch.tensor(REAL, dtype=torch.float64), torch.tensor(FAKE, dtype=torch.float64)
    assert loss.discriminator_loss(real, fake).item() == pytest.approx(d_expected, rel=1e-12)
    assert loss.generator_loss(fake).item() == pytest.approx(g_expected, rel=1e-12)


def test_label_smoothing_out_of_range_is_rejected():
    with pytest.raises(ValueError, match="real_label"):
        MinimaxLoss(real_label=1.5)


def test_gradient_penalty_matches_finite_differences():
    """Autograd's penalty vs central differences in float64 (tolerance 1e-6 relative)."""
    torch.manual_seed(0)
    critic = torch.nn.Sequential(torch.nn.Linear(3, 16), torch.nn.Tanh(), torch.nn.Linear(16, 1)).double()
    real, fake = torch.randn(5, 3, dtype=torch.float64), torch.randn(5, 3, dtype=torch.float64)

    torch.manual_seed(1)
    penalty = gradient_penalty(critic, real, fake)

    torch.manual_seed(1)
    alpha = torch.rand(5, 1, dtype=torch.float64)
    points = alpha * real + (1 - alpha) * fake
    eps = 1e-6
    grads = torch.zeros_like(points)
    with torch.no_grad():
        for j in range(points.shape[1]):
            step = torch.zeros_like(points)
            step[:, j] = eps
            grads[:, j] = (critic(points + step) - critic(points - step)).squeeze(1) / (2 * eps)
    expected = ((grads.norm(dim=1) - 1) ** 2).mean()
    assert penalty.item() == pytest.approx(expected.item(), rel=1e-6)


def test_gradient_penalty_trains_the_critic():
    """The penalty keeps its graph (create_graph), so it sends gradients to the critic's weights."""
    critic = torch.nn.Linear(4, 1)
    gradient_penalty(critic, torch.randn(8, 4), torch.randn(8, 4)).backward()
    assert critic.weight.grad is not None and critic.weight.grad.abs().sum() > 0


def test_gradient_penalty_is_zero_for_a_unit_gradient_critic():
    """A linear critic with a unit-norm weight has gradient norm exactly 1 everywhere."""
    critic = torch.nn.Linear(2, 1, bias=False)
    with torch.no_grad():
        critic.weight.copy_(torch.tensor([[0.6, 0.8]]))
    assert gradient_penalty(critic, torch.randn(16, 2), torch.randn(16, 2)).item() == pytest.approx(0.0, abs=1e-6)


def test_feature_matching_is_squared_distance_of_means():
    real = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    fake = torch.tensor([[0.0, 0.0], [2.0, 2.0]])
    # means (2, 3) vs (1, 1): (1)^2 + (2)^2
    assert feature_matching_loss(real, fake).item() == pytest.approx(5.0)


def test_reconstruction_losses():
    prediction, target = torch.tensor([1.0, -1.0, 3.0]), torch.tensor([0.0, 1.0, 3.0])
    assert reconstruction_loss(prediction, target, "l1").item() == pytest.approx(1.0)
    assert reconstruction_loss(prediction, target, "l2").item() == pytest.approx(5.0 / 3)
    with pytest.raises(ValueError, match="l1"):
        reconstruction_loss(prediction, target, "l3")
