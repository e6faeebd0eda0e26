"""Offline and online runs of a registered submission: resumable, seeded, recorded."""

from react_bench.runner.batches import SpeakerStreams
from react_bench.runner.config import DEFAULT_BATCH_SIZE, TRACKS, RunConfig
from react_bench.runner.generate import check_reactions
from react_bench.runner.run import batch_seed, resolve_data_root, run_submission
from react_bench.runner.store import PREDICTIONS, PREDICTIONS_3DMM, RESULTS, RunStore

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "PREDICTIONS",
    "PREDICTIONS_3DMM",
    "RESULTS",
    "TRACKS",
    "RunConfig",
    "RunStore",
    "SpeakerStreams",
    "batch_seed",
    "check_reactions",
    "resolve_data_root",
    "run_submission",
]
