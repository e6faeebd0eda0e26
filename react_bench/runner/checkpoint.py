"""The one checkpoint format: what a fitted submission is saved as, and how it is rebuilt.

A checkpoint is a ``torch.save`` of::

    {"format": "react-bench/checkpoint/1", "name": registered name, "options": constructor options,
     "fit_config": effective config, "seed": fit seed, "train_fingerprint": training split's
     fingerprint, "react_bench_version": ..., "state_dict": Submission.state_dict()}

so :func:`load_checkpoint` rebuilds the submission from the file alone. Written atomically: a killed
fit never leaves a checkpoint that loads. ``react-bench run`` and ``react-bench train`` both reach it
through :func:`react_bench.runner.fitting.fit_or_load`, under ``<out>/<name>/checkpoints/``.
"""

from __future__ import annotations

import io
from pathlib import Path

import torch

import react_bench
from react_bench.errors import BadInputError, MissingDataError
from react_bench.submissions import Submission, get_submission
from react_bench.utils import atomic_write_bytes

__all__ = ["CHECKPOINT_FORMAT", "checkpoint_path", "load_checkpoint", "read_checkpoint", "save_checkpoint"]

CHECKPOINT_FORMAT = "react-bench/checkpoint/1"


def checkpoint_path(runs_dir: str | Path, name: str, key: str, seed: int) -> Path:
    """Where the fit of submission ``name`` with cache key ``key`` and ``seed`` is cached."""
    return Path(runs_dir) / name / "checkpoints" / f"{key[:16]}-seed{seed}.pt"


def save_checkpoint(path: str | Path, submission: Submission, *, seed: int, train_fingerprint: str) -> Path:
    """Save a fitted ``submission`` to ``path`` atomically."""
    state = {
        "format": CHECKPOINT_FORMAT,
        "name": submission.name,
        "options": dict(submission.config),
        "fit_config": submission.fit_config(),
        "seed": seed,
        "train_fingerprint": train_fingerprint,
        "react_bench_version": react_bench.__version__,
        "state_dict": submission.state_dict(),
    }
    buffer = io.BytesIO()
    torch.save(state, buffer)
    return atomic_write_bytes(path, buffer.getvalue())


def read_checkpoint(path: str | Path) -> dict:
    """The checkpoint dictionary at ``path`` (weights on the CPU)."""
    path = Path(path)
    if not path.is_file():
        raise MissingDataError(f"no checkpoint at {str(path)!r}; make one with `react-bench train NAME`")
    state = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
        raise BadInputError(
            f"{str(path)!r} is not a react-bench checkpoint (format {CHECKPOINT_FORMAT!r}); "
            f"make one with `react-bench train NAME`"
        )
    return state


def load_checkpoint(path: str | Path, *, device: torch.device | str = "cpu") -> Submission:
    """Rebuild the fitted submission saved at ``path`` (its class from the name, its options, its state)."""
    state = read_checkpoint(path)
    submission = get_submission(state["name"])(device=device, **state["options"])
    submission.load_state_dict(state["state_dict"])
    return submission
