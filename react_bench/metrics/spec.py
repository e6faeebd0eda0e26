"""The metric table: every reported metric declared once.

A :class:`MetricSpec` holds a metric's name, which way is better, its range, the kernel that computes
it from validated inputs, and whether it decomposes into per-speaker values. ``evaluate``'s loop, the
names in ``METRICS``, the directions in results files, the arrows and the column order of the
leaderboard are all read from :data:`METRIC_SPECS`; nothing else names a metric's direction.

>>> [spec.name for spec in METRIC_SPECS if spec.official]
['FRCorr', 'FRDist', 'FRDiv', 'FRVar', 'FRDvs', 'FRSyn', 'FRRea']
>>> METRIC_DIRECTIONS["FRDist"], ARROWS[METRIC_DIRECTIONS["FRCorr"]]
('lower', '↑')
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Union

import torch

from react_bench.errors import UnknownNameError
from react_bench.metrics.ccc import _fr_corr_per_speaker
from react_bench.metrics.checks import MetricInputs
from react_bench.metrics.diversity import _fr_div_per_speaker, _fr_dvs_per_speaker, _fr_var_per_speaker
from react_bench.metrics.energy import _fr_energy_per_speaker
from react_bench.metrics.frdist import _fr_dist_per_speaker
from react_bench.metrics.protocols import CORRECTED, PROTOCOLS, REACT2024
from react_bench.metrics.realism import _fr_rea
from react_bench.metrics.tlcc import _offsets

__all__ = ["ARROWS", "DIRECTIONS", "METRICS", "METRIC_DIRECTIONS", "METRIC_SPECS", "MetricSpec", "metric_spec"]

DIRECTIONS = ("higher", "lower")
ARROWS = {"higher": "↑", "lower": "↓"}
"""How a direction is shown in tables and on the command line."""

Value = Union[torch.Tensor, float, None]


@dataclass(frozen=True)
class MetricSpec:
    """One reported metric.

    Attributes:
        name: the name in results files and tables.
        direction: ``"higher"`` or ``"lower"`` is better (the leaderboard ranks with it).
        range: the documented range of values, for people (``G`` = generations per speaker).
        kernel: ``kernel(inputs, protocol) -> (N,) tensor | float | None`` on validated
            :class:`MetricInputs`; ``None`` when undefined for these inputs (FRDvs at N = 1). For a
            metric with ``source``, ``kernel(source_value, inputs)`` instead.
        per_speaker: the kernel returns ``(N,)`` per-speaker values whose mean is the metric (so the
            leaderboard can give it a bootstrap CI); False for set-level values (FRRea).
        official: one of the seven REACT2024 metrics (False: a react-bench addition).
        protocols: the protocols that report it.
        backend: ``"numba"`` kernels run after the torch ones (their OpenMP threads keep spinning for
            a while and would slow the torch metrics that followed; measured 2-5x on 2 cores).
        source: the metric this one is derived from, computed first.
        across_speakers: the kernel compares speakers with each other (FRDvs, FRRea), so a block of
            speakers alone does not give its values: scale-out computes it from all-reduced statistics
            (``react_bench.metrics.distributed``).
    """

    name: str
    direction: str
    range: str
    kernel: Callable[..., Value]
    per_speaker: bool = True
    official: bool = True
    protocols: tuple[str, ...] = PROTOCOLS
    backend: str = "torch"
    source: str | None = None
    across_speakers: bool = False

    def __post_init__(self) -> None:
        if self.direction not in DIRECTIONS:  # pragma: no cover - a table entry, not user input
            raise TypeError(f"metric {self.name!r}: direction must be one of {DIRECTIONS}; got {self.direction!r}")

    @property
    def arrow(self) -> str:
        return ARROWS[self.direction]


def _fr_syn(x: MetricInputs, protocol: str) -> torch.Tensor:
    # react2024 scores generation 0 only (the official multiprocessing path); corrected all generations.
    preds = x.preds[:, :1] if protocol == REACT2024 else x.preds
    return _offsets(preds, x.speaker, protocol, x.max_lag, x.valid_frames).abs().double().mean(dim=1)


METRIC_SPECS: tuple[MetricSpec, ...] = (
    MetricSpec("FRCorr", "higher", "[-G, G]",
               lambda x, protocol: _fr_corr_per_speaker(x.preds, x.targets, x.appropriate, protocol)),
    MetricSpec("FRDist", "lower", "[0, inf)",
               lambda x, protocol: _fr_dist_per_speaker(x.preds, x.targets, x.appropriate), backend="numba"),
    MetricSpec("FRDiv", "higher", "[0, inf)", lambda x, protocol: _fr_div_per_speaker(x.preds)),
    MetricSpec("FRVar", "higher", "[0, inf)", lambda x, protocol: _fr_var_per_speaker(x.preds)),
    MetricSpec("FRDvs", "higher", "[0, inf)",
               lambda x, protocol: _fr_dvs_per_speaker(x.preds) if x.preds.shape[0] >= 2 else None,
               across_speakers=True),
    MetricSpec("FRSyn", "lower", "[0, max_lag] (49 at 25 fps)", _fr_syn),
    MetricSpec("FRRea", "lower", "[0, inf)", lambda x, protocol: _fr_rea(x.preds[:, 0], x.targets),
               per_speaker=False, across_speakers=True),
    MetricSpec("FREnergy", "lower", "[0, inf)",
               lambda x, protocol: _fr_energy_per_speaker(x.preds, x.targets, x.appropriate), official=False),
    MetricSpec("FRCorr_per_gen", "higher", "[-1, 1]", lambda frcorr, x: frcorr / x.preds.shape[1],
               official=False, protocols=(CORRECTED,), source="FRCorr"),
)
"""Every reported metric, in the order of the challenge's tables (react-bench's additions last)."""

METRICS = tuple(spec.name for spec in METRIC_SPECS if spec.official)
"""The seven REACT2024 metrics, in the order of the challenge's tables."""

METRIC_DIRECTIONS = {spec.name: spec.direction for spec in METRIC_SPECS}
"""Which way is better for each reported metric."""

_BY_NAME = {spec.name: spec for spec in METRIC_SPECS}


def metric_spec(name: str) -> MetricSpec:
    """The spec of metric ``name``; UnknownNameError listing the metrics otherwise."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise UnknownNameError(f"unknown metric {name!r}; available: {', '.join(_BY_NAME)}") from None
