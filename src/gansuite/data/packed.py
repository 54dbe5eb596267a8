"""Packed datasets: an image folder decoded once into one uint8 array file, read memory-mapped by `data=packed`.

Decoding is most of what an image folder costs per step (a PNG or JPEG per image, then a resize); a packed folder
pays it once, in `gansuite-dataset pack SRC DST`, and a training batch is then one gather of rows from the page
cache. The pixels are the ones `data=image_folder` yields for the same folder, size and channels (the same decode and
transform, `ImageFiles`), so a run can switch between the two without its data changing.

DST holds:

- images.npy: uint8 (count, channels, size, size), NumPy's .npy format, opened with `mmap_mode`, never read whole;
- labels.npy: int64 (count,), each image's class, only when packed with `--labels folders`;
- manifest.json: the format and version, count, channels, size, each file's bytes and sha256, the class names
  (null without labels) and the folder it was packed from.

Opening checks each file's size and the array's shape against the manifest, and (`verify`, the default) its sha256:
a truncated, overwritten or mismatched file stops the run with one line naming it and how to repack, instead of
training on garbage. The sha256 also names the content for the metrics' feature cache (`name`).
"""

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image
from torch import Tensor
from torch.utils.data import DataLoader

from gansuite.data.image_files import list_images
from gansuite.data.image_folder import ImageFiles, folder_labels
from gansuite.data.images import InMemoryImages
from gansuite.data.pixels import to_uint8
from gansuite.errors import ConfigError, DataError

FORMAT = "gansuite-packed-images"
VERSION = 1
IMAGES = "images.npy"
LABELS = "labels.npy"
MANIFEST = "manifest.json"
LABEL_SOURCES = ("none", "folders")
#: Images decoded per write into the array file: bounds the memory a pack holds, whatever the folder's size.
PACK_BATCH = 256


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 22):
            digest.update(chunk)
    return digest.hexdigest()


def file_entry(folder: Path, name: str) -> dict[str, Any]:
    """A file's manifest entry: what opening it checks."""
    return {"file": name, "bytes": (folder / name).stat().st_size, "sha256": file_sha256(folder / name)}


class FilesToPack(ImageFiles):
    """`ImageFiles` whose unreadable file stops the pack with a fix that applies to it (the folder loader's names
    data.skip_corrupt, which a pack does not have: a packed dataset holds every image of its folder)."""

    def __getitem__(self, index: int) -> Tensor:
        path = self.files[index]
        try:
            with Image.open(path) as image:
                return self.transform(to_uint8(image, self.channels, path))
        except OSError as error:
            raise DataError(f"cannot read image {path} ({error}): delete or replace it, then pack again") from error


