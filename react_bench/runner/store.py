"""The folder of one run: how an unfinished run is found again, its shards, and its final files.

Layout of ``runs/<name>/<track>/<split>/<timestamp>-<key8>/``:

- ``in-progress.json``: present while the run is unfinished; holds the resume key (a hash of the
  run's configuration and dataset fingerprint). The same command finds this folder and continues.
- ``shards/batch-00000.npz``: one per finished batch, written atomically as it finishes, then
  ``shards/batch-00000.sha256`` with the SHA-256 of its bytes. On resume every shard is verified
  (its hash matches and it loads); a damaged one (a truncated copy, a full disk) is discarded
  with a warning naming it, and its batch is generated again with the same seed, so the final
  numbers equal an uninterrupted run's.
- ``predictions.npy``, ``predictions_3dmm.npy``, ``results.json``: written at the end, results last;
  then the shards and the marker are removed. A folder is complete if and only if it has
  ``results.json``.

The folder is created only when the first shard is ready, so a run that fails before finishing
any batch (unknown name, missing data, a submission returning the wrong shape) leaves nothing.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import io
import json
import shutil
import sys
import zipfile
from pathlib import Path

import numpy as np

from react_bench.results import RESULTS_FILE as RESULTS
from react_bench.results import write_results
from react_bench.runner.generate import BatchOutput
from react_bench.utils import atomic_save_npy, atomic_write_bytes, atomic_write_json

MARKER = "in-progress.json"
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

    def _hash_file(self, index: int) -> Path:
        return self.shard_dir / f"batch-{index:05d}.sha256"

    def finished_batches(self, *, warn=None) -> set[int]:
        """Indices of the batches whose shard is on disk and intact.

        A shard whose recorded hash is missing or differs, or that does not load, is deleted and
        reported through ``warn(message)`` (default: a line on stderr); its batch is not finished.
        """
        warn = warn or (lambda message: print(f"warning: {message}", file=sys.stderr))
        done = set()
        for path in sorted(self.shard_dir.glob("batch-*.npz")):
            index = int(path.stem.split("-")[1])
            problem = self._shard_problem(index)
            if problem is None:
                done.add(index)
                continue
            warn(f"discarding damaged shard {path} ({problem}); batch {index} will be generated again")
            path.unlink(missing_ok=True)
            self._hash_file(index).unlink(missing_ok=True)
        return done

    def _shard_problem(self, index: int) -> str | None:
        """Why shard ``index`` cannot be trusted, or None when it is intact."""
        try:
            data = self._shard(index).read_bytes()
            recorded = self._hash_file(index).read_text().strip()
        except OSError as error:
            return f"unreadable: {error.strerror or error}"
        if hashlib.sha256(data).hexdigest() != recorded:
            return "its SHA-256 does not match the recorded one"
        try:
            self.read_shard(index)
        except (zipfile.BadZipFile, ValueError, OSError, EOFError, KeyError) as error:
            return f"does not load: {error}"
        return None

    def start(self, marker: dict) -> None:
        """Create the folder and its marker now (a run shared by several processes starts it once)."""
        if not (self.path / MARKER).exists():
            self.path.mkdir(parents=True, exist_ok=True)
            atomic_write_json(self.path / MARKER, {"resume_key": self.resume_key, **marker})

    def write_shard(self, index: int, output: BatchOutput, *, marker: dict) -> None:
        """Save one finished batch atomically (creating the folder and its marker on the first one)."""
        self.start(marker)
        arrays = {
            "emotion": output.emotion,
            "seconds": np.float64(output.seconds),
            "latencies": np.asarray(output.latencies, dtype=np.float64),
        }
        if output.threedmm is not None:
            arrays["threedmm"] = output.threedmm
        buffer = io.BytesIO()
        np.savez(buffer, **arrays)
        data = buffer.getvalue()
        atomic_write_bytes(self._shard(index), data)
        # Written second: a shard without its hash (killed in between) is regenerated, never trusted.
        atomic_write_bytes(self._hash_file(index), hashlib.sha256(data).hexdigest().encode())

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
        write_results(self.path / RESULTS, results)
        shutil.rmtree(self.shard_dir, ignore_errors=True)
        (self.path / MARKER).unlink(missing_ok=True)
        return self.path / RESULTS


def _read_key(marker: Path) -> str | None:
    try:
        return json.loads(marker.read_text()).get("resume_key")
    except (OSError, ValueError):  # a marker is written atomically; an unreadable one is not ours
        return None
