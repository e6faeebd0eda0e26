"""Exact batched DTW as one fused Triton kernel: one program per pair, every channel group in one pass.

Kernels here trust their inputs (validated by ``dtw.py`` / ``frdist.py``). Same semantics as
``_dtw_torch.pair_costs``: the accumulated cost per channel group, before the square root.

Layout. Program ``p`` handles the pair ``(x[qi[p]], y[ti[p]])``; lane ``i`` of the program owns row
``i`` of the DP table and walks the ``T1 + T2 - 1`` anti-diagonals, where cell ``(i, d - i)`` of
diagonal ``d`` depends only on diagonals ``d - 1`` and ``d - 2``. The local cost (squared Euclidean
frame distance) is computed on the fly from the two sequences, channel by channel in order, as
tslearn's ``_local_squared_dist`` does; no ``(T1, T2)`` tensor exists. All groups (REACT: AU, VA, FE)
advance together on the same diagonal (one ``(BLOCK,)`` float64 state per group and kind).

Neighbour exchange. Lane ``i`` needs from diagonal ``d - 1`` its own value (``left = acc[i, j-1]``,
kept in registers) and lane ``i - 1``'s (``up = acc[i-1, j]``); ``diag = acc[i-1, j-1]`` is the
``up`` it read one step earlier. Only ``up`` crosses lanes: each step stores the new diagonal into a
small per-program float64 scratch buffer in global memory, ``tl.debug_barrier()``, and loads it back
shifted by one row. Two buffers used alternately make one barrier per step enough: a step writes the
buffer that was last read two steps ago, and every lane has passed the barrier in between.

The barrier matters only on a GPU: Triton's interpreter runs a program's operations in order and
cannot show a race (see /work/shared/PERF-NOTES.md).
"""

from __future__ import annotations

import os

import torch

try:  # the module must import (and report unavailable) where triton is not installed
    import triton
    import triton.language as tl
except ImportError:  # pragma: no cover - depends on the environment
    triton = None

__all__ = ["MAX_GROUPS", "available", "pair_costs"]

MAX_GROUPS = 4
"""Channel groups per launch (REACT uses 3); more groups run as further launches."""
_PROGRAMS_PER_SM = 8
"""Persistent programs per streaming multiprocessor: enough to hide the barrier latency, and the
scratch buffer then stays small (``programs x 2 x groups x (BLOCK + 1)`` float64)."""
_INTERPRETER_PROGRAMS = 3
"""Programs of an interpreter launch: few, so that tests on the CPU exercise the persistent loop
(the interpreter runs programs one after another anyway)."""


def available(*tensors: torch.Tensor) -> bool:
    """Whether the kernel can run here: triton imports, and the tensors are CUDA or ``TRITON_INTERPRET=1``."""
    if triton is None:
        return False
    if os.environ.get("TRITON_INTERPRET") == "1":
        return True
    if tensors:
        return all(t.is_cuda for t in tensors)
    return torch.cuda.is_available()


