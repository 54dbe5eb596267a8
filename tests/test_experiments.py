"""Every experiment in conf/experiment/ composes and trains 2 generator updates offline, with `metrics=none` and with
its own metrics: its own networks, loss, regularizers, optimizers and evaluation on offline data (shrunk only in
size; random Inception weights, as the real ones cannot be downloaded here), so no recipe is a dead config."""

import json
import math
from pathlib import Path

import pytest
from gansuite_testing import (
    QUIET,
    ROOT,
    TINY_CONV,
    TINY_CYCLEGAN,
    TINY_MLP,
    TINY_PIX2PIX,
    TINY_RESNET,
    TINY_SRGAN,
    TINY_STYLEGAN2,
    TINY_TOY,
    compose_config,
)

from gansuite.metrics.inception import write_random_weights
from gansuite.metrics.lpips import write_random_backbone
from gansuite.run.train import train

EXPERIMENTS = sorted(path.stem for path in (ROOT / "conf" / "experiment").glob("*.yaml"))
# The recipes that evaluate while training (the others, metrics=none, are scored by a benchmark script).
EVALUATED = [
    n for n in EXPERIMENTS if "override /metrics: none" not in (ROOT / "conf" / "experiment" / f"{n}.yaml").read_text()
]


def offline_and_tiny(name: str) -> list[str]:
    """Overrides that put experiment `name` on offline data with tiny networks; nothing else of it changes."""
    if name.endswith("_toy"):
        return [*(key for key in TINY_TOY if not key.startswith("metrics.")), *TINY_MLP]
    if name.startswith("cyclegan"):
        data = [] if name == "cyclegan_mnist" else ["data=cifar_pair"]  # mnist_pair is offline already
        return [x for x in TINY_CYCLEGAN if x != "model=cyclegan"] + data
    if name.startswith("pix2pix"):
        return [x for x in TINY_PIX2PIX if x != "model=pix2pix"] + ["data=cifar_colorize", "data.batch_size=4"]
    if name.startswith(("srgan", "srresnet")):  # pixel content loss (no VGG19 weights offline); LPIPS needs 32 px
        data = ["data=sr_folder", "data.crop_size=32", "data.batch_size=4", "data.num_test=2"]
        return [*(x for x in TINY_SRGAN if x != "model=srgan"), *data]
    if name.startswith("stylegan2"):
        tiny = [x for x in TINY_STYLEGAN2 if x != "model=stylegan2"]
        # ffhq256 reads an image folder: BSD68's 68 photos stand in for FFHQ offline; MNIST is offline already
        data = ["data=cifar10_subset"]
        if "ffhq" in name:
            data = ["data.path=${paths.data_dir}/sr/BSD68"]
        elif name.endswith("_mnist"):
            data = []
        return [*tiny, *data, "data.batch_size=4", "data.image_size=32"]
    if name.endswith("_mnist"):  # the CPU recipes: MNIST is offline, and the classifier metrics are MNIST's
        return ["data.batch_size=8", *TINY_CONV]
    arch = "resnet" if any(key in name for key in ("sngan", "resnet", "r3gan", "cgan_pd")) else "conv"
    return ["data=cifar10_subset", "data.batch_size=8", *(TINY_RESNET if arch == "resnet" else TINY_CONV)]


def test_every_experiment_is_covered() -> None:
    assert len(EXPERIMENTS) >= 8 and "r3gan_toy" in EXPERIMENTS and "sngan_cifar10" in EXPERIMENTS


