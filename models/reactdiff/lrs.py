"""Listener Reaction Shifts (LRS): personalised weight editing of the ReactDiff decoder, after PerFRDiff.

PerFRDiff (Zhu et al., ACM MM 2024; github xk0720/PerFRDiff) personalises a generic reaction
generator without retraining it: a person-specific encoder reads *another* clip of the same listener
(``model/person_specific/PersonSpecificEncoder.py``), and a hypernetwork (``ModifierNetwork`` in
``model/modifier/network.py``: shared ReLU layers, one linear branch per edited layer) turns that
style into weight shifts ``W + dW`` of chosen layers of the frozen main network (``predict: shift``
in ``configs/rewrite_weight.yaml``). Here:

- :func:`reference_samples` picks the reference clip: another clip of the same listener person
  (``<site>/<session>/<person>`` of the clip path, as PerFRDiff's ``listener_ids``), never the
  target clip itself;
- :class:`StyleEncoder` reads the reference clip's emotion (and 3DMM) ``(B, T, C)`` -> style ``(B, s)``;
- :class:`ShiftHyperNetwork` turns the style into a low-rank shift ``dW = A B / r`` of every weight
  matrix of the ReactDiff decoder (its linear layers and the attention in-projections), ``A``
  zero-initialised so that an untrained LRS is the base model;
- :func:`shifted_decode` runs the unchanged :class:`~.decoder.ReactionDecoder` with ``W + dW`` through
  ``torch.func.functional_call``, one weight set per speaker; :func:`decoder_shifts` puts it in place
  of ``model.decoder`` for a block, so the base model's offline and online paths run unchanged.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, fields

import numpy as np
import torch
from torch import nn
from torch.func import functional_call

from react_bench.constants import EMOTION_DIM, THREEDMM_DIM
from react_bench.errors import BadInputError

NO_REFERENCE = -1
"""Reference index of a sample whose listener person has no other clip in the split (no shift)."""


@dataclass
class LRSConfig:
    """The LRS part of ``reactdiff-lrs`` (prefixed, so ``--set lrs_rank=8`` never meets a ReactDiff field)."""

    lrs_style_3dmm: bool = True  # the style encoder reads the reference's 3DMM besides its emotion (PerFRDiff reads 3DMM)
    lrs_style_dim: int = 32  # size of the style vector (PerFRDiff 512)
    lrs_style_hidden: int = 64  # width of the style encoder's per-frame MLP
    lrs_hyper_hidden: int = 64  # width of the hypernetwork's shared layers (PerFRDiff 1024)
    lrs_rank: int = 4  # rank r of each shift dW = A B / r (PerFRDiff: full-rank dW; low rank keeps the hypernetwork small)
    lrs_epochs: int = 30  # stage-3 epochs (style encoder + hypernetwork; the base is frozen)
    lrs_lr: float = 1e-3  # AdamW learning rate of stage 3
    lrs_batch_size: int = 8  # target clips per stage-3 step (one decoder weight set each)
    lrs_samples: int = 1  # generated latents per training clip that stage 3 decodes (drawn once, before the epochs)

    @classmethod
    def split_options(cls, options: dict) -> tuple["LRSConfig", dict]:
        """``(LRSConfig of the lrs_* keys, the other keys)``; an unknown ``lrs_`` key names the known ones."""
        known = {f.name for f in fields(cls)}
        ours = {k: v for k, v in options.items() if k.startswith("lrs_")}
        unknown = sorted(set(ours) - known)
        if unknown:
            raise BadInputError(f"unknown LRS options {unknown}; known: {sorted(known)}")
        return cls(**ours), {k: v for k, v in options.items() if k not in ours}

    @property
    def style_channels(self) -> int:
        """Channels per frame of the style encoder's input: emotion (25), and 3DMM (58) with ``lrs_style_3dmm``."""
        return EMOTION_DIM + (THREEDMM_DIM if self.lrs_style_3dmm else 0)


# --- the reference clip ------------------------------------------------------------------------

def person_of(clip: str) -> str:
    """``<site>/<session>/<person>`` of a clip path ``<site>/<session>/<person>/<clip>`` (the listener identity).

    >>> person_of("synth/test_s000/person2/3")
    'synth/test_s000/person2'
    """
    parts = clip.split("/")
    if len(parts) < 4:
        raise BadInputError(f"clip paths must be <site>/<session>/<person>/<clip>; got {clip!r}")
    return "/".join(parts[:-1])


