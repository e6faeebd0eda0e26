"""``evaluate``: the seven REACT metrics in one call, inputs validated once, seconds per metric."""

from __future__ import annotations

import time
from contextlib import contextmanager
from typing import Any

import torch

from react_bench.metrics.ccc import _fr_corr_per_speaker
from react_bench.metrics.checks import as_tensor, check_appropriate, check_preds, check_same_frames, check_sequences
from react_bench.metrics.diversity import _fr_div_per_speaker, _fr_dvs_per_speaker, _fr_var_per_speaker
from react_bench.metrics.frdist import fr_dist
from react_bench.metrics.frechet import frechet_distance
from react_bench.metrics.protocols import CORRECTED, REACT2024, check_protocol
from react_bench.metrics.realism import FRREA_FEATURE_VERSION, _fr_rea
from react_bench.metrics.tlcc import _offsets, check_speaker

__all__ = ["evaluate", "METRIC_DIRECTIONS", "METRICS"]

METRICS = ("FRCorr", "FRDist", "FRDiv", "FRVar", "FRDvs", "FRSyn", "FRRea")
"""The seven REACT2024 metrics, in the order of the challenge's tables."""

METRIC_DIRECTIONS = {
    "FRCorr": "higher",
    "FRCorr_per_gen": "higher",
    "FRDist": "lower",
    "FRDiv": "higher",
    "FRVar": "higher",
    "FRDvs": "higher",
    "FRSyn": "lower",
    "FRRea": "lower",
}
"""Which way is better for each reported metric (the leaderboard ranks with it)."""

USER_FEATURES = "user-features"
"""``frrea_feature_space`` when FRRea was computed on features the caller passed (``rea_features``)."""


@contextmanager
def _torch_threads(device: torch.device, threads: int | None):
    """Run the torch metrics with ``threads`` CPU threads, then restore the caller's setting.

    They are many short, memory-bound ops: on a busy machine every OpenMP barrier waits for a
    descheduled thread (measured on the shared 2-core box: FRSyn 0.02 s with one thread, 0.15-0.7 s
    with two), while a second thread gains at most ~1.5x when the machine is idle.
    """
    if device.type != "cpu" or threads is None:
        yield
        return
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


class _Timer:
    """Wall-clock seconds per metric; waits for the device so GPU work is counted where it happens."""

    def __init__(self, device: torch.device) -> None:
        self.device = device
        self.seconds: dict[str, float] = {}

    @contextmanager
    def __call__(self, name: str):
        self._sync()
        start = time.perf_counter()
        yield
        self._sync()
        self.seconds[name] = time.perf_counter() - start

    def _sync(self) -> None:
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)


