"""Fit a submission on the training split, or load its cached checkpoint."""

from __future__ import annotations

import hashlib
import inspect
import json
import sys
import time
from pathlib import Path

import react_bench
from react_bench import distributed as pg
from react_bench.runner.checkpoint import (
    checkpoint_path,
    read_checkpoint,
    save_checkpoint,
)
from react_bench.submissions import Submission


def fit_key(submission: Submission, train_fingerprint: str) -> str:
    """The checkpoint cache key: the training data, the submission's effective configuration (defaults
    included) and the package version decide the fitted state, so a change to any of them never loads
    a stale fit. The submission's ``sampling_options`` are left out: they do not change the fit."""
    config = {k: v for k, v in submission.fit_config().items() if k not in submission.sampling_options}
    signature = {"config": config, "react_bench": react_bench.__version__}
    return hashlib.sha256((train_fingerprint + json.dumps(signature, sort_keys=True, default=str)).encode()).hexdigest()


def fits_collectively(submission: Submission) -> bool:
    """True when the submission's ``fit`` takes ``distributed=``: every rank of a process group then
    calls it and they train one model together (ReactDiff: DistributedDataParallel)."""
    return "distributed" in inspect.signature(submission.fit).parameters


def fit_or_load(submission: Submission, *, root: Path, out: Path, seed: int, open_split,
                collective: bool = False) -> dict:
    """Make ``submission`` ready to generate; returns a record of what was done.

    A submission with ``needs_fit`` is fitted on ``<root>/train`` (with ``val`` for model
    selection when the split exists) unless a checkpoint for the same training data, submission
    configuration and seed is cached under ``<out>/<name>/checkpoints/``; a fresh fit is cached
    atomically, so a killed fit never leaves a checkpoint that loads.

    ``collective`` (every rank of a torchrun process group calls this, e.g. ``react-bench train``):
    rank 0 decides whether the checkpoint exists; if not, every rank fits together
    (``fit(..., distributed=True)``) when the submission :func:`fits_collectively`, else rank 0 fits
    alone; rank 0 saves; all ranks wait at a barrier and return the same record. The cache key does
    not depend on the number of ranks, so ``react-bench run`` in one process loads that checkpoint.
    Without a process group ``collective`` changes nothing.

    Args:
        open_split: ``open_split(root, split) -> ReactDataset`` (the runner passes its loader).
    """
    if not submission.needs_fit:
        return {"fitted": False}
    train = open_split(root, "train")
    path = checkpoint_path(out, submission.name, fit_key(submission, train.fingerprint), seed)
    collective = collective and pg.is_distributed()
    if collective and not fits_collectively(submission):
        # one process fits, the others load its checkpoint rather than race to write it
        record = fit_or_load(submission, root=root, out=out, seed=seed, open_split=open_split) if pg.rank() == 0 else None
        pg.barrier()
        return record if pg.rank() == 0 else fit_or_load(submission, root=root, out=out, seed=seed, open_split=open_split)
    # rank 0 alone looks, so a checkpoint appearing meanwhile cannot send the ranks different ways
    exists = pg.broadcast_object(path.exists()) if collective else path.exists()
    if exists:
        start = time.perf_counter()
        submission.load_state_dict(read_checkpoint(path)["state_dict"])
        return {"fitted": True, "checkpoint": str(path), "loaded": True, "seconds": time.perf_counter() - start}
    val = open_split(root, "val") if (Path(root) / "val.csv").exists() else None
    if not collective or pg.rank() == 0:  # one line per fit, not one per rank
        ranks = f" on {pg.world_size()} ranks" if collective else ""
        print(f"fitting {submission.name!r} on {root}/train (seed {seed}){ranks}", file=sys.stderr)
    start = time.perf_counter()
    base = submission.base_submission()
    record = {"fitted": True, "checkpoint": str(path), "loaded": False}
    if base is not None:
        # its fit begins with base's whole fit (same seed): fitted (and cached) or loaded first
        record["base"] = {"name": base.name, **fit_or_load(base, root=root, out=out, seed=seed, open_split=open_split)}
        submission.fit(train, val=val, seed=seed, base=base)
    elif collective:
        submission.fit(train, val=val, seed=seed, distributed=True)
    else:
        submission.fit(train, val=val, seed=seed)
    record["seconds"] = time.perf_counter() - start
    if pg.rank() == 0 or not collective:
        save_checkpoint(path, submission, seed=seed, train_fingerprint=train.fingerprint)
    if collective:
        pg.barrier()  # the checkpoint is on disk before any rank goes on (and may read it)
    return record
