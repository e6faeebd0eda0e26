"""``reactdiff-lrs``: the reference-clip rule, zero-initialised shifts, causality, training through the runner."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

from react_bench.data import ReactDataset
from react_bench.errors import BadInputError
from react_bench.models.reactdiff import ReactDiffLRS, ReactDiffSubmission
from react_bench.models.reactdiff.lrs import NO_REFERENCE, decoder_shifts, other_clips, person_of, reference_samples, \
    shifted_decode
from react_bench.runner import SpeakerStreams, run_submission
from react_bench.runner.audit import audit_causality
from react_bench.runner.checkpoint import load_checkpoint
from react_bench.submissions import get_submission

from reactdiff_helpers import TINY, make_batch, stream_online

SPLITS = ("train", "val", "test")
LRS_TINY = dict(lrs_style_dim=8, lrs_style_hidden=16, lrs_hyper_hidden=16, lrs_rank=2, lrs_epochs=2, lrs_batch_size=4)
# the runner streams 750-frame clips: independent windows and 2 DDIM steps keep the online run and its audit short
FAST = dict(TINY, window_chain=False, inference_steps=2, guidance_scale=1.0, **LRS_TINY)


def _randomise_shifts(sub: ReactDiffLRS, seed: int = 0) -> None:
    """Give the zero-initialised A branches weights, as training would, so the shifts are not 0."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for branch in sub.lrs.hyper.branch_a:
            branch.weight.copy_(torch.randn(branch.weight.shape, generator=g))
            branch.bias.copy_(torch.randn(branch.bias.shape, generator=g))


# --- the reference clip -----------------------------------------------------------------------

@pytest.mark.parametrize("split", SPLITS)
def test_the_reference_is_never_the_target_clip_on_every_split(synthetic_root, split):
    ds = ReactDataset(synthetic_root, split)
    clips = ds.clip_paths("listener")
    ref = reference_samples(clips)
    assert (ref != NO_REFERENCE).all()  # every synthetic person has 3 clips in its split
    for k, j in enumerate(ref):
        assert clips[j] != clips[k] and person_of(clips[j]) == person_of(clips[k])
    for k, cand in enumerate(other_clips(clips)):  # the training draws
        assert len(cand) == 2 and all(clips[j] != clips[k] and person_of(clips[j]) == person_of(clips[k]) for j in cand)
    # what the bound submission reads is the reference's listener data, not the target's
    sub = ReactDiffLRS(**TINY, **LRS_TINY)
    sub.bind(ds)
    emotion = torch.from_numpy(ds.emotion("listener"))
    assert np.array_equal(sub.reference_index, ref)
    for k, j in enumerate(ref):
        torch.testing.assert_close(sub._references[k, :, :25], emotion[j], rtol=0, atol=0)
        assert not torch.equal(sub._references[k, :, :25], emotion[k])


def test_the_reference_is_the_next_clip_number_wrapping_around():
    clips = ["s/x/p1/10", "s/x/p1/2", "s/x/p2/1", "s/x/p1/1", "s/y/p3/4"]
    # p1's clips in number order: 1 (sample 3), 2 (sample 1), 10 (sample 0); p2 and p3 have one clip each
    assert reference_samples(clips).tolist() == [3, 0, NO_REFERENCE, 1, NO_REFERENCE]
    assert [c.tolist() for c in other_clips(clips)] == [[3, 1], [0, 3], [], [1, 0], []]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(1, 12)), min_size=1, max_size=30))
def test_reference_rule_properties(pairs):
    clips = [f"site/sess/p{p}/{c}" for p, c in pairs]
    ref = reference_samples(clips)
    for k, j in enumerate(ref):
        others = {c for c in clips if person_of(c) == person_of(clips[k]) and c != clips[k]}
        if j == NO_REFERENCE:
            assert not others  # no reference only when the person has no other clip
        else:
            assert clips[j] in others


def test_a_bad_clip_path_and_an_unknown_option_are_user_errors():
    with pytest.raises(BadInputError, match=r"clip paths must be <site>/<session>/<person>/<clip>; got 'p1/1'"):
        person_of("p1/1")
    with pytest.raises(BadInputError, match=r"unknown LRS options \['lrs_nope'\]; known: \["):
        ReactDiffLRS(**TINY, lrs_nope=1)


# --- zero-initialised shifts: an untrained LRS is the base model ------------------------------

def _pair(synthetic_root):
    lrs = ReactDiffLRS(**TINY, **LRS_TINY)
    base = ReactDiffSubmission(**TINY)
    base.model.load_state_dict(lrs.model.state_dict())
    lrs.bind(ReactDataset(synthetic_root, "test"))
    return lrs, base