def evaluate(
    preds: Any,
    targets: Any,
    speaker: Any,
    appropriate: Any,
    *,
    protocol: str = REACT2024,
    device=None,
    rea: bool = True,
    rea_features: tuple[Any, Any] | None = None,
    per_speaker: bool = False,
    cpu_threads: int | None = 1,
) -> dict:
    """All REACT metrics of a set of generated reactions.

    Args:
        preds: ``(N, G, T, 25)`` generated reactions (T >= 51 for FRSyn).
        targets: ``(M, T, 25)`` real listener reactions.
        speaker: ``(N, T, 25)`` speaker sequences.
        appropriate: ``(N, M)`` 0/1 matrix, at least one 1 per row.
        protocol: ``"react2024"`` (official numbers, quirks included) or ``"corrected"``.
        device: where to compute (``"cpu"``, ``"cuda"``); ``None`` keeps preds' device.
        rea: compute FRRea on the default feature space (``FRREA_FEATURE_VERSION``); ``False`` skips it.
        rea_features: ``(real (n, d), fake (m, d))`` features (e.g. Inception activations of rendered
            frames) to compute FRRea on instead; recorded as ``frrea_feature_space = "user-features"``.
        per_speaker: also return ``per_speaker = {metric: [N floats]}`` (FRRea is a distance between
            two sets and has no per-speaker value).
        cpu_threads: torch threads for the torch metrics on the CPU (1: stable on a busy machine;
            None: torch's own setting). FRDist's numba kernel keeps its own thread count.

    Returns:
        ``{"FRCorr", "FRDist", "FRDiv", "FRVar", "FRDvs", "FRSyn", "FRRea"}`` as floats (``FRRea`` None
        when disabled; ``FRDvs`` None when N = 1), ``"FRCorr_per_gen"`` under corrected, plus
        ``protocol``, ``frrea_feature_space``, ``seconds`` (per metric) and the sizes N, G, T, M.

    >>> import torch
    >>> seqs = torch.rand(2, 60, 25, generator=torch.Generator().manual_seed(0))
    >>> result = evaluate(seqs[:, None], seqs, seqs.flip(0), torch.eye(2), rea=False)
    >>> result["FRDist"], result["FRDiv"], result["protocol"]
    (0.0, 0.0, 'react2024')
    """
    check_protocol(protocol)
    if cpu_threads is not None and (not isinstance(cpu_threads, int) or cpu_threads < 1):
        raise ValueError(f"cpu_threads must be a positive int or None; got {cpu_threads!r}.")
    raw = as_tensor(preds, "preds", device=device)
    p = check_preds(raw, dtype=torch.float64)
    raw_targets = as_tensor(targets, "targets", device=p.device)
    t = check_sequences(raw_targets, "targets", dtype=torch.float64)
    check_same_frames(p, "preds", t, "targets")
    a = check_appropriate(appropriate, p.shape[0], t.shape[0], device=p.device)
    p, s = check_speaker(p, speaker)
    n, g, frames, _ = p.shape
    timer = _Timer(p.device)
    values: dict[str, torch.Tensor | float | None] = {}

    with _torch_threads(p.device, cpu_threads):
        with timer("FRCorr"):
            values["FRCorr"] = _fr_corr_per_speaker(p, t, a, protocol)
        with timer("FRDiv"):
            values["FRDiv"] = _fr_div_per_speaker(p)
        with timer("FRVar"):
            values["FRVar"] = _fr_var_per_speaker(p)
        with timer("FRDvs"):
            values["FRDvs"] = _fr_dvs_per_speaker(p) if n >= 2 else None
        with timer("FRSyn"):
            values["FRSyn"] = _offsets(p[:, :1] if protocol == REACT2024 else p, s, protocol).abs().double().mean(dim=1)

        space = None
        if rea_features is not None:
            with timer("FRRea"):
                values["FRRea"] = frechet_distance(rea_features[0], rea_features[1], device=p.device)
            space = USER_FEATURES
        elif rea:
            with timer("FRRea"):
                values["FRRea"] = _fr_rea(p[:, 0], t)
            space = FRREA_FEATURE_VERSION
        else:
            values["FRRea"] = None
    # DTW last: numba's OpenMP threads keep spinning for a while after its parallel kernel and would
    # slow down the torch metrics that followed it (measured: 2-5x on a 2-core machine).
    with timer("FRDist"):
        values["FRDist"] = fr_dist(raw, raw_targets, a, protocol=protocol, reduction="none")
    if protocol == CORRECTED:
        values["FRCorr_per_gen"] = values["FRCorr"] / g

    order = [name for name in (*METRICS, "FRCorr_per_gen") if name in values]
    result: dict[str, Any] = {name: _scalar(values[name]) for name in order}
    result.update(
        protocol=protocol,
        frrea_feature_space=space,
        seconds=timer.seconds,
        num_speakers=n,
        num_generations=g,
        num_frames=frames,
        num_targets=t.shape[0],
    )
    if per_speaker:
        result["per_speaker"] = {
            name: [float(x) for x in values[name].detach().cpu()] for name in order
            if isinstance(values[name], torch.Tensor)
        }
    return result


def _scalar(value: Any) -> float | None:
    """Per-speaker ``(N,)`` tensor -> its mean as a float; floats and None pass through."""
    if isinstance(value, torch.Tensor):
        return float(value.double().mean())
    return value
