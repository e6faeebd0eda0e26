"""Means with 95% bootstrap confidence intervals over speakers, and paired differences between models."""

from __future__ import annotations

import math

import numpy as np

from react_bench.errors import BadInputError

BOOTSTRAP_RESAMPLES = 1000
BOOTSTRAP_SEED = 0
CI_LEVEL = 0.95


def bootstrap_ci(
    values, *, resamples: int = BOOTSTRAP_RESAMPLES, seed: int = BOOTSTRAP_SEED, level: float = CI_LEVEL
) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean of ``values`` ``(N,)``, resampling them with replacement.

    >>> bootstrap_ci([1.0, 1.0, 1.0])
    (1.0, 1.0)
    """
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 1 or values.size == 0:
        raise BadInputError(f"values must be a non-empty 1-D sequence of per-speaker values; got shape {values.shape}")
    rng = np.random.default_rng(seed)
    means = values[rng.integers(0, values.size, size=(resamples, values.size))].mean(axis=1)  # (R,)
    tail = (1.0 - level) / 2 * 100
    low, high = np.percentile(means, [tail, 100 - tail])
    return float(low), float(high)


def per_speaker_values(record: dict, metric: str) -> np.ndarray | None:
    """A run's per-speaker values of ``metric`` ``(N,)``, or None when there are none.

    They are given only when their mean reproduces the reported value (to 1e-6 relative): then the
    metric is a mean over speakers and resampling speakers is meaningful. FRRea (a Frechet distance
    between two sets, with no per-speaker value) therefore has none.
    """
    per_speaker = record.get("per_speaker", {}).get(metric)
    if not per_speaker or metric not in record.get("metrics", {}):
        return None
    values = np.asarray(per_speaker, dtype=np.float64)
    value = float(record["metrics"][metric]["value"])
    if not math.isclose(float(values.mean()), value, rel_tol=1e-6, abs_tol=1e-9):
        return None
    return values


def summarize(record: dict, metric: str) -> tuple[float, tuple[float, float] | None]:
    """A run's value of ``metric`` and its CI over speakers, or None for the CI when there is none
    (no per-speaker values that reproduce the value: :func:`per_speaker_values`)."""
    value = float(record["metrics"][metric]["value"])
    values = per_speaker_values(record, metric)
    return value, None if values is None else bootstrap_ci(values)


def paired_difference(
    values, reference, *, resamples: int = BOOTSTRAP_RESAMPLES, seed: int = BOOTSTRAP_SEED, level: float = CI_LEVEL
) -> tuple[float, tuple[float, float]]:
    """Mean paired difference ``values - reference`` over speakers and its percentile bootstrap CI.

    Args:
        values: ``(R, N)`` per-speaker values of one model, one row per run (training seed).
        reference: ``(R', N)`` the same for the model compared with, on the same N speakers in the
            same order.

    Each model's values are first averaged over its runs, ``(N,)``; the per-speaker differences are
    then resampled over speakers with replacement (:func:`bootstrap_ci`). The CI is over speakers of
    seed-averaged values: it does not include seed-to-seed variation.

    >>> paired_difference([[1.0, 2.0], [3.0, 4.0]], [[1.0, 2.0]])
    (1.0, (1.0, 1.0))
    """
    values, reference = np.asarray(values, dtype=np.float64), np.asarray(reference, dtype=np.float64)
    if values.ndim != 2 or reference.ndim != 2 or values.shape[1] != reference.shape[1] or 0 in values.shape + reference.shape:
        raise BadInputError(
            f"values and reference must be (runs, N) per-speaker values on the same N speakers; got "
            f"{values.shape} and {reference.shape}. Were the runs scored on different splits?"
        )
    difference = values.mean(axis=0) - reference.mean(axis=0)  # (N,)
    return float(difference.mean()), bootstrap_ci(difference, resamples=resamples, seed=seed, level=level)