def pack_folder(
    source: Path, target: Path, size: int = 64, channels: int = 3, labels: str = "none", workers: int = 0
) -> dict[str, Any]:
    """Packs the images under `source` into the new folder `target` (see the module docstring) and returns its
    manifest. Written into a hidden folder beside `target` and renamed at the end: an interrupted pack leaves no
    `target` that looks whole. `workers`: processes that decode the images (0: this one)."""
    if labels not in LABEL_SOURCES:
        raise ConfigError(f"--labels {labels} is unknown: choose one of {', '.join(LABEL_SOURCES)}")
    if target.exists():
        raise ConfigError(f"{target} already exists: remove it, or pack into a new folder")
    files = list_images(source, "SRC")
    class_names, classes = folder_labels(source, files) if labels == "folders" else (None, None)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.packing-"))
    umask = os.umask(0)
    os.umask(umask)
    try:
        staging.chmod(0o777 & ~umask)  # mkdtemp's folder is private; DST gets a new folder's usual permissions
        images = np.lib.format.open_memmap(staging / IMAGES, "w+", np.uint8, (len(files), channels, size, size))
        loader = DataLoader(FilesToPack(files, size, channels), batch_size=PACK_BATCH, num_workers=workers)
        start = 0
        for batch in loader:
            images[start : start + len(batch)] = batch.numpy()
            start += len(batch)
        images.flush()
        del images  # closes the map before the file is hashed and renamed
        manifest = {
            "format": FORMAT,
            "version": VERSION,
            "count": len(files),
            "channels": channels,
            "size": size,
            "images": file_entry(staging, IMAGES),
            "labels": None,
            "class_names": class_names,
            "source": str(source.resolve()),
        }
        if classes is not None:
            np.save(staging / LABELS, np.asarray(classes, np.int64))
            manifest["labels"] = file_entry(staging, LABELS)
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n")
        os.rename(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return manifest


def repack_hint(path: Path) -> str:
    return f"remove {path} and pack its folder again: gansuite-dataset pack SRC {path}"


def read_manifest(path: Path) -> dict[str, Any]:
    """The manifest of the packed dataset `path`, checked for the keys and types that reading it relies on."""
    file = path / MANIFEST
    if not file.is_file():
        raise DataError(
            f"data.path={path} is not a packed dataset (no {MANIFEST}): pack an image folder into it with "
            f"gansuite-dataset pack SRC {path}, or use data=image_folder"
        )
    try:
        manifest = json.loads(file.read_text())
        if manifest["format"] != FORMAT:
            raise ValueError(f"format {manifest['format']!r}, not {FORMAT}")
        if manifest["version"] > VERSION:
            raise ValueError(f"version {manifest['version']}, newer than this gansuite's {VERSION}: upgrade gansuite")
        for key in ("count", "channels", "size"):
            if not isinstance(manifest[key], int) or manifest[key] < 1:
                raise ValueError(f"{key} {manifest[key]!r} is not a positive integer")
        for name, entry in ((IMAGES, manifest["images"]), (LABELS, manifest["labels"])):
            if entry is not None and not (isinstance(entry["bytes"], int) and isinstance(entry["sha256"], str)):
                raise ValueError(f"the entry of {name} lacks its bytes or sha256")
        if (manifest["labels"] is None) != (manifest["class_names"] is None):
            raise ValueError("labels and class_names must both be set or both be null")
    except (ValueError, KeyError, TypeError) as error:  # JSONDecodeError is a ValueError
        problem = f"{type(error).__name__}: {error}" if isinstance(error, KeyError) else str(error).splitlines()[0]
        raise DataError(f"{file} is not a readable packed-dataset manifest ({problem}): {repack_hint(path)}") from None
    return manifest


def open_array(
    path: Path, name: str, entry: dict[str, Any], shape: tuple[int, ...], dtype: type, verify: bool
) -> np.ndarray:
    """The array file `name` of the packed dataset `path`, memory-mapped copy-on-write (torch needs a writable array;
    nothing is written back), once its size, shape and dtype (and with `verify` its sha256) match its manifest
    `entry`."""
    file = path / name
    if not file.is_file():
        raise DataError(f"{file} is missing: {repack_hint(path)}")
    problem = None
    if file.stat().st_size != entry["bytes"]:
        problem = f"{file.stat().st_size} bytes, the manifest says {entry['bytes']}"
    elif verify and file_sha256(file) != entry["sha256"]:
        problem = "its sha256 is not the manifest's: the file changed after packing"
    else:
        try:
            array = np.load(file, mmap_mode="c")
        except (ValueError, OSError) as error:
            problem = str(error).splitlines()[0]
        else:
            if array.shape != shape or array.dtype != dtype:
                problem = f"{array.dtype} {array.shape}, the manifest says {np.dtype(dtype)} {shape}"
    if problem is not None:
        raise DataError(f"packed file {file} is corrupt ({problem}): {repack_hint(path)}")
    return array


class PackedImages(InMemoryImages):
    """A folder packed by `gansuite-dataset pack` (see the module docstring), served as TorchvisionImages serves its
    in-memory tensor: whole batches gathered from the memory-mapped array (`tensor_loader`), or from a copy on the
    training device (`on_device`: true, false or auto, on CUDA when it fits). `random_flip` mirrors half of each
    batch on the device. `labels`: none, or folders (the class subfolders the pack read with `--labels folders`).
    `verify`: check the array's sha256 at setup (a second or so per GB); false checks its size and shape only.

    The image size and channels are the pack's, read from its manifest when the module is built (the nets are
    sized from them before any data is read); the arrays are opened at setup.
    """

    def __init__(
        self,
        path: str,
        batch_size: int = 64,
        on_device: bool | str = "auto",
        random_flip: bool = False,
        labels: str = "none",
        verify: bool = True,
    ) -> None:
        if labels not in LABEL_SOURCES:
            raise ConfigError(f"data.labels={labels} is unknown: choose one of {', '.join(LABEL_SOURCES)}")
        self.path = Path(path)
        self.manifest = read_manifest(self.path)
        if labels == "folders" and self.manifest["labels"] is None:
            raise DataError(
                f"data.labels=folders, but {self.path} was packed without labels: pack it again with --labels "
                "folders (one subfolder per class), or set data.labels=none"
            )
        super().__init__(self.manifest["size"], self.manifest["channels"], batch_size, on_device, random_flip)
        self.verify = verify
        self.class_names: list[str] | None = self.manifest["class_names"] if labels == "folders" else None
        self.num_classes = None if self.class_names is None else len(self.class_names)
        # The metrics' real-feature cache keys on `name` (image_metrics.dataset_key): the content, not the path, so
        # a folder packed again at the same path never reuses the features of what it held before.
        self.name = f"packed_{self.manifest['images']['sha256'][:16]}"

    def setup(self, stage: str | None = None) -> None:
        if self.images is not None:
            return
        count = self.manifest["count"]
        array = open_array(self.path, IMAGES, self.manifest["images"], (count, *self.shape), np.uint8, self.verify)
        self.images = torch.from_numpy(array)
        if self.num_classes is not None:
            labels = open_array(self.path, LABELS, self.manifest["labels"], (count,), np.int64, self.verify)
            self.labels = torch.from_numpy(np.array(labels))  # small: read whole
            if not 0 <= int(self.labels.min()) <= int(self.labels.max()) < self.num_classes:
                raise DataError(
                    f"packed file {self.path / LABELS} is corrupt (a label outside the {self.num_classes} classes): "
                    f"{repack_hint(self.path)}"
                )

    def split_images(self, train: bool) -> Tensor:
        """All the packed images, the one (training) split; the metrics read their real images here."""
        self.setup()
        if not train:
            raise ConfigError("metrics.split=test: a packed folder has a single split; use metrics.split=train")
        return self.images

    def split_labels(self, train: bool) -> Tensor:
        """Every image's class, in the order of `split_images`."""
        if self.num_classes is None:
            raise DataError(f"the images in {self.path} have no labels: set data.labels=folders")
        self.split_images(train)  # opens the files, and refuses the test split
        return self.labels
