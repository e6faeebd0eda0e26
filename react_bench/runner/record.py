"""The runner's part of a results record: the run's fields, online timing, diagnostics (the schema is
``react_bench.results``)."""

from __future__ import annotations

import numpy as np

from react_bench.constants import FPS
from react_bench.errors import BadInputError
from react_bench.metrics.smoothness import WINDOW_FRAMES, window_steps
from react_bench.results import build_record
from react_bench.submissions import ONLINE_CHUNK_FRAMES, Submission
from react_bench.utils import sha256_array


def describe(cls: type[Submission]) -> str:
    """The first line of a submission's docstring."""
    doc = (cls.__doc__ or "").strip()
    return doc.splitlines()[0] if doc else ""


def online_timing(latencies: list[list[float]], *, num_frames: int, batch_size: int,
                  chunk_frames: int = ONLINE_CHUNK_FRAMES) -> dict:
    """Latency per window and real-time factor from each batch's per-window seconds.

    The B streams of a batch share each ``step`` call, so a batch covers ``num_frames / FPS``
    seconds of stream; the real-time factor is the total step time over the total duration of
    the batched streams (below 1: the submission keeps up with B live streams at once).
    """
    flat = np.asarray([s for batch in latencies for s in batch], dtype=np.float64)
    stream_seconds = len(latencies) * num_frames / FPS
    return {
        "chunk_frames": chunk_frames,
        "windows": int(flat.size),
        "streams_per_window": batch_size,
        "latency_ms": {
            "mean": float(flat.mean() * 1e3),
            "p95": float(np.percentile(flat, 95) * 1e3),
            "max": float(flat.max() * 1e3),
        },
        "real_time_factor": float(flat.sum() / stream_seconds),
    }


def build_results(
    *, cls: type[Submission], submission: Submission, config: dict, scores: dict, dataset, root,
    batch_seeds: list[int], emotion: np.ndarray, threedmm: np.ndarray | None, timings: dict, fit: dict,
    online: dict | None, **extra,
) -> dict:
    """The results record of a run (:func:`react_bench.results.build_record` with the runner's fields)."""
    predictions = {"emotion": "predictions.npy", "emotion_sha256": sha256_array(emotion), "shape": list(emotion.shape)}
    if threedmm is not None:
        predictions.update(threedmm="predictions_3dmm.npy", threedmm_sha256=sha256_array(threedmm))
    return build_record(
        submission={
            "name": cls.name,
            "reference": cls.reference,
            "description": describe(cls),
            "config": submission.config,
            "effective_config": submission.fit_config(),
            "needs_fit": cls.needs_fit,
            "produces_3dmm": cls.produces_3dmm,
            "fit": fit,
        },
        track=config["track"],
        split=config["split"],
        scores=scores,
        dataset=dataset_block(dataset, root, num_samples=int(emotion.shape[0]), num_frames=int(emotion.shape[2])),
        config=config,
        seeds={"run_seed": config["seed"], "batch_seeds": batch_seeds},
        predictions=predictions,
        timings=timings,
        online=online,
        degenerate=degenerate_metrics(emotion, dataset.targets()),
        diagnostics=diagnostics_block(emotion, dataset.targets()),
        **extra,
    )


def diagnostics_block(preds, targets, *, window: int = WINDOW_FRAMES) -> dict:
    """What a results record says beyond the metrics: numbers that explain, never rank.

    ``window_jump_ratio`` (:mod:`react_bench.metrics.smoothness`): the mean frame-to-frame change of
    the predictions ``(N, S, T, 25)`` at ``window`` boundaries over the change inside windows, with its
    two means; ``reference_window_jump_ratio``: the same for the split's real listeners ``(M, T, 25)``
    (about 1). A ratio that is undefined (clips of at most ``window`` frames, or reactions that never
    change inside a window: MeanFr) is None, and ``window_jump_undefined`` says why.

    >>> t = np.arange(100, dtype=np.float32)
    >>> preds = np.broadcast_to(t[None, None, :, None] / 100 + (t[None, None, :, None] >= 50), (2, 3, 100, 25))
    >>> block = diagnostics_block(preds, np.broadcast_to(t[None, :, None] / 100, (4, 100, 25)))
    >>> round(block["window_jump_ratio"], 2), round(block["reference_window_jump_ratio"], 2)
    (101.0, 1.0)
    """
    block: dict = {"window": window}
    for prefix, x in (("", preds), ("reference_", np.asarray(targets)[:, None])):
        try:
            boundary, within = window_steps(x, window=window)
        except BadInputError as error:  # a clip shorter than two windows: nothing to measure
            block[f"{prefix}window_jump_ratio"] = None
            block[f"{prefix}window_jump_undefined"] = str(error)
            continue
        block[f"{prefix}window_jump_ratio"] = boundary / within if within > 0 else None
        block[f"{prefix}window_steps"] = {"boundary": boundary, "within": within}
        if within == 0:
            block[f"{prefix}window_jump_undefined"] = "the sequences never change inside a window"
    return block


def degenerate_metrics(preds, targets) -> dict[str, str]:
    """``{metric: why}`` for values that are degenerate by construction on these predictions.

    FRRea: generation 0 of every speaker ``preds (N, S, T, 25)`` is one of the targets ``(M, T, 25)``
    (copying the input on a mirrored split, whose speaker clips are its listener clips).
    """
    from react_bench.metrics.realism import copies_targets

    if copies_targets(preds[:, 0], targets):
        return {"FRRea": "generation 0 copies target sequences: the generated set is part of the real set"}
    return {}


def dataset_block(dataset, root, *, scoring_only: bool = False, **sizes) -> dict:
    """What a results record says about the split it was scored on.

    ``fingerprint`` is the split's scoring fingerprint (the split list, emotion files, extra reactions
    and matrix: all the numbers depend on), so a run and ``react-bench evaluate`` on the same data
    land in one leaderboard table; ``data_fingerprint`` (every modality) is added unless
    ``scoring_only`` (``evaluate`` may run on a tree that holds only the emotion files).
    """
    block = {
        "root": str(root),
        "split": dataset.split,
        "layout": dataset.layout,
        "fingerprint": dataset.scoring_fingerprint,
        "appropriateness_sha256": dataset.appropriateness_sha256,
        "appropriateness_source": dataset.appropriateness_source,
        "is_synthetic": bool(dataset.is_synthetic),
        "num_targets": int(len(dataset.targets())),
        **sizes,
    }
    if not scoring_only:
        block["data_fingerprint"] = dataset.fingerprint
    return block
