"""Worker of tests/distributed: run under ``torchrun --nproc-per-node 2`` (gloo, loopback); each rank
writes what it computed to ``<out>/<scenario>-rank<r>.json`` for the test process to compare.

    python -m torch.distributed.run --nnodes 1 --nproc-per-node 2 --master-addr 127.0.0.1 \\
        --master-port PORT tests/distributed/dist_worker.py OUT
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numba
import torch
import torch.distributed as dist

sys.path.insert(0, str(Path(__file__).parent))  # dist_cases, next to this file

from dist_cases import RANK_INDICES, case, full_rank_case

from react_bench import distributed as pg
from react_bench.errors import BadInputError
from react_bench.metrics import ReactMetrics, evaluate, frdist

COLLECTIVES = ("all_gather", "all_gather_object", "all_gather_into_tensor", "all_reduce", "broadcast",
               "broadcast_object_list", "gather", "gather_object", "scatter", "all_to_all", "reduce",
               "reduce_scatter", "send", "recv", "isend", "irecv")


def _write(out: Path, name: str, value) -> None:
    (out / f"{name}-rank{pg.rank()}.json").write_text(json.dumps(value))


def _metric(protocol: str, preds, targets, speaker, a) -> ReactMetrics:
    metric = ReactMetrics(targets, a, protocol=protocol)
    for batch in RANK_INDICES[pg.rank()]:
        metric.update(preds[batch], speaker[batch], batch)
    return metric


class _Audit:
    """Records every torch.distributed collective's name and tensor shapes while active."""

    def __init__(self) -> None:
        self.calls: list[dict] = []
        self._saved = {}

    def __enter__(self):
        for name in COLLECTIVES:
            original = getattr(dist, name, None)
            if original is None:
                continue
            self._saved[name] = original

            def wrapper(*args, _name=name, _original=original, **kwargs):
                shapes = []
                for arg in args:
                    items = arg if isinstance(arg, (list, tuple)) else [arg]
                    shapes += [list(x.shape) for x in items if isinstance(x, torch.Tensor)]
                self.calls.append({"op": _name, "shapes": shapes})
                return _original(*args, **kwargs)

            setattr(dist, name, wrapper)
        return self

    def __exit__(self, *exc):
        for name, original in self._saved.items():
            setattr(dist, name, original)


def main(out: Path) -> None:
    if not pg.init_from_env("cpu", timeout_s=120) or pg.world_size() != 2:
        raise SystemExit("dist_worker.py must run under torchrun with 2 processes")
    preds, targets, speaker, a = case()

    # 1. evaluate(distributed=True), both protocols; the numba thread count seen inside FRDist.
    seen = []
    original = frdist._dtw_numba.min_distances

    def spy(*args):
        seen.append(numba.get_num_threads())
        return original(*args)

    frdist._dtw_numba.min_distances = spy
    for protocol in ("react2024", "corrected"):
        result = evaluate(preds, targets, speaker, a, protocol=protocol, per_speaker=True, distributed=True)
        _write(out, f"evaluate-{protocol}", result)
    frdist._dtw_numba.min_distances = original
    _write(out, "numba-threads", {"inside": seen, "after": numba.get_num_threads()})
    full = evaluate(*full_rank_case(), per_speaker=True, distributed=True)
    _write(out, "evaluate-full-rank", full)

    # 2. ReactMetrics, each rank holding its own interleaved batches; the collectives it makes.
    for protocol in ("react2024", "corrected"):
        metric = _metric(protocol, preds, targets, speaker, a)
        with _Audit() as audit:
            metric.sync()
            result = metric.compute(per_speaker=True)
        _write(out, f"metrics-{protocol}", result)
        _write(out, f"audit-{protocol}", audit.calls)

    # 3. One speaker on two ranks: rank 1 holds nothing (FRDvs undefined, FRRea needs 2 windows).
    one = evaluate(preds[:1], targets, speaker[:1], a[:1], per_speaker=True, rea=False, distributed=True)
    _write(out, "one-speaker", one)

    # 4. A broken cover (sample 3 on both ranks, 8 on neither) fails on every rank, none left waiting.
    metric = ReactMetrics(targets, a, rea=False)
    rows = list(range(4)) if pg.rank() == 0 else list(range(3, 8))
    metric.update(preds[rows], speaker[rows], rows)
    try:
        metric.compute()
        message = None
    except BadInputError as error:
        message = str(error)
    _write(out, "cover-error", message)

    # 5. Helpers: rows of uneven counts gathered in rank order, a barrier.
    mine = torch.full((pg.rank() + 1, 2), float(pg.rank()))
    _write(out, "gather-rows", pg.all_gather_rows(mine).tolist())
    _write(out, "broadcast", pg.broadcast_object({"run": f"folder chosen by rank {pg.rank()}"}))
    pg.barrier()
    dist.destroy_process_group()


if __name__ == "__main__":
    main(Path(sys.argv[1]))
