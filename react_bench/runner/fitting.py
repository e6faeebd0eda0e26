"""Fit a submission on the training split, or load its cached checkpoint."""

from __future__ import annotations

import hashlib
import json
import sys
import time
from pathlib import Path

import react_bench
from react_bench.runner.checkpoint import checkpoint_path, read_checkpoint, save_checkpoint
from react_bench.submissions import Submission


def fit_key(submission: Submission, train_fingerprint: str) -> str:
    """The checkpoint cache key: the training data, the submission's effective configuration (defaults
    included) and the package version decide the fitted state, so a change to any of them never loads
    a stale fit."""
    signature = {"config": submission.fit_config(), "react_bench": react_bench.__version__}
    return hashlib.sha256((train_fingerprint + json.dumps(signature, sort_keys=True, default=str)).encode()).hexdigest()


def fit_or_load(submission: Submission, *, root: Path, out: Path, seed: int, open_split) -> dict:
    """Make ``submission`` ready to generate; returns a record of what was done.

    A submission with ``needs_fit`` is fitted on ``<root>/train`` (with ``val`` for model
    selection when the split exists) unless a checkpoint for the same training data, submission
    configuration and seed is cached under ``<out>/<name>/checkpoints/``; a fresh fit is cached
    atomically, so a killed fit never leaves a checkpoint that loads.

    Args:
        open_split: ``open_split(root, split) -> ReactDataset`` (the runner passes its loader).
    """
    if not submission.needs_fit:
        return {"fitted": False}
    train = open_split(root, "train")
    path = checkpoint_path(out, submission.name, fit_key(submission, train.fingerprint), seed)
    if path.exists():
        start = time.perf_counter()
        submission.load_state_dict(read_checkpoint(path)["state_dict"])
        return {"fitted": True, "checkpoint": str(path), "loaded": True, "seconds": time.perf_counter() - start}
    val = open_split(root, "val") if (Path(root) / "val.csv").exists() else None
    print(f"fitting {submission.name!r} on {root}/train (seed {seed})", file=sys.stderr)
    start = time.perf_counter()
    submission.fit(train, val=val, seed=seed)
    seconds = time.perf_counter() - start
    save_checkpoint(path, submission, seed=seed, train_fingerprint=train.fingerprint)
    return {"fitted": True, "checkpoint": str(path), "loaded": False, "seconds": seconds}
