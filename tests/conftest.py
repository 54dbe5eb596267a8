"""Fixtures for the top-level tests (helpers live in gansuite_testing.py).

torch and the training code are imported where they are used, not at the top: under pytest-xdist the controller
process imports this file too, and it runs no test, so importing Lightning there (~5 s on this 2-core CPU) only
delayed the start of the workers, which import it anyway with the test modules."""

import os
from pathlib import Path

import pytest
from gansuite_testing import (
    QUIET,
    TINY_CONV,
    TINY_CYCLEGAN,
    TINY_MLP,
    TINY_PIX2PIX,
    TINY_SRGAN,
    TINY_STYLEGAN2,
    TINY_TOY,
    compose_config,
    require_data_dir,
)


def pytest_configure(config: pytest.Config) -> None:
    """Under pytest-xdist (`make test`: one worker per core), one thread per worker and for the processes its tests
    start: the workers fill the cores, and two threads each would only contend for them."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        import torch

        os.environ["OMP_NUM_THREADS"] = "1"
        torch.set_num_threads(1)


@pytest.fixture
def data_dir() -> Path:
    return require_data_dir()


TRAINED_RUNS = {
    "toy": [*TINY_MLP, *(key for key in TINY_TOY if not key.startswith("metrics.")), "metrics=none"],
    "dcgan_ema": ["model=dcgan", "data=cifar10_subset", *TINY_CONV, "model.ema_decay=0.5", "metrics=none"],
    "dcgan_conditional": ["model=dcgan", "data=mnist", *TINY_CONV, "model.conditioning=projection", "metrics=none"],
    "cyclegan": [*TINY_CYCLEGAN, "data=cifar_pair", "metrics=none"],
    "pix2pix": [*TINY_PIX2PIX, "data=cifar_colorize", "metrics=none"],
    "srgan": [*TINY_SRGAN, "data=sr_cifar", "data.batch_size=4", "metrics=none"],
    "stylegan2": [*TINY_STYLEGAN2, "data=cifar10_subset", "metrics=none"],
}


@pytest.fixture(scope="session")
def trained_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One finished 2-update run of each kind of generator."""
    from gansuite.run.train import train

    root = tmp_path_factory.mktemp("runs")
    for name, overrides in TRAINED_RUNS.items():
        train(compose_config([*overrides, "steps=2", "logger=csv", "data.batch_size=8", *QUIET], root / name))
    return {name: root / name for name in TRAINED_RUNS}
