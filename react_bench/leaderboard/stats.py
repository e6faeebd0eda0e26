"""Means with 95% bootstrap confidence intervals over speakers."""

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


def summarize(record: dict, metric: str) -> tuple[float, tuple[float, float] | None]:
    """A run's value of ``metric`` and its CI over speakers, or None for the CI when there is none.

    The CI is given only when the run recorded per-speaker values whose mean reproduces the
    reported value (to 1e-6 relative): then the metric is a mean over speakers and resampling
    speakers is meaningful. FRRea (a Frechet distance between two sets, with no per-speaker value)
    is therefore shown without a CI.
    """
    value = float(record["metrics"][metric]["value"])
    per_speaker = record.get("per_speaker", {}).get(metric)
    if not per_speaker:
        return value, None
    mean = float(np.mean(np.asarray(per_speaker, dtype=np.float64)))
    if not math.isclose(mean, value, rel_tol=1e-6, abs_tol=1e-9):
        return value, None
    return value, bootstrap_ci(per_speaker)