def _clip_order(clip: str) -> tuple:
    # by clip number where the last component is one ("2" before "10"), else by name
    last = clip.rsplit("/", 1)[-1]
    return (0, int(last), last) if last.isdigit() else (1, 0, last)


def other_clips(listener_clips: list[str]) -> list[np.ndarray]:
    """For every sample k, the samples whose listener is another clip of sample k's listener person,
    in clip order after k's clip, wrapping around: ``[k's next clip, the one after, ...]``. A clip is
    compared by path, so a clip listed twice is still never its own reference."""
    by_person: dict[str, list[int]] = {}
    for k, clip in enumerate(listener_clips):
        by_person.setdefault(person_of(clip), []).append(k)
    out = []
    for k, clip in enumerate(listener_clips):
        ordered = sorted(by_person[person_of(clip)], key=lambda j: (_clip_order(listener_clips[j]), j))
        at = next(i for i, j in enumerate(ordered) if j == k)
        rotated = ordered[at + 1:] + ordered[:at]  # next clip number first, wrapping around
        out.append(np.asarray([j for j in rotated if listener_clips[j] != clip], dtype=np.int64))
    return out


def reference_samples(listener_clips: list[str]) -> np.ndarray:
    """``(N,)``: the sample whose listener clip is sample k's reference, :data:`NO_REFERENCE` when none.

    The rule (val and test, and generation on any split): the listener person's clip with the next
    clip number, wrapping around to the person's first clip; never the target clip itself. A person
    with a single clip in the split has no reference; that sample gets no shift (the base model).

    >>> reference_samples(["s/a/p1/1", "s/a/p2/1", "s/a/p1/2", "s/a/p1/3", "s/b/p9/1"]).tolist()
    [2, -1, 3, 0, -1]
    """
    return np.asarray([c[0] if len(c) else NO_REFERENCE for c in other_clips(listener_clips)], dtype=np.int64)


def style_inputs(emotion: np.ndarray, threedmm: np.ndarray, config: LRSConfig) -> torch.Tensor:
    """The style encoder's per-frame input of ``(N, T, 25)`` emotion and ``(N, T, 58)`` 3DMM: ``(N, T, C)``."""
    parts = [emotion] + ([threedmm] if config.lrs_style_3dmm else [])
    return torch.from_numpy(np.ascontiguousarray(np.concatenate(parts, axis=-1), dtype=np.float32))


# --- the networks ------------------------------------------------------------------------------

class StyleEncoder(nn.Module):
    """Reference clip ``(B, T, C)`` -> style ``(B, lrs_style_dim)``.

    A per-frame MLP over the standardised inputs, then the mean and standard deviation over the clip's
    frames (a person's level and range of expression: mood, expressiveness), then an MLP. PerFRDiff
    uses a 4-layer transformer with a CLS token over the 3DMM; statistics pooling is enough for
    person-level traits and costs little on a CPU.
    """

    def __init__(self, config: LRSConfig) -> None:
        super().__init__()
        C, h = config.style_channels, config.lrs_style_hidden
        self.register_buffer("input_mean", torch.zeros(C))
        self.register_buffer("input_std", torch.ones(C))
        self.frame = nn.Sequential(nn.Linear(C, h), nn.GELU(), nn.Linear(h, h))
        self.out = nn.Sequential(nn.Linear(2 * h, h), nn.GELU(), nn.Linear(h, config.lrs_style_dim))

    def set_input_stats(self, mean: torch.Tensor, std: torch.Tensor) -> None:
        self.input_mean.copy_(mean)
        self.input_std.copy_(std.clamp_min(1e-5))

    def forward(self, reference: torch.Tensor) -> torch.Tensor:
        B, T, C = reference.shape
        h = self.frame((reference - self.input_mean) / self.input_std)  # (B, T, h)
        pooled = torch.cat([h.mean(1), h.std(1, unbiased=False)], dim=-1)  # (B, 2h)
        return self.out(pooled)  # (B, s)


def shift_targets(decoder: nn.Module) -> dict[str, torch.Size]:
    """The decoder weights LRS shifts: every 2-D parameter (the linear layers' weights and the attention
    in-projections), name -> ``(out, in)``. Biases and norms stay as trained (PerFRDiff shifts weights only)."""
    return {n: p.shape for n, p in decoder.named_parameters() if p.dim() == 2}


