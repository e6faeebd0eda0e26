"""Scoring shared out over a ``torch.distributed`` process group (``torchrun``): each rank scores a
share of the speakers, only per-speaker results and sufficient statistics cross between ranks.

What is shared: every per-speaker metric of speaker k (FRCorr, FRDist, FRDiv, FRVar, FRSyn,
FREnergy) needs only speaker k's generations, speaker sequence and row of the appropriateness
matrix, plus the targets (every rank has all of them), so each rank runs those kernels on its own
rows. Two metrics look across speakers and are computed from all-reduced sufficient statistics:

- FRDvs: speaker k's share is ``(N ||p_ki - mean_i||^2 + sum_k' ||p_k'i - mean_i||^2)`` summed over i
  (``diversity._fr_dvs_per_speaker``); it needs the mean over speakers per generation index,
  ``(G, T, 25)``, all-reduced as a sum, then the ``(G,)`` sums of squared deviations from it.
- FRRea: the Frechet distance needs the generated window features' mean and covariance; the sum
  ``(75,)`` and the count are all-reduced first, then the centred sum of outer products ``(75, 75)``
  around that global mean (two passes, as ``frechet.gaussian_stats`` computes it, so no
  ``E[x x^T] - mu mu^T`` cancellation).

What is gathered: the ``(n_r,)`` sample indices of each rank and its ``(n_r, P)`` per-speaker values
(P <= 9 metrics), in one padded ``all_gather``; the seconds per metric are all-reduced (max: the
slowest rank is the wall-clock time). Predictions never leave their rank.

Equality with one process: the per-speaker values of the local metrics are computed row by row by
the same kernels, and each scalar is the same mean of the same gathered ``(N,)`` vector, so on the
CPU they are bit-equal (measured in tests/distributed). FRDvs and FRRea sum their statistics in a
different order (per rank, then across ranks): equal to about 1e-15 relative, tested to 1e-12.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from typing import Any

import torch

from react_bench import distributed as pg
from react_bench.errors import BadInputError
from react_bench.metrics.checks import MetricInputs
from react_bench.metrics.evaluate import _Timer, build_result, compute_metric, frrea_space, run_kernels
from react_bench.metrics.frechet import frechet_from_stats, gaussian_stats
from react_bench.metrics.realism import reaction_window_features
from react_bench.metrics.spec import MetricSpec

__all__ = ["evaluate_block", "evaluate_shard"]


def _fr_dvs(x: MetricInputs, num_speakers: int) -> torch.Tensor | None:
    """This rank's ``(n_r,)`` FRDvs shares (``diversity._fr_dvs_per_speaker`` over all N speakers)."""
    if num_speakers < 2:
        return None
    p = x.preds
    _, g, t, c = p.shape
    mean = pg.all_reduce(p.sum(dim=0)) / num_speakers  # (G, T, C) mean over all speakers
    own = (p - mean).square().sum(dim=(2, 3))  # (n_r, G) ||p_ki - mean_i||^2
    total = pg.all_reduce(own.sum(dim=0))  # (G,) sum over all speakers
    return (num_speakers * own + total).sum(dim=1) / ((num_speakers - 1) * g * t * c)


def _fr_rea(x: MetricInputs) -> float:
    """FRRea (``realism._fr_rea`` of generation 0) from all-reduced moments of the generated features."""
    real = reaction_window_features(x.targets)  # every rank holds all targets
    fake = reaction_window_features(x.preds[:, 0])  # (n_r W, 75) this rank's windows
    count = int(pg.all_reduce(torch.tensor([fake.shape[0]], dtype=torch.int64)))
    if real.shape[0] < 2 or count < 2:
        raise BadInputError(
            f"FRRea needs at least 2 feature windows per side; got {real.shape[0]} real and "
            f"{count} generated. Score more speakers or longer sequences."
        )
    mu = pg.all_reduce(fake.sum(dim=0)) / count
    centred = fake - mu
    cov = pg.all_reduce(centred.T @ centred) / (count - 1)
    mu_real, cov_real = gaussian_stats(real)
    return frechet_from_stats(mu_real, cov_real, mu, cov)  # real first, as frechet_of_sets(real, fake)


