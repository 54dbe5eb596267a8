"""Packed datasets (`gansuite-dataset pack`, data=packed) and the train/test duplicate check (`gansuite-dataset check`):
the packed pixels are the folder loader's, byte for byte; a damaged pack stops with one line; a short run trains on
one; a planted duplicate is found; bad command lines get one line and exit status 2."""

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from forked_cli import run_python
from gansuite_testing import HANG_GUARD_S, QUIET, ROOT, TINY_CONV, compose_config
from PIL import Image

from gansuite.commands.dataset import main as dataset_command
from gansuite.data.duplicates import fingerprints, shared_images
from gansuite.data.image_files import list_images
from gansuite.data.image_folder import ImageFiles, folder_labels
from gansuite.data.packed import IMAGES, MANIFEST, PackedImages, pack_folder
from gansuite.data.sources import load
from gansuite.errors import DataError
from gansuite.run.train import train

SCRIPT = ROOT / "scripts" / "dataset.py"


def cifar_images(data_dir: Path, count: int, train: bool = True) -> np.ndarray:
    """`count` real CIFAR-10 images (N, 32, 32, 3) of the offline subset: photos, unlike each other."""
    images = load("cifar10", data_dir, train, False, "cifar-10-batches-py-subset")[:count]
    return images.permute(0, 2, 3, 1).numpy()


def write_classes(folder: Path, images: np.ndarray) -> None:
    """The images as two class subfolders, in several sizes, modes and formats (what a pack must decode alike)."""
    for index, pixels in enumerate(images):
        image = Image.fromarray(pixels)
        kind = index % 4
        if kind == 1:
            image = image.resize((40, 28))  # not square: resized on its shorter side, then center-cropped
        elif kind == 2:
            image = image.convert("L")  # a gray file read with three channels
        elif kind == 3:
            image = image.convert("RGBA")
        suffix = ".jpg" if kind == 2 else ".png"
        (folder / ("cats" if index % 2 else "dogs")).mkdir(parents=True, exist_ok=True)
        image.save(folder / ("cats" if index % 2 else "dogs") / f"{index:03d}{suffix}")


def pack(tmp_path: Path, data_dir: Path, count: int = 12, size: int = 16) -> Path:
    source, target = tmp_path / "images", tmp_path / "packed"
    write_classes(source, cifar_images(data_dir, count))
    pack_folder(source, target, size, labels="folders")
    return target


def test_pack_and_read_are_byte_identical_to_the_folder_loader(tmp_path: Path, data_dir: Path) -> None:
    target = pack(tmp_path, data_dir)
    files = list_images(tmp_path / "images")
    names, classes = folder_labels(tmp_path / "images", files)
    folder = ImageFiles(files, 16, 3)
    expected = torch.stack([folder[i] for i in range(len(files))])

    data = PackedImages(str(target), batch_size=4, labels="folders")
    assert data.shape == (3, 16, 16) and data.num_classes == 2 and data.class_names == names == ["cats", "dogs"]
    data.setup()
    assert data.images.dtype == torch.uint8 and data.images.numpy().tobytes() == expected.numpy().tobytes()
    assert data.labels.tolist() == classes
    on_disk = np.load(target / IMAGES)  # the file itself, read without the datamodule
    assert on_disk.tobytes() == expected.numpy().tobytes()

    images, labels = next(iter(data.train_dataloader()))
    for image, label in zip(images, labels, strict=True):  # each row keeps its own label
        row = int((expected.flatten(1) == image.flatten()).all(1).nonzero()[0])
        assert classes[row] == label
    manifest = json.loads((target / MANIFEST).read_text())
    assert (manifest["count"], manifest["size"], manifest["channels"]) == (12, 16, 3)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["images", "packed"]  # no staging folder left


def test_an_unreadable_image_stops_the_pack_and_leaves_nothing(tmp_path: Path, data_dir: Path) -> None:
    write_classes(tmp_path / "images", cifar_images(data_dir, 4))
    (tmp_path / "images" / "cats" / "broken.png").write_bytes(b"not a png")
    with pytest.raises(DataError, match=r"cannot read image \S+broken.png \(.*\): delete or replace it, then pack"):
        pack_folder(tmp_path / "images", tmp_path / "packed", 16)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["images"]  # no DST, no staging folder


