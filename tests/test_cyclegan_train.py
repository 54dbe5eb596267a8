"""CycleGAN end to end: real Hydra composition, real Trainer runs on generated folders and on the CIFAR-10 cat/dog
pair of $GANSUITE_DATA_DIR, the files a run leaves, translate.py, the evaluator hook, and the data errors."""

import csv
import math
import os
import sys
from pathlib import Path

import pytest
import torch
from forked_cli import run_python
from gansuite_testing import HANG_GUARD_S, LOG_EVERY_BATCH, QUIET, ROOT, TINY_CYCLEGAN, compose_config
from hydra.utils import instantiate
from PIL import Image
from torchvision.io import write_jpeg, write_png

from gansuite.commands import translate
from gansuite.data import sources
from gansuite.data.images import to_model_range
from gansuite.data.unpaired import CIFAR10_CLASSES
from gansuite.errors import ConfigError, DataError
from gansuite.metrics.inception import write_random_weights
from gansuite.metrics.translation import FrechetDistance, TranslationScores
from gansuite.modules.loading import build_model, load_module
from gansuite.run.train import train

# Tiny CycleGAN nets, quiet, every update logged, and metrics=none: the translation FID needs the Inception weights,
# it is tested on its own below.
CYCLEGAN = [*TINY_CYCLEGAN, *QUIET, *LOG_EVERY_BATCH, "metrics=none"]
LOSSES = ["adversarial_a2b", "adversarial_b2a", "cycle_aba", "cycle_bab", "identity_a2b", "identity_b2a"]
LOSSES += ["g_loss", "d_loss", "d_loss_a", "d_loss_b"]


def write_domains(root: Path, counts: dict[str, int], size: int = 40) -> None:
    """Random RGB images in the CycleGAN layout (PNG, and one JPEG per folder)."""
    generator = torch.Generator().manual_seed(0)
    for split, count in counts.items():
        (root / split).mkdir(parents=True)
        for i in range(count):
            image = torch.randint(0, 256, (3, size, size), dtype=torch.uint8, generator=generator)
            (write_jpeg if i == 0 else write_png)(image, str(root / split / f"{i}.{'jpg' if i == 0 else 'png'}"))


def logged_rows(output_dir: Path) -> list[dict[str, str]]:
    with open(output_dir / "csv" / "metrics.csv") as f:
        return list(csv.DictReader(f))


def test_config_picks_the_reference_loss_and_translation_grids(tmp_path: Path) -> None:
    cfg = compose_config([*CYCLEGAN, "data=cifar_pair"], tmp_path)
    assert cfg.loss._target_ == "gansuite.objective.losses.LeastSquaresLoss"
    assert cfg.callbacks.sample_grid._target_ == "gansuite.callbacks.translations.TranslationGrid"
    assert cfg.callbacks.model_checkpoint._target_ == "gansuite.callbacks.checkpoint.GeneratorStepCheckpoint"
    assert not cfg.metrics  # CYCLEGAN's metrics=none; the model's own choice is the translation FID:
    default = compose_config(["model=cyclegan", "data=cifar_pair"], tmp_path)
    assert default.metrics._target_ == "gansuite.callbacks.evaluation.translation_evaluation"
    assert default.metrics.monitor == "val/fid_a2b"
    assert compose_config([*CYCLEGAN, "loss=hinge"], tmp_path).loss._target_ == "gansuite.objective.losses.HingeLoss"
    gan = compose_config(["model=dcgan", "data=mnist"], tmp_path)
    assert gan.callbacks.sample_grid._target_ == "gansuite.callbacks.samples.SampleGrid"


def test_trains_on_generated_folders_in_the_horse2zebra_layout(tmp_path: Path) -> None:
    data_dir, output_dir = tmp_path / "data", tmp_path / "run"
    write_domains(data_dir / "horse2zebra", {"trainA": 3, "trainB": 4, "testA": 2, "testB": 3})
    cfg = compose_config(
        [
            *CYCLEGAN,
            "data=horse2zebra",
            f"paths.data_dir={data_dir}",
            "data.download=false",
            "data.image_size=32",
            "data.load_size=36",
            "data.num_workers=0",
            "steps=4",
            "callbacks.sample_grid.every_n_updates=2",
            "callbacks.model_checkpoint.every_n_updates=2",
        ],
        output_dir,
    )
    train(cfg)

    rows = logged_rows(output_dir)
    assert [float(row["gen_step"]) for row in rows] == [1, 2, 3, 4]
    for name in LOSSES:
        assert all(math.isfinite(float(row[f"train/{name}"])) for row in rows), name
    # Learning rate of each of the 4 updates: constant for 2, then 1 - k/3 (the reference's linear rule).
    lrs = [float(row["train/lr"]) for row in rows]
    assert lrs == pytest.approx([2e-4, 2e-4, 2e-4 * 2 / 3, 2e-4 / 3], rel=1e-6)

    samples = output_dir / "samples"
    assert sorted(p.name for p in samples.iterdir()) == ["gen_step_000002.png", "gen_step_000004.png"]
    with Image.open(output_dir / "samples.png") as grid:  # 6 rows (A, A->B, A->B->A, B, ...) x 2 test images
        assert grid.size == (2 * 34 + 2, 6 * 34 + 2)

    checkpoints = output_dir / "checkpoints"
    expected = ["gen_step_000002.ckpt", "gen_step_000004.ckpt", "last.ckpt"]
    assert sorted(p.name for p in checkpoints.iterdir()) == expected
    checkpoint = torch.load(checkpoints / "last.ckpt", map_location="cpu", weights_only=False)
    assert checkpoint["global_step"] == 8  # 2 optimizer steps per generator update
    assert [state["param_groups"][0]["lr"] for state in checkpoint["optimizer_states"]] == [0.0, 0.0]
    module, config = load_module(checkpoints / "last.ckpt")
    assert config.data.name == "horse2zebra"

    translated = tmp_path / "translated"
    arguments = [f"ckpt_path={checkpoints / 'last.ckpt'}", f"input={data_dir / 'horse2zebra' / 'testB'}"]
    arguments += [f"output={translated}", "direction=b2a"]
    written = translate.main(arguments)
    assert sorted(p.name for p in translated.iterdir()) == ["0.png", "1.png", "2.png"] == [p.name for p in written]
    with Image.open(translated / "1.png") as image:
        assert image.size == (40, 40)  # the input's size, not the training size (resize=true gives that)
    with pytest.raises(ConfigError, match="0.png already exists .3 of the 3 outputs do.*overwrite=true"):
        translate.main(arguments)  # never overwrites unasked
    assert len(translate.main([*arguments, "overwrite=true"])) == 3


