"""``reactdiff-lrs``: ReactDiff with Listener Reaction Shifts (personalised decoder weights, after PerFRDiff).

Training: stages 1 and 2 exactly as ``reactdiff`` (same seed, same base weights), then stage 3
(:func:`fit_shifts`) trains the style encoder and the hypernetwork of :mod:`.lrs` with the whole base
frozen. Stage 3 follows PerFRDiff's ``train_rewrite_weight.py`` (only the hypernetwork is stepped, the
loss is the generator's own) in spirit, adapted to what LRS edits here, the decoder: each training
clip's speaker is turned into a latent by the frozen base sampler (once, before the epochs, from the
seed), and the decoder with the shifts from a reference clip of the listener person must decode it
into that listener's true reaction (stage 1's loss, ``10 MSE(3DMM) + 10 L1(emotion)``). The
reference on the training split is a different clip of the same person drawn anew every epoch (as
PerFRDiff's ``random.choice`` of the person's other clips); the checkpoint with the lowest validation
loss (val persons, the fixed next-clip rule, fixed latents) is kept, the untrained state (zero
shifts: the base model) included, so stage 3 never keeps shifts that make validation worse.

Generation: :meth:`ReactDiffLRS.bind` (called by the runner with the split) fixes each sample's
reference by :func:`.lrs.reference_samples`; ``generate`` and ``step`` run the base model's paths with
the decoder's weights shifted per speaker. The reference is another clip, so the online track may
read all of it; the target clip's speaker is still read frame-causally (the base model's causal
path, unchanged).
"""

from __future__ import annotations

import copy
from dataclasses import asdict
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import nn

from react_bench.errors import BadInputError
from react_bench.submissions import Reactions, SpeakerBatch, register_submission

from .lrs import NO_REFERENCE, ListenerReactionShifts, LRSConfig, decoder_shifts, other_clips, reference_samples, \
    shifted_decode, style_inputs
from .model import ReactDiff, condition_windows
from .submission import ReactDiffSubmission, _ReactDiffBase, _threads
from .train import _targets, _usable_frames, load_streams

if TYPE_CHECKING:  # pragma: no cover
    from react_bench.data import ReactDataset


