"""Image metrics: statistical sanity on real MNIST features, the real-feature cache, the offline errors, the MNIST
classifier, the config wiring and a real training run with periodic metrics, best.ckpt and scripts/evaluate.py.

Everything here uses the shipped MNIST classifier as the feature network (cheap on a CPU); the Inception protocol is
checked against torch-fidelity in test_metrics_agreement.py.
"""

import json
import os
import sys
from pathlib import Path

import pytest
import torch
from forked_cli import run_python
from gansuite_testing import DATA_DIR, HANG_GUARD_S, LOG_EVERY_BATCH, QUIET, ROOT, TINY_CONV, compose_config
from metrics_replay import Replay
from torchvision import datasets

from gansuite.callbacks.evaluation import image_evaluation
from gansuite.data.images import TorchvisionImages
from gansuite.errors import ConfigError
from gansuite.metrics import inception
from gansuite.metrics.classifier import Classifier, default_weights
from gansuite.metrics.image_metrics import ImageMetrics, real_image_batches
from gansuite.run.train import train

CLASSIFIER = ["metrics.extractor=classifier", "metrics.num_fake=200", "metrics.num_real=200"]
CLASSIFIER += ["metrics.kid_subset_size=100", "metrics.kid_subsets=10"]


@pytest.fixture(scope="module")
def mnist() -> TorchvisionImages:
    return TorchvisionImages("mnist", str(DATA_DIR), 32, download=False)


def classifier_metrics(cache_dir: Path, num: int = 2000, **overrides) -> ImageMetrics:
    protocol = dict(num_fake=num, num_real=num, split="test", extractor="classifier", dataset="mnist")
    protocol |= dict(kid_subsets=20, cache_dir=str(cache_dir), name_suffix="_mnist_clf")
    return ImageMetrics(**(protocol | overrides))


def score(metrics: ImageMetrics, images: torch.Tensor, datamodule) -> dict[str, float]:
    return metrics(Replay(images), datamodule)


def test_fid_is_zero_on_the_real_set_and_grows_with_noise(tmp_path, mnist):
    metrics = classifier_metrics(tmp_path, num=1000)
    real = torch.cat(list(real_image_batches(mnist, "test", 1000, 100, metrics.seed)))
    noise = torch.randn(real.shape, generator=torch.Generator().manual_seed(0))
    fids = []
    for sigma in (0, 8, 32, 64):
        noisy = (real.float() + sigma * noise).round().clamp(0, 255).to(torch.uint8)
        fids.append(score(metrics, noisy, mnist)["fid_mnist_clf"])
    assert abs(fids[0]) < 1e-6 * fids[1]
    assert all(a < b for a, b in zip(fids, fids[1:], strict=False)), fids


@pytest.mark.slow
def test_kid_is_unbiased_on_two_samples_of_one_distribution(tmp_path, mnist):
    """KID of disjoint MNIST train and test images: ~0 (the unbiased MMD may go negative), far below a real gap."""
    metrics = classifier_metrics(tmp_path)
    other = mnist.split_images(train=True)[:2000]
    same = score(metrics, other, mnist)
    noisy = (other.float() + 32 * torch.randn(other.shape)).clamp(0, 255).to(torch.uint8)
    gap = score(metrics, noisy, mnist)
    assert abs(same["kid_mnist_clf"]) < 0.05 * gap["kid_mnist_clf"]
    assert abs(same["kid_mnist_clf"]) < 3 * same["kid_std_mnist_clf"]


def test_real_features_are_cached_on_disk_and_reused(tmp_path, mnist):
    first = classifier_metrics(tmp_path, num=1000)
    first.prepare(mnist, torch.device("cpu"))
    second = classifier_metrics(tmp_path, num=1000)
    second.prepare(mnist, torch.device("cpu"))
    assert first.real_from_cache is False and second.real_from_cache is True
    assert torch.equal(first.real_features, second.real_features)
    other_split = classifier_metrics(tmp_path, num=1000, split="train")
    other_split.prepare(mnist, torch.device("cpu"))
    assert other_split.real_from_cache is False and len(list(tmp_path.glob("*.pt"))) == 2


@pytest.mark.slow
def test_shipped_mnist_classifier_reaches_98_percent_test_accuracy(mnist):
    model = Classifier.load(default_weights("mnist"))
    assert default_weights("mnist").stat().st_size < 500_000
    images = mnist.split_images(train=False)
    labels = datasets.MNIST(str(DATA_DIR), train=False, download=False).targets
    with torch.inference_mode():
        predictions = torch.cat([model(batch).argmax(1) for batch in images.split(1000)])
    assert (predictions == labels).double().mean() >= 0.98


def offline_env(tmp_path: Path) -> dict[str, str]:
    """An empty torch hub cache and a proxy nothing listens on: the weights can be neither found nor downloaded."""
    proxy = "http://127.0.0.1:9"
    return {**os.environ, "TORCH_HOME": str(tmp_path / "torch"), "https_proxy": proxy, "HTTPS_PROXY": proxy}


@pytest.mark.slow
def test_missing_inception_weights_stop_the_run_with_one_line_naming_the_file_and_the_fixes(tmp_path):
    command = [sys.executable, str(ROOT / "train.py"), "data=mnist", "steps=1", f"paths.log_dir={tmp_path}"]
    env = offline_env(tmp_path)
    result = run_python(command, ROOT, env, HANG_GUARD_S)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    line = result.stderr.strip().splitlines()[-1]
    assert line.startswith("error:"), result.stderr
    for part in (inception.WEIGHTS_FILE, inception.SHA256_PREFIX, "metrics.inception_weights=", "hub/checkpoints"):
        assert part in line


