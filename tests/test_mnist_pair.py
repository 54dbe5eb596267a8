"""data=mnist_pair and experiment=cyclegan_mnist: the A -> B transform is exactly invertible on real MNIST, the two
domains hold different digits, the batches are what CycleGAN trains on, and the recipe trains offline."""

import hashlib
from pathlib import Path

import pytest
import torch
from gansuite_testing import QUIET, TINY_CYCLEGAN, compose_config, require_data_dir
from hydra.utils import instantiate

from gansuite.data import sources
from gansuite.data.images import resize_uint8
from gansuite.data.unpaired import MnistPair, transform_to_a, transform_to_b
from gansuite.errors import ConfigError
from gansuite.run.train import train


@pytest.fixture(scope="module")
def datamodule() -> MnistPair:
    """Set up once for the module: reading and resizing all of MNIST takes a few seconds."""
    module = MnistPair(
        root=str(require_data_dir()), download=False, image_size=32, load_size=32, batch_size=16, num_workers=0
    )
    module.setup()
    return module


def digests(images: torch.Tensor) -> set[str]:
    return {hashlib.sha256(image.numpy().tobytes()).hexdigest() for image in images}


def test_transform_to_a_undoes_transform_to_b_exactly_on_real_mnist() -> None:
    images = sources.load("mnist", require_data_dir(), train=False, download=False)[:2000]
    for x in (images, resize_uint8(images, 32)):  # as read (28x28) and as the datamodule holds them (32x32)
        for turns in (0, 1, 3):
            b = transform_to_b(x, turns)
            assert b.dtype == torch.uint8 and not torch.equal(b, x)
            assert torch.equal(transform_to_a(b, turns), x)
    assert torch.equal(transform_to_b(images), 255 - images)
    # By hand: inverted, then rotated counterclockwise, so B's top-left pixel is A's top-right one inverted.
    assert torch.equal(transform_to_b(images, 1)[..., 0, 0], 255 - images[..., 0, -1])
    assert torch.equal(transform_to_b(images, 1)[..., -1, 0], 255 - images[..., 0, 0])


def test_transforms_refuse_floats_where_inversion_would_round() -> None:
    with pytest.raises(TypeError, match="uint8"):
        transform_to_b(torch.zeros(1, 1, 4, 4))


def test_domains_hold_different_digits(datamodule: MnistPair) -> None:
    domains = datamodule.domains
    assert {split: len(images) for split, images in domains.items()} == {
        "trainA": 30000,
        "trainB": 30000,
        "testA": 5000,
        "testB": 5000,
    }
    train_a, train_b = digests(domains["trainA"]), digests(transform_to_a(domains["trainB"]))
    assert len(train_a) == len(train_b) == 30000  # no digit twice within a domain either
    assert not train_a & train_b


def test_test_labels_are_the_digits_of_the_test_images(datamodule: MnistPair) -> None:
    images, labels = sources.load_labelled("mnist", require_data_dir(), train=False, download=False)
    images = resize_uint8(images, 32)
    assert torch.equal(datamodule.test_images("a"), images[0::2])
    assert torch.equal(transform_to_a(datamodule.test_images("b")), images[1::2])
    assert torch.equal(datamodule.test_labels("a"), labels[0::2])
    assert torch.equal(datamodule.test_labels("b"), labels[1::2])
    with pytest.raises(ValueError, match="'a' or 'b'"):
        datamodule.test_labels("c")


def test_batches_are_pairs_of_one_channel_images_in_the_model_range(datamodule: MnistPair) -> None:
    real_a, real_b = datamodule.on_after_batch_transfer(next(iter(datamodule.train_dataloader())), 0)
    for images in (real_a, real_b):
        assert images.shape == (16, 1, 32, 32) and images.dtype == torch.float32
        assert images.min() >= -1 and images.max() <= 1
    # MNIST is white digits on black: A's background is -1, B's (inverted) is +1.
    assert real_a.mean() < -0.5 < 0.5 < real_b.mean()


def test_mnist_has_one_channel() -> None:
    with pytest.raises(ConfigError, match="1 channel"):
        MnistPair(root=str(require_data_dir()), channels=3)


def test_data_config_builds_the_datamodule(tmp_path: Path) -> None:
    cfg = compose_config(["model=cyclegan", "data=mnist_pair"], tmp_path)
    module = instantiate(cfg.data)
    assert isinstance(module, MnistPair) and module.shape == (1, 32, 32) and not module.flip


def test_recipe_trains_two_updates_with_tiny_nets(tmp_path: Path) -> None:
    tiny = [x for x in TINY_CYCLEGAN if x != "model=cyclegan"]
    cfg = compose_config(
        ["experiment=cyclegan_mnist", *tiny, "metrics=none", "steps=2", "logger=csv", *QUIET], tmp_path
    )
    assert cfg.data._target_ == "gansuite.data.unpaired.MnistPair" and cfg.data.batch_size == 16
    assert cfg.model.identity_weight == 0  # the true map is no identity: see the recipe
    assert train(cfg) is None
    assert (tmp_path / "checkpoints" / "last.ckpt").is_file()
