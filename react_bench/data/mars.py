"""The MARS layout of REACT2025 / REACT2026: reader (``MarsDataset``), layout detection, checker,
and a writer that turns a REACT2024-layout synthetic dataset into a MARS-layout one.

Ground truth: reactmultimodalchallenge/baseline_react2025 ``dataset/react_2025.py``
(``ReactionDataset``), baseline_react2026 ``dataset/react_2025.py`` and
``dataset/perfrdiff_rewrite_weight.py`` (``PerFRDiffRewriteWeightDataset``), the offline
``Trainer.test`` of ``trainer/motion_diffusion.py``, and the configs (``seed: 1234``,
``clip_length: 750``, ``fps: 30``, ``num_gts: 10``). Full notes: docs/real-data.md.

Layout: ``<root>/<split>/<modality>/<role>/<session>/<stem><ext>`` with the folders of
:data:`MARS_DIRS`, role ``speaker`` or ``listener``, sessions ``session<i>``.

Samples (shapes: N samples, W = ``window_frames``):

- A *pair* is a clip ``<role>/<session>/<stem>`` as speaker and ``<other role>/<session>/<stem>``
  as listener (paired by identical stem within a session, as both official loaders do). With
  ``bidirectional=True`` (REACT2025, whose loader walks both role folders) both roles give pairs;
  with False (REACT2026's default) only ``speaker/`` does.
- Pair order (documented, not the official ``os.walk`` order, which depends on the file system):
  sorted by (role: speaker first, session number, stem).
- A pair's length L is the minimum of its speaker/listener emotion and 3DMM lengths (and the
  speaker's wav2vec features when present), as ``PerFRDiffRewriteWeightDataset.__getitem__`` does.
- Windows: the offline ``Trainer.test`` cuts the speaker into consecutive windows of
  ``clip_length`` = 750 frames from frame 0, zero-pads the last one, and keeps the first L
  predicted frames. Each such window is one react-bench sample: sample k is (pair, start);
  frames past ``valid_frames[k]`` are zeros. (The official code adds one all-padding window when
  L is a multiple of 750 and drops its frames again; it is not a sample here.)
- Appropriateness (``appropriateness_kind``): "session": listener reaction j is appropriate for
  speaker k when j's listener clip is one of the clips of k's listener role and session (the
  official ``gt_path_dict``), any window of it. "test-draw" (the test split): the official test
  scores sample k against its own listener plus 9 clips drawn from that session
  (``random.sample`` when the session has at least 9 others, else ``random.choices``), with
  Python's ``random`` seeded by ``draw_seed`` (1234, the configs' seed) and drawn pair by pair in
  the order above; see :func:`draw_test_targets`.
- 3DMM: ``(e - mean_face) / std_face`` ("standard", the official default) or ``e - mean_face``
  ("zero_center") with ``mean_face.npy`` / ``std_face.npy`` from ``face_stats_dir`` (the
  baselines' ``external/FaceVerse``), else from ``<root>``; ``normalize_3dmm=None`` keeps them raw.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import random
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import soundfile

from react_bench.constants import (
    AU_SLICE,
    EMOTION_DIM,
    FE_SLICE,
    FEATURE_SAMPLE_RATE,
    ROLES,
    SPLITS,
    THREEDMM_DIM,
    VA_SLICE,
)
from react_bench.data.check import FE_SUM_TOLERANCE, Problem
from react_bench.data.io import (
    clip_file,
    read_emotion,
    read_split,
    read_threedmm,
    read_wav,
    split_file,
    to_mono_16k,
)
from react_bench.data.dataset import SplitIdentity
from react_bench.data.synth.generate import MARKER_FILE  # the same marker in both layouts
from react_bench.errors import BadInputError, MissingDataError
from react_bench.utils import sha256_array, sha256_files

MARS_FPS = 30
"""Frame rate of every MARS stream (``fps: 30`` in the official dataset configs)."""
MARS_WINDOW_FRAMES = 750
"""Frames per scored window (``generic.clip_length: 750`` of the offline test)."""
NUM_EXTRA_TARGETS = 9
"""Targets drawn per test sample besides its own listener (``k_select = 9``; ``num_gts: 10``)."""
OFFICIAL_DRAW_SEED = 1234
"""``seed`` of the official configs; ``worker_init_fn`` seeds ``random`` with it (+ worker id)."""
AUDIO_FEATURE_DIM = 768
"""wav2vec features per frame in ``audio-features/``."""
MARS_DIRS = {
    "emotion": "facial-attributes", "3dmm": "coefficients", "audio": "audio",
    "audio-features": "audio-features", "video": "video-face-crop", "video-raw": "video-raw",
}
MARS_EXTENSIONS = {"emotion": ".npy", "3dmm": ".npy", "audio": ".wav", "audio-features": ".npy", "video": ".mp4", "video-raw": ".mp4"}
PERSONALITY_TRAITS = ("Extraversion", "Agreeableness", "Conscientiousness", "Neuroticism", "Openness")
"""Columns of ``personality/{listener,speaker}.csv``, 1..5 on disk, ``(x - 1) / 4`` when read (2026)."""
EEG_COLUMNS = (
    "TP9", "AF7", "AF8", "TP10", "Delta_TP9", "Theta_TP9", "Alpha_TP9", "Beta_TP9", "Gamma_TP9",
    "Delta_TP10", "Theta_TP10", "Alpha_TP10", "Beta_TP10", "Gamma_TP10",
)
"""``DEFAULT_EEG_TARGET_COLS`` of the 2026 loaders; the first four are raw channels, divided by 1000."""
EEG_RAW_SCALE = 1000.0


def detect_layout(root: str | os.PathLike) -> str:
    """``"react2024"`` (split CSVs in the root) or ``"mars"`` (``<split>/facial-attributes/``)."""
    root = Path(root).expanduser()
    if any(split_file(root, split).is_file() for split in SPLITS):
        return "react2024"
    if any((root / split / MARS_DIRS["emotion"]).is_dir() for split in SPLITS):
        return "mars"
    raise BadInputError(
        f"{root} is in no known layout: expected <root>/{{train,val,test}}.csv (REACT2024) or "
        f"<root>/<split>/facial-attributes/{{speaker,listener}}/session<i>/ (REACT2025/2026 MARS)"
    )


def mars_file(root: str | os.PathLike, split: str, modality: str, clip: str) -> Path:
    """Path of ``modality`` of ``clip`` (``<role>/<session>/<stem>``) in ``split``."""
    return Path(root) / split / MARS_DIRS[modality] / (clip + MARS_EXTENSIONS[modality])


def _other(role: str) -> str:
    return "listener" if role == "speaker" else "speaker"


def _session_key(session: str) -> tuple:
    match = re.fullmatch(r"session(\d+)", session)
    return (0, int(match.group(1)), session) if match else (1, 0, session)


def walk_clips(root: str | os.PathLike, split: str) -> list[tuple[str, str, str]]:
    """``(role, session, stem)`` of every emotion file, sorted (role order, session number, stem).

    Hidden and AppleDouble files (``._*``) are skipped, as ``_is_real_sample_file`` does (2026).
    """
    base = Path(root) / split / MARS_DIRS["emotion"]
    found = []
    for role in ROLES:
        role_dir = base / role
        if not role_dir.is_dir():
            continue
        for session_dir in role_dir.iterdir():
            if not session_dir.is_dir() or session_dir.name.startswith("."):
                continue
            for file in session_dir.iterdir():
                if file.suffix.lower() == ".npy" and not file.name.startswith("."):
                    found.append((role, session_dir.name, file.stem))
    return sorted(found, key=lambda c: (ROLES.index(c[0]), _session_key(c[1]), c[2]))


def draw_test_targets(listener: str, session_clips: list[str], rng: random.Random) -> list[str]:
    """Own listener plus 9 drawn from the session, as ``ReactionDataset.__getitem__`` (2025) draws them.

    ``session_clips`` are all clips of the listener's role and session (the official
    ``gt_path_dict`` entry); the own clip is left out unless it is the only one.
    """
    candidates = session_clips if len(session_clips) <= 1 else [c for c in session_clips if c != listener]
    if len(candidates) >= NUM_EXTRA_TARGETS:
        drawn = rng.sample(candidates, NUM_EXTRA_TARGETS)
    else:
        drawn = rng.choices(candidates, k=NUM_EXTRA_TARGETS)
    return [listener] + drawn


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
                      if (bidirectional or role == "speaker") and (_other(role), session, stem) in present]
        if not self.pairs:
            raise BadInputError(f"{self.root / split} has no speaker clip with a listener clip of the same stem and session")
        self.session_clips: dict[str, list[str]] = {}  # "<role>/<session>" -> its clips (gt_path_dict)
        for role, session, stem in clips:
            self.session_clips.setdefault(f"{role}/{session}", []).append(f"{role}/{session}/{stem}")
        self.lengths = [self._pair_length(p) for p in range(len(self.pairs))]
        self.windows = [(p, start) for p, length in enumerate(self.lengths) for start in range(0, length, window_frames)]
        self.valid_frames = np.array([min(window_frames, self.lengths[p] - s) for p, s in self.windows], dtype=np.int64)
        self._stacks: dict[tuple[str, str], np.ndarray] = {}

    def __len__(self) -> int:
        return len(self.windows)

    def __repr__(self) -> str:
        return f"MarsDataset({str(self.root)!r}, {self.split!r}, pairs={len(self.pairs)}, samples={len(self)})"

    # --- sample order ---------------------------------------------------------------------------

    def pair_path(self, pair: int, role: str) -> str:
        """``<role folder>/<session>/<stem>`` of ``role`` in pair ``pair``."""
        _check_role(role)
        speaker = self.pairs[pair]
        if role == "speaker":
            return speaker
        folder, session, stem = speaker.split("/")
        return f"{_other(folder)}/{session}/{stem}"

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
        values, mask = read_eeg(path)
        frames = np.arange(start, start + self.clip_frames)
        rows = np.clip(frames // MARS_FPS, 0, max(len(values) - 1, 0))
        if not len(values):
            return np.zeros((self.clip_frames, len(EEG_COLUMNS)), np.float32), np.zeros((self.clip_frames, len(EEG_COLUMNS)), np.float32)
        return values[rows], mask[rows]

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
        rng = random.Random(self.draw_seed)
        targets = []
        for p in range(len(self.pairs)):
            listener = self.pair_path(p, "listener")
            session = listener.rsplit("/", 1)[0]
            targets.append(draw_test_targets(listener, self.session_clips[session], rng))
        return targets

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
        by_pair = np.array([[listeners[q] in allowed[p] for q in range(len(self.pairs))] for p in range(len(self.pairs))])
        return by_pair[np.ix_(pair_of, pair_of)].astype(np.uint8)

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
        _check_role(role)
        if (modality, role) not in self._stacks:
            per_pair = {}
            out = []
            for p, start in self.windows:
                if p not in per_pair:
                    per_pair = {p: self._read(modality, self.pair_path(p, role))[: self.lengths[p]]}
                    if modality == "3dmm":
                        per_pair[p] = self._normalise(per_pair[p])
                piece = per_pair[p][start: start + self.clip_frames]
                out.append(np.pad(piece, ((0, self.clip_frames - len(piece)), (0, 0))))
            self._stacks[(modality, role)] = np.stack(out).astype(np.float32)
        return self._stacks[(modality, role)]

    def _normalise(self, coefficients: np.ndarray) -> np.ndarray:
        if self.normalize_3dmm is None:
            return coefficients
        mean, std = (self._face_stats_dir / name for name in ("mean_face.npy", "std_face.npy"))
        if not mean.is_file() or (self.normalize_3dmm == "standard" and not std.is_file()):
            raise MissingDataError(
                f"3DMM normalisation {self.normalize_3dmm!r} needs {mean} and {std} (the baselines' "
                f"external/FaceVerse/mean_face.npy and std_face.npy); pass face_stats_dir=, or normalize_3dmm=None"
            )
        centred = coefficients - np.load(mean).astype(np.float32).reshape(-1)
        return centred / np.load(std).astype(np.float32).reshape(-1) if self.normalize_3dmm == "standard" else centred


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise BadInputError(f"role must be one of {', '.join(ROLES)}; got {role!r}")


def read_npy_frames(path: Path, dim: int, what: str) -> np.ndarray:
    """``(L, dim)`` float32 of a per-frame ``.npy`` (singleton axes squeezed); errors name the file."""
    if not path.is_file():
        raise MissingDataError(f"{what} file {path} not found")
    try:
        array = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as error:
        raise BadInputError(f"{what} file {path} is not a readable .npy array ({error})") from None
    squeezed = array.reshape([n for n in array.shape if n != 1]) if array.ndim > 2 else array
    if squeezed.ndim != 2 or squeezed.shape[1] != dim or not np.issubdtype(squeezed.dtype, np.number):
        raise BadInputError(f"{what} file {path} has shape {array.shape} ({array.dtype}); expected (frames, {dim}) numbers")
    return squeezed.astype(np.float32)


def read_personality(path: Path) -> dict:
    """``{(session or None, stem): (5,) float32}`` of a personality CSV, traits scaled ``(x - 1) / 4``."""
    table = {}
    with open(path, newline="", encoding="utf-8-sig") as handle:
        for number, row in enumerate(csv.DictReader(handle), start=2):
            stem = Path(row.get("video_name") or "").stem
            if not stem:
                continue
            try:
                values = np.array([(float(row[t]) - 1.0) / 4.0 for t in PERSONALITY_TRAITS], dtype=np.float32)
            except (KeyError, TypeError, ValueError):
                raise BadInputError(f"personality file {path} line {number}: expected numbers in {', '.join(PERSONALITY_TRAITS)}") from None
            if row.get("session"):
                table[(row["session"], stem)] = values
            table[(None, stem)] = values
    return table


def read_eeg(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """``((R, 14) values, (R, 14) mask)`` float32, one row per second, as ``_load_eeg`` (2026) parses them."""
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    values = np.zeros((len(rows), len(EEG_COLUMNS)), np.float32)
    mask = np.zeros_like(values)
    for r, row in enumerate(rows):
        for c, column in enumerate(EEG_COLUMNS):
            try:
                value = float(row.get(column) or "nan")
            except ValueError:
                continue
            if math.isfinite(value):
                values[r, c] = value / EEG_RAW_SCALE if c < 4 else value
                mask[r, c] = 1.0
    return values, mask


# --- checker ---------------------------------------------------------------------------------------


def check_mars(root: str | os.PathLike) -> list[Problem]:
    """Every problem of the MARS dataset at ``root``, one ``Problem(file, what)`` each (as ``data check``)."""
    root = Path(root).expanduser()
    if not root.is_dir():
        return [Problem(str(root), "dataset folder not found")]
    problems: list[Problem] = []
    for split in SPLITS:
        base = root / split / MARS_DIRS["emotion"]
        if not base.is_dir():
            problems.append(Problem(str(base), "emotion folder not found; expected facial-attributes/{speaker,listener}/session<i>/"))
            continue
        for child in base.iterdir():
            if child.name not in ROLES and not child.name.startswith("."):
                problems.append(Problem(str(child), "unexpected folder; roles are 'speaker' and 'listener'"))
        clips = walk_clips(root, split)
        present = set(clips)
        for role, session, stem in clips:
            clip = f"{role}/{session}/{stem}"
            if (_other(role), session, stem) not in present:
                problems.append(Problem(str(mars_file(root, split, "emotion", clip)),
                                        f"no {_other(role)} clip with the same stem in {session}; clips are paired by stem"))
            problems.extend(_clip_problems(root, split, clip))
        for role in ROLES:
            table = root / split / "personality" / f"{role}.csv"
            if table.is_file():
                problems.extend(_personality_problems(table))
    return problems


def _clip_problems(root: Path, split: str, clip: str) -> list[Problem]:
    found = []
    emotion_path = mars_file(root, split, "emotion", clip)
    try:
        emotion = read_npy_frames(emotion_path, EMOTION_DIM, "emotion")
        found += [Problem(str(emotion_path), message) for message in _emotion_content(emotion)]
    except (FileNotFoundError, ValueError) as error:
        found.append(Problem(str(emotion_path), _reason(error, emotion_path)))
    for modality, dim, required in (("3dmm", THREEDMM_DIM, True), ("audio-features", AUDIO_FEATURE_DIM, False)):
        path = mars_file(root, split, modality, clip)
        if not path.is_file() and not required and not (root / split / MARS_DIRS[modality]).is_dir():
            continue
        try:
            array = read_threedmm(path) if modality == "3dmm" else read_npy_frames(path, dim, modality)
            if not np.isfinite(array).all():
                found.append(Problem(str(path), f"{int((~np.isfinite(array)).sum())} NaN/Inf values"))
        except (FileNotFoundError, ValueError) as error:
            found.append(Problem(str(path), _reason(error, path)))
    wav = mars_file(root, split, "audio", clip)
    if (root / split / MARS_DIRS["audio"]).is_dir():
        try:
            read_wav(wav)
        except (FileNotFoundError, ValueError) as error:
            found.append(Problem(str(wav), _reason(error, wav)))
    eeg = root / split / "eeg_processed" / (clip + ".csv")
    if eeg.is_file():
        header = next(csv.reader(io.StringIO(eeg.read_text(encoding="utf-8-sig"))), [])
        if not set(EEG_COLUMNS) & set(header):
            found.append(Problem(str(eeg), f"none of the EEG columns ({', '.join(EEG_COLUMNS[:4])}, ...) in its header"))
    return found


def _emotion_content(emotion: np.ndarray) -> list[str]:
    """What is wrong with ``(L, 25)`` emotion values (the REACT2024 checks of data check, any length)."""
    found = []
    if not len(emotion):
        return ["no frames"]
    finite = np.isfinite(emotion).all(axis=1)
    if not finite.all():
        found.append(f"{int((~np.isfinite(emotion)).sum())} NaN/Inf values (first at frame {int(np.flatnonzero(~finite)[0])})")
    good = emotion[finite]
    if (~np.isin(good[:, AU_SLICE], (0.0, 1.0))).any():
        found.append("AU values are not 0 or 1; AU occurrences must be binary")
    if (np.abs(good[:, VA_SLICE]) > 1).any():
        found.append("valence/arousal values outside [-1, 1]")
    fe = good[:, FE_SLICE]
    if (fe < 0).any() or (np.abs(fe.sum(axis=1) - 1) > FE_SUM_TOLERANCE).any():
        found.append(f"expression probabilities negative or not summing to 1 (tolerance {FE_SUM_TOLERANCE})")
    return found


def _personality_problems(path: Path) -> list[Problem]:
    try:
        table = read_personality(path)
    except ValueError as error:
        return [Problem(str(path), _reason(error, path))]
    bad = [stem for (session, stem), v in table.items() if not ((v >= 0) & (v <= 1)).all()]
    return [Problem(str(path), f"traits outside 1..5 for {', '.join(sorted(set(bad))[:3])}")] if bad else []


def _reason(error: Exception, path: Path) -> str:
    message = str(error)
    for prefix in (f"emotion file {path} ", f"3DMM file {path} ", f"audio file {path} ", f"3dmm file {path} ",
                   f"audio-features file {path} ", f"personality file {path} "):
        if message.startswith(prefix):
            return message[len(prefix):]
    return message


# --- writer ----------------------------------------------------------------------------------------


def write_mars_layout(src_root: str | os.PathLike, out: str | os.PathLike, *, edition: str = "2025", seed: int = 0,
                      min_fraction: float = 0.5) -> Path:
    """Write the REACT2024-layout synthetic dataset at ``src_root`` in the MARS layout at ``out``.

    Row k of ``<split>.csv`` becomes ``speaker/session<i>/clip-<c>`` and ``listener/session<i>/clip-<c>``
    (i the number of the source session, c its clip). Streams are resampled from 25 to 30 fps by
    nearest frame (AUs stay binary) and cut to a length drawn from ``default_rng([seed, split, k])``
    between ``min_fraction`` and all of the clip, so lengths vary. wav2vec features are a fixed
    random ``tanh`` projection of each frame's log band energies (float16 on disk). ``edition="2026"``
    adds ``personality/`` and ``eeg_processed/`` tables. ``mean_face.npy`` / ``std_face.npy`` (the
    train coefficients' statistics) go to ``out``.
    """
    src, out = Path(src_root).expanduser(), Path(out).expanduser()
    if edition not in ("2025", "2026"):
        raise BadInputError(f"edition must be '2025' or '2026'; got {edition!r}")
    if out.exists() and any(out.iterdir()):
        raise BadInputError(f"{out} already exists and is not empty; choose another folder")
    projection = np.random.default_rng([seed, 768]).normal(size=(16, AUDIO_FEATURE_DIM)).astype(np.float32) / 2
    train_coefficients = []
    for split_index, split in enumerate(SPLITS):
        personality_rows = {role: [] for role in ROLES}
        for k, dyad in enumerate(read_split(split_file(src, split))):
            rng = np.random.default_rng([seed, split_index, k])
            session = "session" + re.sub(r"\D", "", dyad[0].split("/")[1]).lstrip("0").rjust(1, "0")
            stem = f"clip-{dyad[0].split('/')[-1]}"
            for role, source_clip in zip(ROLES, dyad):
                emotion = read_emotion(clip_file(src, split, "emotion", source_clip))
                if role == "speaker":
                    frames = round(len(emotion) * MARS_FPS / 25)
                    length = int(rng.integers(max(1, int(min_fraction * frames)), frames + 1))
                    index = np.minimum(np.arange(length) * 25 // MARS_FPS, len(emotion) - 1)
                coefficients = read_threedmm(clip_file(src, split, "3dmm", source_clip))[index]
                audio, rate = read_wav(clip_file(src, split, "audio", source_clip))
                audio = audio[: round(length / MARS_FPS * rate)]
                clip = f"{role}/{session}/{stem}"
                _save(mars_file(out, split, "emotion", clip), emotion[index].astype(np.float32))
                _save(mars_file(out, split, "3dmm", clip), coefficients)
                _save(mars_file(out, split, "audio-features", clip), _band_features(audio, rate, length, projection))
                mars_file(out, split, "audio", clip).parent.mkdir(parents=True, exist_ok=True)
                soundfile.write(mars_file(out, split, "audio", clip), audio, rate, subtype="PCM_16")
                if split == "train":
                    train_coefficients.append(coefficients)
                if edition == "2026":
                    personality_rows[role].append([f"{stem}.mp4", session, *rng.integers(1, 6, size=5).tolist()])
                    _write_eeg(out / split / "eeg_processed" / f"{clip}.csv", rng, math.ceil(length / MARS_FPS))
        if edition == "2026":
            for role, rows in personality_rows.items():
                _write_csv(out / split / "personality" / f"{role}.csv", ("video_name", "session", *PERSONALITY_TRAITS), rows)
    stacked = np.concatenate(train_coefficients)
    np.save(out / "mean_face.npy", stacked.mean(axis=0))
    np.save(out / "std_face.npy", np.maximum(stacked.std(axis=0), 1e-3))
    marker = json.loads((src / MARKER_FILE).read_text()) if (src / MARKER_FILE).is_file() else {}
    (out / MARKER_FILE).write_text(json.dumps({**marker, "layout": "mars", "edition": edition, "mars_seed": seed,
                                               "source": str(src)}, indent=2))
    return out


def _save(path: Path, array: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, array)


def _band_features(audio: np.ndarray, rate: int, frames: int, projection: np.ndarray) -> np.ndarray:
    """``(frames, 768)`` float16: tanh of 16 log band energies per 1/30 s frame times a fixed matrix."""
    mono = audio.mean(axis=1)
    hop = rate / MARS_FPS
    bands = np.zeros((frames, projection.shape[0]), np.float32)
    for t in range(frames):
        piece = mono[int(t * hop): int((t + 1) * hop)]
        if len(piece):
            spectrum = np.abs(np.fft.rfft(piece)) ** 2
            bands[t] = np.log1p([part.sum() for part in np.array_split(spectrum, projection.shape[0])])
    return np.tanh(bands @ projection).astype(np.float16)


def _write_eeg(path: Path, rng: np.random.Generator, seconds: int) -> None:
    values = np.column_stack([rng.normal(800, 50, size=(seconds, 4)), rng.uniform(0, 1, size=(seconds, 10))])
    _write_csv(path, EEG_COLUMNS, np.round(values, 4).tolist())


def _write_csv(path: Path, header, rows) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
