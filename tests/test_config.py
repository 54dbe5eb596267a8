"""Every group option composes through Hydra's compose API; combinations that cannot train name their fix."""

import itertools

import pytest
from gansuite_testing import compose_config
from hydra.utils import instantiate
from hydra_config_cache import hydra_without_cache
from omegaconf import OmegaConf

from gansuite.commands.entry import user_error
from gansuite.errors import ConfigError
from gansuite.modules.loading import build_model
from gansuite.objective.losses import HingeLoss, LeastSquaresLoss, MinimaxLoss, NonSaturatingLoss, WassersteinLoss

MODELS = ["gan", "dcgan", "wgan"]
LOSSES = ["minimax", "nonsaturating", "wasserstein", "hinge", "lsgan"]
DATA = ["ring8", "grid25", "two_gaussians", "mnist", "fashion_mnist", "cifar10", "cifar10_subset", "image_folder"]


@pytest.mark.parametrize(("model", "loss"), itertools.product(MODELS, LOSSES))
def test_every_model_and_loss_composes(tmp_path, model, loss):
    cfg = compose_config([f"model={model}", f"loss={loss}"], tmp_path)
    assert cfg.model._target_ == "gansuite.modules.gan.GAN"
    assert cfg.loss._target_.endswith(
        {
            "minimax": "MinimaxLoss",
            "nonsaturating": "NonSaturatingLoss",
            "wasserstein": "WassersteinLoss",
            "hinge": "HingeLoss",
            "lsgan": "LeastSquaresLoss",
        }[loss]
    )


@pytest.mark.parametrize("data", DATA)
def test_every_data_option_composes(tmp_path, data):
    cfg = compose_config(
        [f"data={data}", "data.path=/some/folder"] if data == "image_folder" else [f"data={data}"], tmp_path
    )
    datamodule = instantiate(cfg.data)  # no data is read before setup()
    expected = {
        "ring8": (2,),
        "grid25": (2,),
        "two_gaussians": (2,),
        "mnist": (1, 32, 32),
        "fashion_mnist": (1, 32, 32),
        "image_folder": (3, 64, 64),
    }.get(data, (3, 32, 32))
    assert datamodule.shape == expected
    # toy data is scored by mode coverage, images by the image metrics group
    assert (cfg.metrics.get("monitor") == "val/kl") == (len(expected) == 1)


@pytest.mark.parametrize(
    ("model", "loss_type"), [("gan", NonSaturatingLoss), ("dcgan", NonSaturatingLoss), ("wgan", WassersteinLoss)]
)
def test_each_model_brings_its_natural_loss(tmp_path, model, loss_type):
    cfg = compose_config([f"model={model}", "data=mnist"], tmp_path)
    assert isinstance(build_model(cfg, (1, 32, 32)).loss, loss_type)


def test_wgan_is_wgan_gp_with_the_papers_hyperparameters(tmp_path):
    cfg = compose_config(["model=wgan"], tmp_path)
    module = build_model(cfg, (2,))
    assert (module.regularizers["gp"].weight, module.n_critic) == (10.0, 5)
    optimizer_d, optimizer_g = (
        module.optimizer_d(module.discriminator.parameters()),
        module.optimizer_g(module.generator.parameters()),
    )
    for optimizer in (optimizer_d, optimizer_g):
        assert optimizer.defaults["lr"] == 1e-4 and tuple(optimizer.defaults["betas"]) == (0.0, 0.9)


def test_dcgan_hyperparameters(tmp_path):
    module = build_model(compose_config(["model=dcgan", "data=cifar10"], tmp_path), (3, 32, 32))
    optimizer = module.optimizer_g(module.generator.parameters())
    assert optimizer.defaults["lr"] == 2e-4 and tuple(optimizer.defaults["betas"]) == (0.5, 0.999)
    assert any(type(m).__name__ == "BatchNorm2d" for m in module.discriminator.modules())


def test_wgan_critic_on_images_has_no_batch_norm(tmp_path):
    module = build_model(compose_config(["model=wgan", "data=cifar10"], tmp_path), (3, 32, 32))
    assert not any(type(m).__name__ == "BatchNorm2d" for m in module.discriminator.modules())
    assert type(module.discriminator).__name__ == "DCGANDiscriminator"


