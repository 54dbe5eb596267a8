"""Images shared between a training and a test folder: exact copies and near copies (resized, recompressed, grayed).

A test image that is also in the training set inflates every held-out score (a classifier's accuracy, a super-
resolution PSNR, a CAS): it measures memory, not generalisation. `gansuite-dataset check` lists such pairs.

- Exact: the same decoded pixels (sha256 of the RGB uint8 pixels and their size), whatever the files' formats.
- Near: perceptual hashes (pHash: the image in grayscale, box-filtered to 32x32, its 2-D DCT's 8x8 lowest
  frequencies, each above their median one bit: 64 bits) at a Hamming distance of at most `threshold`. The hash
  survives rescaling, JPEG recompression, graying and brightness shifts (at most 4 bits apart for 200 CIFAR-10 test
  images after each), not crops or flips. An average hash (8x8 pixels against their mean) was tried first: on the
  CIFAR-10 subset it put 20 unrelated train/test pairs at distance 0. With pHash the same subset (5085 x 1017
  images) has 5 pairs at distance <= 8 (the default): 4 the same photo shifted or re-toned, 1 two alike horses; none
  at <= 4. Flat images (one colour) all share one hash. The pairs are candidates to look at, not verdicts.

Every train hash is compared with every test hash (numpy, in chunks): ~2 x 10^7 comparisons a second on a 2-core
CPU, 200 s for 200k x 20k images, beside decoding each image once.
"""

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image
from scipy.fft import dctn

from gansuite.data.pixels import to_uint8_array
from gansuite.errors import DataError

#: The grayscale image's side for the DCT, and the side of the block of lowest frequencies kept: 8 x 8 = 64 bits.
DCT_SIDE = 32
HASH_SIDE = 8
#: Set bits of each byte value: the Hamming distance of two hashes is the sum over the bytes of their XOR.
POPCOUNT = np.array([bin(value).count("1") for value in range(256)], np.uint8)
#: Comparisons per chunk of the train x test distance matrix (8 bytes each while computed).
CHUNK = 1 << 22


@dataclass(frozen=True)
class Fingerprints:
    """The files of one folder, and for each the sha256 of its decoded pixels and its 64-bit perceptual hash."""

    files: list[Path]
    sha256: list[str]
    hashes: np.ndarray  # uint64 (len(files),)


@dataclass(frozen=True)
class Pair:
    """A train image and a test image that are the same (distance None: identical pixels) or alike."""

    train: Path
    test: Path
    distance: int | None


def fingerprint(path: Path) -> tuple[str, int]:
    """The sha256 of `path`'s decoded RGB pixels (with their shape) and its 64-bit perceptual hash."""
    try:
        with Image.open(path) as image:
            pixels = to_uint8_array(image, 3, path)
    except OSError as error:
        raise DataError(f"cannot read image {path} ({error}): delete or replace it, then check again") from error
    exact = hashlib.sha256(f"{pixels.shape}".encode() + pixels.tobytes()).hexdigest()
    small = Image.fromarray(pixels).convert("L").resize((DCT_SIDE, DCT_SIDE), Image.Resampling.BOX)
    low = dctn(np.asarray(small, np.float64), norm="ortho")[:HASH_SIDE, :HASH_SIDE]
    bits = np.packbits((low > np.median(low)).ravel())
    return exact, int.from_bytes(bits.tobytes(), "big")


def fingerprints(files: list[Path]) -> Fingerprints:
    exact, hashes = zip(*(fingerprint(path) for path in files), strict=True)
    return Fingerprints(files, list(exact), np.array(hashes, np.uint64))


def hamming(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The bit distance between every hash of `a` (rows) and every hash of `b` (columns), as uint8."""
    xor = (a[:, None] ^ b[None, :]).view(np.uint8).reshape(len(a), len(b), 8)
    return POPCOUNT[xor].sum(axis=-1, dtype=np.uint8)


def shared_images(train: Fingerprints, test: Fingerprints, threshold: int) -> list[Pair]:
    """Every (train, test) pair with identical pixels or hashes at most `threshold` bits apart, test files in
    order, exact pairs first for each."""
    by_sha: dict[str, list[Path]] = {}
    for path, digest in zip(train.files, train.sha256, strict=True):
        by_sha.setdefault(digest, []).append(path)
    rows = max(1, CHUNK // max(1, len(train.files)))
    pairs = []
    for start in range(0, len(test.files), rows):
        distances = hamming(test.hashes[start : start + rows], train.hashes)
        for offset, row in enumerate(distances):
            index = start + offset
            copies = by_sha.get(test.sha256[index], [])
            pairs += [Pair(path, test.files[index], None) for path in copies]
            alike = np.flatnonzero(row <= threshold)
            pairs += [
                Pair(train.files[i], test.files[index], int(row[i]))
                for i in alike
                if train.sha256[i] != test.sha256[index]
            ]
    return pairs


def report(pairs: list[Pair], train: Path, test: Path, counts: tuple[int, int], threshold: int) -> str:
    """The pairs one per line (`exact` or `near <distance>`, the train file, the test file), then a summary."""
    lines = [
        f"{'exact' if pair.distance is None else f'near {pair.distance}':<8} {pair.train} {pair.test}" for pair in pairs
    ]
    exact = sum(pair.distance is None for pair in pairs)
    lines.append(
        f"{exact} exact and {len(pairs) - exact} near-duplicate pair(s) between {train} ({counts[0]} images) and "
        f"{test} ({counts[1]} images); near: perceptual hashes at most {threshold} of 64 bits apart"
    )
    return "\n".join(lines)
