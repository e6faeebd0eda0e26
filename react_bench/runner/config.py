"""The configuration of one run, and the hash that identifies an unfinished run for resuming."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field

from react_bench.constants import NUM_GENERATIONS
from react_bench.errors import BadInputError
from react_bench.metrics.protocols import check_protocol
from react_bench.submissions import ONLINE_CHUNK_FRAMES

TRACKS = ("offline", "online")

DEFAULT_BATCH_SIZE = 8
"""Speaker samples per batch; every batch is one resumable shard and one seeded generator."""


@dataclass(frozen=True)
class RunConfig:
    """Everything that decides a run's numbers (and where it is written). Saved in results.json."""

    name: str  # registered submission name
    track: str = "offline"  # "offline": whole clips; "online": causal chunks of chunk_frames
    data: str | None = None  # dataset root; None = the default synthetic dataset
    split: str = "test"  # split generated and scored
    seed: int = 0  # run seed; batch b uses a generator seeded from (seed, b)
    device: str = "cpu"  # torch device of the submission and the metrics
    out: str = "runs"  # root of the run folders and checkpoint cache
    protocol: str = "react2024"  # metric protocol (see react_bench.metrics.protocols)
    num_samples: int = NUM_GENERATIONS  # reactions per speaker sample
    batch_size: int = DEFAULT_BATCH_SIZE  # speaker samples per batch (part of the seeding)
    chunk_frames: int = ONLINE_CHUNK_FRAMES  # online: speaker frames handed over per step (1 = frame by frame);
    # a submission's latency and its numbers may depend on it, so it is part of the resume key
    submission_config: dict = field(default_factory=dict)  # keyword arguments of the submission

    def __post_init__(self) -> None:
        if self.track not in TRACKS:
            raise BadInputError(f"track must be one of {', '.join(map(repr, TRACKS))}; got {self.track!r}")
        check_protocol(self.protocol)
        for option in ("num_samples", "batch_size", "chunk_frames"):
            value = getattr(self, option)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise BadInputError(f"{option} must be a positive integer; got {value!r}")

    def to_dict(self) -> dict:
        return asdict(self)

    def resume_key(self, data_fingerprint: str) -> str:
        """SHA-256 of every option that changes the numbers, plus the dataset's fingerprint.

        The dataset path and output folder are left out (the fingerprint stands for the data), so
        the same command finds its unfinished run again.
        """
        options = self.to_dict()
        for ignored in ("data", "out"):
            options.pop(ignored)
        options["data_fingerprint"] = data_fingerprint
        blob = json.dumps(options, sort_keys=True, default=str).encode()
        return hashlib.sha256(blob).hexdigest()
