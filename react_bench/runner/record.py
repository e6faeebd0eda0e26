"""The ``results.json`` record of a finished run."""

from __future__ import annotations

import numpy as np

from react_bench.constants import FPS
from react_bench.submissions import ONLINE_CHUNK_FRAMES, Submission
from react_bench.utils import provenance, sha256_array

SCHEMA = "react-bench/results/1"


def describe(cls: type[Submission]) -> str:
    """The first line of a submission's docstring."""
    doc = (cls.__doc__ or "").strip()
    return doc.splitlines()[0] if doc else ""


def online_timing(latencies: list[list[float]], *, num_frames: int, batch_size: int) -> dict:
    """Latency per window and real-time factor from each batch's per-window seconds.

    The B streams of a batch share each ``step`` call, so a batch covers ``num_frames / FPS``
    seconds of stream; the real-time factor is the total step time over the total duration of
    the batched streams (below 1: the submission keeps up with B live streams at once).
    """
    flat = np.asarray([s for batch in latencies for s in batch], dtype=np.float64)
    stream_seconds = len(latencies) * num_frames / FPS
    return {
        "chunk_frames": ONLINE_CHUNK_FRAMES,
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
    *, cls: type[Submission], submission: Submission, config: dict, scores: dict, directions: dict,
    dataset, root, batch_seeds: list[int], emotion: np.ndarray, threedmm: np.ndarray | None,
    timings: dict, fit: dict, online: dict | None,
) -> dict:
    """Everything a reader needs to trust and reproduce the numbers."""
    metrics = {
        name: {"value": float(scores[name]), "direction": directions[name]}
        for name in directions if scores.get(name) is not None  # None: not defined here (e.g. FRDvs at N = 1)
    }
    predictions = {"emotion": "predictions.npy", "emotion_sha256": sha256_array(emotion), "shape": list(emotion.shape)}
    if threedmm is not None:
        predictions.update(threedmm="predictions_3dmm.npy", threedmm_sha256=sha256_array(threedmm))
    return {
        "schema": SCHEMA,
        "submission": {
            "name": cls.name,
            "description": describe(cls),
            "config": submission.config,
            "effective_config": submission.fit_config(),
            "needs_fit": cls.needs_fit,
            "produces_3dmm": cls.produces_3dmm,
            "fit": fit,
        },
        "track": config["track"],
        "split": config["split"],
        "protocol": scores.get("protocol", config["protocol"]),
        "frrea_feature_space": scores.get("frrea_feature_space"),
        "metrics": metrics,
        "per_speaker": {k: [float(v) for v in vals] for k, vals in scores.get("per_speaker", {}).items()},
        "online": online,
        "config": config,
        "seeds": {"run_seed": config["seed"], "batch_seeds": batch_seeds},
        "dataset": {
            "root": str(root),
            "split": config["split"],
            "fingerprint": dataset.fingerprint,
            "appropriateness_sha256": dataset.appropriateness_sha256,
            "is_synthetic": bool(dataset.is_synthetic),
            "num_samples": int(emotion.shape[0]),
            "num_frames": int(emotion.shape[2]),
        },
        "predictions": predictions,
        "timings": {**timings, "metric_seconds": scores.get("seconds")},
        "provenance": provenance(),
    }
