"""Data faults: unreadable image files named or skipped with a count, empty folders, mixed modes, stray files
(issue 7, item 2). The missing-dataset-offline case is in the bad-input table of test_reliability_config.py."""

from pathlib import Path

import numpy as np
import pytest
import torch
from gansuite_testing import QUIET, TINY_MLP
from PIL import Image
from reliability_helpers import finish, start_cli, user_error_line

from gansuite.data.image_folder import ImageFolder
from gansuite.errors import DataError

SIZE = 16


def write_images(folder: Path, count: int = 4) -> list[Path]:
    """`count` images in each of RGB PNG, grayscale JPEG (in a subfolder), RGBA PNG and palette PNG."""
    rng = np.random.default_rng(0)
    (folder / "gray").mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        rgb = (rng.random((20, 24, 3)) * 255).astype(np.uint8)
        images = {
            folder / f"rgb{i}.png": Image.fromarray(rgb),
            folder / "gray" / f"gray{i}.jpg": Image.fromarray(rgb[..., 0]),
            folder / f"rgba{i}.png": Image.fromarray(np.dstack([rgb, rgb[..., :1]])),
            folder / f"palette{i}.png": Image.fromarray(rgb).convert("P"),
        }
        for path, image in images.items():
            image.save(path)
            paths.append(path)
    return paths


def truncated_jpeg(path: Path) -> Path:
    """A JPEG whose header reads but whose pixel data stops halfway, as an interrupted copy leaves it."""
    Image.fromarray((np.random.default_rng(1).random((32, 32, 3)) * 255).astype(np.uint8)).save(path, quality=95)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def folder_module(path: Path, **kwargs) -> ImageFolder:
    module = ImageFolder(str(path), image_size=SIZE, batch_size=4, num_workers=0, **kwargs)
    module.setup("fit")
    return module


def test_mixed_modes_are_converted_and_other_files_ignored(tmp_path: Path) -> None:
    images = write_images(tmp_path)
    (tmp_path / "README.txt").write_text("not an image")
    (tmp_path / "labels.csv").write_text("a,b\n")
    module = folder_module(tmp_path)
    assert sorted(module.dataset.files) == sorted(images)
    batch = next(iter(module.train_dataloader()))
    assert batch.dtype == torch.uint8 and batch.shape == (4, 3, SIZE, SIZE)
    gray = module.dataset.files.index(tmp_path / "gray" / "gray0.jpg")
    pixels = module.dataset[gray]
    assert torch.equal(pixels[0], pixels[1]) and torch.equal(pixels[1], pixels[2])  # gray became equal RGB planes


def test_folder_without_images(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("no images here")
    with pytest.raises(DataError, match=r"no images in .* set data.path to a folder that holds images"):
        folder_module(tmp_path)


def test_unreadable_file_is_named_before_training(tmp_path: Path) -> None:
    write_images(tmp_path)
    (tmp_path / "broken.png").write_bytes(b"\x89PNG\r\n not really")
    with pytest.raises(DataError) as raised:
        folder_module(tmp_path)
    message = str(raised.value)
    assert f"cannot read image {tmp_path / 'broken.png'}" in message
    assert "set data.skip_corrupt=true" in message and "\n" not in message


def test_unreadable_files_are_skipped_with_a_count(tmp_path: Path) -> None:
    images = write_images(tmp_path)
    (tmp_path / "broken.png").write_bytes(b"garbage")
    (tmp_path / "empty.jpg").write_bytes(b"")
    with pytest.warns(UserWarning, match=r"skipped 2 unreadable image\(s\) of 18 \(data.skip_corrupt=true\)"):
        module = folder_module(tmp_path, skip_corrupt=True)
    assert sorted(module.dataset.files) == sorted(images)


@pytest.mark.slow
def test_truncated_file_found_by_a_loader_worker(tmp_path: Path) -> None:
    """The header check passes a truncated JPEG; the worker that decodes it stops the run with its path, in one
    line through the CLI, or skips it with data.skip_corrupt=true and the run completes."""
    folder = tmp_path / "images"
    write_images(folder, count=2)
    truncated = truncated_jpeg(folder / "zz_truncated.jpg")
    run = [
        *TINY_MLP,
        *QUIET,
        "data=image_folder",
        "metrics=none",
        f"data.path={folder}",
        f"data.image_size={SIZE}",
        "data.batch_size=9",
    ]
    run += ["data.num_workers=1", "steps=4", "callbacks.sample_grid.every_n_updates=100", "logger=csv"]
    stopped = start_cli(tmp_path / "stopped", *run)
    skipped = start_cli(tmp_path / "skipped", *run, "data.skip_corrupt=true")

    status, _, err = finish(stopped)
    assert status == 2
    line = user_error_line(err)
    assert line.startswith(f"error: cannot read image {truncated} (image file is truncated")
    assert line.endswith("delete or replace it, or set data.skip_corrupt=true")

    status, _, err = finish(skipped)
    assert status == 0, err
    assert f"skipped unreadable image {truncated}" in err
    assert (tmp_path / "skipped" / "checkpoints" / "last.ckpt").is_file()
