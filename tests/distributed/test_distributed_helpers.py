"""react_bench.distributed on one process: the sharding rules and the one-process fallbacks."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from react_bench import distributed as pg


@given(st.integers(0, 200), st.integers(1, 9))
def test_contiguous_blocks_are_a_disjoint_ordered_cover_within_one_of_each_other(n, world):
    blocks = [pg.contiguous_block(n, r, world) for r in range(world)]
    assert [i for block in blocks for i in block] == list(range(n))
    sizes = [len(block) for block in blocks]
    assert max(sizes) - min(sizes) <= 1 and sizes == sorted(sizes, reverse=True)


@given(st.integers(0, 50), st.integers(1, 9))
def test_shard_batches_is_round_robin_and_covers_every_batch_once(n, world):
    batches = list(range(n))
    shards = [pg.shard_batches(batches, r, world) for r in range(world)]
    assert sorted(b for shard in shards for b in shard) == batches
    assert all(b % world == r for r, shard in enumerate(shards) for b in shard)


@pytest.mark.parametrize("helper", [pg.contiguous_block, pg.shard_batches])
def test_a_rank_outside_the_world_is_refused(helper):
    with pytest.raises(ValueError, match="rank must lie in \\[0, world\\) with world >= 1; got rank 2, world 2"):
        helper([0, 1] if helper is pg.shard_batches else 2, 2, 2)


def test_one_process_fallbacks(monkeypatch):
    monkeypatch.delenv("RANK", raising=False)
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    assert not pg.launched_by_torchrun() and not pg.init_from_env("cpu")
    assert (pg.is_distributed(), pg.rank(), pg.world_size()) == (False, 0, 1)
    x = torch.arange(6.0).reshape(3, 2)
    assert pg.all_reduce(x) is x and pg.all_gather_rows(x) is x and pg.broadcast_object(x) is x
    pg.barrier()


def test_cuda_without_a_gpu_is_named(monkeypatch):
    if torch.cuda.is_available():
        pytest.skip("a CUDA device is visible")
    monkeypatch.setenv("RANK", "0")
    monkeypatch.setenv("WORLD_SIZE", "1")
    with pytest.raises(ValueError, match="device 'cuda' asks for CUDA but no CUDA device is visible; use --device cpu"):
        pg.init_from_env("cuda")


def test_distributed_evaluate_without_a_group_is_plain_evaluate():
    from dist_cases import case

    from react_bench.metrics import evaluate

    inputs = case()
    plain, opted = evaluate(*inputs, per_speaker=True), evaluate(*inputs, per_speaker=True, distributed=True)
    assert {k: v for k, v in opted.items() if k != "seconds"} == {k: v for k, v in plain.items() if k != "seconds"}