def test_an_untrained_lrs_generates_as_the_base_model(synthetic_root):
    lrs, base = _pair(synthetic_root)
    batch = make_batch(lrs.model_config, 3, 40)
    shifts = lrs.shifts_for(batch.indices)
    assert all(torch.count_nonzero(d) == 0 for d in shifts.values())  # A starts at 0: dW = A B = 0 exactly
    gen = lambda: torch.Generator().manual_seed(0)
    a, b = lrs.generate(batch, num_samples=3, generator=gen()), base.generate(batch, num_samples=3, generator=gen())
    # the same weights, decoded speaker by speaker instead of in one batch: equal up to float rounding
    torch.testing.assert_close(a.emotion, b.emotion, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(a.threedmm, b.threedmm, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(stream_online(lrs, batch, 15, num_samples=3, seed=1),
                               stream_online(base, batch, 15, num_samples=3, seed=1), rtol=1e-5, atol=1e-6)
    _randomise_shifts(lrs)  # the comparison can fail: with shifts the reactions move
    c = lrs.generate(batch, num_samples=3, generator=gen())
    assert (c.emotion - b.emotion).abs().max() > 1e-3


def test_shifted_decode_equals_decoders_with_the_shifted_weights(synthetic_root):
    lrs, _ = _pair(synthetic_root)
    _randomise_shifts(lrs)
    decoder = lrs.model.decoder.eval()
    shifts = lrs.shifts_for(torch.tensor([0, 1]))
    z = torch.randn(2 * 3, 20, lrs.model_config.latent_dim)  # 2 speakers x 3 samples
    emotion, threedmm = shifted_decode(decoder, z, shifts)
    for b in range(2):  # an independent reference: a copy of the decoder whose weights were edited in place
        edited = copy.deepcopy(decoder)
        with torch.no_grad():
            for name, p in edited.named_parameters():
                if name in shifts:
                    p.add_(shifts[name][b])
        e, t = edited(z[3 * b:3 * b + 3])
        torch.testing.assert_close(emotion[3 * b:3 * b + 3], e, rtol=1e-5, atol=1e-6)
        torch.testing.assert_close(threedmm[3 * b:3 * b + 3], t, rtol=1e-5, atol=1e-5)
    with pytest.raises(RuntimeError, match="boom"), decoder_shifts(lrs.model, shifts):
        raise RuntimeError("boom")
    assert lrs.model.decoder is decoder  # put back even after an error


def test_generate_needs_the_bound_split():
    sub = ReactDiffLRS(**TINY, **LRS_TINY)
    with pytest.raises(BadInputError, match=r"needs the split it generates for.*call bind\(dataset\) first"):
        sub.generate(make_batch(sub.model_config, 1, 10), num_samples=1, generator=torch.Generator())


def test_a_person_with_one_clip_gets_the_base_decoder(synthetic_root):
    lrs, _ = _pair(synthetic_root)
    _randomise_shifts(lrs)
    ds = ReactDataset(synthetic_root, "test")
    ref = reference_samples(ds.clip_paths("listener"))
    ref[1] = NO_REFERENCE  # as if sample 1's listener had no other clip
    lrs.set_references(ref, ds.emotion("listener"), ds.threedmm("listener"))
    shifts = lrs.shifts_for(torch.tensor([0, 1]))
    assert all(torch.count_nonzero(d[1]) == 0 and torch.count_nonzero(d[0]) > 0 for d in shifts.values())


# --- causality: the audit passes with non-zero shifts ----------------------------------------

def test_lrs_online_passes_the_causality_audit(synthetic_root):
    ds = ReactDataset(synthetic_root, "test")
    sub = ReactDiffLRS(**TINY, **LRS_TINY)
    _randomise_shifts(sub)
    sub.bind(ds)
    streams = SpeakerStreams(ds, features=sub.feature_specs())
    # one cut inside a window, in the first chunk: the streams stop after the second chunk (cheap)
    report = audit_causality(sub, streams, indices=[0, 3], cuts=[13], num_samples=1, seed=0)
    assert report["passed"], report["violations"]
    assert report["max_abs_diff_after_cut"] > 1e-3  # the replaced speaker did reach the model


# --- training through the runner, both tracks -------------------------------------------------

@pytest.fixture(scope="module")
def lrs_runs(synthetic_root, tmp_path_factory):
    """One tiny fit through the runner (offline), then the online run loading its checkpoint."""
    out = tmp_path_factory.mktemp("lrs-runs")
    common = dict(data=synthetic_root, out=out, seed=0, num_samples=2, submission_config=FAST, progress=False)
    return out, run_submission("reactdiff-lrs", track="offline", **common), run_submission("reactdiff-lrs", track="online", **common)


def _offline_checkpoint(lrs_runs) -> Path:
    """The fixture's own LRS checkpoint (its folder also holds other tests' LRS fits)."""
    _, offline, _ = lrs_runs
    return Path(json.loads((offline / "results.json").read_text())["submission"]["fit"]["checkpoint"])


def test_tiny_lrs_trains_and_generates_on_both_tracks_through_the_runner(lrs_runs, synthetic_root):
    _, offline, online = lrs_runs
    n = len(ReactDataset(synthetic_root, "test"))
    for path in (offline, online):
        assert np.load(path / "predictions.npy").shape == (n, 2, 750, 25)
        assert np.isfinite(np.load(path / "predictions_3dmm.npy")).all()
    off, on = (json.loads((p / "results.json").read_text()) for p in (offline, online))
    assert off["submission"]["fit"]["loaded"] is False and on["submission"]["fit"]["loaded"] is True
    assert on["audit"]["passed"] and on["audit"]["max_abs_diff_after_cut"] > 1e-3
    # stages 1-2 were fitted as `reactdiff` and cached as its checkpoint
    base = off["submission"]["fit"]["base"]
    assert base["name"] == "reactdiff" and base["loaded"] is False and Path(base["checkpoint"]).is_file()


def test_a_cached_reactdiff_fit_is_reused_for_stages_1_and_2(lrs_runs, synthetic_root):
    """Another LRS config on the same ReactDiff options loads the cached base fit instead of training it."""
    out, offline, _ = lrs_runs
    other = dict(FAST, lrs_epochs=1)
    path = run_submission("reactdiff-lrs", track="offline", data=synthetic_root, out=out, seed=0, num_samples=2,
                          submission_config=other, progress=False)
    fit = json.loads((path / "results.json").read_text())["submission"]["fit"]
    first = json.loads((offline / "results.json").read_text())["submission"]["fit"]
    assert fit["loaded"] is False and fit["checkpoint"] != first["checkpoint"]  # a new LRS fit ...
    assert fit["base"]["loaded"] is True and fit["base"]["checkpoint"] == first["base"]["checkpoint"]  # ... on the cached base
    a, b = (load_checkpoint(f["checkpoint"]).model.state_dict() for f in (fit, first))
    assert all(torch.equal(v, b[k]) for k, v in a.items())


def test_a_base_fitted_with_other_options_is_refused(synthetic_root):
    base = ReactDiffSubmission(**{**{k: v for k, v in FAST.items() if not k.startswith("lrs_")}, "latent_dim": 8})
    with pytest.raises(BadInputError, match="was built with other ReactDiff options; pass the fit of base_submission()"):
        ReactDiffLRS(**FAST).fit(ReactDataset(synthetic_root, "train"), seed=0, base=base)


def test_same_seed_same_weights_and_the_base_stages_unchanged(lrs_runs, synthetic_root):
    """A direct fit with the runner's seed gives the runner's checkpoint bit for bit; its base (stages 1-2)
    is exactly ``reactdiff``'s fit with that seed; stage 3 moved the shifts off zero."""
    cached = load_checkpoint(_offline_checkpoint(lrs_runs))
    train, val = ReactDataset(synthetic_root, "train"), ReactDataset(synthetic_root, "val")
    lrs = ReactDiffLRS(**FAST)
    lrs.fit(train, val=val, seed=0)
    for mine, theirs in ((lrs.lrs, cached.lrs), (lrs.model, cached.model)):
        a, b = mine.state_dict(), theirs.state_dict()
        assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    base = ReactDiffSubmission(**{k: v for k, v in FAST.items() if not k.startswith("lrs_")})
    base.fit(train, val=val, seed=0)
    b = base.model.state_dict()
    assert all(torch.equal(v, b[k]) for k, v in lrs.model.state_dict().items())
    assert any(w.abs().max() > 0 for w in (m.weight for m in lrs.lrs.hyper.branch_a))


def test_the_shifts_change_when_the_reference_person_changes(lrs_runs, synthetic_root):
    sub = load_checkpoint(_offline_checkpoint(lrs_runs))
    assert isinstance(sub, ReactDiffLRS) and sub.lrs_config.lrs_rank == FAST["lrs_rank"]
    ds = ReactDataset(synthetic_root, "test")
    clips = ds.clip_paths("listener")
    ref = reference_samples(clips)
    other = next(j for j in range(len(clips)) if person_of(clips[j]) != person_of(clips[0]))
    swapped = ref.copy()
    swapped[0] = ref[other]  # sample 0 now reads a clip of another person
    shifts = {}
    for name, rule in (("own", ref), ("again", ref), ("other", swapped)):
        sub.set_references(rule, ds.emotion("listener"), ds.threedmm("listener"))
        shifts[name] = sub.shifts_for(torch.tensor([0]))
    for n in shifts["own"]:
        assert torch.equal(shifts["own"][n], shifts["again"][n])
    scale = max(float(d.abs().max()) for d in shifts["own"].values())
    change = max(float((shifts["own"][n] - shifts["other"][n]).abs().max()) for n in shifts["own"])
    assert scale > 0 and change > 1e-3 * scale


def test_lrs_is_listed():
    assert get_submission("reactdiff-lrs") is ReactDiffLRS
