"""``react-bench data check``: find every problem of a dataset in the REACT2024 layout.

Checks, each reported with the file it concerns (nothing stops at the first problem):

- split files ``<root>/{train,val,test}.csv``: present, readable, each row's clips exist;
- emotion CSVs: readable, 25 columns, 751 rows, finite, AUs (first 15 columns) exactly 0 or 1,
  valence/arousal in [-1, 1], expression probabilities >= 0 and each row summing to 1 within
  :data:`FE_SUM_TOLERANCE`;
- 3DMM ``.npy``: readable, ``(751, 58)`` (singleton axes squeezed), finite;
- wav: a readable PCM wav of at least ``CLIP_FRAMES / FPS`` = 30 s;
- video: when ``<split>/Video_files`` exists, each clip's frame folder exists;
- the official appropriateness matrix, when present: ``(N, N)``, 0/1, no empty row;
- synthetic datasets whose ``synthetic.json`` records extra reactions: every clip of those splits
  (each is the listener of one sample) has its extra-reactions file
  (:mod:`react_bench.data.extra_reactions`), readable, ``(R, 751, 25)`` with the recorded R, finite,
  AUs 0 or 1.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from react_bench.constants import AU_SLICE, CLIP_FRAMES, FE_SLICE, FILE_FRAMES, FPS, MODALITY_DIRS, SPLITS, VA_SLICE
from react_bench.data.appropriateness import build_appropriateness, official_file, validate_appropriateness
from react_bench.data.extra_reactions import extra_reactions_file, read_extra_reactions
from react_bench.data.io import clip_file, mirrored_clips, read_emotion, read_split, read_threedmm, read_wav, split_file

FE_SUM_TOLERANCE = 1e-2
"""Largest accepted ``|sum of the 8 expression probabilities - 1|`` per row (CSV rounding is ~1e-4)."""

_CLIP_MODALITIES = ("emotion", "3dmm", "audio")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a dataset, and the file it concerns."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


@dataclass
class SplitSummary:
    dyads: int = 0
    frames: Counter = field(default_factory=Counter)
    audio_formats: Counter = field(default_factory=Counter)  # (rate, channels) -> clips
    matrix_source: str | None = None
    matrix_density: float | None = None
    appropriate_per_speaker: float | None = None


@dataclass
class CheckReport:
    root: Path
    problems: list[Problem]
    splits: dict[str, SplitSummary]

    @property
    def ok(self) -> bool:
        return not self.problems

    def format_summary(self) -> str:
        """Human-readable summary: dyads per split, frames, channels, matrix density."""
        lines = [f"dataset {self.root}"]
        for split, summary in self.splits.items():
            frames = ", ".join(f"{n}" for n in sorted(summary.frames)) or "-"
            audio = ", ".join(f"{rate} Hz x {channels} ch" for rate, channels in sorted(summary.audio_formats)) or "-"
            line = (
                f"  {split:5s}: {summary.dyads} dyads ({2 * summary.dyads} mirrored samples), "
                f"frames per clip {frames}, emotion 25 ch, 3DMM 58 coef, audio {audio}"
            )
            if summary.matrix_density is not None:
                line += (
                    f"; appropriateness ({summary.matrix_source}) density {summary.matrix_density:.3f}, "
                    f"{summary.appropriate_per_speaker:.1f} appropriate reactions per speaker"
                )
            lines.append(line)
        return "\n".join(lines)


def check_dataset(root: str | os.PathLike) -> list[Problem]:
    """Every problem found in the dataset at ``root`` (empty when it is valid)."""
    return inspect_dataset(root).problems


def inspect_dataset(root: str | os.PathLike) -> CheckReport:
    """Check every split of the dataset at ``root``: problems and summary."""
    root = Path(root).expanduser()
    report = CheckReport(root=root, problems=[], splits={})
    if not root.is_dir():
        report.problems.append(Problem(str(root), "dataset folder not found"))
        return report
    extra = _extra_reactions_record(root, report.problems)
    for split in SPLITS:
        report.splits[split] = _check_split(root, split, report.problems, extra)
    return report


def _extra_reactions_record(root: Path, problems: list[Problem]) -> tuple[int, set[str]]:
    """``(R, splits)`` of the extra reactions ``synthetic.json`` records; ``(0, set())`` for real data
    and for synthetic datasets made before extra reactions existed."""
    import json

    from react_bench.data.synth.generate import MARKER_FILE

    marker = root / MARKER_FILE
    if not marker.is_file():
        return 0, set()
    try:
        record = json.loads(marker.read_text())
        return int(record.get("extra_reactions", 0)), set(record.get("extra_reaction_splits", []))
    except (ValueError, TypeError, AttributeError) as error:
        problems.append(Problem(str(marker), f"is not a readable generator record ({error})"))
        return 0, set()


def _check_split(root: Path, split: str, problems: list[Problem], extra: tuple[int, set[str]]) -> SplitSummary:
    summary = SplitSummary()
    csv_path = split_file(root, split)
    try:
        dyads = read_split(csv_path)
    except (FileNotFoundError, ValueError) as error:
        problems.append(Problem(str(csv_path), _reason(error, csv_path)))
        return summary
    summary.dyads = len(dyads)
    if not dyads:
        problems.append(Problem(str(csv_path), "lists no dyads"))
        return summary

    emotions: dict[str, np.ndarray | None] = {}
    missing: set[str] = set()
    for row, dyad in enumerate(dyads, start=2):
        for clip in dyad:
            if clip in emotions:
                continue
            files = [clip_file(root, split, modality, clip) for modality in _CLIP_MODALITIES]
            if not any(path.exists() for path in files):
                message = f"line {row} points to clip {clip!r}, which has no files under {root / split}"
                problems.append(Problem(str(csv_path), message))
                emotions[clip] = None
                missing.add(clip)
                continue
            emotions[clip] = _check_clip(root, split, clip, summary, problems)

    clips = mirrored_clips(dyads)
    speaker_emotion = [emotions[clip] for clip in clips[0]]
    complete = all(e is not None and len(e) >= CLIP_FRAMES for e in speaker_emotion)
    _check_matrix(root, split, 2 * len(dyads), speaker_emotion if complete else None, clips, summary, problems)
    reactions, splits = extra
    if reactions > 0 and split in splits:
        for clip in clips[1]:  # each clip is the listener of exactly one sample
            if clip not in missing:  # a row pointing nowhere is reported once, above
                _check_extra_reactions(root, split, clip, reactions, problems)
    return summary


def _check_extra_reactions(root: Path, split: str, clip: str, reactions: int, problems: list[Problem]) -> None:
    path = extra_reactions_file(root, split, clip)
    try:
        array = read_extra_reactions(root, split, clip)
    except (FileNotFoundError, ValueError) as error:
        problems.append(Problem(str(path), _reason(error, path)))
        return
    expected = (reactions, FILE_FRAMES, array.shape[2])
    if array.shape != expected:
        problems.append(Problem(str(path), f"holds shape {array.shape}; expected {expected} (R, frames, 25)"))
    bad = ~np.isfinite(array)
    if bad.any():
        first = np.argwhere(bad)[0]
        problems.append(Problem(str(path), f"{bad.sum()} NaN/Inf values (first in reaction {first[0]}, row {first[1]})"))
    aus = array[..., AU_SLICE]
    if not np.isin(aus, (0.0, 1.0)).all():
        problems.append(Problem(str(path), f"{(~np.isin(aus, (0.0, 1.0))).sum()} AU values are not 0 or 1"))


def _check_clip(root: Path, split: str, clip: str, summary: SplitSummary, problems: list[Problem]) -> np.ndarray | None:
    """Check one clip's files; return its emotion array when it could be read and is usable."""
    emotion_path = clip_file(root, split, "emotion", clip)
    emotion = None
    try:
        emotion = read_emotion(emotion_path)
    except (FileNotFoundError, ValueError) as error:
        problems.append(Problem(str(emotion_path), _reason(error, emotion_path)))
    if emotion is not None:
        summary.frames[len(emotion)] += 1
        found = _emotion_problems(emotion)
        problems.extend(Problem(str(emotion_path), message) for message in found)
        if any("NaN" in message for message in found):
            emotion = None

    threedmm_path = clip_file(root, split, "3dmm", clip)
    try:
        threedmm = read_threedmm(threedmm_path)
        if len(threedmm) < FILE_FRAMES:
            problems.append(Problem(str(threedmm_path), f"truncated: {len(threedmm)} rows, expected {FILE_FRAMES}"))
        elif len(threedmm) > FILE_FRAMES:
            problems.append(Problem(str(threedmm_path), f"{len(threedmm)} rows, expected {FILE_FRAMES}"))
        bad = ~np.isfinite(threedmm)
        if bad.any():
            first = np.argwhere(bad)[0, 0]
            problems.append(Problem(str(threedmm_path), f"{bad.sum()} NaN/Inf values (first at row {first})"))
    except (FileNotFoundError, ValueError) as error:
        problems.append(Problem(str(threedmm_path), _reason(error, threedmm_path)))

    audio_path = clip_file(root, split, "audio", clip)
    try:
        audio, rate = read_wav(audio_path)
        summary.audio_formats[(rate, audio.shape[1])] += 1
        if len(audio) < CLIP_FRAMES / FPS * rate:
            message = f"truncated: {len(audio) / rate:.2f} s of audio, expected at least {CLIP_FRAMES / FPS:.0f} s"
            problems.append(Problem(str(audio_path), message))
    except (FileNotFoundError, ValueError) as error:
        problems.append(Problem(str(audio_path), _reason(error, audio_path)))

    if (root / split / MODALITY_DIRS["video"]).is_dir():
        video = clip_file(root, split, "video", clip)
        if not video.is_dir():
            problems.append(Problem(str(video), "video frame folder not found"))
    return emotion