def test_label_smoothing_reaches_the_loss(tmp_path):
    cfg = compose_config(["loss=minimax", "loss.real_label=0.9"], tmp_path)
    loss = instantiate(cfg.loss)
    assert isinstance(loss, MinimaxLoss) and loss.real_label == 0.9
    assert isinstance(instantiate(compose_config(["loss=hinge"], tmp_path).loss), HingeLoss)
    assert isinstance(instantiate(compose_config(["loss=lsgan"], tmp_path).loss), LeastSquaresLoss)


@pytest.mark.parametrize(
    ("overrides", "shape", "fragment"),
    [
        (["loss=wasserstein"], (2,), "regularizers=[gp]"),
        (["model=dcgan", "loss=wasserstein"], (1, 32, 32), "model.weight_clip=0.01"),
        (["model=dcgan"], (2,), "use model=gan (MLP) or model=wgan for 2-D points"),
        (["model=gan", "model.n_critic=0"], (2,), "model.n_critic must be a positive integer"),
    ],
)
def test_combinations_that_cannot_train_name_the_fix(tmp_path, overrides, shape, fragment):
    cfg = compose_config(overrides, tmp_path)
    with pytest.raises(Exception) as info:
        build_model(cfg, shape)
    error = user_error(info.value)  # Hydra's instantiate wraps the ConfigError
    assert isinstance(error, ConfigError)
    assert fragment in str(error)


def test_weight_clipping_makes_wasserstein_trainable(tmp_path):
    cfg = compose_config(["loss=wasserstein", "model.weight_clip=0.01"], tmp_path)
    assert build_model(cfg, (2,)).weight_clip == 0.01


# Experiments (`# @package _global_` files overriding groups) of three families, a model's file, list groups, Hydra's
# own groups (the launcher and sweeper plugins'), and the other primary configs.
CACHE_CASES = [
    ("config", ["experiment=r3gan_toy"]),
    ("config", ["experiment=stylegan2_ffhq256"]),
    ("config", ["experiment=cyclegan_mnist"]),
    ("config", ["model=pix2pix", "data=cifar_colorize"]),
    ("config", ["regularizers=[r1,r2]", "augment=diffaugment", "logger=[csv,tensorboard]"]),
    ("config", ["hydra/launcher=slurm", "hydra/sweeper=optuna"]),
    ("evaluate", ["ckpt_path=run/checkpoints/last.ckpt"]),
    ("train_classifier", []),
]


def test_compositions_with_the_tests_config_cache_are_hydras_own(tmp_path):
    """tests/hydra_config_cache.py keeps what Hydra read from conf/ for the next composition: each of these composes,
    Hydra's node included, to the same config as Hydra without it, and a change to one composed config does not
    reach the next."""
    for config_name, overrides in CACHE_CASES:
        cached = compose_config(overrides, tmp_path, config_name, return_hydra_config=True)
        with hydra_without_cache():
            uncached = compose_config(overrides, tmp_path, config_name, return_hydra_config=True)
        assert OmegaConf.to_yaml(cached) == OmegaConf.to_yaml(uncached), (config_name, overrides)
    first = compose_config(["model=dcgan"], tmp_path)
    first.model.latent_dim = 7
    first.model.generator.conv.width = 3
    second = compose_config(["model=dcgan"], tmp_path)
    assert second.model.latent_dim != 7 and second.model.generator.conv.width != 3


def test_settings_of_an_option_not_chosen_are_refused_and_the_named_removal_trains_without_it(tmp_path):
    """r3gan_toy tunes r1's and r2's gamma; emptying the group leaves those settings without a regularizer, which
    validation names before anything is built. The removal it suggests (`~regularizers.r1`) leaves none behind."""
    from gansuite.run.validation import validate

    with pytest.raises(
        ConfigError, match=r"regularizers\.r1 is set \(gamma\) but r1 is not chosen in regularizers=\[\]"
    ):
        validate(compose_config(["experiment=r3gan_toy", "regularizers=[]"], tmp_path))
    with pytest.raises(ConfigError, match=r"callbacks\.nope is set \('x'\) but nope is not chosen"):
        validate(compose_config(["+callbacks.nope=x"], tmp_path))
    cfg = compose_config(["experiment=r3gan_toy", "regularizers=[]", "~regularizers.r1", "~regularizers.r2"], tmp_path)
    validate(cfg)
    assert dict(build_model(cfg, (2,)).regularizers) == {}