@register_submission("reactdiff-lrs")
class ReactDiffLRS(_ReactDiffBase):
    """ReactDiff (LRS): decoder weights shifted by a hypernetwork from another clip of the listener person (PerFRDiff)."""

    def __init__(self, *, device="cpu", **config) -> None:
        self.lrs_config, base = LRSConfig.split_options(config)
        super().__init__(device=device, **base)
        self.config = dict(config)  # the options as given (the checkpoint rebuilds the submission from them)
        self.lrs = self._new_lrs()
        self._references: torch.Tensor | None = None  # (N, T, C) style inputs of each sample's reference clip
        self._has_reference: torch.Tensor | None = None  # (N,) bool
        self.reference_index: np.ndarray | None = None  # (N,) the reference sample of each sample of the bound split

    def _new_lrs(self) -> ListenerReactionShifts:
        return ListenerReactionShifts(self.lrs_config, self.model.decoder).to(self.device).eval()

    # --- training, checkpoints --------------------------------------------------------------
    def base_submission(self) -> ReactDiffSubmission:
        """``reactdiff`` with this submission's ReactDiff options: its fit is stages 1-2 of this one."""
        return ReactDiffSubmission(device=self.device, **self._base_options())

    def _base_options(self) -> dict:
        """The options given, less the ``lrs_*`` ones: what ``reactdiff`` is built with."""
        return LRSConfig.split_options(self.config)[1]

    def fit(self, train: "ReactDataset", *, val: "ReactDataset | None" = None, seed: int = 0,
            base: ReactDiffSubmission | None = None) -> None:
        """Stages 1-2 as ``reactdiff`` (same seed: the same base weights), then stage 3 (:func:`fit_shifts`).

        ``base``: a ``reactdiff`` fitted with the same seed and ReactDiff options (the runner passes
        :meth:`base_submission` fitted or loaded from its cache); its weights are stages 1-2, so they are
        not trained again. No ``distributed=``: under torchrun rank 0 fits alone and the other ranks load
        its checkpoint."""
        if base is None:
            super().fit(train, val=val, seed=seed)
        elif base.fit_config() != asdict(self.model_config):
            raise BadInputError(
                f"the base {base.name!r} given to {self.name!r} was built with other ReactDiff options; "
                f"pass the fit of base_submission() (its options: {self._base_options()})"
            )
        else:
            self.model.load_state_dict(base.model.state_dict(), strict=True)
            self.model.eval()
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed + 2)  # the LRS initial weights from the seed, as the base's
            self.lrs = self._new_lrs()
        with _threads(self.model_config.num_threads):
            fit_shifts(self.model, self.lrs, train, val, seed=seed, device=self.device)
        self.lrs.eval()

    def fit_config(self) -> dict:
        return {**asdict(self.model_config), **asdict(self.lrs_config)}

    def state_dict(self) -> dict:
        return {**super().state_dict(), "lrs_config": asdict(self.lrs_config),
                "lrs_weights": {k: v.cpu() for k, v in self.lrs.state_dict().items()}}

    def load_state_dict(self, state: dict) -> None:
        super().load_state_dict(state)
        self.lrs_config = LRSConfig(**state["lrs_config"])
        self.lrs = self._new_lrs()
        self.lrs.load_state_dict(state["lrs_weights"], strict=True)
        self.lrs.eval()

    # --- the reference clips ----------------------------------------------------------------
    def bind(self, dataset: "ReactDataset") -> None:
        """Fix each sample's reference clip on the split being generated (:func:`.lrs.reference_samples`)."""
        listener_clips = dataset.clip_paths("listener")
        self.set_references(reference_samples(listener_clips), dataset.emotion("listener"), dataset.threedmm("listener"))

    def set_references(self, reference: np.ndarray, emotion: np.ndarray, threedmm: np.ndarray) -> None:
        """``reference (N,)``: the sample whose listener is sample k's reference (or ``NO_REFERENCE``);
        ``emotion (N, T, 25)``, ``threedmm (N, T, 58)``: the split's listeners, in sample order."""
        self.reference_index = np.asarray(reference, dtype=np.int64)
        inputs = style_inputs(emotion, threedmm, self.lrs_config)  # (N, T, C)
        has = torch.from_numpy(self.reference_index != NO_REFERENCE)
        picked = torch.from_numpy(np.where(self.reference_index == NO_REFERENCE, 0, self.reference_index))
        self._references, self._has_reference = inputs[picked].to(self.device), has.to(self.device)

    @torch.no_grad()
    def shifts_for(self, indices: torch.Tensor) -> dict[str, torch.Tensor]:
        """Decoder weight shifts ``{name: (B, out, in)}`` of the samples ``indices (B,)`` of the bound split."""
        if self._references is None:
            raise BadInputError(
                f"submission {self.name!r} needs the split it generates for, to read each listener's reference "
                f"clip: call bind(dataset) first (the runner does)"
            )
        idx = indices.long().to(self._references.device)
        self.lrs.eval()
        return self.lrs(self._references[idx], self._has_reference[idx])

    # --- offline and online: the base paths, with the decoder shifted per speaker ------------
    def generate(self, batch: SpeakerBatch, *, num_samples: int = 10, generator: torch.Generator) -> Reactions:
        with decoder_shifts(self.model, self.shifts_for(batch.indices)):
            return super().generate(batch, num_samples=num_samples, generator=generator)

    def step(self, chunk: SpeakerBatch) -> Reactions:
        # the shifts depend on the reference clip only (fixed per stream), never on the speaker's frames
        with decoder_shifts(self.model, self.shifts_for(chunk.indices)):
            return super().step(chunk)


# --- stage 3 --------------------------------------------------------------------------------------

@torch.no_grad()
def sampled_latents(model: ReactDiff, ds: "ReactDataset", T: int, *, samples: int, generator: torch.Generator,
                    device, chunk: int = 32) -> torch.Tensor:
    """``(samples, N, T, F)`` normalised latents the frozen base samples for each speaker of ``ds`` (as at generation)."""
    L, F = model.config.window, model.config.latent_dim
    streams = load_streams(ds, "speaker", model)
    N = next(iter(streams.values())).shape[0]
    out = []
    for _ in range(samples):
        for i in range(0, N, chunk):
            cond = condition_windows(model.condition({n: x[i:i + chunk, :T].to(device) for n, x in streams.items()}), L)
            out.append(model.sample_windows(cond, generator=generator)[0].reshape(cond.shape[0], T, F).cpu())
    return torch.cat(out).reshape(samples, N, T, F)


