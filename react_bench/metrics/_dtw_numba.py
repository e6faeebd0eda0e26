"""Exact batched DTW on the CPU: numba, parallel over lane groups, vectorised across pairs.

Kernels here trust their inputs (float64, C-contiguous, validated by ``dtw.py`` / ``frdist.py``).

Layout. ``LANES`` = 8 DTW problems run side by side in SIMD lanes (two AVX2 vectors of float64):
each lane operation is written out eight times and LLVM's SLP vectoriser packs it into vector code. A
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
"""Query rows per cache block (a multiple of 4: the local costs are computed 4 rows at a time)."""
MAX_GROUPS = 4
"""Most channel groups one problem may have (REACT uses 3)."""

_FASTMATH = {"nnan", "ninf", "nsz", "arcp", "contract", "afn"}
_INF = np.inf
_U = tuple(np.uint64(k) for k in range(2 * LANES + 1))
"""Unsigned lane offsets (uint64 + uint64 stays uint64 in numba; mixing in int64 would give float64)."""
_SLACK = 1.0 + 1e-12
"""Abandon only when the lower bound exceeds the bound by this factor (rounding safety)."""
_BIG = 1e300
"""Stands for +inf inside the fastmath kernel: its ``ninf`` flag lets LLVM assume no value is
infinite, so the DP borders (``acc[-1, j]``, ``acc[i, -1]``) hold this finite sentinel instead. It
never reaches a result: every cell has a finite predecessor, and real accumulated costs stay far
below it (float32 inputs give at most ~1e81 at T = 750)."""


@numba.njit(fastmath=_FASTMATH, cache=True, nogil=True, boundscheck=False)
def _lanes_dtw(xb, yb, t1, t2, groups, weights, bound, out, top, st):
    """Accumulated DTW costs of ``LANES`` problems at once.

    Args:
        xb: ``(T1pad, C, LANES)`` C-contiguous query frames per lane, ``T1pad >= t1`` a multiple of ``BLOCK_ROWS``.
        yb: ``(T2max, C, LANES)`` C-contiguous target frames per lane.
        t1, t2: lengths used (same for all lanes).
        groups: ``(ng + 1,)`` int64 channel boundaries of the groups.
        weights: ``(ng,)`` weight of each group's ``sqrt(acc)`` in the distance used for abandoning.
        bound: ``(LANES,)`` abandon when every lane's lower bound exceeds its bound (``_BIG``: never).
        out: ``(MAX_GROUPS, LANES)`` written: accumulated cost per group (undefined if abandoned).
        top: scratch ``(MAX_GROUPS, T2max, LANES)``: the last row of the previous block.
        st: scratch ``(MAX_GROUPS, BLOCK_ROWS, 2 * LANES)``: per block row, lanes ``[0, 8)`` hold the
            accumulated cost of the current column, lanes ``[8, 16)`` the local cost.

    Returns:
        True if the problems were abandoned.

    How it is written, and why (each measured on the 2-core dev machine): the lane loops are
    written out as eight scalars, loads first and stores last, all DP state in one array (``st``):
    the form LLVM's SLP vectoriser packs into vector registers (``for l in range(LANES)`` stays
    scalar). The hot loops index flat views with unsigned offsets (no negative-index wraparound
    code, ~10% each); views such as ``xb[i]`` inside them would cost reference counting. Four rows
    at a time give the FMA units independent sums (~25% over one or two).
    """
    ng = groups.shape[0] - 1
    C = xb.shape[1]
    # unsigned flat indices: numba adds no negative-index wraparound, LLVM sees contiguous lanes
    xf = xb.reshape(-1)
    yf = yb.reshape(-1)
    sf = st.reshape(-1)
    row1 = np.uint64(C * LANES)
    row2 = row1 + row1
    row3 = row2 + row1
    diag = np.empty((MAX_GROUPS, LANES))
    rowmin = np.empty((MAX_GROUPS, LANES))
    top[:ng, :t2, :] = _BIG  # acc[-1, j]
    for i0 in range(0, t1, BLOCK_ROWS):
        rn = min(BLOCK_ROWS, t1 - i0)
        diag[:ng, :] = 0.0 if i0 == 0 else _BIG  # acc[i0 - 1, -1]
        rowmin[:ng, :] = _BIG
        st[:ng, :, :LANES] = _BIG  # acc[i0 + r, -1]
        for j in range(t2):
            # local costs of the block's rows against target frame j, every group in one pass
            for r in range(0, rn, 4):
                for g in range(ng):
                    sa0, sa1, sa2, sa3 = 0.0, 0.0, 0.0, 0.0
                    sa4, sa5, sa6, sa7 = 0.0, 0.0, 0.0, 0.0
                    sb0, sb1, sb2, sb3 = 0.0, 0.0, 0.0, 0.0
                    sb4, sb5, sb6, sb7 = 0.0, 0.0, 0.0, 0.0
                    sc0, sc1, sc2, sc3 = 0.0, 0.0, 0.0, 0.0
                    sc4, sc5, sc6, sc7 = 0.0, 0.0, 0.0, 0.0
                    sd0, sd1, sd2, sd3 = 0.0, 0.0, 0.0, 0.0
                    sd4, sd5, sd6, sd7 = 0.0, 0.0, 0.0, 0.0
                    xo = np.uint64(((i0 + r) * C + groups[g]) * LANES)  # flat (row, channel, lane 0)
                    yo = np.uint64((j * C + groups[g]) * LANES)
                    for _ in range(groups[g], groups[g + 1]):
                        y0, y1, y2, y3 = yf[yo + _U[0]], yf[yo + _U[1]], yf[yo + _U[2]], yf[yo + _U[3]]
                        y4, y5, y6, y7 = yf[yo + _U[4]], yf[yo + _U[5]], yf[yo + _U[6]], yf[yo + _U[7]]
                        d0, d1 = xf[xo + _U[0]] - y0, xf[xo + _U[1]] - y1
                        d2, d3 = xf[xo + _U[2]] - y2, xf[xo + _U[3]] - y3
                        d4, d5 = xf[xo + _U[4]] - y4, xf[xo + _U[5]] - y5
                        d6, d7 = xf[xo + _U[6]] - y6, xf[xo + _U[7]] - y7
                        sa0, sa1, sa2, sa3 = sa0 + d0 * d0, sa1 + d1 * d1, sa2 + d2 * d2, sa3 + d3 * d3
                        sa4, sa5, sa6, sa7 = sa4 + d4 * d4, sa5 + d5 * d5, sa6 + d6 * d6, sa7 + d7 * d7
                        xq = xo + row1
                        d0, d1 = xf[xq + _U[0]] - y0, xf[xq + _U[1]] - y1
                        d2, d3 = xf[xq + _U[2]] - y2, xf[xq + _U[3]] - y3
                        d4, d5 = xf[xq + _U[4]] - y4, xf[xq + _U[5]] - y5
                        d6, d7 = xf[xq + _U[6]] - y6, xf[xq + _U[7]] - y7
                        sb0, sb1, sb2, sb3 = sb0 + d0 * d0, sb1 + d1 * d1, sb2 + d2 * d2, sb3 + d3 * d3
                        sb4, sb5, sb6, sb7 = sb4 + d4 * d4, sb5 + d5 * d5, sb6 + d6 * d6, sb7 + d7 * d7
                        xq = xo + row2
                        d0, d1 = xf[xq + _U[0]] - y0, xf[xq + _U[1]] - y1
                        d2, d3 = xf[xq + _U[2]] - y2, xf[xq + _U[3]] - y3
                        d4, d5 = xf[xq + _U[4]] - y4, xf[xq + _U[5]] - y5
                        d6, d7 = xf[xq + _U[6]] - y6, xf[xq + _U[7]] - y7
                        sc0, sc1, sc2, sc3 = sc0 + d0 * d0, sc1 + d1 * d1, sc2 + d2 * d2, sc3 + d3 * d3
                        sc4, sc5, sc6, sc7 = sc4 + d4 * d4, sc5 + d5 * d5, sc6 + d6 * d6, sc7 + d7 * d7
                        xq = xo + row3
                        d0, d1 = xf[xq + _U[0]] - y0, xf[xq + _U[1]] - y1
                        d2, d3 = xf[xq + _U[2]] - y2, xf[xq + _U[3]] - y3
                        d4, d5 = xf[xq + _U[4]] - y4, xf[xq + _U[5]] - y5
                        d6, d7 = xf[xq + _U[6]] - y6, xf[xq + _U[7]] - y7
                        sd0, sd1, sd2, sd3 = sd0 + d0 * d0, sd1 + d1 * d1, sd2 + d2 * d2, sd3 + d3 * d3
                        sd4, sd5, sd6, sd7 = sd4 + d4 * d4, sd5 + d5 * d5, sd6 + d6 * d6, sd7 + d7 * d7
                        xo += _U[LANES]
                        yo += _U[LANES]
                    st[g, r, 8], st[g, r, 9], st[g, r, 10], st[g, r, 11] = sa0, sa1, sa2, sa3
                    st[g, r, 12], st[g, r, 13], st[g, r, 14], st[g, r, 15] = sa4, sa5, sa6, sa7
                    st[g, r + 1, 8], st[g, r + 1, 9], st[g, r + 1, 10], st[g, r + 1, 11] = sb0, sb1, sb2, sb3
                    st[g, r + 1, 12], st[g, r + 1, 13], st[g, r + 1, 14], st[g, r + 1, 15] = sb4, sb5, sb6, sb7
                    st[g, r + 2, 8], st[g, r + 2, 9], st[g, r + 2, 10], st[g, r + 2, 11] = sc0, sc1, sc2, sc3
                    st[g, r + 2, 12], st[g, r + 2, 13], st[g, r + 2, 14], st[g, r + 2, 15] = sc4, sc5, sc6, sc7
                    st[g, r + 3, 8], st[g, r + 3, 9], st[g, r + 3, 10], st[g, r + 3, 11] = sd0, sd1, sd2, sd3
                    st[g, r + 3, 12], st[g, r + 3, 13], st[g, r + 3, 14], st[g, r + 3, 15] = sd4, sd5, sd6, sd7
            # the recurrence down the block's column j: acc = cost + min(diag, left, up); `up` comes last
            # because it is the value just computed (the dependency chain is then one min and one add)
            for g in range(ng):
                up0, up1, up2, up3 = top[g, j, 0], top[g, j, 1], top[g, j, 2], top[g, j, 3]
                up4, up5, up6, up7 = top[g, j, 4], top[g, j, 5], top[g, j, 6], top[g, j, 7]
                dg0, dg1, dg2, dg3 = diag[g, 0], diag[g, 1], diag[g, 2], diag[g, 3]
                dg4, dg5, dg6, dg7 = diag[g, 4], diag[g, 5], diag[g, 6], diag[g, 7]
                diag[g, 0], diag[g, 1], diag[g, 2], diag[g, 3] = up0, up1, up2, up3
                diag[g, 4], diag[g, 5], diag[g, 6], diag[g, 7] = up4, up5, up6, up7
                so = np.uint64(g * BLOCK_ROWS * 2 * LANES)  # flat (g, r = 0, lane 0) of st
                for _ in range(rn):
                    lf0, lf1, lf2, lf3 = sf[so + _U[0]], sf[so + _U[1]], sf[so + _U[2]], sf[so + _U[3]]
                    lf4, lf5, lf6, lf7 = sf[so + _U[4]], sf[so + _U[5]], sf[so + _U[6]], sf[so + _U[7]]
                    up0, up1 = sf[so + _U[8]] + min(dg0, lf0, up0), sf[so + _U[9]] + min(dg1, lf1, up1)
                    up2, up3 = sf[so + _U[10]] + min(dg2, lf2, up2), sf[so + _U[11]] + min(dg3, lf3, up3)
                    up4, up5 = sf[so + _U[12]] + min(dg4, lf4, up4), sf[so + _U[13]] + min(dg5, lf5, up5)
                    up6, up7 = sf[so + _U[14]] + min(dg6, lf6, up6), sf[so + _U[15]] + min(dg7, lf7, up7)
                    sf[so + _U[0]], sf[so + _U[1]], sf[so + _U[2]], sf[so + _U[3]] = up0, up1, up2, up3
                    sf[so + _U[4]], sf[so + _U[5]], sf[so + _U[6]], sf[so + _U[7]] = up4, up5, up6, up7
                    dg0, dg1, dg2, dg3 = lf0, lf1, lf2, lf3
                    dg4, dg5, dg6, dg7 = lf4, lf5, lf6, lf7
                    so += _U[16]
                top[g, j, 0], top[g, j, 1], top[g, j, 2], top[g, j, 3] = up0, up1, up2, up3
                top[g, j, 4], top[g, j, 5], top[g, j, 6], top[g, j, 7] = up4, up5, up6, up7
                rowmin[g, 0], rowmin[g, 1] = min(rowmin[g, 0], up0), min(rowmin[g, 1], up1)
                rowmin[g, 2], rowmin[g, 3] = min(rowmin[g, 2], up2), min(rowmin[g, 3], up3)
                rowmin[g, 4], rowmin[g, 5] = min(rowmin[g, 4], up4), min(rowmin[g, 5], up5)
                rowmin[g, 6], rowmin[g, 7] = min(rowmin[g, 6], up6), min(rowmin[g, 7], up7)
        if i0 + rn < t1:  # checked after every block: measured 2.5x faster than every 4th block
            # Every warping path crosses every row and costs are >= 0, so the smallest accumulated
            # cost of a row bounds the final one from below (also in floating point: adding a
            # non-negative number never decreases a float, and min is exact). ``_SLACK`` covers the
            # few ulps by which this sum (FMA-contracted here) may round differently from the result.
            done = True
            for l in range(LANES):
                low = 0.0
                for g in range(ng):
                    low += weights[g] * np.sqrt(rowmin[g, l])
                if not low > bound[l] * _SLACK:
                    done = False
            if done:
                out[:ng, :] = _BIG
                return True
    for g in range(ng):
        for l in range(LANES):
            out[g, l] = top[g, t2 - 1, l]
    return False


@numba.njit(cache=True, nogil=True, boundscheck=False)
def _scratch(t1, t2, c):
    """Per-thread buffers of ``_lanes_dtw`` (query rows padded to whole blocks, with zeros)."""
    xb = np.zeros(((t1 + BLOCK_ROWS - 1) // BLOCK_ROWS * BLOCK_ROWS, c, LANES))
    yb = np.zeros((t2, c, LANES))
    top = np.empty((MAX_GROUPS, t2, LANES))
    st = np.empty((MAX_GROUPS, BLOCK_ROWS, 2 * LANES))
    out = np.empty((MAX_GROUPS, LANES))
    return xb, yb, top, st, out


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
    bound = np.full(LANES, _BIG)  # never abandon
    for task in numba.prange((P + LANES - 1) // LANES):
        p0 = task * LANES
        pn = min(LANES, P - p0)
        xb, yb, top, st, out = _scratch(t1, t2, C)
        for l in range(pn):  # idle lanes keep zeros
            for i in range(t1):
                for c in range(C):
                    xb[i, c, l] = x[qi[p0 + l], i, c]
            for j in range(t2):
                for c in range(C):
                    yb[j, c, l] = y[ti[p0 + l], j, c]
        _lanes_dtw(xb, yb, t1, t2, groups, weights, bound, out, top, st)
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
        xb, yb, top, st, out = _scratch(T, T, C)
        bound = np.full(LANES, _BIG)
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
                    bound[l] = min(upper[q], best[q], _BIG) if abandon else _BIG
                    for j in range(T):
                        for c in range(C):
                            yb[j, c, l] = y[cand[q, s], j, c]
                else:
                    # an idle lane: zero cost against itself, and never what keeps the group alive
                    bound[l] = -1.0 if abandon else _BIG
                    for j in range(T):
                        for c in range(C):
                            yb[j, c, l] = xb[j, c, l]
            gave_up = _lanes_dtw(xb, yb, T, T, groups, weights, bound, out, top, st)
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
