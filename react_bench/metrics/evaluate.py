"""``evaluate``: every metric of the metric table in one call, inputs validated once, seconds per metric."""

from __future__ import annotations

import time
from contextlib import contextmanager
from typing import Any

import torch

from react_bench.distributed import is_distributed
from react_bench.errors import BadInputError, UnknownNameError
from react_bench.metrics.checks import MetricInputs, check_metric_inputs
from react_bench.metrics.frechet import frechet_distance
from react_bench.metrics.protocols import REACT2024, check_protocol
from react_bench.metrics.realism import FRREA_FEATURE_VERSION
from react_bench.metrics.spec import (
    METRIC_DIRECTIONS,
    METRIC_SPECS,
    METRICS,
    MetricSpec,
)
from react_bench.metrics.tlcc import tlcc_max_lag
from react_bench.metrics.valid_frames import padded_kernel

__all__ = ["METRICS", "METRIC_DIRECTIONS", "evaluate"]

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
    metrics: tuple[str, ...] | None = None,
    per_speaker: bool = False,
    cpu_threads: int | None = 1,
    distributed: bool = False,
    fps: float | None = None,
    max_lag: int | None = None,
    valid_frames: Any = None,
    target_valid_frames: Any = None,
) -> dict:
    """All REACT metrics of a set of generated reactions (and react-bench's FREnergy).

    The inputs are validated once, here; then every metric of :data:`~react_bench.metrics.spec.METRIC_SPECS`
    reported under ``protocol`` runs its kernel on the validated tensors.

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
        metrics: names of the metrics to compute (default: all that ``protocol`` reports).
        per_speaker: also return ``per_speaker = {metric: [N floats]}`` (FRRea is a distance between
            two sets and has no per-speaker value).
        cpu_threads: torch threads for the torch metrics on the CPU (1: stable on a busy machine;
            None: torch's own setting). FRDist's numba kernel keeps its own thread count.
        distributed: share the scoring out over the initialised ``torch.distributed`` process group
            (``react_bench.metrics.distributed``): every rank must call ``evaluate`` with the same
            inputs and gets the same dict. Opt-in, because a collective call deadlocks when only
            some ranks make it. Without a group of more than one process it changes nothing.
        fps: the data's frame rate (``dataset.fps``: 25 REACT2024, 30 MARS). Under react2024 it is only
            recorded: the official FRSyn searches lags -49..49 on every dataset (``fps=25`` fixed in
            ``calculate_tlcc``); under corrected FRSyn searches ``round(2 fps) - 1`` lags each way.
        max_lag: FRSyn's lag range, overriding both (see ``react_bench.metrics.tlcc.tlcc_max_lag``).
        valid_frames: ``(N,)`` real frames of each speaker sample; frames after them are padding and
            are scored by no metric (``react_bench.metrics.valid_frames``). None: all T are real.
        target_valid_frames: ``(M,)`` real frames of each target (default: ``valid_frames`` when M = N).

    Returns:
        ``{"FRCorr", "FRDist", "FRDiv", "FRVar", "FRDvs", "FRSyn", "FRRea", "FREnergy"}`` as floats
        (``FRRea`` None when disabled; ``FRDvs`` None when N = 1), ``"FRCorr_per_gen"`` under corrected,
        plus ``protocol``, ``frrea_feature_space``, ``seconds`` (per metric), the sizes N, G, T, M,
        ``fps`` (as given), ``tlcc_max_lag`` (the lag range FRSyn searched) and ``padding``
        (``"none"``, or ``"excluded"`` with ``padded_samples`` when some frames were padding).

    >>> import torch
    >>> seqs = torch.rand(2, 60, 25, generator=torch.Generator().manual_seed(0))
    >>> result = evaluate(seqs[:, None], seqs, seqs.flip(0), torch.eye(2), rea=False)
    >>> result["FRDist"], result["FRDiv"], result["protocol"]
    (0.0, 0.0, 'react2024')
    """
    check_protocol(protocol)
    if cpu_threads is not None and (not isinstance(cpu_threads, int) or cpu_threads < 1):
        raise BadInputError(f"cpu_threads must be a positive int or None; got {cpu_threads!r}.")
    specs = selected_specs(protocol, metrics)
    lags = tlcc_max_lag(protocol, fps=fps, max_lag=max_lag)
    inputs = check_metric_inputs(preds, targets, speaker, appropriate, device=device, max_lag=lags,
                                 valid_frames=valid_frames, target_valid_frames=target_valid_frames)
    if distributed and is_distributed():
        if inputs.padded:
            raise BadInputError(
                "scoring padded sequences (valid_frames) over several processes is not supported yet; "
                "score them in one process (without torchrun)"
            )
        from react_bench.metrics.distributed import (
            evaluate_block,  # imports this module
        )

        result = evaluate_block(inputs, specs, protocol=protocol, rea=rea, rea_features=rea_features,
                                per_speaker=per_speaker, cpu_threads=cpu_threads)
    else:
        result = evaluate_checked(inputs, specs, protocol=protocol, rea=rea, rea_features=rea_features,
                                  per_speaker=per_speaker, cpu_threads=cpu_threads)
    return {**result, **scoring_fields(inputs, fps)}