def _emotion_problems(emotion: np.ndarray) -> list[str]:
    """What is wrong with the content of ``(F, 25)`` emotion channels."""
    found = []
    if len(emotion) < FILE_FRAMES:
        found.append(f"truncated: {len(emotion)} rows, expected {FILE_FRAMES}")
    elif len(emotion) > FILE_FRAMES:
        found.append(f"{len(emotion)} rows, expected {FILE_FRAMES}")
    bad = ~np.isfinite(emotion)
    if bad.any():
        found.append(f"{bad.sum()} NaN/Inf values (first at data row {np.argwhere(bad)[0, 0] + 1})")
    finite_rows = np.isfinite(emotion).all(axis=1)
    aus = emotion[finite_rows, AU_SLICE]
    non_binary = ~np.isin(aus, (0.0, 1.0))
    if non_binary.any():
        example = aus[non_binary][0]
        found.append(f"{non_binary.sum()} AU values are not 0 or 1 (e.g. {example:g}); AU occurrences must be binary")
    va = emotion[finite_rows, VA_SLICE]
    if (np.abs(va) > 1.0).any():
        found.append(f"{(np.abs(va) > 1.0).sum()} valence/arousal values outside [-1, 1]")
    fe = emotion[finite_rows, FE_SLICE]
    if (fe < 0).any():
        found.append(f"{(fe < 0).sum()} negative expression probabilities")
    off = np.abs(fe.sum(axis=1) - 1.0) > FE_SUM_TOLERANCE
    if off.any():
        first = int(np.flatnonzero(off)[0])
        found.append(
            f"{off.sum()} rows whose 8 expression probabilities do not sum to 1 (tolerance {FE_SUM_TOLERANCE}); "
            f"e.g. a row sums to {fe[first].sum():.4f}"
        )
    return found


