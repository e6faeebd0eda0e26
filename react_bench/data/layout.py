"""Which on-disk layout a dataset folder is in, and the split reader for it.

``"react2024"`` (NoXI/RECOLA as REACT2024 ships them, and our synthetic set): ``ReactDataset``.
``"mars"`` (REACT2025/2026): ``MarsDataset``. Both have the same public API (``len``, ``clip_paths``,
``emotion``, ``threedmm``, ``audio``, ``targets``, ``appropriateness``, ``fps``, the fingerprints), so
the runner and ``react-bench evaluate`` take either.
"""

from __future__ import annotations

import os

from react_bench.data.dataset import ReactDataset
from react_bench.data.mars import MarsDataset, detect_layout
from react_bench.errors import BadInputError

__all__ = ["LAYOUTS", "detect_layout", "open_dataset"]

LAYOUTS = ("react2024", "mars")


def open_dataset(root: str | os.PathLike, split: str, *, layout: str | None = None) -> ReactDataset | MarsDataset:
    """Split ``split`` of the dataset at ``root``, in ``layout`` (None: detected from the folder)."""
    layout = layout or detect_layout(root)
    if layout not in LAYOUTS:
        raise BadInputError(f"layout must be one of {', '.join(LAYOUTS)}; got {layout!r}")
    return MarsDataset(root, split) if layout == "mars" else ReactDataset(root, split)