def scoring_fields(inputs: MetricInputs, fps: float | None) -> dict:
    """What a result records about the frame rate, FRSyn's lag range and the padding it left out."""
    fields: dict[str, Any] = {"fps": fps, "tlcc_max_lag": inputs.max_lag, "padding": "none"}
    if inputs.padded:
        t = inputs.preds.shape[2]
        padded = 0 if inputs.valid_frames is None else int((inputs.valid_frames < t).sum())
        fields.update(padding="excluded", padded_samples=padded)
    return fields


def evaluate_checked(
    inputs: MetricInputs, specs: list[MetricSpec], *, protocol: str, rea: bool = True,
    rea_features: tuple[Any, Any] | None = None, per_speaker: bool = False, cpu_threads: int | None = 1,
) -> dict:
    """``evaluate`` on inputs that are already validated (``check_metric_inputs``): kernels only."""
    timer = _Timer(inputs.device)

    def compute(spec: MetricSpec, values: dict):
        return compute_metric(spec, inputs, protocol, values, timer, rea, rea_features)

    values = run_kernels(inputs, specs, compute, cpu_threads=cpu_threads)
    return build_result(inputs, specs, values, protocol=protocol, space=frrea_space(specs, rea, rea_features),
                        seconds=timer.seconds, num_speakers=inputs.preds.shape[0], per_speaker=per_speaker)


def run_kernels(inputs: MetricInputs, specs: list[MetricSpec], compute, *, cpu_threads: int | None) -> dict:
    """``{name: compute(spec, values_so_far)}`` for every spec: torch kernels first under
    ``cpu_threads`` torch threads, numba ones last (see ``MetricSpec.backend``), derived metrics after
    their source. The order depends on the specs only, so every rank of a process group runs the
    same collectives in the same order."""
    values: dict[str, torch.Tensor | float | None] = {}
    ordered = sorted(specs, key=lambda spec: (spec.source is not None, spec.backend == "numba"))
    with _torch_threads(inputs.device, cpu_threads):
        for spec in ordered:
            if spec.backend != "numba":
                values[spec.name] = compute(spec, values)
    for spec in ordered:
        if spec.backend == "numba":
            values[spec.name] = compute(spec, values)
    return values


def frrea_space(specs: list[MetricSpec], rea: bool, rea_features) -> str | None:
    """The ``frrea_feature_space`` recorded in a result."""
    if "FRRea" not in {spec.name for spec in specs}:
        return None
    return USER_FEATURES if rea_features is not None else FRREA_FEATURE_VERSION if rea else None


def build_result(
    inputs: MetricInputs, specs: list[MetricSpec], values: dict, *, protocol: str, space: str | None,
    seconds: dict[str, float], num_speakers: int, per_speaker: bool,
) -> dict:
    """``evaluate``'s dict from the metric values (``(N,)`` per-speaker tensors, floats or None)."""
    _, g, frames, _ = inputs.preds.shape
    order = [spec.name for spec in specs]  # table order
    result: dict[str, Any] = {name: _scalar(values[name]) for name in order}
    result.update(
        protocol=protocol,
        frrea_feature_space=space,
        seconds=seconds,
        num_speakers=num_speakers,
        num_generations=g,
        num_frames=frames,
        num_targets=inputs.targets.shape[0],
    )
    if per_speaker:
        result["per_speaker"] = {
            name: [float(x) for x in values[name].detach().cpu()] for name in order
            if isinstance(values[name], torch.Tensor)
        }
    return result


def selected_specs(protocol: str, metrics: tuple[str, ...] | None) -> list[MetricSpec]:
    """The specs reported under ``protocol``, restricted to ``metrics`` (plus the sources they derive from)."""
    reported = [spec for spec in METRIC_SPECS if protocol in spec.protocols]
    if metrics is None:
        return reported
    known = {spec.name for spec in reported}
    unknown = [name for name in metrics if name not in known]
    if unknown:
        raise UnknownNameError(
            f"unknown metric(s) {', '.join(map(repr, unknown))} for protocol {protocol!r}; "
            f"available: {', '.join(spec.name for spec in reported)}"
        )
    wanted = set(metrics) | {spec.source for spec in reported if spec.name in metrics and spec.source}
    return [spec for spec in reported if spec.name in wanted]


def compute_metric(spec: MetricSpec, inputs: MetricInputs, protocol: str, values: dict, timer, rea: bool,
                   rea_features, kernel=None):
    """One metric's value on the validated inputs: a derived metric from its source's value, FRRea as
    ``rea`` / ``rea_features`` say, anything else ``kernel(spec)`` (default: the spec's own kernel),
    timed. The scale-out path passes its collective kernels here."""
    if spec.source is not None:
        source = values[spec.source]
        return None if source is None else spec.kernel(source, inputs)
    if spec.name == "FRRea" and rea_features is not None:
        with timer(spec.name):
            return frechet_distance(rea_features[0], rea_features[1], device=inputs.device)
    if spec.name == "FRRea" and not rea:
        return None
    with timer(spec.name):
        if kernel is not None:
            return kernel(spec)
        # Padding is never scored (the official test cuts it off before scoring; see valid_frames.py).
        return padded_kernel(spec, inputs, protocol) if inputs.padded else spec.kernel(inputs, protocol)


def _scalar(value: Any) -> float | None:
    """Per-speaker ``(N,)`` tensor -> its mean as a float; floats and None pass through."""
    if isinstance(value, torch.Tensor):
        return float(value.double().mean())
    return value