@contextmanager
def _numba_threads_per_rank():
    """Give each rank its share of the cores for the numba DTW, then restore the setting.

    numba defaults to every core in every process: K ranks on one machine would run K x cores
    spinning OpenMP threads (on 2 cores, 2 ranks x 2 threads made FRDist slower than one process).
    """
    import numba

    previous = numba.get_num_threads()
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    share = max(1, min(previous, cores // max(1, pg.local_world_size())))
    numba.set_num_threads(share)
    try:
        yield
    finally:
        numba.set_num_threads(previous)


def evaluate_shard(
    inputs: MetricInputs, indices: torch.Tensor, specs: list[MetricSpec], *, num_speakers: int, protocol: str,
    rea: bool = True, rea_features: tuple[Any, Any] | None = None, per_speaker: bool = False,
    cpu_threads: int | None = 1,
) -> dict:
    """``evaluate`` of all N speakers when each rank holds some of them; a collective call.

    Args:
        inputs: this rank's validated rows: preds ``(n_r, G, T, 25)``, speaker ``(n_r, T, 25)``,
            appropriate ``(n_r, M)``, and all targets ``(M, T, 25)``. ``n_r`` may be 0.
        indices: ``(n_r,)`` int64 sample indices of those rows in ``[0, num_speakers)``. The caller
            guarantees that the ranks' indices are a disjoint cover of ``range(num_speakers)``.
        specs, protocol, rea, rea_features, per_speaker, cpu_threads: as ``evaluate_checked``;
            ``rea_features`` must be the same on every rank (each computes that distance itself).

    Returns:
        The same dict on every rank, equal to ``evaluate`` of the whole set (module docstring).
    """
    timer = _Timer(inputs.device)

    def block_kernel(spec: MetricSpec):
        if spec.across_speakers:
            collective = _COLLECTIVE_KERNELS.get(spec.name)
            if collective is None:  # pragma: no cover - a new entry of the metric table
                raise NotImplementedError(
                    f"metric {spec.name!r} compares speakers with each other (across_speakers); give it a "
                    f"collective kernel in react_bench/metrics/distributed.py before scoring it on several processes."
                )
            return collective(inputs, num_speakers)
        if inputs.preds.shape[0] == 0:
            return inputs.preds.new_zeros(0)
        return spec.kernel(inputs, protocol)

    def compute(spec: MetricSpec, values: dict):
        # timed on every rank, empty or not, so every rank has the same keys
        return compute_metric(spec, inputs, protocol, values, timer, rea, rea_features, kernel=block_kernel)

    with _numba_threads_per_rank():
        values = run_kernels(inputs, specs, compute, cpu_threads=cpu_threads)
    values = _gather_per_speaker(values, [spec.name for spec in specs], indices, num_speakers)
    names = sorted(timer.seconds)  # the same keys on every rank (see compute)
    slowest = pg.all_reduce(torch.tensor([timer.seconds[n] for n in names], dtype=torch.float64), op="max")
    seconds = {name: float(s) for name, s in zip(names, slowest)}
    return build_result(inputs, specs, values, protocol=protocol, space=frrea_space(specs, rea, rea_features),
                        seconds=seconds, num_speakers=num_speakers, per_speaker=per_speaker)


_COLLECTIVE_KERNELS = {
    "FRDvs": lambda inputs, num_speakers: _fr_dvs(inputs, num_speakers),
    "FRRea": lambda inputs, num_speakers: _fr_rea(inputs),
}
"""The metrics with ``MetricSpec.across_speakers``: their kernels on a rank's block of speakers, with
the statistics they need from the other ranks all-reduced."""


def _gather_per_speaker(values: dict, order: list[str], indices: torch.Tensor, num_speakers: int) -> dict:
    """Replace each rank's ``(n_r,)`` per-speaker tensors by the full ``(N,)`` float64 ones, in sample order."""
    names = [name for name in order if isinstance(values[name], torch.Tensor)]  # the same on every rank
    if not names:
        return values
    local = torch.stack([values[name].detach().double().cpu().reshape(-1) for name in names], dim=1)  # (n_r, P)
    rows = pg.all_gather_rows(local)  # (N, P) in rank order
    where = pg.all_gather_rows(indices.detach().cpu().to(torch.int64))  # (N,)
    full = torch.empty(num_speakers, len(names), dtype=torch.float64)
    full[where] = rows
    return {**values, **{name: full[:, j] for j, name in enumerate(names)}}


def evaluate_block(
    inputs: MetricInputs, specs: list[MetricSpec], *, protocol: str, rea: bool = True,
    rea_features: tuple[Any, Any] | None = None, per_speaker: bool = False, cpu_threads: int | None = 1,
) -> dict:
    """``evaluate(..., distributed=True)``: every rank holds the whole validated input and scores the
    contiguous block of speakers ``contiguous_block(N, rank, world)``; a collective call."""
    n = inputs.preds.shape[0]
    block = pg.contiguous_block(n, pg.rank(), pg.world_size())
    rows = slice(block.start, block.stop)
    mine = MetricInputs(preds=inputs.preds[rows], targets=inputs.targets, speaker=inputs.speaker[rows],
                        appropriate=inputs.appropriate[rows], max_lag=inputs.max_lag)
    indices = torch.arange(block.start, block.stop, dtype=torch.int64)
    return evaluate_shard(mine, indices, specs, num_speakers=n, protocol=protocol, rea=rea,
                          rea_features=rea_features, per_speaker=per_speaker, cpu_threads=cpu_threads)
