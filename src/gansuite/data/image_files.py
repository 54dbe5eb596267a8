"""Which files under a folder are images: what every folder reader, the dataset commands and the scripts that take a
folder look for. A module of its own, free of torch and Lightning, so `gansuite-dataset check` finds and reads images
without importing them (seconds of a command that otherwise takes well under one)."""

from pathlib import Path

from gansuite.errors import DataError

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff")


def image_files(folder: Path) -> list[Path]:
    """Image files under `folder` (at any depth), sorted; other files are ignored by their extension."""
    return sorted(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_EXTENSIONS and p.is_file())


def list_images(folder: Path, key: str = "data.path") -> list[Path]:
    """`image_files(folder)`, or a DataError when the folder is missing or holds none. `key`: the argument that
    named the folder (data.path, input, test_path, ...), which the errors tell the user to change."""
    if folder.is_file():
        raise DataError(
            f"{key}={folder} is a file, not a folder of images: set {key} to a folder (the one holding it is "
            f"{folder.resolve().parent})"
        )
    if not folder.is_dir():
        raise DataError(f"image folder {folder.resolve()} does not exist: set {key} to a folder of images")
    files = image_files(folder)
    if not files:
        raise DataError(
            f"no images in {folder.resolve()} (looked for {', '.join(IMAGE_EXTENSIONS)}): set {key} to a "
            "folder that holds images"
        )
    return files
