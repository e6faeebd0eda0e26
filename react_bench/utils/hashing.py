"""SHA-256 fingerprints of arrays and files, recorded in every result."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Iterable

import numpy as np

_CHUNK = 1 << 20


def sha256_array(array: np.ndarray) -> str:
    """SHA-256 of an array's dtype, shape and C-ordered bytes."""
    array = np.ascontiguousarray(array)
    digest = hashlib.sha256()
    digest.update(f"{array.dtype.str}{array.shape}".encode())
    digest.update(array.tobytes())
    return digest.hexdigest()


def sha256_file(path: str | os.PathLike) -> str:
    """SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def sha256_files(paths: Iterable[str | os.PathLike], *, root: str | os.PathLike | None = None) -> str:
    """One SHA-256 over several files: each file's relative name and content hash, in order."""
    digest = hashlib.sha256()
    for path in paths:
        path = Path(path)
        name = str(path.relative_to(root)) if root is not None else str(path)
        digest.update(name.encode())
        digest.update(sha256_file(path).encode())
    return digest.hexdigest()
