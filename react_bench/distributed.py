"""Process-group helpers for running react-bench under ``torchrun`` (``torch.distributed``).

Everything here degrades to one process: without an initialised process group ``rank()`` is 0,
``world_size()`` is 1, ``barrier()`` returns at once and the collectives return their input, so
callers write one code path.

>>> is_distributed(), rank(), world_size()
(False, 0, 1)
>>> contiguous_block(10, 1, 3), contiguous_block(2, 2, 3)
(range(4, 7), range(2, 2))
>>> shard_batches(["b0", "b1", "b2", "b3", "b4"], 1, 2)
['b1', 'b3']
"""

from __future__ import annotations

import datetime as _dt
import os
from collections.abc import Sequence
from typing import TypeVar

import torch
import torch.distributed as dist

from react_bench.errors import BadInputError

__all__ = [
    "all_gather_rows",
    "all_reduce",
    "barrier",
    "broadcast_object",
    "contiguous_block",
    "init_from_env",
    "is_distributed",
    "launched_by_torchrun",
    "local_world_size",
    "rank",
    "shard_batches",
    "world_size",
]

T = TypeVar("T")

DEFAULT_TIMEOUT_S = 600
"""Collective timeout: a rank that dies or hangs makes the others fail after this, not wait forever."""


def launched_by_torchrun() -> bool:
    """True when ``torchrun`` (or any env:// launcher) started this process: RANK and WORLD_SIZE are set."""
    return "RANK" in os.environ and "WORLD_SIZE" in os.environ


def is_distributed() -> bool:
    """True when a process group is initialised with more than one process."""
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def rank() -> int:
    """This process's rank (0 without a process group)."""
    return dist.get_rank() if dist.is_available() and dist.is_initialized() else 0


def world_size() -> int:
    """Number of processes in the group (1 without a process group)."""
    return dist.get_world_size() if dist.is_available() and dist.is_initialized() else 1


def local_world_size() -> int:
    """Processes sharing this machine: ``LOCAL_WORLD_SIZE`` (torchrun sets it), else the world size."""
    value = os.environ.get("LOCAL_WORLD_SIZE")
    return int(value) if value else world_size()


def init_from_env(device=None, *, timeout_s: float = DEFAULT_TIMEOUT_S) -> bool:
    """Initialise the default process group from torchrun's environment; True if this call did it.

    NCCL when ``device`` is a CUDA device (each rank then computes on ``cuda:LOCAL_RANK``), gloo on
    the CPU. Does nothing (False) when not launched by torchrun or when a group already exists, so the
    CLI can call it unconditionally.
    """
    if not launched_by_torchrun() or not dist.is_available() or dist.is_initialized():
        return False
    cuda = device is not None and torch.device(device).type == "cuda"
    if cuda:
        if not torch.cuda.is_available():
            raise BadInputError(f"device {device!r} asks for CUDA but no CUDA device is visible; use --device cpu.")
        # One GPU per rank: "cuda" (no index) then means this rank's GPU in every later .to("cuda").
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
    dist.init_process_group("nccl" if cuda else "gloo", init_method="env://",
                            timeout=_dt.timedelta(seconds=timeout_s))
    return True


def barrier() -> None:
    """Wait for every rank (no-op without a process group)."""
    if is_distributed():
        dist.barrier()


def broadcast_object(value: T, src: int = 0) -> T:
    """Rank ``src``'s ``value`` on every rank (pickled; for small things such as a run folder's path
    that one rank decides). Without a process group: ``value``."""
    if not is_distributed():
        return value
    box = [value if rank() == src else None]
    dist.broadcast_object_list(box, src=src)
    return box[0]


def _comm_device() -> torch.device:
    """Where collective tensors must live: the current GPU under NCCL, the CPU otherwise."""
    if dist.get_backend() == "nccl":
        return torch.device("cuda", torch.cuda.current_device())
    return torch.device("cpu")


def all_reduce(tensor: torch.Tensor, op: str = "sum") -> torch.Tensor:
    """A reduced copy of ``tensor`` (any shape, same shape on every rank), on ``tensor``'s device.

    ``op`` is ``"sum"``, ``"max"`` or ``"min"``. Without a process group: ``tensor`` itself.
    """
    if not is_distributed():
        return tensor
    ops = {"sum": dist.ReduceOp.SUM, "max": dist.ReduceOp.MAX, "min": dist.ReduceOp.MIN}
    buffer = tensor.detach().to(_comm_device(), copy=True).contiguous()
    dist.all_reduce(buffer, op=ops[op])
    return buffer.to(tensor.device)


def all_gather_rows(tensor: torch.Tensor) -> torch.Tensor:
    """Concatenate every rank's ``(n_r, ...)`` rows in rank order -> ``(sum n_r, ...)``.

    The row counts may differ (0 included); the trailing shape and dtype must agree. Rows are padded
    to the largest count for ``all_gather`` (which needs equal sizes) and cut again.
    """
    if not is_distributed():
        return tensor
    device = _comm_device()
    counts = [torch.zeros(1, dtype=torch.int64, device=device) for _ in range(world_size())]
    dist.all_gather(counts, torch.tensor([tensor.shape[0]], dtype=torch.int64, device=device))
    sizes = [int(c) for c in counts]
    padded = tensor.new_zeros((max(sizes), *tensor.shape[1:]), device=device)
    padded[: tensor.shape[0]] = tensor.detach().to(device)
    parts = [torch.empty_like(padded) for _ in sizes]
    dist.all_gather(parts, padded)
    return torch.cat([part[:size] for part, size in zip(parts, sizes)]).to(tensor.device)


def contiguous_block(n: int, rank_: int, world: int) -> range:
    """Rank ``rank_``'s share of ``range(n)``: contiguous blocks whose sizes differ by at most one
    (the first ``n % world`` ranks take one more)."""
    if world < 1 or not 0 <= rank_ < world:
        raise BadInputError(f"rank must lie in [0, world) with world >= 1; got rank {rank_}, world {world}.")
    base, extra = divmod(n, world)
    start = rank_ * base + min(rank_, extra)
    return range(start, start + base + (rank_ < extra))


def shard_batches(batches: Sequence[T], rank_: int, world: int) -> list[T]:
    """Batch ``b`` goes to rank ``b % world`` (round robin: with batches of similar cost and a ragged
    last batch, every rank gets within one batch of the same work)."""
    if world < 1 or not 0 <= rank_ < world:
        raise BadInputError(f"rank must lie in [0, world) with world >= 1; got rank {rank_}, world {world}.")
    return [batch for b, batch in enumerate(batches) if b % world == rank_]
