"""``ReactDataset``: one split of a REACT2024-layout dataset (real or synthetic), read-only.

Sample order (the order a submission's prediction array must follow). For the D rows of
``<root>/<split>.csv`` (row r = speaker clip, listener clip):

- sample ``k < D``: speaker = row k's speaker clip, listener = row k's listener clip;
- sample ``k + D``: the same dyad with the roles swapped (speaker = row k's listener clip).

So ``N = 2 D`` and ``ds.emotion("speaker")[k + D] == ds.emotion("listener")[k]``. All three
splits (train included) are mirrored this way, as the official REACT2024 code does.

Clips are cut to ``clip_frames`` (750) frames; audio to ``clip_frames * 640`` samples at 16 kHz.

Targets. The reactions a generation is scored against are ``ds.targets()`` ``(M, T, 25)`` with the
``(N, M)`` matrix ``ds.appropriateness()``. On real data and on a synthetic set without extra
reactions, M = N: the split's listener reactions, with the official matrix (or our rule). A synthetic
set made by ``data synth`` also stores R more true reactions per val/test sample
(``react_bench.data.extra_reactions``); then the targets are the N listeners followed by sample 0's R
extra reactions, sample 1's, ..., so M = N (1 + R), and row k marks exactly sample k's own listener
and its own R extra reactions: REACT's definition (reactions of listeners to the same behaviour)
made exact.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from react_bench.constants import CLIP_FRAMES, FEATURE_SAMPLE_RATE, FPS, ROLES, SAMPLES_PER_FRAME, SPLITS
from react_bench.data.appropriateness import appropriateness_source, load_or_build_appropriateness
from react_bench.data.extra_reactions import EXTRA_REACTIONS_DIR, extra_reactions_file, read_extra_reactions
from react_bench.data.feature_cache import FeatureCache, default_feature_cache_dir
from react_bench.data.features.base import Clip, FeatureExtractor, FeatureRequest, FeatureSpec, as_feature_spec
from react_bench.data.io import (
    clip_file,
    mirrored_clips,
    read_emotion,
    read_split,
    read_threedmm,
    read_wav,
    split_file,
    to_mono_16k,
)
from react_bench.data.synth.generate import MARKER_FILE
from react_bench.errors import BadInputError, MissingDataError, UnknownNameError
from react_bench.utils import sha256_array, sha256_files


@dataclass
class ReactSample:
    """Sample ``index`` of a split: a speaker clip and the listener's reaction to it.

    Attributes:
        speaker_emotion, listener_emotion: ``(T, 25)`` float32.
        speaker_3dmm, listener_3dmm: ``(T, 58)`` float32.
        speaker_path, listener_path: clip paths ``<site>/<session>/<person>/<clip>``.
    """

    index: int
    speaker_path: str
    listener_path: str
    speaker_emotion: np.ndarray
    listener_emotion: np.ndarray
    speaker_3dmm: np.ndarray
    listener_3dmm: np.ndarray


class SplitIdentity:
    """What both layouts' split readers (``ReactDataset``, ``MarsDataset``) say the same way: whether
    the data is synthetic, the generator's record, and sample-index checks. Needs ``root`` and ``__len__``."""

    root: Path

    @property
    def is_synthetic(self) -> bool:
        """True when the dataset was written by ``react-bench data synth`` (it has ``synthetic.json``)."""
        return (self.root / MARKER_FILE).is_file()

    @property
    def synthetic_config(self) -> dict | None:
        """The generator's record in ``synthetic.json`` (config, seed, version), or None for real data."""
        return json.loads((self.root / MARKER_FILE).read_text()) if self.is_synthetic else None

    def _check_index(self, k: int) -> int:
        if not -len(self) <= k < len(self):
            raise IndexError(f"sample index {k} out of range for {len(self)} samples")
        return k % len(self)


