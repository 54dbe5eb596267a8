"""The published-settings experiment configs compose to the hyperparameters their headers state, and run."""

import pytest
from gansuite_testing import compose_config


@pytest.mark.parametrize(
    ("name", "loss", "n_critic", "steps", "penalty", "lr", "betas"),
    [
        ("dcgan_cifar10", "NonSaturatingLoss", 2, 200_000, 0.0, 2e-4, [0.5, 0.999]),
        ("wgan_gp_cifar10", "WassersteinLoss", 5, 100_000, 10.0, 2e-4, [0.5, 0.999]),
    ],
)
def test_cifar10_experiments_hold_studiogan_settings(tmp_path, name, loss, n_critic, steps, penalty, lr, betas):
    cfg = compose_config([f"experiment={name}"], tmp_path)
    assert cfg.task_name == name and cfg.steps == steps
    assert cfg.data.name == "cifar10" and cfg.data.batch_size == 64 and cfg.data.random_flip
    assert cfg.loss._target_ == f"gansuite.objective.losses.{loss}"
    assert cfg.model.n_critic == n_critic and cfg.model.latent_dim == 128
    assert cfg.regularizers.get("gp", {}).get("weight", 0.0) == penalty
    for optimizer in (cfg.model.optimizer_g, cfg.model.optimizer_d):
        assert optimizer.lr == lr and list(optimizer.betas) == betas
    assert cfg.metrics.num_fake == cfg.metrics.num_real == 50_000 and cfg.metrics.split == "train"


def test_command_line_data_wins_over_the_experiment(tmp_path):
    cfg = compose_config(["experiment=wgan_gp_cifar10", "data=cifar10_subset", "data.batch_size=16"], tmp_path)
    assert cfg.data.base_folder == "cifar-10-batches-py-subset" and cfg.data.batch_size == 16
    assert cfg.data.random_flip  # the experiment's own data settings still apply
