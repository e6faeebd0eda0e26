"""``MarsDataset``: one split of a MARS-layout dataset, with the public API of ``ReactDataset``.

The rules it follows (pairing, order, length, windows, appropriateness, 3DMM normalisation, the
2026 tables) are described in the package docstring (``react_bench.data.mars``) and docs/real-data.md.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from react_bench.constants import EMOTION_DIM, FEATURE_SAMPLE_RATE, ROLES, SPLITS
from react_bench.data.dataset import SplitIdentity
from react_bench.data.io import read_npy_frames, read_threedmm, read_wav, to_mono_16k
from react_bench.data.mars.appropriateness import (
    OFFICIAL_DRAW_SEED,
    official_test_draw,
    window_matrix,
)
from react_bench.data.mars.paths import (
    AUDIO_FEATURE_DIM,
    MARS_DIRS,
    MARS_FPS,
    MARS_WINDOW_FRAMES,
    check_role,
    mars_file,
    other_role,
    walk_clips,
)
from react_bench.data.mars.reading import (
    eeg_window,
    normalise_3dmm,
    read_eeg,
    read_personality,
)
from react_bench.data.mars.windows import cut_windows, stack_windows
from react_bench.errors import BadInputError, MissingDataError
from react_bench.utils import sha256_array, sha256_files

__all__ = ["MarsDataset", "MarsSample"]


@dataclass
class MarsSample:
    """Sample ``index``: a window of a speaker clip and the listener's reaction.

    Attributes:
        speaker_emotion, listener_emotion: ``(W, 25)`` float32, zeros past ``valid_frames``.
        speaker_3dmm, listener_3dmm: ``(W, 58)`` float32 (normalised as the dataset says).
        start, valid_frames: the window's first frame in the clip and its number of real frames.
        listener_personality: ``(5,)`` float32 Big-Five traits in [0, 1], or None (2026 only).
        listener_eeg, listener_eeg_mask: ``(W, 14)`` float32 per frame, or None (2026 only).
    """

    index: int
    speaker_path: str
    listener_path: str
    start: int
    valid_frames: int
    speaker_emotion: np.ndarray
    listener_emotion: np.ndarray
    speaker_3dmm: np.ndarray
    listener_3dmm: np.ndarray
    listener_personality: np.ndarray | None = None
    listener_eeg: np.ndarray | None = None
    listener_eeg_mask: np.ndarray | None = None


class MarsDataset(SplitIdentity):
    """One split of a MARS-layout dataset, with the public API of ``ReactDataset`` (module docstring)."""

    fps = MARS_FPS
    layout = "mars"

    def __init__(
        self,
        root: str | os.PathLike,
        split: str,
        *,
        window_frames: int = MARS_WINDOW_FRAMES,
        bidirectional: bool = True,
        draw_seed: int = OFFICIAL_DRAW_SEED,
        normalize_3dmm: str | None = "standard",
        face_stats_dir: str | os.PathLike | None = None,
    ) -> None:
        self.root = Path(root).expanduser()
        if split not in SPLITS:
            raise BadInputError(f"split must be one of {', '.join(SPLITS)}; got {split!r}")
        if window_frames < 1:
            raise BadInputError(f"window_frames must be >= 1; got {window_frames}")
        if normalize_3dmm not in ("standard", "zero_center", None):
            raise BadInputError(f"normalize_3dmm must be 'standard', 'zero_center' or None; got {normalize_3dmm!r}")
        if not (self.root / split / MARS_DIRS["emotion"]).is_dir():
            raise MissingDataError(
                f"{self.root / split / MARS_DIRS['emotion']} not found; a MARS dataset has "
                f"<root>/<split>/facial-attributes/{{speaker,listener}}/session<i>/<stem>.npy"
            )
        self.split, self.clip_frames, self.bidirectional = split, window_frames, bidirectional
        self.draw_seed, self.normalize_3dmm = draw_seed, normalize_3dmm
        self._face_stats_dir = Path(face_stats_dir) if face_stats_dir is not None else self.root
        clips = walk_clips(self.root, split)
        present = set(clips)
        self.pairs = [f"{role}/{session}/{stem}" for role, session, stem in clips
                      if (bidirectional or role == "speaker") and (other_role(role), session, stem) in present]
        if not self.pairs:
            raise BadInputError(f"{self.root / split} has no speaker clip with a listener clip of the same stem and session")
        self.session_clips: dict[str, list[str]] = {}  # "<role>/<session>" -> its clips (gt_path_dict)
        for role, session, stem in clips:
            self.session_clips.setdefault(f"{role}/{session}", []).append(f"{role}/{session}/{stem}")
        self.lengths = [self._pair_length(p) for p in range(len(self.pairs))]
        self.windows, self.valid_frames = cut_windows(self.lengths, window_frames)
        self._stacks: dict[tuple[str, str], np.ndarray] = {}

    def __len__(self) -> int:
        return len(self.windows)

    def __repr__(self) -> str:
        return f"MarsDataset({str(self.root)!r}, {self.split!r}, pairs={len(self.pairs)}, samples={len(self)})"

    # --- sample order ---------------------------------------------------------------------------

    def pair_path(self, pair: int, role: str) -> str:
        """``<role folder>/<session>/<stem>`` of ``role`` in pair ``pair``."""
        check_role(role)
        speaker = self.pairs[pair]
        if role == "speaker":
            return speaker
        folder, session, stem = speaker.split("/")
        return f"{other_role(folder)}/{session}/{stem}"

    def clip_path(self, k: int, role: str) -> str:
        """Clip path ``<role folder>/<session>/<stem>`` of ``role`` in sample ``k``."""
        return self.pair_path(self.windows[self._check_index(k)][0], role)

    def clip_paths(self, role: str) -> list[str]:
        """The N clip paths of ``role``, in sample order (a clip repeats once per window)."""
        return [self.pair_path(p, role) for p, _ in self.windows]

    def window(self, k: int) -> tuple[int, int]:
        """``(start frame, valid frames)`` of sample ``k`` in its clip."""
        k = self._check_index(k)
        return self.windows[k][1], int(self.valid_frames[k])

    def file(self, modality: str, clip: str) -> Path:
        return mars_file(self.root, self.split, modality, clip)

    # --- arrays ---------------------------------------------------------------------------------

    def emotion(self, role: str) -> np.ndarray:
        """``(N, W, 25)`` float32 emotion of ``role``, zero past each window's valid frames."""
        return self._stacked("emotion", role)

    def threedmm(self, role: str) -> np.ndarray:
        """``(N, W, 58)`` float32 3DMM coefficients of ``role``, normalised as ``normalize_3dmm`` says."""
        return self._stacked("3dmm", role)

    def precomputed_features(self, role: str) -> np.ndarray:
        """``(N, W, 768)`` float32 wav2vec features of ``role`` from ``audio-features/``."""
        return self._stacked("audio-features", role)

    def features(self, extractor, role: str) -> np.ndarray:
        """Only the shipped wav2vec features (``"audio-features"``); other extractors need 25 fps clips."""
        if extractor in ("audio-features", "wav2vec-mars"):
            return self.precomputed_features(role)
        raise NotImplementedError(
            f"feature {extractor!r} is not available on the MARS layout; use features('audio-features', role) "
            f"(the shipped {AUDIO_FEATURE_DIM}-d wav2vec files) or compute features from ds.audio(k, role)"
        )

    def audio(self, k: int, role: str) -> np.ndarray:
        """``(round(W * 16000 / 30),)`` float32 mono 16 kHz audio of sample ``k``'s window (zero-padded)."""
        start, _ = self.window(k)
        samples, rate = read_wav(self.file("audio", self.clip_path(k, role)))
        mono = to_mono_16k(samples, rate, FEATURE_SAMPLE_RATE)
        first = round(start * FEATURE_SAMPLE_RATE / MARS_FPS)
        length = round(self.clip_frames * FEATURE_SAMPLE_RATE / MARS_FPS)
        piece = mono[first: first + length]
        return np.pad(piece, (0, length - len(piece)))

    def __getitem__(self, k: int) -> MarsSample:
        k = self._check_index(k)
        start, valid = self.window(k)
        listener = self.clip_path(k, "listener")
        eeg = self.eeg(listener, start)
        return MarsSample(
            index=k, speaker_path=self.clip_path(k, "speaker"), listener_path=listener, start=start, valid_frames=valid,
            speaker_emotion=self.emotion("speaker")[k], listener_emotion=self.emotion("listener")[k],
            speaker_3dmm=self.threedmm("speaker")[k], listener_3dmm=self.threedmm("listener")[k],
            listener_personality=self.personality(listener),
            listener_eeg=None if eeg is None else eeg[0], listener_eeg_mask=None if eeg is None else eeg[1],
        )

    # --- 2026 tables -------------------------------------------------------------------------------

    def personality(self, clip: str) -> np.ndarray | None:
        """``(5,)`` float32 traits of ``clip`` (``<role>/<session>/<stem>``) in [0, 1], or None without a table.

        Looked up by (role, session, stem), then (role, stem), as ``_load_personality`` (2026) does.
        """
        role, session, stem = clip.split("/")
        table = self._personality.get(role)
        if table is None:
            return None
        value = table.get((session, stem), table.get((None, stem)))
        return None if value is None else value.copy()

    @cached_property
    def _personality(self) -> dict[str, dict]:
        tables = {}
        for role in ROLES:
            path = self.root / self.split / "personality" / f"{role}.csv"
            if path.is_file():
                tables[role] = read_personality(path)
        return tables

    def eeg(self, clip: str, start: int = 0) -> tuple[np.ndarray, np.ndarray] | None:
        """``((W, 14) values, (W, 14) mask)`` float32 of ``clip``'s EEG from frame ``start``, or None without a file.

        As ``_load_eeg`` (2026): frame t reads row ``floor(t / 30)`` (clipped to the last row), raw
        channels are divided by 1000, empty or non-finite cells are 0 with mask 0.
        """
        path = self.root / self.split / "eeg_processed" / (clip + ".csv")
        if not path.is_file():
            return None
        return eeg_window(*read_eeg(path), start, self.clip_frames, MARS_FPS)

    # --- appropriateness, identity ----------------------------------------------------------------

    @property
    def appropriateness_kind(self) -> str:
        return "test-draw" if self.split == "test" else "session"

    @property
    def appropriateness_source(self) -> str:
        """As ``ReactDataset.appropriateness_source``: ``"mars-test-draw"`` or ``"mars-session"``."""
        return f"mars-{self.appropriateness_kind}"

    has_extra_reactions = False

    def targets(self) -> np.ndarray:
        """``(N, W, 25)``: the listener windows (the targets of the ``(N, N)`` matrix)."""
        return self.emotion("listener")

    @property
    def scoring_fingerprint(self) -> str:
        """What scoring reads (the emotion files) and the matrix; see ``ReactDataset.scoring_fingerprint``."""
        return self.fingerprint + ":" + self.appropriateness_sha256[:16]

    def test_targets(self) -> list[list[str]]:
        """Per pair, its own listener clip then the 9 drawn ones (the official test draw, ``draw_seed``)."""
        listeners = [self.pair_path(p, "listener") for p in range(len(self.pairs))]
        return official_test_draw(listeners, self.session_clips, self.draw_seed)

    def appropriateness(self) -> np.ndarray:
        """``(N, N)`` uint8: ``[k, j] = 1`` when sample j's listener clip is appropriate for speaker k."""
        return self._appropriateness.copy()

    @cached_property
    def _appropriateness(self) -> np.ndarray:
        pair_of = np.array([p for p, _ in self.windows])
        listeners = [self.pair_path(p, "listener") for p in range(len(self.pairs))]
        if self.appropriateness_kind == "test-draw":
            allowed = [set(targets) for targets in self.test_targets()]
        else:
            allowed = [set(self.session_clips[listener.rsplit("/", 1)[0]]) for listener in listeners]
        return window_matrix(pair_of, listeners, allowed)

    @property
    def appropriateness_sha256(self) -> str:
        return sha256_array(self._appropriateness)

    @cached_property
    def fingerprint(self) -> str:
        """SHA-256 over the emotion files of every pair (all that scoring reads)."""
        clips = sorted({self.pair_path(p, role) for p in range(len(self.pairs)) for role in ROLES})
        return sha256_files([self.file("emotion", clip) for clip in clips], root=self.root)

    # --- internals ----------------------------------------------------------------------------------

    def _pair_length(self, pair: int) -> int:
        """Frames of pair ``pair``: the shortest of its streams (``PerFRDiffRewriteWeightDataset.__getitem__``)."""
        speaker, listener = self.pair_path(pair, "speaker"), self.pair_path(pair, "listener")
        shapes = [self._shape("emotion", clip) for clip in (speaker, listener)]
        # Coefficients and wav2vec files count when present, so a tree of emotion files alone can be
        # scored; check_mars reports the missing ones.
        shapes += [self._shape(modality, clip) for modality, clip in
                   (("3dmm", speaker), ("3dmm", listener), ("audio-features", speaker)) if self.file(modality, clip).is_file()]
        return min(shape[0] for shape in shapes)

    def _shape(self, modality: str, clip: str) -> tuple[int, ...]:
        path = self.file(modality, clip)
        if not path.is_file():
            raise MissingDataError(f"{modality} file {path} not found; run `check_mars({str(self.root)!r})` to list every fault")
        try:
            return np.load(path, mmap_mode="r", allow_pickle=False).shape
        except (ValueError, OSError, EOFError) as error:
            raise BadInputError(f"{modality} file {path} is not a readable .npy array ({error})") from None

    def _read(self, modality: str, clip: str) -> np.ndarray:
        path = self.file(modality, clip)
        if modality == "3dmm":
            return read_threedmm(path)
        dim = EMOTION_DIM if modality == "emotion" else AUDIO_FEATURE_DIM
        return read_npy_frames(path, dim, modality)

    def _stacked(self, modality: str, role: str) -> np.ndarray:
        check_role(role)
        if (modality, role) not in self._stacks:
            def read_pair(p: int) -> np.ndarray:
                array = self._read(modality, self.pair_path(p, role))[: self.lengths[p]]
                return self._normalise(array) if modality == "3dmm" else array

            self._stacks[(modality, role)] = stack_windows(self.windows, self.clip_frames, read_pair)
        return self._stacks[(modality, role)]

    def _normalise(self, coefficients: np.ndarray) -> np.ndarray:
        return normalise_3dmm(coefficients, self.normalize_3dmm, self._face_stats_dir)