def damage(target: Path, how: str) -> None:
    images = target / IMAGES
    if how == "flipped byte":
        data = bytearray(images.read_bytes())
        data[-1] ^= 0xFF
        images.write_bytes(bytes(data))
    elif how == "truncated":
        images.write_bytes(images.read_bytes()[:-100])
    elif how == "missing":
        images.unlink()
    elif how == "manifest":
        (target / MANIFEST).write_text('{"format": "gansuite-packed-images", "count": ')


@pytest.mark.parametrize(
    ("how", "problem"),
    [
        ("flipped byte", r"images.npy is corrupt \(its sha256 is not the manifest's"),
        ("truncated", r"images.npy is corrupt \(\d+ bytes, the manifest says \d+\)"),
        ("missing", r"images.npy is missing"),
        ("manifest", r"manifest.json is not a readable packed-dataset manifest \(Expecting value"),
    ],
)
def test_a_damaged_pack_stops_with_one_line(tmp_path: Path, data_dir: Path, how: str, problem: str) -> None:
    target = pack(tmp_path, data_dir)
    damage(target, how)
    with pytest.raises(DataError) as raised:
        PackedImages(str(target)).setup()
    message = str(raised.value)
    assert "\n" not in message and f"gansuite-dataset pack SRC {target}" in message
    assert re.search(problem, message), message


@pytest.mark.slow
def test_a_corrupt_pack_is_one_line_from_train_py(tmp_path: Path, data_dir: Path) -> None:
    target = pack(tmp_path, data_dir)
    damage(target, "flipped byte")
    run = ["model=dcgan", *TINY_CONV, "data=packed", f"data.path={target}", "data.batch_size=4", "metrics=none"]
    command = [sys.executable, str(ROOT / "train.py"), *run, "steps=2", f"hydra.run.dir={tmp_path / 'run'}", *QUIET]
    done = run_python(command, ROOT, {**os.environ, "PYTHONPATH": str(ROOT / "src")}, HANG_GUARD_S)
    errors = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    assert done.returncode == 2 and len(errors) == 1, done.stderr[-3000:]
    assert errors[0].startswith(f"error: packed file {target / IMAGES} is corrupt (its sha256 is not the manifest's")
    assert "Traceback" not in done.stderr


def test_verify_false_checks_only_size_and_shape(tmp_path: Path, data_dir: Path) -> None:
    target = pack(tmp_path, data_dir)
    damage(target, "flipped byte")
    data = PackedImages(str(target), verify=False)
    data.setup()  # the changed pixel passes unseen: what verify=true is for
    assert data.images.shape == (12, 3, 16, 16)


