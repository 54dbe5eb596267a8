"""Bad input fails before anything is built, in one line naming the problem and the fix (issue 7, item 1)."""

from pathlib import Path

import pytest
from gansuite_testing import QUIET, TINY_MLP, TINY_TOY, compose_config
from hydra.core.override_parser.overrides_parser import OverridesParser

from gansuite.commands.entry import quoted_for_hydra, user_error
from gansuite.data.toy import GaussianMixture
from gansuite.errors import ConfigError, DataError
from gansuite.modules.capabilities import Capabilities
from gansuite.modules.gan import GAN
from gansuite.run.train import train
from gansuite.run.validation import validate


class TwoDomainData(GaussianMixture):
    """Carries the two-domain marker that unpaired datasets (CycleGAN's) have."""

    domains = ("a", "b")


class TwoDomainModel(GAN):
    """Consumes two unpaired domains, as CycleGAN does."""

    capabilities = Capabilities(consumes="domains", produces="samples")


BAD_INPUTS = {
    # overrides: (error type, fragment of the message)
    "data=image_folder": (ConfigError, "data.path is required but not set: pass data.path="),
    "steps=0": (ConfigError, "steps must be a positive integer"),
    "model.optimizer_g.lr=-1": (ConfigError, "model.optimizer_g.lr must be a positive number, got -1"),
    "model.optimizer_d.lr=0": (ConfigError, "model.optimizer_d.lr must be a positive number"),
    "model.optimizer_d.betas=[0.5,1.5]": (ConfigError, "model.optimizer_d.betas must be two numbers in [0, 1)"),
    "model.n_critic=0": (ConfigError, "model.n_critic must be a positive integer"),
    "model=wgan regularizers.gp.weight=-10": (ConfigError, "GradientPenalty weight must be >= 0"),
    "model.weight_clip=0": (ConfigError, "model.weight_clip must be > 0 or null"),
    "model.latent_dim=0": (ConfigError, "model.latent_dim must be a positive integer"),
    "data.batch_size=0": (ConfigError, "data.batch_size must be a positive integer"),
    "data.batch_size=2048": (ConfigError, "data.batch_size=2048 is larger than the dataset (data.num_samples=1024)"),
    "data=cifar10_subset data.batch_size=6000": (ConfigError, "data.batch_size=6000 is larger than the dataset (5085"),
    "callbacks.sample_grid.every_n_updates=0": (
        ConfigError,
        "callbacks.sample_grid.every_n_updates must be a positive",
    ),
    "callbacks.model_checkpoint.every_n_updates=-5": (ConfigError, "every_n_updates must be a posi"),
    "ckpt_path=/no/such/run/last.ckpt": (ConfigError, "ckpt_path=/no/such/run/last.ckpt is not a file"),
    "model._target_=gansuite.modules.gan.GAM": (ConfigError, "model._target_=gansuite.modules.gan.GAM cannot be im"),
    "loss=wasserstein": (ConfigError, "needs a Lipschitz critic but there is no gradient penalty"),
    "model=dcgan": (ConfigError, "the DCGAN conv nets need image data"),
    "data=mnist model=dcgan data.image_size=24": (ConfigError, "power of two >= 16, got 24x24: set data.image_size"),
    "model.generator.arch=transformer": (ConfigError, "unknown network architecture 'transformer'"),
    "data=mnist data.download=false paths.data_dir=.": (DataError, "mnist not found in"),
    f"model._target_={__name__}.TwoDomainModel": (ConfigError, "TwoDomainModel translates between two image"),
    f"data._target_={__name__}.TwoDomainData": (ConfigError, "TwoDomainData holds two image domains"),
}


@pytest.mark.parametrize("overrides", list(BAD_INPUTS))
def test_bad_input_is_one_clear_line(overrides: str, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)  # paths.data_dir=. must be an empty folder
    error_type, fragment = BAD_INPUTS[overrides]
    toy = ["metrics=none"] if "data=" in overrides else TINY_TOY  # image metrics would first ask for Inception weights
    cfg = compose_config([*TINY_MLP, *QUIET, *toy, "steps=3", *overrides.split()], tmp_path)
    with pytest.raises(Exception) as raised:
        train(cfg)
    error = user_error(raised.value)  # what the CLI prints, unwrapped from Hydra's InstantiationException
    assert isinstance(error, error_type), raised.value
    assert fragment in str(error)
    assert "\n" not in str(error)
    assert not (tmp_path / "checkpoints").exists()


SHIPPED = [
    f"model={model} data={data}"
    for model in ("gan", "wgan", "dcgan")
    for data in ("ring8", "grid25", "two_gaussians", "mnist", "fashion_mnist", "cifar10", "cifar10_subset")
    if not (model == "dcgan" and data in ("ring8", "grid25", "two_gaussians"))
] + ["model=dcgan data=image_folder data.path=/any/folder", "loss=hinge", "loss=lsgan", "loss=minimax"]


@pytest.mark.parametrize("overrides", SHIPPED)
def test_shipped_configs_pass_validation(overrides: str, tmp_path: Path) -> None:
    validate(compose_config(overrides.split(), tmp_path))


def test_non_ascii_values_reach_hydra_quoted_and_read_back_as_typed() -> None:
    argv = ["train.py", "data.path=/data/données", "data.path=/数据/it's", "seed=1", "-m", "x='é'", "y=é,ü"]
    quoted = quoted_for_hydra(argv)
    assert quoted[3:] == argv[3:]  # ASCII, flags, quoted values and sweeps as they were
    parsed = OverridesParser.create().parse_overrides(quoted[1:3])
    assert [override.value() for override in parsed] == ["/data/données", "/数据/it's"]
