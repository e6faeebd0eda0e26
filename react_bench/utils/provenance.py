"""What produced a result: package version, git hash, platform, library versions, date."""

from __future__ import annotations

import datetime as _dt
import platform
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import torch

import react_bench

_REPO_ROOT = Path(__file__).resolve().parents[2]


def git_hash(repo: Path = _REPO_ROOT) -> str | None:
    """The commit of the react-bench checkout, with ``-dirty`` when it has changes; None outside git."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True, check=True, timeout=10
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=repo, capture_output=True, text=True, check=True, timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return head + ("-dirty" if dirty else "")


def provenance() -> dict[str, Any]:
    """The record every results file carries about the software that produced it."""
    return {
        "react_bench_version": react_bench.__version__,
        "git_hash": git_hash(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "numpy": np.__version__,
        "platform": platform.platform(),
        "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
    }