def _check_matrix(
    root: Path, split: str, num_samples: int, speaker_emotion: list | None,
    clips: tuple[list[str], list[str]], summary: SplitSummary, problems: list[Problem],
) -> None:
    path = official_file(root, split)
    matrix = None
    if path.is_file():
        try:
            matrix = validate_appropriateness(np.load(path, allow_pickle=False), num_samples, source=str(path))
            summary.matrix_source = "official"
        except (ValueError, OSError, EOFError) as error:
            problems.append(Problem(str(path), _reason(error, path)))
    elif speaker_emotion is not None:
        matrix = build_appropriateness(
            np.stack([e[:CLIP_FRAMES] for e in speaker_emotion]), speaker_clips=clips[0], listener_clips=clips[1]
        )
        summary.matrix_source = "built"
    if matrix is not None:
        summary.matrix_density = float(matrix.mean())
        summary.appropriate_per_speaker = float(matrix.sum(axis=1).mean())


def _reason(error: Exception, path: Path) -> str:
    """The error message without the file name that the Problem already carries."""
    message = str(error)
    for prefix in (f"extra reactions {path} ", f"emotion file {path} ", f"3DMM file {path} ", f"audio file {path} ", f"split file {path} ",
                   f"appropriateness matrix {path} ", f"{path} "):
        if message.startswith(prefix):
            return message[len(prefix):]
    return message
