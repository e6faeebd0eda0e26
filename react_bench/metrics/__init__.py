"""The seven REACT2024 metrics (and react-bench's FREnergy), batched in torch (numba for DTW on CPU), two protocols.

Shapes: preds ``(N, G, T, 25)``, targets ``(M, T, 25)``, speaker ``(N, T, 25)``, appropriate ``(N, M)``.
See ``docs/metrics.md`` for the formulas, the official quirks and the corrected protocol.
"""

from react_bench.metrics.ccc import fr_corr, pairwise_ccc
from react_bench.metrics.collection import ReactMetrics
from react_bench.metrics.diversity import fr_div, fr_dvs, fr_var
from react_bench.metrics.dtw import cdist_dtw, dtw, pairwise_dtw
from react_bench.metrics.energy import fr_energy
from react_bench.metrics.evaluate import evaluate
from react_bench.metrics.frdist import fr_dist
from react_bench.metrics.frechet import frechet_distance
from react_bench.metrics.protocols import CORRECTED, PROTOCOLS, REACT2024
from react_bench.metrics.realism import FRREA_FEATURE_VERSION, fr_rea, fr_rea_images
from react_bench.metrics.spec import ARROWS, METRIC_DIRECTIONS, METRIC_SPECS, METRICS, MetricSpec, metric_spec
from react_bench.metrics.tlcc import fr_syn, tlcc_offsets

__all__ = [
    "ARROWS",
    "CORRECTED",
    "FRREA_FEATURE_VERSION",
    "METRICS",
    "METRIC_DIRECTIONS",
    "METRIC_SPECS",
    "MetricSpec",
    "PROTOCOLS",
    "REACT2024",
    "ReactMetrics",
    "cdist_dtw",
    "dtw",
    "evaluate",
    "fr_corr",
    "fr_dist",
    "fr_div",
    "fr_dvs",
    "fr_energy",
    "fr_rea",
    "fr_rea_images",
    "fr_syn",
    "fr_var",
    "frechet_distance",
    "metric_spec",
    "pairwise_ccc",
    "pairwise_dtw",
    "tlcc_offsets",
]
