"""``run_submission``: fit, generate on a track, score, and record one submission, resumably.

A run is split into batches of speaker samples. Batch ``b`` draws from a generator seeded with
``batch_seed(seed, b)``, and its reactions are saved as a shard as soon as it finishes, so a
killed run re-started with the same command skips the finished shards and ends with the same
numbers as an uninterrupted one (see :mod:`react_bench.runner.store`).
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from tqdm import tqdm

from react_bench.errors import BadInputError, MissingDataError
from react_bench import distributed as pg
from react_bench.metrics import evaluate
from react_bench.metrics.protocols import scoring_block
from react_bench.runner.audit import AUDIT_SAMPLES, audit_causality
from react_bench.runner.batches import SpeakerStreams
from react_bench.runner.config import DEFAULT_BATCH_SIZE, RunConfig
from react_bench.runner.fitting import fit_or_load
from react_bench.runner.generate import generate_offline, generate_online
from react_bench.runner.record import build_results, online_timing
from react_bench.runner.store import RunStore
from react_bench.submissions import ONLINE_CHUNK_FRAMES, Submission, get_submission


def batch_seed(seed: int, index: int) -> int:
    """The seed of batch ``index`` of a run with seed ``seed`` (independent streams per batch)."""
    return int(np.random.SeedSequence([seed, index]).generate_state(1, dtype=np.uint64)[0] >> 1)


def resolve_data_root(data: str | Path | None) -> Path:
    """The dataset folder: ``data`` if it exists, or the default synthetic dataset when None."""
    if data is None:
        from react_bench.data import default_data_root

        return Path(default_data_root())
    root = Path(data)
    if not root.is_dir():
        raise MissingDataError(
            f"dataset folder {str(root)!r} does not exist; pass the root of a REACT2024-layout dataset, "
            f"make one with `react-bench data synth --out {root}`, or omit --data for the default dataset"
        )
    return root


def open_split(root: Path, split: str):
    """Split ``split`` of the dataset at ``root``, in its layout (REACT2024 or MARS, detected)."""
    from react_bench.data.layout import open_dataset

    return open_dataset(root, split)


Scorer = Callable[..., dict]
"""``scorer(preds, targets, speaker, appropriate, *, protocol, device, per_speaker, fps, valid_frames) -> dict``
as ``evaluate``."""


def dataset_scoring_options(dataset) -> dict:
    """What ``evaluate`` takes from the split: its frame rate (FRSyn's lag range under corrected; 25
    REACT2024, 30 MARS) and the valid frames of each sample (MARS windows are zero-padded past the
    end of their clip; padding is never scored). Used by ``react-bench run`` and ``evaluate`` alike."""
    return {"fps": dataset.fps, "valid_frames": getattr(dataset, "valid_frames", None)}


@dataclass
class Prepared:
    """A submission ready to generate on one split: looked up, built, fitted (or loaded) and bound."""

    cls: type[Submission]
    submission: Submission
    dataset: object  # the split (ReactDataset or MarsDataset)
    root: Path
    fit: dict  # the fit record (seconds, checkpoint path, ...)


def prepare_submission(
    name: str, *, data: str | Path | None = None, split: str = "test", seed: int = 0, device: str = "cpu",
    out: str | Path = "runs", submission_config: dict | None = None,
) -> Prepared:
    """Steps 1-2 of a run (shared by ``react-bench run`` and ``react-bench audit``): look up, open, fit, bind.

    Raises:
        UnknownNameError: unknown submission name (the message lists the registered ones).
        MissingDataError: ``data`` is not a folder.
        BadInputError: a negative seed, or a synthetic-only submission on real data.
    """
    if seed < 0:
        raise BadInputError(f"seed must be a non-negative integer; got {seed}")
    cls = get_submission(name)
    root = resolve_data_root(data)
    dataset = open_split(root, split)
    submission = cls(device=torch.device(device), **dict(submission_config or {}))
    if cls.synthetic_only and not dataset.is_synthetic:
        raise BadInputError(f"submission {name!r} only works on the synthetic dataset; {str(root)!r} is not synthetic")
    # Under torchrun rank 0 fits (or loads) first; the others then load its cached checkpoint instead of
    # racing to write it.
    if pg.rank() == 0:
        fit = fit_or_load(submission, root=root, out=Path(out), seed=seed, open_split=open_split)
    pg.barrier()
    if pg.rank() != 0:
        fit = fit_or_load(submission, root=root, out=Path(out), seed=seed, open_split=open_split)
    submission.bind(dataset)
    return Prepared(cls, submission, dataset, root, fit)


def run_submission(
    name: str, *, track: str = "offline", data: str | Path | None = None, split: str = "test", seed: int = 0,
    device: str = "cpu", out: str | Path = "runs", protocol: str = "react2024", num_samples: int = 10,
    batch_size: int = DEFAULT_BATCH_SIZE, chunk_frames: int = ONLINE_CHUNK_FRAMES,
    submission_config: dict | None = None, progress: bool = True, scorer: Scorer = evaluate,
) -> Path:
    """Run submission ``name`` on one track and split; returns the run folder (with ``results.json``).

    ``chunk_frames`` (online only) is the number of speaker frames handed to each ``step`` (50 = 2 s,
    the default; 1 streams frame by frame). An online run ends with the causality audit
    (:func:`react_bench.runner.audit.audit_causality`, a few speakers and cuts), recorded as
    ``results.json["audit"]``. ``scorer`` turns the predictions into scores (default:
    :func:`react_bench.metrics.evaluate`; a test of the runner's mechanics passes a cheaper one).

    Writes ``<out>/<name>/<track>/<split>/<timestamp>-<key>/`` holding ``predictions.npy``
    ``(N, S, T, 25)``, ``predictions_3dmm.npy`` ``(N, S, T, 58)`` when the submission makes 3DMM,
    and ``results.json``. Re-running the same command after a crash resumes the unfinished run.

    Under ``torchrun`` (a process group of K ranks, :mod:`react_bench.distributed`): rank 0 picks
    the run folder and the batches still to do, batch b is generated by rank b % K into the shared
    folder (its seed is the same as in one process), the scoring is shared out over the ranks
    (``scorer(..., distributed=True)``), and rank 0 alone audits, writes the results and returns the
    folder on every rank. The numbers equal a single-process run.

    Raises:
        KeyError: unknown submission name (the message lists the registered ones).
        FileNotFoundError: ``data`` is not a folder.
        ValueError: bad options, or a submission returning the wrong shape or non-finite values.
    """
    t_start = time.perf_counter()
    name = get_submission(name).name  # an alias (reactdiff-novisual) runs and records as its registered name
    config = RunConfig(
        name=name, track=track, data=None if data is None else str(data), split=split, seed=seed,
        device=str(device), out=str(out), protocol=protocol, num_samples=num_samples, batch_size=batch_size,
        chunk_frames=chunk_frames, submission_config=dict(submission_config or {}),
    )
    prepared = prepare_submission(name, data=data, split=split, seed=seed, device=device, out=out,
                                  submission_config=config.submission_config)
    cls, submission, dataset, root, fit = (prepared.cls, prepared.submission, prepared.dataset, prepared.root,
                                           prepared.fit)
    torch_device = torch.device(device)

    streams = SpeakerStreams(dataset, features=submission.feature_specs())
    batches = streams.batch_indices(batch_size)
    seeds = [batch_seed(seed, b) for b in range(len(batches))]
    marker = {"config": config.to_dict(), "num_batches": len(batches)}
    lead = pg.rank() == 0
    if lead:  # the run folder and what is left to do are decided once, by rank 0
        store = RunStore.find_or_plan(Path(out) / name / track / split, config.resume_key(dataset.fingerprint))
        done = store.finished_batches()
        if store.resumed:
            print(f"resuming {store.path}: {len(done)} of {len(batches)} batches already finished", file=sys.stderr)
        plan = (str(store.path), store.resumed, sorted(done))
    else:
        plan = None
    path, resumed, done = pg.broadcast_object(plan)
    if not lead:
        store = RunStore(Path(path), config.resume_key(dataset.fingerprint), resumed=resumed)
    generate = generate_online if track == "online" else generate_offline
    t_generate = time.perf_counter()
    todo = pg.shard_batches([b for b in range(len(batches)) if b not in set(done)], pg.rank(), pg.world_size())
    for b in tqdm(todo, total=len(batches), initial=len(batches) - len(todo), desc=f"{name} {track} {split}",
                  unit="batch", disable=not (progress and lead), file=sys.stderr):
        generator = torch.Generator(device=torch_device).manual_seed(seeds[b])
        output = generate(submission, streams, batches[b], num_samples=num_samples, generator=generator,
                          device=torch_device, **({"chunk_frames": chunk_frames} if track == "online" else {}))
        store.write_shard(b, output, marker=marker)
    pg.barrier()  # every shard is on disk
    generate_wall = time.perf_counter() - t_generate

    audit = None
    if track == "online" and lead:
        # After generation (it re-streams a few speakers), before the results: a run records its own audit.
        audit = audit_causality(submission, streams, seed=seed, chunk_frames=chunk_frames,
                                num_samples=min(num_samples, AUDIT_SAMPLES), device=torch_device)
        verdict = "passed" if audit["passed"] else "FAILED"
        print(f"causality audit {verdict}: cuts {audit['cuts']}, speakers {audit['speakers']}, largest change "
              f"before a cut {audit['max_abs_diff_before_cut']:.3g} (tolerance {audit['tolerance']:g})", file=sys.stderr)

    shards = [store.read_shard(b) for b in range(len(batches))]
    emotion = np.concatenate([s.emotion for s in shards])  # (N, S, T, 25)
    threedmm = None
    if all(s.threedmm is not None for s in shards):
        threedmm = np.concatenate([s.threedmm for s in shards])  # (N, S, T, 58)

    if lead:
        print(f"scoring {name} ({track}, {split}, protocol {protocol})", file=sys.stderr)
    t_eval = time.perf_counter()
    shared = {"distributed": True} if pg.is_distributed() else {}  # every rank scores its share
    scores = scorer(
        emotion, dataset.targets(), dataset.emotion("speaker"), dataset.appropriateness(),
        protocol=protocol, device=torch_device, per_speaker=True, **dataset_scoring_options(dataset), **shared,
    )
    if not lead:
        pg.barrier()  # wait for rank 0's results
        return store.path
    evaluate_seconds = time.perf_counter() - t_eval
    online = None
    if track == "online":
        online = online_timing([s.latencies for s in shards], num_frames=streams.num_frames, batch_size=batch_size,
                               chunk_frames=chunk_frames)
    timings = {
        "fit_s": fit.get("seconds", 0.0),
        "generate_s": float(sum(s.seconds for s in shards)),  # submission time, summed over all shards
        "generate_wall_s_this_session": generate_wall,
        "evaluate_s": evaluate_seconds,
        "total_s_this_session": time.perf_counter() - t_start,
        "resumed": store.resumed,
    }
    extra = {"scoring": scoring_block(dataset, scores)}
    if audit is not None:
        timings["audit_s"] = audit["seconds"]
        extra["audit"] = audit
    results = build_results(
        cls=cls, submission=submission, config=config.to_dict(), scores=scores,
        dataset=dataset, root=root, batch_seeds=seeds, emotion=emotion, threedmm=threedmm,
        timings=timings, fit=fit, online=online, **extra,
    )
    store.finalize(emotion, threedmm, results)
    pg.barrier()
    return store.path