def _loss(model: ReactDiff, lrs: ListenerReactionShifts, z, reference, emotion, threedmm) -> torch.Tensor:
    """Stage 1's loss on the decoder with the shifts of ``reference (B, T, C)``: ``z (B, t, F)`` normalised latents."""
    pred_emotion, pred_3dmm = shifted_decode(model.decoder, model.denormalize(z), lrs(reference))
    return 10 * nn.functional.mse_loss(pred_3dmm, threedmm) + 10 * (pred_emotion - emotion).abs().mean()


def fit_shifts(model: ReactDiff, lrs: ListenerReactionShifts, train: "ReactDataset", val: "ReactDataset | None", *,
               seed: int = 0, device="cpu", log=print) -> None:
    """Stage 3: train ``lrs`` (style encoder + hypernetwork) in place, the base ``model`` frozen (module docstring)."""
    c, lc = model.config, lrs.config
    torch.manual_seed(seed + 2)  # no dropout in LRS, and the base is in eval mode: kept for any future one
    gen = torch.Generator().manual_seed(seed + 2)  # batches, crops, train references
    L = c.window
    model.to(device).eval()
    for p in model.parameters():
        p.requires_grad_(False)
    T = _usable_frames(train.emotion("listener").shape[1], L)
    candidates = other_clips(train.clip_paths("listener"))
    rows = torch.tensor([k for k, cand in enumerate(candidates) if len(cand)], dtype=torch.long)
    if len(rows) == 0:
        raise BadInputError("no listener person of the training split has a second clip: LRS has nothing to learn from; "
                            "every person needs >= 2 clips (<site>/<session>/<person>/<clip>)")
    inputs = style_inputs(train.emotion("listener"), train.threedmm("listener"), lc)  # (N, T0, C)
    lrs.style.set_input_stats(inputs.reshape(-1, inputs.shape[-1]).mean(0), inputs.reshape(-1, inputs.shape[-1]).std(0))
    lrs.to(device)
    emotion, threedmm = (x[:, :T] for x in _targets(train))
    latents = sampled_latents(model, train, T, samples=lc.lrs_samples, generator=torch.Generator().manual_seed(seed + 3),
                              device=device)  # (S, N, T, F)
    val_data = None
    if val is not None:
        vref = reference_samples(val.clip_paths("listener"))
        vrows = torch.from_numpy(np.flatnonzero(vref != NO_REFERENCE))
        if len(vrows):
            vinputs = style_inputs(val.emotion("listener"), val.threedmm("listener"), lc)
            vlat = sampled_latents(model, val, T, samples=1, generator=torch.Generator().manual_seed(1234), device=device)[0]
            vem, v3d = _targets(val)
            ref = torch.from_numpy(vref)[vrows]
            val_data = (vlat[vrows].to(device), vinputs[ref].to(device), vem[vrows, :T].to(device), v3d[vrows, :T].to(device))

    opt = torch.optim.AdamW(lrs.parameters(), lr=lc.lrs_lr, betas=(0.9, 0.999), weight_decay=c.weight_decay)
    crop = min(c.crop_windows * L, T)
    best, best_state = float("inf"), copy.deepcopy(lrs.state_dict())
    if val_data is not None:  # the untrained state (zero shifts: the base decoder) is a candidate too
        with torch.no_grad():
            best = float(_loss(model, lrs.eval(), *val_data))
        log(f"stage 3 (LRS) before training: val {best:.4f}")
    for epoch in range(lc.lrs_epochs):
        lrs.train()
        for idx in rows[torch.randperm(len(rows), generator=gen)].split(lc.lrs_batch_size):
            # a different clip of the same person, drawn anew each time (never the target clip: other_clips)
            ref = torch.tensor([int(candidates[k][torch.randint(len(candidates[k]), (1,), generator=gen)]) for k in idx])
            draw = torch.randint(lc.lrs_samples, (len(idx),), generator=gen)
            s = int(torch.randint(0, T // L - crop // L + 1, (1,), generator=gen)) * L
            loss = _loss(model, lrs, latents[draw, idx, s:s + crop].to(device), inputs[ref].to(device),
                         emotion[idx, s:s + crop].to(device), threedmm[idx, s:s + crop].to(device))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_(lrs.parameters(), 1.0)
            opt.step()
        lrs.eval()
        score = float(loss.detach())
        if val_data is not None:
            with torch.no_grad():
                score = float(_loss(model, lrs, *val_data))
        if score < best:
            best, best_state = score, copy.deepcopy(lrs.state_dict())
        log(f"stage 3 (LRS) epoch {epoch + 1}: train {float(loss.detach()):.4f} val {score:.4f}")
    lrs.load_state_dict(best_state)
    lrs.eval()
