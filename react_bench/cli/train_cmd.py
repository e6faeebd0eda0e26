"""``react-bench train NAME [--config PRESET] [--set KEY=VALUE ...] [--data DIR] [--device D] [--seed N] [--out runs]``.

Fits a submission that learns (ReactDiff, its variants, ridge) on the train split, model selection on
val, through the runner's fit-or-load cache: the checkpoint lands where ``react-bench run`` looks for
it (``<out>/<name>/checkpoints/``, keyed by the training data, the effective configuration and the
seed), so a later ``react-bench run NAME`` with the same options loads it instead of fitting again.
A checkpoint stores its options and config, so ``load_checkpoint(path)`` rebuilds the submission.

On several processes (one machine, K CPU processes with gloo or K GPUs with NCCL)::

    torchrun --nproc-per-node K -m react_bench.cli.main train reactdiff --device cuda --out runs

every rank fits (ReactDiff: DistributedDataParallel, each rank 1/K of every batch, the global batch
size unchanged), rank 0 alone prints and saves the one checkpoint, and the cache key does not
depend on K, so ``react-bench run reactdiff`` with the same options loads it. A submission whose
``fit`` has no ``distributed`` option (ridge) is fitted by rank 0 alone.
"""

from __future__ import annotations

from pathlib import Path


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("train", help="fit a submission (reactdiff, ridge...) and cache its checkpoint")
    parser.add_argument("model", help="submission to fit: reactdiff, an ablation (reactdiff-noaudio, ...), ridge")
    parser.add_argument("--config", default=None, help="preset, same as --set preset=NAME (reactdiff: small, paper)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="submission option, as in `react-bench run` (VALUE parsed as JSON when it can be)")
    parser.add_argument("--data", default=None, help="dataset root (default: the default synthetic dataset)")
    parser.add_argument("--device", default="cpu", help="torch device (cpu, cuda, ...)")
    parser.add_argument("--seed", type=int, default=0, help="training seed (the same as `react-bench run --seed`)")
    parser.add_argument("--out", default="runs", help="root of runs and checkpoints, as `react-bench run --out`")
    parser.set_defaults(func=_train)


def _train(args) -> int:
    import torch.distributed as dist

    from react_bench import distributed as pg

    started = pg.init_from_env(args.device)  # under torchrun: the process group (NCCL on CUDA, gloo on the CPU)
    try:
        return _fit(args)
    finally:
        if started:
            dist.destroy_process_group()


def _fit(args) -> int:
    from react_bench import distributed as pg
    from react_bench.cli.run_cmd import parse_options
    from react_bench.errors import BadInputError
    from react_bench.runner.fitting import fit_or_load
    from react_bench.runner.run import open_split, resolve_data_root
    from react_bench.submissions import get_submission

    cls = get_submission(args.model)
    if not cls.needs_fit:
        raise BadInputError(f"submission {args.model!r} learns nothing (needs_fit is False); just run it")
    options = parse_options(args.set)
    if args.config is not None:
        options["preset"] = args.config
    root = resolve_data_root(args.data)
    submission = cls(device=args.device, **options)
    record = fit_or_load(submission, root=root, out=Path(args.out), seed=args.seed, open_split=open_split,
                         collective=True)
    if pg.rank() == 0:
        verb = "loaded the cached" if record.get("loaded") else "saved"
        print(f"{verb} checkpoint {record['checkpoint']}")
    return 0