if triton is not None:

    @triton.jit
    def _group_cost(xq, yt, ri, cj, T1, T2, LO: tl.constexpr, HI: tl.constexpr, BLOCK: tl.constexpr):
        """``(BLOCK,)`` float64 squared distance of frames ``x[ri]``, ``y[cj]`` over channels ``[LO, HI)``."""
        s = tl.zeros((BLOCK,), tl.float64)
        for c in tl.static_range(LO, HI):  # channels summed in order, as tslearn does
            xv = tl.load(xq + c * T1 + ri)
            yv = tl.load(yt + c * T2 + cj)
            e = xv - yv
            s += e * e
        return s

    @triton.jit
    def _advance(cost, diag, left, up, ok, buf):
        """One group's cells on the new diagonal, ``acc = cost + min(diag, up, left)``, stored to ``buf``."""
        new = tl.where(ok, cost + tl.minimum(tl.minimum(diag, up), left), float("inf"))
        tl.store(buf + 1, new)  # row i at column i + 1: column 0 stays +inf (row -1)
        return new

    @triton.jit
    def _dtw_kernel(
        x_ptr, y_ptr, qi_ptr, ti_ptr, out_ptr, scratch_ptr,
        P, T1, T2, n_steps,
        C: tl.constexpr, NG: tl.constexpr,
        G0: tl.constexpr, G1: tl.constexpr, G2: tl.constexpr, G3: tl.constexpr, G4: tl.constexpr,
        OUT_COL: tl.constexpr, OUT_STRIDE: tl.constexpr, BLOCK: tl.constexpr,
    ):
        """x ``(A, C, T1)`` and y ``(B, C, T2)`` channel-major; qi, ti ``(P,)`` int64; out ``(P, OUT_STRIDE)``
        float64, group ``g`` (channels ``[G_g, G_{g+1})``, ``g < NG <= 4``) written to column
        ``OUT_COL + g``; scratch ``(programs, 2, NG, BLOCK + 1)`` float64, column 0 = +inf.

        The groups are written out one by one (``if NG > g`` is resolved at compile time) so that
        every state is a 1-D ``(BLOCK,)`` tensor in the layout of the loads: a 2-D ``(groups, BLOCK)``
        tile needed a layout conversion through shared memory per group and step, and spilled.
        """
        pid = tl.program_id(0)
        n_prog = tl.num_programs(0)
        rows = tl.arange(0, BLOCK)  # (BLOCK,) lane = DP row i
        row_ok = rows < T1
        inf = float("inf")
        ROW: tl.constexpr = BLOCK + 1
        buf = scratch_ptr + pid * (2 * NG * ROW) + rows  # (BLOCK,) this program's buffer 0, group 0
        for p in range(pid, P, n_prog):  # persistent: the scratch buffer is per program, not per pair
            xq = x_ptr + tl.load(qi_ptr + p) * (C * T1)
            yt = y_ptr + tl.load(ti_ptr + p) * (C * T2)
            # acc[-1, -1] = 0 seeds lane 0's diagonal predecessor; every other border cell is +inf
            seed = tl.where(rows == 0, 0.0, inf).to(tl.float64)
            none = tl.full((BLOCK,), inf, tl.float64)
            dg0, l0, u0 = seed, none, none
            dg1, l1, u1 = seed, none, none
            dg2, l2, u2 = seed, none, none
            dg3, l3, u3 = seed, none, none
            # a slow warp may still be reading the previous pair's last diagonal from the scratch buffer
            tl.debug_barrier()
            for d in range(n_steps):
                cols = d - rows
                ok = row_ok & (cols >= 0) & (cols < T2)  # (BLOCK,) cell (i, d - i) inside the table
                # Lanes outside the table read frame 0 (always in bounds; their result is discarded),
                # so the loads need no mask. The indices depend on d on purpose: row offsets that
                # do not were hoisted out of the loop as 25 x 2 pointer tensors and spilled registers.
                ri = tl.where(ok, rows, 0)
                cj = tl.where(ok, cols, 0)
                bd = buf + (d % 2) * (NG * ROW)
                n0 = _advance(_group_cost(xq, yt, ri, cj, T1, T2, G0, G1, BLOCK), dg0, l0, u0, ok, bd)
                if NG > 1:
                    n1 = _advance(_group_cost(xq, yt, ri, cj, T1, T2, G1, G2, BLOCK), dg1, l1, u1, ok, bd + ROW)
                if NG > 2:
                    n2 = _advance(_group_cost(xq, yt, ri, cj, T1, T2, G2, G3, BLOCK), dg2, l2, u2, ok, bd + 2 * ROW)
                if NG > 3:
                    n3 = _advance(_group_cost(xq, yt, ri, cj, T1, T2, G3, G4, BLOCK), dg3, l3, u3, ok, bd + 3 * ROW)
                tl.debug_barrier()  # every lane's store of diagonal d lands before any lane reads it
                # next step: diag = acc[i-1, j-1] is this step's up; up = row i - 1 of diagonal d (column i)
                dg0, u0, l0 = u0, tl.load(bd), n0
                if NG > 1:
                    dg1, u1, l1 = u1, tl.load(bd + ROW), n1
                if NG > 2:
                    dg2, u2, l2 = u2, tl.load(bd + 2 * ROW), n2
                if NG > 3:
                    dg3, u3, l3 = u3, tl.load(bd + 3 * ROW), n3
            # the last diagonal holds the single cell (T1 - 1, T2 - 1), in lane T1 - 1
            last = rows == T1 - 1
            res = out_ptr + p * OUT_STRIDE + OUT_COL
            tl.store(res, tl.sum(tl.where(last, l0, 0.0)))
            if NG > 1:
                tl.store(res + 1, tl.sum(tl.where(last, l1, 0.0)))
            if NG > 2:
                tl.store(res + 2, tl.sum(tl.where(last, l2, 0.0)))
            if NG > 3:
                tl.store(res + 3, tl.sum(tl.where(last, l3, 0.0)))