class ReactDataset(SplitIdentity):
    """One split of a dataset in the REACT2024 layout (see the module docstring for the order)."""

    fps = FPS
    layout = "react2024"

    def __init__(
        self,
        root: str | os.PathLike,
        split: str,
        *,
        clip_frames: int = CLIP_FRAMES,
        feature_cache: str | os.PathLike | None = None,
    ) -> None:
        self.root = Path(root).expanduser()
        if split not in SPLITS:
            raise BadInputError(f"split must be one of {', '.join(SPLITS)}; got {split!r}")
        if not self.root.is_dir():
            raise MissingDataError(
                f"dataset root {self.root} not found; pass the folder holding train.csv/val.csv/test.csv, "
                f"or create a synthetic one with `react-bench data synth --out {self.root}`"
            )
        if clip_frames < 1:
            raise BadInputError(f"clip_frames must be >= 1; got {clip_frames}")
        self.split = split
        self.clip_frames = clip_frames
        self.dyads: list[tuple[str, str]] = read_split(split_file(self.root, split))
        if not self.dyads:
            raise BadInputError(f"split file {split_file(self.root, split)} lists no dyads; expected one row per dyad")
        self._feature_cache_base = feature_cache
        self._stacks: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def __len__(self) -> int:
        return 2 * len(self.dyads)

    def __repr__(self) -> str:
        return f"ReactDataset({str(self.root)!r}, {self.split!r}, samples={len(self)})"

    # --- sample order -----------------------------------------------------------------------

    def clip_path(self, k: int, role: str) -> str:
        """Clip path ``<site>/<session>/<person>/<clip>`` of ``role`` in sample ``k``."""
        k = self._check_index(k)
        _check_role(role)
        speaker, listener = self.dyads[k % len(self.dyads)]
        if k >= len(self.dyads):
            speaker, listener = listener, speaker
        return speaker if role == "speaker" else listener

    def clip_paths(self, role: str) -> list[str]:
        """The N clip paths of ``role``, in sample order."""
        _check_role(role)
        speakers, listeners = mirrored_clips(self.dyads)
        return speakers if role == "speaker" else listeners

    def file(self, modality: str, clip: str) -> Path:
        """Path of ``modality`` ("emotion", "3dmm", "audio", "video") of a clip of this split."""
        return clip_file(self.root, self.split, modality, clip)

    # --- per-sample access ------------------------------------------------------------------

    def __getitem__(self, k: int) -> ReactSample:
        k = self._check_index(k)
        if {"emotion", "3dmm"} <= set(self._stacks):
            emotion = {role: self.emotion(role)[k] for role in ROLES}
            threedmm = {role: self.threedmm(role)[k] for role in ROLES}
        else:
            emotion = {role: self._read_clip("emotion", self.clip_path(k, role)) for role in ROLES}
            threedmm = {role: self._read_clip("3dmm", self.clip_path(k, role)) for role in ROLES}
        return ReactSample(
            index=k,
            speaker_path=self.clip_path(k, "speaker"),
            listener_path=self.clip_path(k, "listener"),
            speaker_emotion=emotion["speaker"],
            listener_emotion=emotion["listener"],
            speaker_3dmm=threedmm["speaker"],
            listener_3dmm=threedmm["listener"],
        )

    def audio(self, k: int, role: str) -> np.ndarray:
        """``(clip_frames * 640,)`` float32 mono audio of ``role`` in sample ``k`` at 16 kHz (zero-padded if short)."""
        path = self.file("audio", self.clip_path(k, role))
        samples, rate = read_wav(path)
        mono = to_mono_16k(samples, rate, FEATURE_SAMPLE_RATE)
        length = self.clip_frames * SAMPLES_PER_FRAME
        return np.pad(mono[:length], (0, max(0, length - len(mono))))

    def clip(self, k: int, role: str) -> Clip:
        """What a feature extractor sees of ``role`` in sample ``k``."""
        path = self.clip_path(k, role)
        video_dir = self.file("video", path)
        return Clip(
            emotion=self._read_clip("emotion", path),
            threedmm=self._read_clip("3dmm", path),
            audio=self.audio(k, role),
            video_dir=video_dir if video_dir.is_dir() else None,
            path=path,
        )

    # --- stacked arrays ---------------------------------------------------------------------

    def emotion(self, role: str) -> np.ndarray:
        """``(N, T, 25)`` float32 emotion of ``role`` for every sample (loaded once)."""
        return self._stacked("emotion", role)

    def threedmm(self, role: str) -> np.ndarray:
        """``(N, T, 58)`` float32 3DMM coefficients of ``role`` for every sample (loaded once)."""
        return self._stacked("3dmm", role)

    def features(self, extractor: FeatureRequest | FeatureExtractor, role: str) -> np.ndarray:
        """``(N, T, D)`` float32 features of ``role``, computed once per clip and cached on disk.

        ``extractor`` is a registered name (default options), a :class:`FeatureSpec` (name and
        options, e.g. ``dim`` or a local weights ``path``) or an extractor instance; the cache key is
        the extractor's name, version and dim.
        """
        _check_role(role)
        if isinstance(extractor, (str, FeatureSpec)):
            extractor = as_feature_spec(extractor).build()
        cache = FeatureCache(self.feature_cache_dir, extractor)
        per_clip: dict[str, np.ndarray] = {}
        for speaker, listener in self.dyads:
            for path in (speaker, listener):
                if path not in per_clip:
                    per_clip[path] = cache.get_or_compute(path, lambda p=path: self._clip_by_path(p), self.clip_frames)
        return np.stack([per_clip[path] for path in self.clip_paths(role)])

    @property
    def feature_cache_dir(self) -> Path:
        """Folder of this split's cached features: ``<base>/<fingerprint[:16]>/``."""
        return default_feature_cache_dir(self._feature_cache_base) / self.fingerprint[:16]

    # --- appropriateness, identity ------------------------------------------------------------

    def appropriateness(self) -> np.ndarray:
        """``(N, M)`` uint8: ``[k, j] = 1`` when target j (``targets()[j]``) is appropriate for speaker k."""
        return self._appropriateness.copy()

    @property
    def appropriateness_sha256(self) -> str:
        return sha256_array(self._appropriateness)

    @property
    def appropriateness_source(self) -> str:
        """Where the matrix comes from: ``"official-file"`` (a shipped ``neighbour_emotion_<split>.npy``),
        ``"official-built"`` (built from ``data_indices.csv`` and the all-data matrix as the official
        ``matrix_split.py`` does), ``"extra-reactions"`` (the synthetic set's own listeners and extra true
        reactions) or ``"rule"`` (react-bench's rule; not comparable with official numbers), in that
        order of precedence after the official files."""
        official = appropriateness_source(self.root, self.split)
        return "extra-reactions" if official == "rule" and self._extras_on_disk else official

    @property
    def _extras_on_disk(self) -> bool:
        return self.is_synthetic and (self.root / self.split / EXTRA_REACTIONS_DIR).is_dir()

    @property
    def has_extra_reactions(self) -> bool:
        """True when the targets include the extra true reactions of a synthetic split (module docstring);
        an official matrix file, when present, takes precedence (then M = N)."""
        return self.appropriateness_source == "extra-reactions"

    def targets(self) -> np.ndarray:
        """``(M, T, 25)`` float32: the reactions generations are scored against (module docstring)."""
        listeners = self.emotion("listener")
        if not self.has_extra_reactions:
            return listeners
        return np.concatenate([listeners, self._extra_reactions.reshape(-1, *listeners.shape[1:])])

    @cached_property
    def _extra_reactions(self) -> np.ndarray:
        """``(N, R, T, 25)`` float32 extra true reactions, sample k's in row k."""
        extras = [read_extra_reactions(self.root, self.split, clip)[:, : self.clip_frames]
                  for clip in self.clip_paths("listener")]
        counts = {len(e) for e in extras}
        if len(counts) != 1:
            raise BadInputError(
                f"the extra reactions of split {self.split} hold different numbers of reactions per sample "
                f"({sorted(counts)}); run `react-bench data check {self.root}`"
            )
        return np.stack(extras)

    @cached_property
    def _appropriateness(self) -> np.ndarray:
        if self.has_extra_reactions:
            n, r = len(self), self._extra_reactions.shape[1]
            own = np.eye(n, dtype=np.uint8)  # sample k's own listener
            extra = np.kron(np.eye(n, dtype=np.uint8), np.ones((1, r), dtype=np.uint8))  # and its R extra reactions
            return np.concatenate([own, extra], axis=1)
        return load_or_build_appropriateness(
            self.root, self.split, self.emotion("speaker"),
            speaker_clips=self.clip_paths("speaker"), listener_clips=self.clip_paths("listener"),
        )

    @cached_property
    def scoring_fingerprint(self) -> str:
        """SHA-256 of everything scoring reads: the split CSV, every emotion file, the extra reactions
        and the appropriateness matrix. Results record it, so ``react-bench evaluate`` on a tree holding
        only these files identifies the same dataset as a run on the full tree."""
        clips = sorted({path for dyad in self.dyads for path in dyad})
        files = [split_file(self.root, self.split)] + [self.file("emotion", clip) for clip in clips]
        if self.has_extra_reactions:
            files += [extra_reactions_file(self.root, self.split, clip) for clip in clips]
        return sha256_files(files, root=self.root) + ":" + self.appropriateness_sha256[:16]

    @cached_property
    def fingerprint(self) -> str:
        """SHA-256 over the split CSV and the emotion, 3DMM and audio files of every clip of the split."""
        clips = sorted({path for dyad in self.dyads for path in dyad})
        files = [split_file(self.root, self.split)]
        files += [self.file(modality, clip) for clip in clips for modality in ("emotion", "3dmm", "audio")]
        return sha256_files(files, root=self.root)

    # --- internals ----------------------------------------------------------------------------

    def _clip_by_path(self, path: str) -> Clip:
        for k, (speaker, listener) in enumerate(self.dyads):
            if path in (speaker, listener):
                return self.clip(k, "speaker" if path == speaker else "listener")
        raise UnknownNameError(f"clip {path!r} is not in split {self.split}")

    def _read_clip(self, modality: str, clip: str) -> np.ndarray:
        path = self.file(modality, clip)
        array = read_emotion(path) if modality == "emotion" else read_threedmm(path)
        if len(array) < self.clip_frames:
            raise BadInputError(
                f"{modality} file {path} has {len(array)} frames; expected at least {self.clip_frames}. "
                f"Run `react-bench data check {self.root}` to list every damaged file."
            )
        return array[: self.clip_frames]

    def _stacked(self, modality: str, role: str) -> np.ndarray:
        _check_role(role)
        if modality not in self._stacks:
            speakers = np.stack([self._read_clip(modality, speaker) for speaker, _ in self.dyads])
            listeners = np.stack([self._read_clip(modality, listener) for _, listener in self.dyads])
            self._stacks[modality] = (speakers, listeners)
        speakers, listeners = self._stacks[modality]
        if role == "speaker":
            return np.concatenate([speakers, listeners])
        return np.concatenate([listeners, speakers])


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise BadInputError(f"role must be one of {', '.join(ROLES)}; got {role!r}")
