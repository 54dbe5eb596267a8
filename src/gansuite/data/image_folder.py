"""Any folder of images (CelebA, LSUN exports, your own), found recursively, center-cropped to a square."""

from pathlib import Path

from PIL import Image
from torch import Tensor
from torch.utils.data import DataLoader, Dataset
from torchvision.transforms import v2

from gansuite.data.images import ImageDataModule
from gansuite.errors import DataError

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff")


def list_images(folder: Path) -> list[Path]:
    """Image files under `folder`, sorted; other files are ignored by their extension."""
    if not folder.is_dir():
        raise DataError(f"image folder {folder.resolve()} does not exist: set data.path to a folder of images")
    files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_EXTENSIONS and p.is_file())
    if not files:
        raise DataError(
            f"no images in {folder.resolve()} (looked for {', '.join(IMAGE_EXTENSIONS)}): set data.path to a "
            "folder that holds images"
        )
    return files


class ImageFiles(Dataset):
    """Image files as uint8 (C, size, size): shorter side resized to `size`, then center-cropped."""

    def __init__(self, files: list[Path], size: int, channels: int = 3) -> None:
        self.files = files
        self.mode = "RGB" if channels == 3 else "L"
        self.transform = v2.Compose([v2.PILToTensor(), v2.Resize(size, antialias=True), v2.CenterCrop(size)])

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, index: int) -> Tensor:
        path = self.files[index]
        try:
            with Image.open(path) as image:
                image = image.convert(self.mode)  # grayscale, palette and RGBA files become RGB (or L)
        except OSError as error:
            raise DataError(f"cannot read image {path}: {error}") from error
        return self.transform(image)


class ImageFolder(ImageDataModule):
    def __init__(
        self, path: str, image_size: int = 64, channels: int = 3, batch_size: int = 64, num_workers: int = 2
    ) -> None:
        super().__init__(image_size, channels, batch_size)
        self.path = Path(path)
        self.num_workers = num_workers
        self.dataset: ImageFiles | None = None

    def setup(self, stage: str | None = None) -> None:
        if self.dataset is None:
            self.dataset = ImageFiles(list_images(self.path), self.image_size, self.channels)
            if self.batch_size > len(self.dataset):
                raise DataError(
                    f"data.batch_size={self.batch_size} is larger than the {len(self.dataset)} images in "
                    f"{self.path}: lower data.batch_size"
                )

    def train_dataloader(self) -> DataLoader:
        return DataLoader(
            self.dataset,
            batch_size=self.batch_size,
            shuffle=True,
            drop_last=True,
            num_workers=self.num_workers,
            persistent_workers=self.num_workers > 0,
        )
