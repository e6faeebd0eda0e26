"""Exact batched DTW on the CPU: numba, parallel over lane groups, vectorised across pairs.

Kernels here trust their inputs (float64, C-contiguous, validated by ``dtw.py`` / ``frdist.py``).

Layout. ``LANES`` = 8 DTW problems run side by side in SIMD lanes (two AVX2 vectors of float64):
every loop over ``l`` below is a lane loop that LLVM's SLP vectoriser turns into vector code. A
problem is one (query, target) pair whose channels are split into ``groups`` (``[0, C]`` for plain
DTW, ``[0, 15, 17, 25]`` for the REACT distance): the local costs of all groups come out of one
pass over the channels, and each group runs its own recurrence
``acc[i, j] = cost[i, j] + min(acc[i-1, j-1], acc[i-1, j], acc[i, j-1])`` in float64.

Cache blocking. The rows of the query are processed in blocks of ``BLOCK_ROWS``; within a block the
columns ``j`` are the outer loop, so each target frame is loaded once per block and the live state
(one column of the block plus the row above it) stays in L1/L2.

Compiler flags (measured, see ``/work/shared/PERF-NOTES.md``): ``fastmath`` WITHOUT ``reassoc``
(with it LLVM folds the channel sum into the min chain and the kernel gets ~10x slower) and
``NUMBA_SLP_VECTORIZE=1`` (numba's default leaves the lane loops scalar). Neither changes the
result beyond FMA contraction of ``d * d + s`` (a few ulp per cell).

Threads: ``numba.prange`` over lane groups uses ``numba.get_num_threads()`` threads, i.e.
``NUMBA_NUM_THREADS`` (default: all cores) unless lowered with ``numba.set_num_threads``.
"""

from __future__ import annotations

import os

# Must precede the first import of numba. If numba was imported earlier (tslearn imports it), the
# environment variable is no longer read, so the config value is set too; it is read per compilation.
os.environ.setdefault("NUMBA_SLP_VECTORIZE", "1")

import numba  # noqa: E402
import numpy as np  # noqa: E402

if os.environ["NUMBA_SLP_VECTORIZE"] == "1":
    numba.config.SLP_VECTORIZE = 1

LANES = 8
"""DTW problems per thread, side by side in SIMD lanes."""
BLOCK_ROWS = 8
"""Query rows per cache block."""
MAX_GROUPS = 4
"""Most channel groups one problem may have (REACT uses 3)."""
ABANDON_EVERY = 4
"""Check the early-abandoning bound after every this many row blocks."""

_FASTMATH = {"nnan", "ninf", "nsz", "arcp", "contract", "afn"}
_INF = np.inf


