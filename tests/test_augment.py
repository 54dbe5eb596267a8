"""Discriminator augmentations: each op's geometry, gradients through every op to G, ADA's p control, instance noise."""

import pytest
import torch
from torch import nn

from gansuite.errors import ConfigError
from gansuite.objective.augment import OPS, AdaptiveAugment, DiffAugment, DiscriminatorAugment, InstanceNoise

POLICIES = ["", "color", "translation", "cutout", "color,translation,cutout"]


@pytest.fixture(autouse=True)
def seed():
    torch.manual_seed(0)


def images(n: int = 8, c: int = 3, size: int = 16) -> torch.Tensor:
    return torch.rand(n, c, size, size) * 2 - 1


def test_empty_policy_is_the_identity():
    x = images()
    assert torch.equal(DiffAugment(policy="")(x), x)


@pytest.mark.parametrize("policy", POLICIES)
def test_p_zero_returns_the_input_exactly(policy):
    x = images()
    assert torch.equal(DiffAugment(policy=policy, p=0.0)(x), x)
    assert torch.equal(AdaptiveAugment(policy=policy, initial_p=0.0)(x), x)


@pytest.mark.parametrize("op", list(OPS))
def test_each_op_changes_the_image_and_keeps_its_shape(op):
    x = images()
    out = DiffAugment(policy=op, p=1.0)(x)
    assert out.shape == x.shape
    assert out.dtype == x.dtype
    assert not torch.equal(out, x)


def test_p_selects_samples_independently():
    x = images(n=400, c=1, size=8)
    changed = (DiffAugment(policy="color", p=0.3)(x) != x).flatten(1).any(1).float().mean().item()
    assert changed == pytest.approx(0.3, abs=0.08)


def test_translation_moves_content_by_at_most_an_eighth_zero_filled():
    n, size = 256, 16  # shifts in [-2, 2] on each axis
    x = torch.zeros(n, 1, size, size)
    x[:, 0, 8, 8] = 1.0
    out = DiffAugment(policy="translation")(x)
    assert torch.equal(out.flatten(1).sum(1), torch.ones(n))  # moved, not blurred or duplicated
    rows, cols = out[:, 0].flatten(1).argmax(1).div(size, rounding_mode="floor"), out[:, 0].flatten(1).argmax(1) % size
    assert set((rows - 8).tolist()) == {-2, -1, 0, 1, 2}
    assert set((cols - 8).tolist()) == {-2, -1, 0, 1, 2}
    # Content shifted off the image is dropped and the uncovered border is zero, not wrapped around.
    edge = torch.zeros(n, 1, size, size)
    edge[:, 0, 0, :] = 1.0
    out = DiffAugment(policy="translation")(edge)
    assert set(out.sum((1, 2, 3)).tolist()) <= {float(size - k) for k in range(3)} | {0.0}
    assert (out[:, 0, size - 2 :] == 0).all()


def test_cutout_zeroes_a_half_side_square_clipped_at_the_border():
    n, size, half = 64, 16, 8
    out = DiffAugment(policy="cutout")(torch.ones(n, 3, size, size))
    zeros = out == 0
    assert torch.equal(zeros, zeros[:, :1].expand_as(zeros))  # the same pixels in every channel
    interior = 0
    for mask in zeros[:, 0]:
        rows, cols = mask.any(1).nonzero().flatten(), mask.any(0).nonzero().flatten()
        top, bottom, left, right = rows.min().item(), rows.max().item(), cols.min().item(), cols.max().item()
        assert mask[top : bottom + 1, left : right + 1].all()  # one filled rectangle
        assert mask.sum() == (bottom - top + 1) * (right - left + 1)
        assert half // 2 <= bottom - top + 1 <= half and half // 2 <= right - left + 1 <= half
        if top > 0 and left > 0 and bottom < size - 1 and right < size - 1:
            assert mask.sum() == half * half  # the whole square when it does not touch the border
            interior += 1
    assert interior > 0


@pytest.mark.parametrize(
    "augment",
    [DiffAugment(policy=op) for op in OPS] + [DiffAugment(), AdaptiveAugment(initial_p=1.0), InstanceNoise()],
    ids=[*OPS, "all", "ada", "instance_noise"],
)
def test_gradients_reach_the_generator_through_each_augment(augment):
    generator = nn.Linear(4, 3 * 16 * 16)
    fake = torch.tanh(generator(torch.randn(8, 4))).view(8, 3, 16, 16)
    weights = torch.randn(8, 3, 16, 16)  # a stand-in for D: a plain sum's gradient can cancel through contrast
    (augment(fake) * weights).sum().backward()
    for parameter in generator.parameters():
        assert parameter.grad is not None
        assert torch.isfinite(parameter.grad).all()
        assert parameter.grad.abs().sum() > 0


def test_diffaugment_rejects_unknown_ops_and_non_image_data():
    with pytest.raises(ConfigError, match="color, translation, cutout"):
        DiffAugment(policy="color,flip")
    with pytest.raises(ConfigError, match="image data"):
        DiffAugment()(torch.randn(8, 2))
    with pytest.raises(ConfigError, match=r"augment\.p"):
        DiffAugment(p=1.5)


def test_policy_accepts_a_list_and_spaces():
    assert DiffAugment(policy=["color", "cutout"]).policy == ["color", "cutout"]
    assert DiffAugment(policy=" color , translation ").policy == ["color", "translation"]


