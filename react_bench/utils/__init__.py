"""Small helpers shared by every part of react-bench."""

from react_bench.utils.atomic import atomic_write_bytes, atomic_write_json, atomic_write_text, atomic_save_npy
from react_bench.utils.hashing import sha256_array, sha256_file, sha256_files
from react_bench.utils.provenance import provenance

__all__ = [
    "atomic_write_bytes",
    "atomic_write_json",
    "atomic_write_text",
    "atomic_save_npy",
    "sha256_array",
    "sha256_file",
    "sha256_files",
    "provenance",
]