@numba.njit(fastmath=_FASTMATH, cache=True, nogil=True, boundscheck=False)
def _lanes_dtw(xb, yb, t1, t2, groups, weights, bound, out, top, col, cost):
    """Accumulated DTW costs of ``LANES`` problems at once.

    Args:
        xb: ``(T1max, C, LANES)`` query frames per lane (rows ``>= t1`` are ignored).
        yb: ``(T2max, C, LANES)`` target frames per lane.
        t1, t2: lengths used (same for all lanes).
        groups: ``(ng + 1,)`` int64 channel boundaries of the groups.
        weights: ``(ng,)`` weight of each group's ``sqrt(acc)`` in the distance used for abandoning.
        bound: ``(LANES,)`` abandon when every lane's lower bound exceeds its bound (``inf``: never).
        out: ``(MAX_GROUPS, LANES)`` written: accumulated cost per group (``inf`` if abandoned).
        top, col, cost: scratch ``(MAX_GROUPS, T2max, LANES)``, ``(MAX_GROUPS, BLOCK_ROWS, LANES)`` x2.

    Returns:
        True if the problems were abandoned (``out`` then holds ``inf``).
    """
    ng = groups.shape[0] - 1
    diag = np.empty((MAX_GROUPS, LANES))
    rowmin = np.empty((MAX_GROUPS, LANES))
    for g in range(ng):
        for j in range(t2):
            for l in range(LANES):
                top[g, j, l] = _INF  # acc[-1, j]
    block = 0
    for i0 in range(0, t1, BLOCK_ROWS):
        rn = min(BLOCK_ROWS, t1 - i0)
        first = 0.0 if i0 == 0 else _INF  # acc[i0 - 1, -1]
        for g in range(ng):
            for l in range(LANES):
                diag[g, l] = first
                rowmin[g, l] = _INF
            for r in range(rn):
                for l in range(LANES):
                    col[g, r, l] = _INF  # acc[i0 + r, -1]
        for j in range(t2):
            # local costs of the block's rows against target frame j, every group in one pass
            for g in range(ng):
                for r in range(rn):
                    for l in range(LANES):
                        cost[g, r, l] = 0.0
                for c in range(groups[g], groups[g + 1]):
                    for r in range(rn):
                        for l in range(LANES):
                            d = xb[i0 + r, c, l] - yb[j, c, l]
                            cost[g, r, l] += d * d
            # the recurrence down the block's column j
            for g in range(ng):
                for l in range(LANES):
                    up = top[g, j, l]  # acc[i0 - 1, j]
                    dg = diag[g, l]  # acc[i0 - 1, j - 1]
                    diag[g, l] = up
                    for r in range(rn):
                        left = col[g, r, l]  # acc[i0 + r, j - 1]
                        v = cost[g, r, l] + min(dg, up, left)
                        col[g, r, l] = v
                        dg = left
                        up = v
                    top[g, j, l] = up  # acc[i0 + rn - 1, j]
                    rowmin[g, l] = min(rowmin[g, l], up)
        block += 1
        if block % ABANDON_EVERY == 0 and i0 + rn < t1:
            # Every warping path crosses every row and costs are >= 0, so the smallest accumulated
            # cost of a row bounds the final one from below (also in floating point: adding a
            # non-negative number never decreases a float).
            done = True
            for l in range(LANES):
                low = 0.0
                for g in range(ng):
                    low += weights[g] * np.sqrt(rowmin[g, l])
                if not low > bound[l]:
                    done = False
            if done:
                for g in range(ng):
                    for l in range(LANES):
                        out[g, l] = _INF
                return True
    for g in range(ng):
        for l in range(LANES):
            out[g, l] = top[g, t2 - 1, l]
    return False


@numba.njit(cache=True, nogil=True, boundscheck=False)
def _scratch(t1max, t2max, c):
    xb = np.zeros((t1max, c, LANES))
    yb = np.zeros((t2max, c, LANES))
    top = np.empty((MAX_GROUPS, t2max, LANES))
    col = np.empty((MAX_GROUPS, BLOCK_ROWS, LANES))
    cost = np.empty((MAX_GROUPS, BLOCK_ROWS, LANES))
    out = np.empty((MAX_GROUPS, LANES))
    return xb, yb, top, col, cost, out


