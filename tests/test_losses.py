"""Each loss against values computed by hand (the gradient penalty moved to tests/test_regularizers.py)."""

import math

import pytest
import torch

from gansuite.objective.losses import (
    HingeLoss,
    LeastSquaresLoss,
    MinimaxLoss,
    NonSaturatingLoss,
    RelativisticAverageLoss,
    RelativisticPairingLoss,
    WassersteinLoss,
    feature_matching_loss,
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


def softplus(x: float) -> float:
    return math.log(1 + math.exp(x))


RELATIVISTIC = {
    # name: (loss, discriminator loss, generator loss) on the REAL/FAKE scores above
    "rpgan": (
        RelativisticPairingLoss(),
        # softplus(-(r - f)) over the pairs (0.5, 0.2) and (-1.0, 1.5)
        mean([softplus(-(0.5 - 0.2)), softplus(-(-1.0 - 1.5))]),
        mean([softplus(-(0.2 - 0.5)), softplus(-(1.5 + 1.0))]),
    ),
    "ragan": (
        RelativisticAverageLoss(),
        # mean(REAL) = -0.25, mean(FAKE) = 0.85
        mean(bce_real(r - 0.85) for r in REAL) + mean(bce_real(f + 0.25, 0.0) for f in FAKE),
        mean(bce_real(f + 0.25) for f in FAKE) + mean(bce_real(r - 0.85, 0.0) for r in REAL),
    ),
}


@pytest.mark.parametrize("name", RELATIVISTIC)
def test_relativistic_loss_matches_hand_computed_value(name):
    loss, d_expected, g_expected = RELATIVISTIC[name]
    real, fake = torch.tensor(REAL, dtype=torch.float64), torch.tensor(FAKE, dtype=torch.float64)
    assert loss.relativistic
    assert loss.discriminator_loss(real, fake).item() == pytest.approx(d_expected, rel=1e-12)
    assert loss.generator_loss(fake, real).item() == pytest.approx(g_expected, rel=1e-12)


@pytest.mark.parametrize("name", RELATIVISTIC)
def test_relativistic_generator_loss_is_the_discriminator_loss_with_roles_swapped(name):
    """Both papers' G loss is D's with real and fake exchanged: G(fake, real) == D(real=fake, fake=real)."""
    loss = RELATIVISTIC[name][0]
    torch.manual_seed(0)
    real, fake = torch.randn(7, dtype=torch.float64), torch.randn(7, dtype=torch.float64)
    assert loss.generator_loss(fake, real).item() == pytest.approx(
        loss.discriminator_loss(real=fake, fake=real).item(), rel=1e-12
    )


@pytest.mark.parametrize("name", RELATIVISTIC)
def test_relativistic_losses_see_only_score_differences(name):
    """Shifting every score by one constant leaves a relativistic loss unchanged (to float64 rounding, 1e-12)."""
    loss = RELATIVISTIC[name][0]
    torch.manual_seed(0)
    real, fake = torch.randn(5, dtype=torch.float64), torch.randn(5, dtype=torch.float64)
    for shift in (-3.0, 7.5):
        shifted = loss.discriminator_loss(real + shift, fake + shift).item()
        assert shifted == pytest.approx(loss.discriminator_loss(real, fake).item(), rel=1e-12)
        shifted = loss.generator_loss(fake + shift, real + shift).item()
        assert shifted == pytest.approx(loss.generator_loss(fake, real).item(), rel=1e-12)


@pytest.mark.parametrize("name", RELATIVISTIC)
def test_relativistic_generator_loss_needs_real_scores(name):
    loss = RELATIVISTIC[name][0]
    with pytest.raises(ValueError, match=f"{type(loss).__name__}.generator_loss.*real="):
        loss.generator_loss(torch.zeros(3))


def test_rpgan_pairs_need_one_batch_size():
    with pytest.raises(ValueError, match="same batch size"):
        RelativisticPairingLoss().discriminator_loss(torch.zeros(4), torch.zeros(3))
    with pytest.raises(ValueError, match="same batch size"):
        RelativisticPairingLoss().generator_loss(torch.zeros(4), torch.zeros(3))


@pytest.mark.parametrize("name", EXPECTED)
def test_non_relativistic_generator_losses_ignore_real_scores(name):
    loss = EXPECTED[name][0]
    real, fake = torch.tensor(REAL, dtype=torch.float64), torch.tensor(FAKE, dtype=torch.float64)
    assert not loss.relativistic
    assert loss.generator_loss(fake, real).item() == loss.generator_loss(fake).item()
