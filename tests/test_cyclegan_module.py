"""CycleGAN's parts without a Trainer: the image pool, the learning-rate rule, and the generator objective."""

import functools

import pytest
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from gansuite.errors import ConfigError
from gansuite.modules.cyclegan import CycleGAN
from gansuite.modules.image_pool import ImagePool
from gansuite.modules.translation import linear_decay
from gansuite.objective.losses import LeastSquaresLoss, WassersteinLoss


def test_pool_of_size_zero_passes_images_through() -> None:
    images = torch.randn(3, 1, 2, 2)
    assert torch.equal(ImagePool(0).query(images), images)


def test_pool_returns_new_images_until_full_then_swaps_half_of_them() -> None:
    pool = ImagePool(4, generator=torch.Generator().manual_seed(0))
    first = torch.arange(4.0).view(4, 1, 1, 1)
    assert torch.equal(pool.query(first), first)  # filling: the new images come back and are stored
    assert torch.equal(torch.stack(pool.images), first)

    assert torch.equal(pool.generator.get_state(), torch.Generator().manual_seed(0).get_state())  # no draws yet

    # Full: replay the pool's own draws with a twin generator and check each outcome.
    twin = torch.Generator().manual_seed(0)
    swaps = 0
    for step in range(1000):
        new = torch.full((1, 1, 1, 1), 100.0 + step)
        stored = [image.clone() for image in pool.images]
        returned = pool.query(new)
        if torch.rand((), generator=twin) < 0.5:
            index = int(torch.randint(4, (), generator=twin))
            assert torch.equal(returned[0], stored[index])  # an old image comes back ...
            assert torch.equal(pool.images[index], new[0])  # ... and the new one takes its place
            swaps += 1
        else:
            assert torch.equal(returned, new)
            assert all(torch.equal(a, b) for a, b in zip(pool.images, stored, strict=True))
    assert 450 <= swaps <= 550  # probability 0.5: 1000 draws, +-3.2 standard deviations


def test_learning_rate_factor_constant_then_linear_to_zero() -> None:
    """The reference's linear policy with n_epochs = n_epochs_decay = 50, epochs read as generator updates."""
    factor = functools.partial(linear_decay, total_updates=100, decay_updates=50)
    assert factor(0) == 1.0  # start
    assert factor(49) == 1.0  # last update of the constant half
    assert factor(50) == pytest.approx(1 - 1 / 51)  # first update of the decaying half
    assert factor(99) == pytest.approx(1 / 51)  # last update
    assert factor(100) == 0.0  # budget spent
    assert linear_decay(7, total_updates=10, decay_updates=0) == 1.0  # no decay


class Scale(nn.Module):
    """A stand-in generator with a known output: x -> factor * x."""

    def __init__(self, factor: float) -> None:
        super().__init__()
        self.factor = factor

    def forward(self, x: Tensor) -> Tensor:
        return self.factor * x


class MeanLogit(nn.Module):
    """A stand-in discriminator with a known output: one logit per image, its mean pixel."""

    def forward(self, x: Tensor) -> Tensor:
        return x.mean(dim=(1, 2, 3))


def cyclegan(**kwargs) -> CycleGAN:
    adam = functools.partial(torch.optim.Adam, lr=2e-4, betas=(0.5, 0.999))
    return CycleGAN(
        generator=lambda data_shape: Scale(0.5),
        discriminator=lambda data_shape: MeanLogit(),
        loss=kwargs.pop("loss", LeastSquaresLoss()),
        optimizer_g=adam,
        optimizer_d=adam,
        data_shape=(1, 2, 2),
        **kwargs,
    )


def test_cycle_and_identity_losses_match_hand_computed_values() -> None:
    model = cyclegan(adversarial_weight=2.0).double()
    real_a = torch.tensor([[[[0.2, -0.4], [0.6, -0.8]]]], dtype=torch.float64)  # mean |a| = 0.5
    real_b = torch.tensor([[[[1.0, -1.0], [0.5, 0.0]]]], dtype=torch.float64)  # mean |b| = 0.625
    fake_b, fake_a = 0.5 * real_a, 0.5 * real_b
    losses = model.generator_losses(real_a, real_b, fake_a, fake_b)
    # G(x) = x / 2, so a cycle gives x / 4: |x/4 - x| = 0.75 |x|; the identity gives |x/2 - x| = 0.5 |x|.
    assert losses["cycle_aba"].item() == pytest.approx(0.75 * 0.5, abs=1e-12)
    assert losses["cycle_bab"].item() == pytest.approx(0.75 * 0.625, abs=1e-12)
    assert losses["identity_a2b"].item() == pytest.approx(0.5 * 0.625, abs=1e-12)  # G_ab on B
    assert losses["identity_b2a"].item() == pytest.approx(0.5 * 0.5, abs=1e-12)  # G_ba on A
    # D_b(fake_b) = mean(a) / 2 = -0.05; D_a(fake_a) = mean(b) / 2 = 0.0625. The reference: MSE(D(G(x)), 1).
    assert 2.0 * losses["adversarial_a2b"].item() == pytest.approx((-0.05 - 1) ** 2, abs=1e-12)
    assert 2.0 * losses["adversarial_b2a"].item() == pytest.approx(F.mse_loss(torch.tensor(0.0625), torch.tensor(1.0)))
    expected = (1.05**2 + 0.9375**2) + 10 * (0.375 + 0.46875) + 0.5 * 10 * (0.3125 + 0.25)
    assert model.generator_objective(losses).item() == pytest.approx(expected, abs=1e-12)


def test_identity_term_is_left_out_at_weight_zero() -> None:
    x = torch.ones(1, 1, 2, 2)
    assert set(cyclegan(identity_weight=0.0).generator_losses(x, x, x, x)) == {
        "adversarial_a2b",
        "adversarial_b2a",
        "cycle_aba",
        "cycle_bab",
    }


def test_bad_settings_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="Lipschitz"):
        cyclegan(loss=WassersteinLoss())
    with pytest.raises(ConfigError, match="lr_decay_fraction"):
        cyclegan(lr_decay_fraction=1.5)
    with pytest.raises(ConfigError, match="direction"):
        cyclegan().translate(torch.zeros(1, 1, 2, 2), "a2c")
