"""Files written whole or not at all: a reader (or a rerun) finds the old file or the new one, never a torn one.

The content goes to a hidden temporary file beside the target (the same filesystem, so the final `os.replace` is a
rename, atomic on POSIX), is flushed to disk, and replaces the target; when the write fails (a full disk, a kill
signal turned into an exception) the temporary file is removed and the target is left as it was.
"""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO


@contextmanager
def atomic_write(path: str | Path) -> Iterator[BinaryIO]:
    """A binary file object whose content becomes `path` when the block ends without an error."""
    path = Path(path)
    partial = path.with_name(f".{path.name}.partial")
    try:
        with open(partial, "wb") as file:
            yield file
            file.flush()
            os.fsync(file.fileno())
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    os.replace(partial, path)


def write_text_atomically(path: str | Path, text: str) -> None:
    with atomic_write(path) as file:
        file.write(text.encode())
