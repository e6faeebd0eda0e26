"""``react-bench train reactdiff [--config small|paper] [--data DIR] [--device D] [--seed N] [--out DIR]``.

Trains ReactDiff (both stages, model selection on the val split) and saves a checkpoint that
holds everything needed to sample (config, weights incl. the condition MLP, latent statistics),
written atomically.
"""

from __future__ import annotations

import io
from pathlib import Path


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("train", help="train a model (reactdiff) and save its checkpoint")
    parser.add_argument("model", help="model to train: reactdiff (or an ablation: reactdiff-noaudio, ...)")
    parser.add_argument("--config", default="small", help="preset: small (CPU, default) or paper (GPU)")
    parser.add_argument("--data", default=None, help="dataset root (default: the default synthetic dataset)")
    parser.add_argument("--device", default="cpu", help="torch device (cpu, cuda, ...)")
    parser.add_argument("--seed", type=int, default=0, help="training seed")
    parser.add_argument("--out", default="checkpoints", help="folder of the checkpoint")
    parser.set_defaults(func=_train)


def _train(args) -> int:
    import torch

    from react_bench.data import ReactDataset, default_data_root
    from react_bench.models.reactdiff import PRESETS
    from react_bench.submissions import get_submission
    from react_bench.utils import atomic_write_bytes

    if not args.model.startswith("reactdiff"):
        raise ValueError(f"react-bench train supports reactdiff and its ablations; got {args.model!r}")
    if args.config not in PRESETS:
        raise ValueError(f"--config must be one of {', '.join(PRESETS)}; got {args.config!r}")
    root = Path(args.data) if args.data else default_data_root()
    train, val = ReactDataset(root, "train"), ReactDataset(root, "val")
    submission = get_submission(args.model)(device=args.device, preset=args.config)
    submission.fit(train, val=val, seed=args.seed)
    buffer = io.BytesIO()
    torch.save(submission.state_dict(), buffer)
    path = Path(args.out) / f"{args.model}-{args.config}-{train.fingerprint[:16]}-seed{args.seed}.pt"
    atomic_write_bytes(path, buffer.getvalue())
    print(f"saved {path}")
    return 0