def test_trains_on_the_cifar_cat_dog_pair(tmp_path: Path) -> None:
    cfg = compose_config([*CYCLEGAN, "data=cifar_pair", "steps=2"], tmp_path)
    datamodule = instantiate(cfg.data)
    datamodule.setup()
    sizes = {split: len(images) for split, images in datamodule.domains.items()}
    assert sizes == {"trainA": 493, "trainB": 475, "testA": 104, "testB": 87}
    images, labels = sources.load_labelled("cifar10", Path(cfg.paths.data_dir), True, False, cfg.data.base_folder)
    assert torch.equal(datamodule.domains["trainB"][0], images[labels == CIFAR10_CLASSES.index("dog")][0])

    train(cfg)
    rows = logged_rows(tmp_path)
    assert len(rows) == 2
    assert all(math.isfinite(float(row[f"train/{name}"])) for row in rows for name in LOSSES)
    assert (tmp_path / "checkpoints" / "last.ckpt").is_file()
    assert (tmp_path / "samples.png").is_file()


def test_evaluator_scores_all_translated_test_images_in_both_directions(tmp_path: Path) -> None:
    cfg = compose_config([*CYCLEGAN, "data=cifar_pair"], tmp_path)
    datamodule = instantiate(cfg.data)
    module = build_model(cfg, datamodule.shape)
    seen = []

    def mean_gap(generated: torch.Tensor, real: torch.Tensor) -> float:
        seen.append((len(generated), len(real)))
        return float(generated.mean() - real.mean())

    scores = TranslationScores(mean_gap, batch_size=40)(module, datamodule)
    assert seen == [(104, 87), (87, 104)]  # every test cat translated vs every test dog, and the reverse
    test_a, test_b = to_model_range(datamodule.test_images("a")), to_model_range(datamodule.test_images("b"))
    expected = float(module.translate(test_a, "a2b").mean() - test_b.mean())
    assert scores["fid_a2b"] == pytest.approx(expected, abs=1e-5)
    assert set(scores) == {"fid_a2b", "fid_b2a"}


@pytest.mark.slow
def test_translation_fid_is_zero_for_identical_sets_and_grows_with_noise(tmp_path: Path) -> None:
    """FrechetDistance on inception-v3-compat with seeded random weights (the real file is not available offline)."""
    distance = FrechetDistance(str(write_random_weights(tmp_path / "inception.pth")), batch_size=8)
    images = torch.rand(6, 3, 32, 32, generator=torch.Generator().manual_seed(0)) * 2 - 1
    noisy = (images + 0.5 * torch.randn(6, 3, 32, 32, generator=torch.Generator().manual_seed(1))).clamp(-1, 1)
    same = distance(images, images)
    assert abs(same) < 1e-2  # float64 statistics of identical features; sqrtm leaves rounding only
    assert distance(noisy, images) > 10 * max(same, 1e-3)


@pytest.mark.slow
def test_missing_domain_is_a_one_line_cli_error(tmp_path: Path) -> None:
    write_domains(tmp_path / "data", {"trainA": 1, "trainB": 1, "testA": 1})
    command = [sys.executable, str(ROOT / "train.py"), *CYCLEGAN, "data=unpaired_folder"]
    command += [f"data.path={tmp_path / 'data'}", f"hydra.run.dir={tmp_path / 'run'}", "steps=1"]
    result = run_python(command, ROOT, dict(os.environ), HANG_GUARD_S)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].startswith("error: ")
    assert "testB does not exist" in result.stderr and "trainA/, trainB/, testA/, testB/" in result.stderr


def test_single_domain_data_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="translates between two image domains"):
        train(compose_config([*CYCLEGAN, "data=cifar10_subset", "steps=1"], tmp_path))


def test_empty_domain_and_absent_download_are_data_errors(tmp_path: Path) -> None:
    write_domains(tmp_path / "data", {"trainA": 1, "trainB": 0, "testA": 1, "testB": 1})
    cfg = compose_config([*CYCLEGAN, "data=unpaired_folder", f"data.path={tmp_path / 'data'}"], tmp_path)
    with pytest.raises(DataError, match="trainB holds no images"):
        instantiate(cfg.data).setup()
    cfg = compose_config(
        [*CYCLEGAN, "data=apple2orange", f"paths.data_dir={tmp_path}", "data.download=false"], tmp_path
    )
    with pytest.raises(DataError, match=r"apple2orange not found .* download https://\S+/apple2orange.zip"):
        instantiate(cfg.data).setup()