@pytest.fixture(scope="module")
def srresnet_cpu_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What experiment=srgan_cpu starts from (init_from=): a one-update srresnet_cpu run at the tiny sizes."""
    run_dir = tmp_path_factory.mktemp("srresnet_cpu")
    overrides = ["experiment=srresnet_cpu", *offline_and_tiny("srresnet_cpu"), "metrics=none", "steps=1", *QUIET]
    train(compose_config([*overrides, "logger=csv"], run_dir))
    return run_dir


def started_from(name: str, request: pytest.FixtureRequest) -> list[str]:
    """The run a recipe starts from, for the recipes that need one."""
    return [f"init_from={request.getfixturevalue('srresnet_cpu_run')}"] if name == "srgan_cpu" else []


@pytest.mark.slow
@pytest.mark.parametrize("name", EXPERIMENTS)
def test_experiment_trains_two_updates_with_metrics_none(
    tmp_path: Path, data_dir: Path, name: str, request: pytest.FixtureRequest
) -> None:
    overrides = [f"experiment={name}", *offline_and_tiny(name), *started_from(name, request), "metrics=none"]
    overrides += ["steps=2", "logger=csv", *QUIET]
    cfg = compose_config(overrides, tmp_path)
    assert cfg.task_name == name
    assert train(cfg) is None  # no evaluation: nothing to return
    assert (tmp_path / "checkpoints" / "last.ckpt").is_file()


@pytest.fixture(scope="module")
def inception_weights(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_random_weights(tmp_path_factory.mktemp("inception") / "inception.pth")


@pytest.fixture(scope="module")
def torch_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A hub cache holding seeded random weights of LPIPS's AlexNet backbone, written once for the module (244 MB,
    about a second to write), for the experiments that score LPIPS."""
    home = tmp_path_factory.mktemp("torch_home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TORCH_HOME", str(home))
        write_random_backbone("alex")
    return home


@pytest.fixture(scope="module")
def real_stats_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One cache of real features for the module, as a user's runs share logs/real_stats: Inception at 299x299 is
    what these tests spend their time on, and the CIFAR-10 recipes score the same real images."""
    return tmp_path_factory.mktemp("real_stats")


def fewer_evaluated(name: str, inception_weights: Path, real_stats_cache: Path) -> list[str]:
    """The experiment's own metrics on fewer samples."""
    if name.endswith("_toy"):
        return ["metrics.num_samples=200"]
    if name.startswith(("srgan", "srresnet")):
        return []  # PSNR, SSIM and LPIPS (its backbone in the hub cache): sr_cifar's test images are already few
    weights = f"metrics.inception_weights={inception_weights}"
    if name.startswith(("cyclegan", "pix2pix")):
        return [weights, "metrics.num_test=4"]
    sizes = ["metrics.num_fake=10", "metrics.num_real=10", "metrics.is_splits=2", "metrics.kid_subsets=2"]
    sizes += [f"metrics.cache_dir={real_stats_cache}", "metrics.kid_subset_size=5"]
    # Intra-class FID needs a few images of every class, and ten 2048-d Inception FIDs cost half a minute here:
    # it is checked on classifier features in test_conditional.py.
    conditional = ["metrics.intra_class_fid=false"] if "cgan" in name or name == "stylegan2_cifar10" else []
    if name.endswith("_mnist"):  # the MNIST classifier's features: no Inception weights
        return [*sizes, *conditional]
    return [weights, *sizes, *conditional]


@pytest.mark.slow
@pytest.mark.parametrize("name", EVALUATED)
def test_experiment_trains_two_updates_with_its_own_metrics(
    tmp_path: Path,
    data_dir: Path,
    inception_weights: Path,
    real_stats_cache: Path,
    torch_home: Path,
    name: str,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> None:
    monkeypatch.setenv("TORCH_HOME", str(torch_home))  # LPIPS's backbone, where the experiment scores it
    overrides = [f"experiment={name}", *offline_and_tiny(name), *started_from(name, request)]
    overrides += fewer_evaluated(name, inception_weights, real_stats_cache)
    cfg = compose_config([*overrides, "steps=2", "logger=csv", *QUIET], tmp_path)
    monitored = train(cfg)
    final = json.loads((tmp_path / "metrics.json").read_text())
    assert math.isfinite(monitored) and monitored == pytest.approx(final[cfg.metrics.monitor])
