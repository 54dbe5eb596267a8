"""Training on a seeded subset (`data.max_images`, `data.fraction`): the same seed gives the same images, another seed
others, the count is exact, only the training batches are subset (the metrics' split stays whole), a real run trains
on it, and bad options get one line."""

from pathlib import Path

import pytest
import torch
from gansuite_testing import QUIET, TINY_CONV, compose_config
from hydra.utils import instantiate

from gansuite.data.subsets import subset_indices
from gansuite.errors import ConfigError
from gansuite.run.train import train


def mnist(tmp_path: Path, *overrides: str):
    data = instantiate(compose_config(["data=mnist", *overrides], tmp_path).data)
    data.setup("fit")
    return data


def test_the_same_seed_gives_the_same_images_and_another_seed_others() -> None:
    first, again = subset_indices(1000, None, 0.1, seed=3), subset_indices(1000, None, 0.1, seed=3)
    other = subset_indices(1000, None, 0.1, seed=4)
    assert torch.equal(first, again) and not torch.equal(first, other)
    assert len(first) == 100 and len(set(first.tolist())) == 100 and torch.equal(first, first.sort().values)
    assert len(subset_indices(1000, 37, None, seed=0)) == 37 and subset_indices(1000, None, None, seed=0) is None


def test_only_the_training_batches_come_from_the_subset(tmp_path: Path, data_dir: Path) -> None:
    data = mnist(tmp_path, "data.fraction=0.01", "seed=5")  # the run's seed chooses the subset
    images, labels = data.training_rows()
    assert len(images) == 600 == len(labels)  # 1% of MNIST's 60,000 training digits, exactly
    assert torch.equal(images, data.split_images(train=True)[subset_indices(60_000, None, 0.01, seed=5)])
    assert len(data.split_images(train=True)) == 60_000  # what the metrics compare against
    seen = torch.cat([batch[0] for batch in data.train_dataloader()])  # one epoch: the subset's images only
    assert len(seen) <= 600 and {row.numpy().tobytes() for row in seen} <= {row.numpy().tobytes() for row in images}


def test_a_run_trains_on_the_subset(tmp_path: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    overrides = ["model=dcgan", "data=mnist", *TINY_CONV, "data.max_images=64", "data.batch_size=16", "steps=2"]
    train(compose_config([*overrides, "metrics=none", "logger=csv", *QUIET], tmp_path))
    assert (
        "data: training on 64 of the 60000 mnist images (seeded subset, data.subset_seed=0)" in capsys.readouterr().out
    )
    assert (tmp_path / "checkpoints" / "last.ckpt").is_file()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (["data.fraction=0"], r"data.fraction must be in \(0, 1\], e.g. 0.1 for 10% of the images, got 0"),
        (["data.fraction=1.5"], r"data.fraction must be in \(0, 1\]"),
        (["data.max_images=70000"], r"data.max_images must be an integer in 1..60000 \(the images of this split\)"),
        (["data.max_images=10", "data.fraction=0.1"], r"both choose the subset: set one of them"),
    ],
)
def test_bad_subsets_get_one_line(tmp_path: Path, data_dir: Path, overrides: list[str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        mnist(tmp_path, *overrides)