def _num_programs(P: int, device: torch.device) -> int:
    if device.type == "cuda":
        sms = torch.cuda.get_device_properties(device).multi_processor_count
        return max(1, min(P, sms * _PROGRAMS_PER_SM))
    return max(1, min(P, _INTERPRETER_PROGRAMS))


def _launch_config(block: int) -> dict:
    """Warps per program: one lane per DP row, about 2 rows per thread (few registers, no spills)."""
    return {"num_warps": max(1, min(16, block // 64))}


@torch.no_grad()
def pair_costs(x: torch.Tensor, y: torch.Tensor, qi: torch.Tensor, ti: torch.Tensor, groups) -> torch.Tensor:
    """Accumulated DTW cost per channel group of the pairs ``(x[qi[p]], y[ti[p]])``.

    Args:
        x: ``(A, T1, C)`` queries; y: ``(B, T2, C)`` targets (cast to float64 here), on a CUDA
            device (or the CPU under ``TRITON_INTERPRET=1``).
        qi, ti: ``(P,)`` integer pair indices.
        groups: channel boundaries ``[c0, c1, ..., C]`` of the ``ng`` groups.

    Returns:
        ``(P, ng)`` float64 accumulated costs on ``x.device`` (the distance is their ``sqrt``).
    """
    groups = [int(g) for g in groups]
    ng = len(groups) - 1
    P = int(qi.shape[0])
    dev = x.device
    out = torch.empty(P, ng, dtype=torch.float64, device=dev)
    if P == 0:
        return out
    qi = qi.to(device=dev, dtype=torch.int64).contiguous()
    ti = ti.to(device=dev, dtype=torch.int64).contiguous()
    # float64 in memory: converting float32 in the kernel would cost two conversions per channel and
    # cell (a slow instruction class on GPUs); the CPU kernel converts up front too
    x = x.to(torch.float64)
    y = y.to(dtype=torch.float64, device=dev)
    # DTW is symmetric bit for bit (the same sums and mins, transposed), so the lanes take the shorter
    # sequence's frames: fewer idle lanes, and a smaller scratch buffer
    if x.shape[1] > y.shape[1]:
        x, y, qi, ti = y, x, ti, qi
    T1, T2 = int(x.shape[1]), int(y.shape[1])
    xc = x.transpose(1, 2).contiguous()  # (A, C, T1): lanes read consecutive frames (coalesced)
    yc = y.transpose(1, 2).contiguous()  # (B, C, T2)
    block = max(16, triton.next_power_of_2(T1))
    programs = _num_programs(P, dev)
    for g0 in range(0, ng, MAX_GROUPS):
        sub = groups[g0:g0 + MAX_GROUPS + 1]
        n_sub = len(sub) - 1
        bounds = sub + [sub[-1]] * (MAX_GROUPS + 1 - len(sub))  # G0..G4, unused ones repeat the end
        scratch = torch.full((programs, 2, n_sub, block + 1), float("inf"), dtype=torch.float64, device=dev)
        _dtw_kernel[(programs,)](
            xc, yc, qi, ti, out, scratch,
            P, T1, T2, T1 + T2 - 1,
            C=int(x.shape[2]), NG=n_sub,
            G0=bounds[0], G1=bounds[1], G2=bounds[2], G3=bounds[3], G4=bounds[4],
            OUT_COL=g0, OUT_STRIDE=ng,
            BLOCK=block,
            **_launch_config(block),
        )
    return out