class ShiftHyperNetwork(nn.Module):
    """Style ``(B, s)`` -> ``{weight name: dW (B, out, in)}``, ``dW = A B / r``.

    As PerFRDiff's ``ModifierNetwork``: shared ReLU layers, then one branch per edited weight; here a
    branch gives the two low-rank factors ``A (out, r)`` and ``B (r, in)`` instead of the full matrix.
    ``A``'s branch starts at zero (weights and bias), as LoRA's ``B``: every shift is exactly 0 until
    stage 3 trains it, so an untrained LRS decodes as the base decoder.
    """

    def __init__(self, config: LRSConfig, targets: dict[str, torch.Size]) -> None:
        super().__init__()
        s, h, r = config.lrs_style_dim, config.lrs_hyper_hidden, config.lrs_rank
        self.rank, self.names = r, list(targets)
        self.shapes = [tuple(targets[n]) for n in self.names]
        self.shared = nn.Sequential(nn.Linear(s, h), nn.ReLU(), nn.Linear(h, h), nn.ReLU())
        self.branch_a = nn.ModuleList([nn.Linear(h, out * r) for out, _ in self.shapes])
        self.branch_b = nn.ModuleList([nn.Linear(h, r * inp) for _, inp in self.shapes])
        for branch in self.branch_a:
            nn.init.zeros_(branch.weight)
            nn.init.zeros_(branch.bias)

    def forward(self, style: torch.Tensor) -> dict[str, torch.Tensor]:
        B = style.shape[0]
        h = self.shared(style)  # (B, h)
        out = {}
        for name, (o, i), fa, fb in zip(self.names, self.shapes, self.branch_a, self.branch_b):
            a = fa(h).reshape(B, o, self.rank)  # (B, out, r)
            b = fb(h).reshape(B, self.rank, i)  # (B, r, in)
            out[name] = a @ b / self.rank  # (B, out, in)
        return out


class ListenerReactionShifts(nn.Module):
    """Style encoder + hypernetwork: reference clips ``(B, T, C)`` -> decoder weight shifts ``{name: (B, out, in)}``.

    ``has_reference (B,)`` False rows (a person with one clip) get zero shifts: the base decoder.
    """

    def __init__(self, config: LRSConfig, decoder: nn.Module) -> None:
        super().__init__()
        self.config = config
        self.style = StyleEncoder(config)
        self.hyper = ShiftHyperNetwork(config, shift_targets(decoder))

    def forward(self, reference: torch.Tensor, has_reference: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        shifts = self.hyper(self.style(reference))
        if has_reference is None:
            return shifts
        keep = has_reference.to(reference.dtype)[:, None, None]  # (B, 1, 1)
        return {n: d * keep for n, d in shifts.items()}


# --- decoding with shifted weights -------------------------------------------------------------

def shifted_decode(decoder: nn.Module, z: torch.Tensor, shifts: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """The decoder with ``W + dW_b`` on rows of speaker b: latent ``(B * k, T, F)`` (the k rows of
    speaker b contiguous, as the base model's ``(B, S)`` order) -> ``(emotion, threedmm)`` as the decoder.

    ``shifts``: ``{name: (B, out, in)}``. The decoder's code is untouched: ``torch.func.functional_call``
    runs it with the shifted weights, once per speaker.
    """
    B = next(iter(shifts.values())).shape[0]
    R = z.shape[0]
    if R % B:
        raise BadInputError(f"latent rows ({R}) must be a multiple of the speakers with shifts ({B})")
    k = R // B
    params = dict(decoder.named_parameters())
    outs = [functional_call(decoder, {**params, **{n: params[n] + d[b] for n, d in shifts.items()}},
                            (z[b * k:(b + 1) * k],)) for b in range(B)]
    return torch.cat([o[0] for o in outs]), torch.cat([o[1] for o in outs])


class ShiftedDecoder(nn.Module):
    """``decoder`` with per-speaker weight shifts, callable as the decoder (what :func:`decoder_shifts` puts in place)."""

    def __init__(self, decoder: nn.Module, shifts: dict[str, torch.Tensor]) -> None:
        super().__init__()
        self.base, self.shifts = decoder, shifts

    def forward(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return shifted_decode(self.base, z, self.shifts)


@contextlib.contextmanager
def decoder_shifts(model: nn.Module, shifts: dict[str, torch.Tensor]):
    """Within the block, ``model.decoder`` decodes with ``shifts`` (``{name: (B, out, in)}``, one set per
    speaker of the batch); the model's own decoder is back afterwards, whatever happens."""
    base = model.decoder
    model.decoder = ShiftedDecoder(base, shifts)
    try:
        yield
    finally:
        model.decoder = base
