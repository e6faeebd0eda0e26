"""FRRea (realism, lower is better): a Frechet distance between real and generated reactions.

The official FRRea is an image FID between real listener frames and frames rendered from the
predicted 3DMM; rendering needs licensed face models, so react-bench offers two forms and every
result says which one produced it (``frrea_feature_space``):

- ``fr_rea(preds, targets)``: the default, on a fixed feature space of the emotion sequences
  themselves, ``FRREA_FEATURE_VERSION``. Each sequence is cut into non-overlapping 1 s windows
  (25 frames; a trailing partial window is dropped; a sequence shorter than 1 s is one window) and
  each window becomes a 75-d vector: per channel the mean, the ddof-0 standard deviation and the
  mean absolute first difference. Real set = every window of every target; generated set = every
  window of generation 0 of every speaker (as the official FRRea uses generation 0), or of all
  generations with ``all_generations=True``. The means see the static distribution (which AUs,
  which expressions), the deviations and differences its dynamics (how much and how fast it moves),
  so a frozen MeanSeq/MeanFr baseline and a jittery random one both score badly. Changing any of
  this changes the number: bump the version.
- ``fr_rea_images(real_dir, fake_dir, inception_weights=PATH)``: the image FID of pytorch-fid's
  InceptionV3 (pool3, 2048-d by default), built from a local weights file (nothing is downloaded).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np
import torch

from react_bench.constants import FPS
from react_bench.errors import BadInputError, MissingDataError
from react_bench.metrics.checks import check_preds, check_same_frames, check_sequences
from react_bench.metrics.frechet import frechet_distance, frechet_of_sets

__all__ = [
    "FRREA_FEATURE_VERSION",
    "FRREA_IMAGE_FEATURE_SPACE",
    "FRREA_WINDOW_FRAMES",
    "reaction_window_features",
    "fr_rea",
    "fr_rea_images",
    "build_fid_inception",
]

FRREA_FEATURE_VERSION = "emotion-1s-windows-mean-std-absdiff-v1"
"""Name and version of the default FRRea feature space, recorded in every result."""
FRREA_IMAGE_FEATURE_SPACE = "inception-v3-pool3-images"
"""Recorded for results computed by ``fr_rea_images`` (pytorch-fid InceptionV3)."""
FRREA_WINDOW_FRAMES = FPS
"""Window length of the default feature space: 1 s at 25 fps."""
IMAGE_EXTENSIONS = {"bmp", "jpg", "jpeg", "pgm", "png", "ppm", "tif", "tiff", "webp"}
"""Image files pytorch-fid reads."""


def reaction_window_features(seqs: torch.Tensor) -> torch.Tensor:
    """Window features of emotion sequences: ``(B, T, C)`` float -> ``(B * W, 3 C)`` float64.

    ``W = T // 25`` windows of 25 frames (1 if T < 25); per window and channel: mean, ddof-0 std
    and mean |first difference| (needs T >= 2).
    """
    b, t, c = seqs.shape
    width = min(FRREA_WINDOW_FRAMES, t)
    windows = seqs[:, : (t // width) * width].to(torch.float64).reshape(b, t // width, width, c)
    mean = windows.mean(dim=2)
    std = windows.std(dim=2, correction=0)
    motion = windows.diff(dim=2).abs().mean(dim=2)
    return torch.cat([mean, std, motion], dim=-1).reshape(-1, 3 * c)  # (B W, 3 C)


def fr_rea(
    preds: Any,
    targets: Any,
    *,
    feature_space: str = FRREA_FEATURE_VERSION,
    all_generations: bool = False,
    device=None,
) -> float:
    """Default FRRea: Frechet distance between window features of real and generated reactions.

    Args:
        preds: ``(N, G, T, 25)`` generated reactions (generation 0 is used unless ``all_generations``).
        targets: ``(M, T, 25)`` real reactions.
        feature_space: must be ``FRREA_FEATURE_VERSION`` (the only one so far; recorded in results).

    Returns:
        A Python float >= 0; lower is more realistic.

    >>> import torch
    >>> x = torch.rand(4, 1, 750, 25, generator=torch.Generator().manual_seed(0))
    >>> abs(fr_rea(x, x[:, 0])) < 1e-6
    True
    """
    if feature_space != FRREA_FEATURE_VERSION:
        raise BadInputError(
            f"feature_space must be {FRREA_FEATURE_VERSION!r} (the only FRRea feature space of this "
            f"version); got {feature_space!r}. Use fr_rea_images for an image FID."
        )
    p = check_preds(preds, device=device)
    t = check_sequences(targets, "targets", device=p.device)
    check_same_frames(p, "preds", t, "targets")
    fake = p.reshape(-1, *p.shape[2:]) if all_generations else p[:, 0]
    return _fr_rea(fake, t)


def copies_targets(fake: Any, real: Any) -> bool:
    """True when every generated sequence ``fake (B, T, C)`` is, bit for bit, one of ``real (M, T, C)``.

    Then FRRea compares a subset of the real set with the real set: near 0 by construction, not by
    realism (Mime on a mirrored split, whose speaker clips are the split's listener clips; GT). The
    leaderboard flags such a value instead of crowning it.

    >>> import torch
    >>> real = torch.rand(4, 30, 25, generator=torch.Generator().manual_seed(0))
    >>> copies_targets(real.flip(0)[:3], real), copies_targets(real[:3] + 1e-3, real)
    (True, False)
    """
    fake_rows = np.ascontiguousarray(np.asarray(fake, dtype=np.float32))
    real_rows = np.ascontiguousarray(np.asarray(real, dtype=np.float32))
    if fake_rows.shape[1:] != real_rows.shape[1:]:
        return False
    known = {row.tobytes() for row in real_rows}
    return all(row.tobytes() in known for row in fake_rows)


def _fr_rea(fake: torch.Tensor, real: torch.Tensor) -> float:
    """Kernel: ``(B, T, C)`` generated and ``(M, T, C)`` real sequences -> FRRea."""
    real_feats = reaction_window_features(real)
    fake_feats = reaction_window_features(fake)
    if real_feats.shape[0] < 2 or fake_feats.shape[0] < 2:
        raise BadInputError(
            f"FRRea needs at least 2 feature windows per side; got {real_feats.shape[0]} real and "
            f"{fake_feats.shape[0]} generated. Score more speakers or longer sequences."
        )
    return frechet_of_sets(real_feats, fake_feats)


def build_fid_inception(inception_weights: str | os.PathLike, *, dims: int = 2048):
    """pytorch-fid's ``InceptionV3`` for FID (``use_fid_inception=True``) with weights read from a local
    file (the ``pt_inception-2015-12-05`` state dict pytorch-fid would otherwise download).

    Args:
        inception_weights: path of the state dict (``torch.save`` of the FID Inception's ``state_dict``).
        dims: 64, 192, 768 or 2048 (pool3, the FID default): which block's features to return.
    """
    from pytorch_fid import inception as fid_inception

    path = Path(inception_weights).expanduser()
    if not path.is_file():
        raise MissingDataError(
            f"inception_weights: no file at {str(path)!r}. Download pytorch-fid's pt_inception-2015-12-05 "
            f"weights once (see docs/metrics.md) and pass their local path; react-bench never downloads."
        )
    if dims not in fid_inception.InceptionV3.BLOCK_INDEX_BY_DIM:
        choices = sorted(fid_inception.InceptionV3.BLOCK_INDEX_BY_DIM)
        raise BadInputError(f"dims must be one of {choices}; got {dims}.")
    state = torch.load(path, map_location="cpu", weights_only=True)
    block = fid_inception.InceptionV3.BLOCK_INDEX_BY_DIM[dims]
    # fid_inception_v3() builds the architecture and then loads the downloaded weights; hand it ours.
    with mock.patch.object(fid_inception, "load_state_dict_from_url", lambda *args, **kwargs: state):
        model = fid_inception.InceptionV3([block], use_fid_inception=True)
    return model.eval()


def _image_files(folder: str | os.PathLike, name: str) -> list[str]:
    path = Path(folder).expanduser()
    if not path.is_dir():
        raise MissingDataError(f"{name}: {str(path)!r} is not a folder of images.")
    files = sorted(str(f) for f in path.iterdir() if f.suffix.lower().lstrip(".") in IMAGE_EXTENSIONS)
    if len(files) < 2:
        raise BadInputError(f"{name}: need at least 2 images in {str(path)!r}; found {len(files)}.")
    return files


def fr_rea_images(
    real_dir: str | os.PathLike,
    fake_dir: str | os.PathLike,
    *,
    inception_weights: str | os.PathLike,
    batch_size: int = 50,
    dims: int = 2048,
    device=None,
    num_workers: int = 0,
) -> float:
    """Image FRRea: FID between two folders of frames with pytorch-fid's InceptionV3 (local weights).

    The activations are pytorch-fid's own (``get_activations``: RGB, ToTensor, resized to 299,
    pool3); the Frechet distance is ``frechet_distance`` on ``device``.

    Args:
        real_dir: folder of real listener frames; fake_dir: folder of frames rendered from predictions.
        inception_weights: local path of the FID Inception state dict (FileNotFoundError if missing).
        batch_size, dims, num_workers: as in pytorch-fid.
        device: ``"cpu"``, ``"cuda"``...; ``None`` picks CUDA when available.
    """
    real_files = _image_files(real_dir, "real_dir")
    fake_files = _image_files(fake_dir, "fake_dir")
    device = torch.device(device if device is not None else ("cuda" if torch.cuda.is_available() else "cpu"))
    model = build_fid_inception(inception_weights, dims=dims).to(device)
    from pytorch_fid.fid_score import get_activations

    real = get_activations(real_files, model, min(batch_size, len(real_files)), dims, device, num_workers)
    fake = get_activations(fake_files, model, min(batch_size, len(fake_files)), dims, device, num_workers)
    return frechet_distance(np.asarray(real), np.asarray(fake), device=device)