def test_a_short_run_trains_on_a_pack_made_by_the_command(
    tmp_path: Path, data_dir: Path, capsys: pytest.CaptureFixture
) -> None:
    """`gansuite-dataset pack` then two generator updates of a conditional DCGAN on data=packed with its labels. The
    command's main runs in this process: a fresh interpreter would import torch and Lightning for seconds, and
    what the interpreter adds (status 2, one line) is test_a_bad_command_line_gets_one_line_and_status_2's."""
    write_classes(tmp_path / "images", cifar_images(data_dir, 16))
    target = tmp_path / "packed"
    assert dataset_command(["pack", str(tmp_path / "images"), str(target), "--size", "32", "--labels", "folders"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"packed 16 images (3x32x32, 2 classes) from {tmp_path / 'images'} into {target}")

    overrides = ["model=dcgan", *TINY_CONV, "model.conditioning=projection", "data=packed", f"data.path={target}"]
    overrides += ["data.labels=folders", "data.batch_size=8", "data.random_flip=true", "metrics=none", "logger=csv"]
    train(compose_config([*overrides, "steps=2", *QUIET], tmp_path / "run"))
    checkpoint = torch.load(tmp_path / "run" / "checkpoints" / "last.ckpt", weights_only=True)
    assert checkpoint["global_step"] == 4  # 2 updates: a discriminator and a generator step each
    assert all(torch.isfinite(tensor.float()).all() for tensor in checkpoint["state_dict"].values())


def test_the_duplicate_check_finds_a_planted_duplicate(
    tmp_path: Path, data_dir: Path, capsys: pytest.CaptureFixture
) -> None:
    """Ten training photos; the test folder holds ten other photos, one training photo saved again as a BMP (the
    same pixels: exact) and another one shrunk and recompressed as a JPEG (near). Only those two are reported."""
    photos = cifar_images(data_dir, 10)
    for index, pixels in enumerate(photos):
        (tmp_path / "train").mkdir(exist_ok=True)
        Image.fromarray(pixels).save(tmp_path / "train" / f"{index}.png")
    for index, pixels in enumerate(cifar_images(data_dir, 10, train=False)):
        (tmp_path / "test").mkdir(exist_ok=True)
        Image.fromarray(pixels).save(tmp_path / "test" / f"{index}.png")
    clean = shared_images(
        fingerprints(list_images(tmp_path / "train")), fingerprints(list_images(tmp_path / "test")), 8
    )
    assert clean == []

    Image.fromarray(photos[3]).save(tmp_path / "test" / "copy.bmp")
    buffer = io.BytesIO()
    Image.fromarray(photos[7]).resize((24, 24), Image.Resampling.BICUBIC).save(buffer, "JPEG", quality=75)
    (tmp_path / "test" / "shrunk.jpg").write_bytes(buffer.getvalue())

    assert dataset_command(["check", str(tmp_path)]) == 1  # its main, in this process, as above
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["exact", str(tmp_path / "train" / "3.png"), str(tmp_path / "test" / "copy.bmp")]
    kind, distance, train_file, test_file = lines[1].split()
    assert (kind, train_file, test_file) == (
        "near",
        str(tmp_path / "train" / "7.png"),
        str(tmp_path / "test" / "shrunk.jpg"),
    )
    assert 0 <= int(distance) <= 8
    assert lines[2].startswith(f"1 exact and 1 near-duplicate pair(s) between {tmp_path / 'train'} (10 images)")
    assert len(lines) == 3


def test_the_duplicate_check_reads_images_without_torch(tmp_path: Path, data_dir: Path) -> None:
    """`gansuite-dataset check` in a fresh interpreter: it finds and reads the images with numpy and Pillow alone
    (`python -X importtime` lists what it imported), where torch and Lightning took ~5 s of a 0.3 s command."""
    for split, training in (("train", True), ("test", False)):
        (tmp_path / split).mkdir()
        for index, pixels in enumerate(cifar_images(data_dir, 3, train=training)):
            Image.fromarray(pixels).save(tmp_path / split / f"{index}.png")
    command = [sys.executable, "-X", "importtime", str(SCRIPT), "check", str(tmp_path)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=HANG_GUARD_S)
    assert done.returncode == 0 and done.stdout.startswith("0 exact and 0 near-duplicate pair(s)"), done.stderr[-3000:]
    imported = {line.rpartition("|")[2].strip() for line in done.stderr.splitlines() if line.startswith("import time")}
    assert "PIL.Image" in imported and not imported & {"torch", "torchvision", "lightning"}


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["pack", "{tmp}/no-such-folder", "{tmp}/out"], "error: SRC {tmp}/no-such-folder is not a folder"),
        (["pack", "{tmp}", "{tmp}"], "error: DST {tmp} already exists: remove it, or pack into a new folder"),
        (["pack", "{tmp}", "{tmp}/out", "--size", "0"], "error: --size must be a positive integer"),
        (["pack", "{tmp}", "{tmp}/out", "--size", "big"], "error: argument --size: invalid int value: 'big'; usage:"),
        (["pack", "{tmp}"], "error: the following arguments are required: DST; usage: gansuite-dataset pack"),
        (["check", "{tmp}"], "error: the training folder {tmp}/train does not exist"),
    ],
)
def test_a_bad_command_line_gets_one_line_and_status_2(tmp_path: Path, arguments: list[str], message: str) -> None:
    command = [sys.executable, str(SCRIPT), *(argument.format(tmp=tmp_path) for argument in arguments)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=HANG_GUARD_S)
    assert done.returncode == 2 and done.stdout == ""
    assert len(done.stderr.splitlines()) == 1 and done.stderr.startswith(message.format(tmp=tmp_path)), done.stderr
    assert not (tmp_path / "out").exists()