@numba.njit(parallel=True, cache=True, nogil=True, boundscheck=False)
def pair_costs(x, y, qi, ti, groups):
    """Accumulated DTW cost per channel group of listed pairs.

    Args:
        x: ``(A, T1, C)`` float64 queries; y: ``(B, T2, C)`` float64 targets.
        qi, ti: ``(P,)`` int64: pair ``p`` is ``(x[qi[p]], y[ti[p]])``.
        groups: ``(ng + 1,)`` int64 channel boundaries.

    Returns:
        ``(P, ng)`` float64 accumulated costs (the distance is their ``sqrt``).
    """
    t1, C = x.shape[1], x.shape[2]
    t2 = y.shape[1]
    P = qi.shape[0]
    ng = groups.shape[0] - 1
    res = np.empty((P, ng))
    weights = np.zeros(ng)
    bound = np.full(LANES, _INF)
    for task in numba.prange((P + LANES - 1) // LANES):
        p0 = task * LANES
        pn = min(LANES, P - p0)
        xb, yb, top, col, cost, out = _scratch(t1, t2, C)
        for l in range(pn):  # idle lanes keep zeros
            for i in range(t1):
                for c in range(C):
                    xb[i, c, l] = x[qi[p0 + l], i, c]
            for j in range(t2):
                for c in range(C):
                    yb[j, c, l] = y[ti[p0 + l], j, c]
        _lanes_dtw(xb, yb, t1, t2, groups, weights, bound, out, top, col, cost)
        for l in range(pn):
            for g in range(ng):
                res[p0 + l, g] = out[g, l]
    return res


@numba.njit(parallel=True, cache=True, nogil=True, boundscheck=False)
def diagonal_bounds(x, y, cand, n_cand, groups, weights):
    """Distance along the diagonal warping path of every (query, candidate): an upper bound on DTW.

    Shapes as in ``min_distances`` (equal lengths T); returns ``(Q, S)`` float64, ``inf`` past ``n_cand``.
    """
    Q, T, C = x.shape
    S = cand.shape[1]
    ng = groups.shape[0] - 1
    res = np.full((Q, S), _INF)
    for q in numba.prange(Q):
        for s in range(n_cand[q]):
            d = 0.0
            for g in range(ng):
                acc = 0.0
                for t in range(T):
                    for c in range(groups[g], groups[g + 1]):
                        e = x[q, t, c] - y[cand[q, s], t, c]
                        acc += e * e
                d += weights[g] * np.sqrt(acc)
            res[q, s] = d
    return res


@numba.njit(parallel=True, cache=True, nogil=True, boundscheck=False)
def min_distances(x, y, cand, n_cand, upper, groups, weights, abandon):
    """``min_s sum_g weights[g] * sqrt(acc_g(x[q], y[cand[q, s]]))`` for every query ``q``.

    Args:
        x: ``(Q, T, C)`` float64 queries; y: ``(B, T, C)`` float64 targets (one length T).
        cand: ``(Q, S)`` int64 candidate targets of each query, likeliest first; ``n_cand (Q,)`` >= 1.
        upper: ``(Q,)`` a proven upper bound on each query's minimum (``inf`` if none).
        groups: ``(ng + 1,)`` int64 channel boundaries; weights: ``(ng,)`` float64 (> 0).
        abandon: stop a problem as soon as it provably cannot beat ``min(upper, best so far)``
            of its query (exact: the minimum is unchanged).

    Returns:
        ``(Q,)`` float64 minima and ``(Q,)`` int64 number of problems abandoned per query.
    """
    Q, T, C = x.shape
    ng = groups.shape[0] - 1
    best = np.full(Q, _INF)
    skipped = np.zeros(Q, dtype=np.int64)
    for task in numba.prange((Q + LANES - 1) // LANES):
        q0 = task * LANES
        qn = min(LANES, Q - q0)
        xb, yb, top, col, cost, out = _scratch(T, T, C)
        bound = np.full(LANES, _INF)
        smax = 0
        for l in range(qn):
            smax = max(smax, n_cand[q0 + l])
            for i in range(T):
                for c in range(C):
                    xb[i, c, l] = x[q0 + l, i, c]
        for s in range(smax):
            for l in range(LANES):
                if l < qn and s < n_cand[q0 + l]:
                    q = q0 + l
                    bound[l] = min(upper[q], best[q]) if abandon else _INF
                    for j in range(T):
                        for c in range(C):
                            yb[j, c, l] = y[cand[q, s], j, c]
                else:
                    # an idle lane: zero cost against itself, and never what keeps the group alive
                    bound[l] = -1.0 if abandon else _INF
                    for j in range(T):
                        for c in range(C):
                            yb[j, c, l] = xb[j, c, l]
            gave_up = _lanes_dtw(xb, yb, T, T, groups, weights, bound, out, top, col, cost)
            for l in range(qn):
                q = q0 + l
                if s < n_cand[q]:
                    if gave_up:
                        skipped[q] += 1
                    else:
                        d = 0.0
                        for g in range(ng):
                            d += weights[g] * np.sqrt(out[g, l])
                        best[q] = min(best[q], d)
    return best, skipped