def test_wrong_weights_path_extractor_split_and_monitor_are_config_errors(tmp_path):
    with pytest.raises(ConfigError, match="metrics.inception_weights"):
        ImageMetrics(inception_weights=str(tmp_path / "missing.pth"))
    with pytest.raises(ConfigError, match="metrics.extractor=vgg"):
        ImageMetrics(extractor="vgg")
    with pytest.raises(ConfigError, match="metrics.split=val"):
        ImageMetrics(split="val", extractor="classifier", dataset="mnist")
    with pytest.raises(ConfigError, match="kid_subset_size"):
        ImageMetrics(num_fake=100, extractor="classifier", dataset="mnist")
    with pytest.raises(ConfigError, match="val/fid_mnist_clf"):
        image_evaluation(10, "val/fid", {"classifier": "_mnist_clf"}, extractor="classifier", dataset="mnist")
    with pytest.raises(ConfigError, match="trains only on mnist, fashion_mnist"):
        ImageMetrics(extractor="classifier", dataset="cifar10")


@pytest.mark.parametrize(
    ("protocol", "message"),
    [
        ({"num_fake": 1}, r"metrics.num_fake must be an integer >= 2 \(generated images; FID's covariance"),
        ({"num_real": 1.5}, r"metrics.num_real must be an integer >= 2 .*got 1.5"),
        ({"batch_size": 0}, r"metrics.batch_size must be an integer >= 1"),
        ({"is_splits": 0}, r"metrics.is_splits must be an integer >= 1"),
        ({"is_splits": 11, "num_fake": 10}, r"metrics.is_splits=11 splits metrics.num_fake=10 images"),
        ({"kid_subsets": 0}, r"metrics.kid_subsets must be an integer >= 1"),
        ({"kid_subset_size": 1}, r"metrics.kid_subset_size must be an integer >= 2"),
        ({"precision_recall": True, "prc_neighborhood": 10, "num_fake": 10}, r"metrics.prc_neighborhood=10 must be"),
        ({"density_coverage": True, "density_coverage_neighborhood": 0}, r"metrics.density_coverage_neighborhood=0"),
    ],
)
def test_protocols_that_cannot_be_computed_are_refused_before_any_weights_are_read(protocol, message, tmp_path):
    """Each gave a traceback at the first evaluation (FID's covariance of one image, an empty IS split, a KID subset
    of one, k past the sample); the weights path does not exist, and is never reached."""
    sizes = {"num_fake": 10, "num_real": 10, "kid_subset_size": 5} | protocol
    with pytest.raises(ConfigError, match=message):
        ImageMetrics(**sizes, inception_weights=str(tmp_path / "never_read.pth"))


def test_image_data_selects_image_metrics_and_best_checkpoint_toy_data_mode_coverage(tmp_path):
    images = compose_config(["data=mnist", *CLASSIFIER], tmp_path)
    assert images.metrics.monitor == "val/fid_mnist_clf"
    assert images.callbacks.best_checkpoint.monitor == "val/fid_mnist_clf"
    assert compose_config(["data=cifar10_subset"], tmp_path).metrics.monitor == "val/fid"
    toy = compose_config(["data=ring8"], tmp_path)
    assert toy.metrics.monitor == "val/kl" and "best_checkpoint" not in toy.callbacks


@pytest.mark.slow
def test_training_logs_classifier_metrics_keeps_best_checkpoint_and_evaluate_prints_the_protocol(tmp_path):
    overrides = ["data=mnist", "data.batch_size=16", "steps=4", "metrics.every_n_updates=2", *CLASSIFIER]
    overrides += [*QUIET, *LOG_EVERY_BATCH, "model=dcgan", *TINY_CONV, f"metrics.cache_dir={tmp_path / 'cache'}"]
    final = train(compose_config(overrides, tmp_path))
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert final == metrics["val/fid_mnist_clf"] > 0 and metrics["val/cs_mnist_clf"] >= 1
    assert "val/fid" not in metrics  # a classifier FID never passes for an Inception one
    assert (tmp_path / "checkpoints" / "best.ckpt").is_file() and (tmp_path / "checkpoints" / "last.ckpt").is_file()
    assert len(list((tmp_path / "cache").glob("*.pt"))) == 1  # the periodic and final evaluations share it

    last = tmp_path / "checkpoints" / "last.ckpt"
    command = [sys.executable, str(ROOT / "scripts" / "evaluate.py"), f"ckpt_path={last}"]
    command += [*CLASSIFIER, f"metrics.cache_dir={tmp_path / 'cache'}", f"paths.log_dir={tmp_path / 'logs'}"]
    result = run_python(command, ROOT, dict(os.environ), HANG_GUARD_S)
    assert result.returncode == 0, result.stderr
    for row in ("extractor", "mnist classifier", "resize", "real images", "200 (train split)", "fake images"):
        assert row in result.stdout
    evaluated = json.loads(next((tmp_path / "logs").rglob("evaluation.json")).read_text())["metrics"]
    assert evaluated["fid_mnist_clf"] == pytest.approx(metrics["val/fid_mnist_clf"], rel=1e-6)
