"""Worker of tests/distributed/test_ddp_train.py: a data-parallel ReactDiff fit on 2 gloo ranks.

    python -m torch.distributed.run --nnodes 1 --nproc-per-node 2 --master-addr 127.0.0.1 \\
        --master-port PORT tests/distributed/ddp_worker.py DATA OUT CONFIGS_JSON

For each ``name: {"config": ..., "stage1": PATH or null}`` of CONFIGS, each rank trains on DATA's
train and val splits (seed 0) with ``distributed=True``: without ``stage1`` the whole
``ReactDiffSubmission(**config).fit``; with it, stage 2 alone (``fit_diffusion``) from the model
state saved at PATH. It writes ``OUT/<name>-rank<r>.pt``: its final weights and, for every training
loss it computed, the module type it went through and the number of rows it saw.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import torch
from react_bench.models.reactdiff import ReactDiffSubmission
from react_bench.models.reactdiff import train as train_mod
from react_bench.models.reactdiff.model import ReactDiff

from react_bench import distributed as pg
from react_bench.data import ReactDataset


def _record_losses(calls: list[dict]) -> None:
    """Wrap the training losses so that each call is recorded (the validation losses go elsewhere)."""
    reconstruction, diffusion = train_mod.reconstruction_loss, train_mod.diffusion_loss

    def reconstruction_loss(model, streams, emotion, threedmm):
        if not isinstance(model, ReactDiff):  # ReactDiff: the stage-1 validation
            calls.append({"stage": 1, "module": type(model).__name__, "rows": emotion.shape[0]})
        return reconstruction(model, streams, emotion, threedmm)

    def diffusion_loss(model, unet, x0, cond, generator, rows=slice(None), chain=None):
        n = len(range(x0.shape[0])[rows]) if isinstance(rows, slice) else len(rows)
        calls.append({"stage": 2, "module": type(unet).__name__, "rows": n, "global": x0.shape[0]})
        return diffusion(model, unet, x0, cond, generator, rows, chain)

    train_mod.reconstruction_loss, train_mod.diffusion_loss = reconstruction_loss, diffusion_loss


def main(data: Path, out: Path, configs: dict[str, dict]) -> None:
    if not pg.init_from_env("cpu", timeout_s=120) or pg.world_size() != 2:
        raise SystemExit("ddp_worker.py must run under torchrun with 2 processes")
    calls: list[dict] = []
    _record_losses(calls)
    train, val = ReactDataset(data, "train"), ReactDataset(data, "val")
    for name, case in configs.items():
        calls.clear()
        sub = ReactDiffSubmission(**case["config"])
        if case.get("stage1"):
            model = sub.model
            model.load_state_dict(torch.load(case["stage1"], weights_only=True))
            train_mod.fit_diffusion(model, train, val, seed=0, distributed=True, log=lambda *a: None)
        else:
            sub.fit(train, val=val, seed=0, distributed=True)
        torch.save({"state": sub.model.state_dict(), "calls": list(calls)}, out / f"{name}-rank{pg.rank()}.pt")
    pg.barrier()
    torch.distributed.destroy_process_group()


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), json.loads(sys.argv[3]))
