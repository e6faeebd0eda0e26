"""The folder of one run: how an unfinished run is found again, its shards, and its final files.

Layout of ``runs/<name>/<track>/<split>/<timestamp>-<key8>/``:

- ``in-progress.json``: present while the run is unfinished; holds the resume key (a hash of the
  run's configuration and dataset fingerprint). The same command finds this folder and continues.
- ``shards/batch-00000.npz``: one per finished batch, written atomically as it finishes.
- ``predictions.npy``, ``predictions_3dmm.npy``, ``results.json``: written at the end, results last;
  then the shards and the marker are removed. A folder is complete if and only if it has
  ``results.json``.

The folder is created only when the first shard is ready, so a run that fails before finishing
any batch (unknown name, missing data, a submission returning the wrong shape) leaves nothing.
"""

from __future__ import annotations

import datetime as _dt
import io
import json
import shutil
from pathlib import Path

import numpy as np

from react_bench.runner.generate import BatchOutput
from react_bench.utils import atomic_save_npy, atomic_write_bytes, atomic_write_json

MARKER = "in-progress.json"
RESULTS = "results.json"
PREDICTIONS = "predictions.npy"
PREDICTIONS_3DMM = "predictions_3dmm.npy"


class RunStore:
    """One run folder (possibly not created yet). Use :meth:`find_or_plan`."""

    def __init__(self, path: Path, resume_key: str, *, resumed: bool) -> None:
        self.path = Path(path)
        self.resume_key = resume_key
        self.resumed = resumed

    @classmethod
    def find_or_plan(cls, parent: Path, resume_key: str) -> "RunStore":
        """The unfinished run of this key under ``parent`` if there is one, else a new timestamped folder."""
        parent = Path(parent)
        unfinished = sorted(
            marker.parent for marker in parent.glob(f"*/{MARKER}")
            if _read_key(marker) == resume_key and not (marker.parent / RESULTS).exists()
        )
        if unfinished:
            return cls(unfinished[-1], resume_key, resumed=True)
        stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        path = parent / f"{stamp}-{resume_key[:8]}"
        suffix = 1
        while path.exists():  # the same command finished within the same second
            suffix += 1
            path = parent / f"{stamp}-{resume_key[:8]}-{suffix}"
        return cls(path, resume_key, resumed=False)

    @property
    def shard_dir(self) -> Path:
        return self.path / "shards"

    def _shard(self, index: int) -> Path:
        return self.shard_dir / f"batch-{index:05d}.npz"

    def finished_batches(self) -> set[int]:
        """Indices of the batches whose shard is on disk."""
        return {int(p.stem.split("-")[1]) for p in self.shard_dir.glob("batch-*.npz")}

    def write_shard(self, index: int, output: BatchOutput, *, marker: dict) -> None:
        """Save one finished batch atomically (creating the folder and its marker on the first one)."""
        if not (self.path / MARKER).exists():
            self.path.mkdir(parents=True, exist_ok=True)
            atomic_write_json(self.path / MARKER, {"resume_key": self.resume_key, **marker})
        arrays = {
            "emotion": output.emotion,
            "seconds": np.float64(output.seconds),
            "latencies": np.asarray(output.latencies, dtype=np.float64),
        }
        if output.threedmm is not None:
            arrays["threedmm"] = output.threedmm
        buffer = io.BytesIO()
        np.savez(buffer, **arrays)
        atomic_write_bytes(self._shard(index), buffer.getvalue())

    def read_shard(self, index: int) -> BatchOutput:
        with np.load(self._shard(index), allow_pickle=False) as shard:
            return BatchOutput(
                emotion=shard["emotion"],
                threedmm=shard["threedmm"] if "threedmm" in shard.files else None,
                seconds=float(shard["seconds"]),
                latencies=shard["latencies"].tolist(),
            )

    def finalize(self, emotion: np.ndarray, threedmm: np.ndarray | None, results: dict) -> Path:
        """Write the predictions, then ``results.json`` (last: it marks the run complete), then clean up."""
        atomic_save_npy(self.path / PREDICTIONS, emotion)
        if threedmm is not None:
            atomic_save_npy(self.path / PREDICTIONS_3DMM, threedmm)
        atomic_write_json(self.path / RESULTS, results)
        shutil.rmtree(self.shard_dir, ignore_errors=True)
        (self.path / MARKER).unlink(missing_ok=True)
        return self.path / RESULTS


def _read_key(marker: Path) -> str | None:
    try:
        return json.loads(marker.read_text()).get("resume_key")
    except (OSError, ValueError):  # a marker is written atomically; an unreadable one is not ours
        return None