def test_log_values():
    assert DiscriminatorAugment().log_values() == {}
    assert DiffAugment(p=0.25).log_values()["augment/p"].item() == 0.25
    assert InstanceNoise(std=0.2).log_values()["augment/noise_std"].item() == pytest.approx(0.2)


def test_ada_p_rises_when_the_discriminator_overfits():
    real = images(n=8, c=1, size=8)  # a fixed tiny real set, which D memorises
    discriminator = nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1), nn.LeakyReLU(0.2), nn.Flatten(), nn.Linear(8 * 8 * 8, 1)
    )
    optimizer = torch.optim.Adam(discriminator.parameters(), lr=1e-3)
    augment = AdaptiveAugment(speed_images=2000)
    steps = 200
    for step in range(steps):
        real_scores = discriminator(augment(real))
        fake_scores = discriminator(augment(torch.rand(8, 1, 8, 8) * 2 - 1))
        loss = nn.functional.softplus(-real_scores).mean() + nn.functional.softplus(fake_scores).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        augment.update(real_scores, progress=step / steps)
    assert 0.0 < augment.p.item() <= 1.0
    assert (discriminator(real) > 0).all()


def test_ada_p_falls_by_the_heuristic_step_and_stays_in_range():
    augment = AdaptiveAugment(initial_p=0.5, interval=4, speed_images=2000)
    scores = torch.tensor([-1.0, -2.0, -0.5, -3.0, -1.0, -0.1, 2.0, 1.0])  # r_t = -0.5 < 0.6
    for _ in range(3):
        augment.update(scores, progress=0.0)
    assert augment.p.item() == 0.5  # p only moves once per interval
    augment.update(scores, progress=0.0)
    assert augment.p.item() == pytest.approx(0.5 - 8 * 4 / 2000)
    history = []
    for _ in range(400):
        augment.update(scores, progress=0.0)
        history.append(augment.p.item())
    assert history == sorted(history, reverse=True)  # never rises
    assert history[-1] == 0.0
    for _ in range(400):  # and back up to the ceiling, never past it
        augment.update(torch.ones(8), progress=0.0)
        assert 0.0 <= augment.p.item() <= 1.0
    assert augment.p.item() == 1.0


def test_ada_update_does_not_synchronise(monkeypatch):
    augment = AdaptiveAugment(interval=2, speed_images=2000)

    def forbidden(*args, **kwargs):
        raise AssertionError("update() read a tensor on the host")

    with monkeypatch.context() as patch:
        for name in ("item", "tolist", "__bool__", "__float__", "__int__"):
            patch.setattr(torch.Tensor, name, forbidden)
        for _ in range(4):
            augment.update(torch.ones(8, 1), progress=0.5)
    assert augment.p.item() == pytest.approx(2 * 16 / 2000)


def test_ada_state_round_trips_through_state_dict():
    augment = AdaptiveAugment(interval=4, speed_images=2000, initial_p=0.3)
    scores = torch.tensor([1.0, 2.0, 0.5, 3.0])  # r_t = 1 > 0.6
    for _ in range(6):  # one adjustment, then halfway through the next interval
        augment.update(scores, progress=0.0)
    state = augment.state_dict()
    assert set(state) == {"p", "sign_sum", "sign_count", "images", "steps"}
    resumed = AdaptiveAugment(interval=4, speed_images=2000)
    resumed.load_state_dict(state)
    for name, value in augment.state_dict().items():
        assert torch.equal(resumed.state_dict()[name], value), name
    for _ in range(2):  # the resumed interval completes on the same step
        augment.update(scores, progress=0.0)
        resumed.update(scores, progress=0.0)
    assert resumed.p.item() == augment.p.item() == pytest.approx(0.3 + 2 * 4 * 4 / 2000)


def test_ada_rejects_bad_settings():
    with pytest.raises(ConfigError, match="target"):
        AdaptiveAugment(target=1.5)
    with pytest.raises(ConfigError, match="interval"):
        AdaptiveAugment(interval=0)
    with pytest.raises(ConfigError, match="speed_images"):
        AdaptiveAugment(speed_images=0)
    with pytest.raises(ConfigError, match="augment.p"):
        AdaptiveAugment(initial_p=-0.1)


def test_instance_noise_sigma_anneals_with_progress():
    noise = InstanceNoise(std=0.1)
    for progress, sigma in [(0.0, 0.1), (0.5, 0.05), (1.0, 0.0)]:
        noise.update(torch.zeros(4), progress=progress)
        assert noise.sigma.item() == pytest.approx(sigma)
    assert torch.equal(noise(torch.ones(4, 2)), torch.ones(4, 2))  # sigma 0 at the end: clean data
    fixed = InstanceNoise(std=0.1, anneal=False)
    fixed.update(torch.zeros(4), progress=0.9)
    assert fixed.sigma.item() == pytest.approx(0.1)
    assert "sigma" in fixed.state_dict()


@pytest.mark.parametrize("shape", [(1_000_000, 2), (4_000, 1, 16, 16)], ids=["points", "images"])
def test_instance_noise_has_the_configured_std(shape):
    noise = InstanceNoise(std=0.1)
    noise.update(torch.zeros(4), progress=0.0)
    out = noise(torch.zeros(shape))
    assert out.shape == shape
    assert out.std().item() == pytest.approx(0.1, rel=0.02)
    assert abs(out.mean().item()) < 1e-3


def test_instance_noise_rejects_negative_std():
    with pytest.raises(ConfigError, match="std"):
        InstanceNoise(std=-0.1)
