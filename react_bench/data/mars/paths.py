"""Where MARS files live: the folders, the frame rate and window of the layout, detection and the walk.

Layout: ``<root>/<split>/<modality>/<role>/<session>/<stem><ext>`` with the folders of
:data:`MARS_DIRS`, role ``speaker`` or ``listener``, sessions ``session<i>``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from react_bench.constants import ROLES, SPLITS
from react_bench.data.io import split_file
from react_bench.errors import BadInputError

__all__ = [
    "AUDIO_FEATURE_DIM", "MARS_DIRS", "MARS_EXTENSIONS", "MARS_FPS", "MARS_WINDOW_FRAMES",
    "check_role", "detect_layout", "mars_file", "other_role", "walk_clips",
]

MARS_FPS = 30
"""Frame rate of every MARS stream (``fps: 30`` in the official dataset configs)."""
MARS_WINDOW_FRAMES = 750
"""Frames per scored window (``generic.clip_length: 750`` of the offline test)."""
AUDIO_FEATURE_DIM = 768
"""wav2vec features per frame in ``audio-features/``."""
MARS_DIRS = {
    "emotion": "facial-attributes", "3dmm": "coefficients", "audio": "audio",
    "audio-features": "audio-features", "video": "video-face-crop", "video-raw": "video-raw",
}
MARS_EXTENSIONS = {"emotion": ".npy", "3dmm": ".npy", "audio": ".wav", "audio-features": ".npy", "video": ".mp4", "video-raw": ".mp4"}


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


def other_role(role: str) -> str:
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


def check_role(role: str) -> None:
    if role not in ROLES:
        raise BadInputError(f"role must be one of {', '.join(ROLES)}; got {role!r}")
