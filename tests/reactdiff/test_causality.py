import torch

from react_bench.models.reactdiff import ReactDiff, ReactDiffSubmission

from reactdiff_helpers import TINY, make_batch as _batch, random_streams, stream_online


def _perturb_after(streams, t, seed=99):
    g = torch.Generator().manual_seed(seed)
    out = {k: v.clone() for k, v in streams.items()}
    for v in out.values():
        v[:, t:] = torch.randn(v[:, t:].shape, generator=g) * 3
    return out


def test_encoder_and_decoder_are_frame_causal(tiny_config):
    model = ReactDiff(tiny_config).eval()
    streams = random_streams(tiny_config, 2, 40)
    for t in (3, 10, 27):
        changed = _perturb_after(streams, t)
        a, b = model.encode(streams), model.encode(changed)
        torch.testing.assert_close(a[:, :t], b[:, :t])
        assert not torch.allclose(a[:, t:], b[:, t:])
        ea, eb = model.decode(a)[0], model.decode(b)[0]
        torch.testing.assert_close(ea[:, :t], eb[:, :t])


def test_model_generate_is_window_causal(tiny_config):
    model = ReactDiff(tiny_config).eval()
    streams = random_streams(tiny_config, 2, 40)
    t = 20  # a window boundary: listener windows before it use speaker windows before it only
    a = model.generate(streams, num_samples=3, generator=torch.Generator().manual_seed(0))[0]
    b = model.generate(_perturb_after(streams, t), num_samples=3, generator=torch.Generator().manual_seed(0))[0]
    torch.testing.assert_close(a[:, :, :t], b[:, :, :t])
    assert not torch.allclose(a[:, :, t:], b[:, :, t:])


def test_online_step_is_causal():
    sub = ReactDiffSubmission(**TINY)
    L = sub.model_config.window
    batch = _batch(sub.model_config, 2, 5 * L)
    changed = _batch(sub.model_config, 2, 5 * L)
    t = 3 * L
    for name in ("emotion", "threedmm"):
        getattr(changed, name).copy_(getattr(batch, name))
    for k in batch.features:
        changed.features[k][:, :t] = batch.features[k][:, :t]
    changed.emotion[:, t:] = torch.rand(changed.emotion[:, t:].shape)
    a, b = stream_online(sub, batch, L, num_samples=4, seed=1), stream_online(sub, changed, L, num_samples=4, seed=1)
    assert a.shape == (2, 4, 5 * L, 25)
    torch.testing.assert_close(a[:, :, :t], b[:, :, :t])
    assert not torch.allclose(a[:, :, t:], b[:, :, t:])


# --- frame causality inside a window (issue 12): the online contract is frame t <- speaker frames <= t ----

import pytest  # noqa: E402

from react_bench.data import ReactDataset  # noqa: E402
from react_bench.errors import BadInputError  # noqa: E402
from react_bench.models.reactdiff.unet import UNet1D  # noqa: E402
from react_bench.runner import SpeakerStreams  # noqa: E402
from react_bench.runner.audit import audit_causality  # noqa: E402


@pytest.mark.parametrize("causal", [True, False])
def test_unet_output_frame_reads_no_later_frame_only_when_causal(tiny_config, causal):
    torch.manual_seed(0)
    unet = UNet1D(tiny_config.replace(unet_causal=causal)).eval()
    N, F, L, C = 3, tiny_config.latent_dim, tiny_config.window, tiny_config.cond_channels
    x, cond, t = torch.randn(N, F, L), torch.randn(N, 2 * L, C), torch.tensor([5, 50, 90])
    for j in (0, 4, 7):  # perturb x_t and the current-window condition after frame j
        x2, cond2 = x.clone(), cond.clone()
        x2[..., j + 1:] += torch.randn(N, F, L - j - 1)
        cond2[:, L + j + 1:] += torch.randn(N, L - j - 1, C)
        a, b = unet(x, t, cond), unet(x2, t, cond2)  # (N, F, L)
        assert not torch.allclose(a[..., j + 1:], b[..., j + 1:])
        if causal:
            torch.testing.assert_close(a[..., : j + 1], b[..., : j + 1], rtol=0, atol=0)
        else:  # the paper's UNet: centred convolutions, GroupNorm over time, z_bc of the current window
            assert (a[..., : j + 1] - b[..., : j + 1]).abs().max() > 1e-3


def test_model_generate_is_frame_causal_at_any_cut(tiny_config):
    model = ReactDiff(tiny_config).eval()
    streams = random_streams(tiny_config, 2, 40)
    for t in (3, 13, 27):  # inside windows, not on their boundaries
        a = model.generate(streams, num_samples=3, generator=torch.Generator().manual_seed(0))[0]
        b = model.generate(_perturb_after(streams, t), num_samples=3, generator=torch.Generator().manual_seed(0))[0]
        torch.testing.assert_close(a[:, :, :t], b[:, :, :t], rtol=0, atol=0)
        assert not torch.allclose(a[:, :, t:], b[:, :, t:])


def test_old_unet_reads_the_rest_of_its_window(tiny_config):
    model = ReactDiff(tiny_config.replace(unet_causal=False)).eval()
    streams = random_streams(tiny_config, 2, 40)
    t = 13  # window 1 is frames 10..19: its frames 10..12 change although only frames >= 13 did
    a = model.generate(streams, num_samples=3, generator=torch.Generator().manual_seed(0))[0]
    b = model.generate(_perturb_after(streams, t), num_samples=3, generator=torch.Generator().manual_seed(0))[0]
    torch.testing.assert_close(a[:, :, :10], b[:, :, :10])
    assert (a[:, :, 10:t] - b[:, :, 10:t]).abs().max() > 1e-3


def test_online_stream_does_not_depend_on_the_chunking():
    sub = ReactDiffSubmission(**TINY)
    L = sub.model_config.window
    batch = _batch(sub.model_config, 2, 3 * L + 4)
    reference = stream_online(sub, batch, L, num_samples=4, seed=1)
    for chunk in (1, 7, 23, 50):
        torch.testing.assert_close(stream_online(sub, batch, chunk, num_samples=4, seed=1), reference, rtol=0, atol=1e-6)


def test_online_step_is_causal_inside_a_window():
    sub = ReactDiffSubmission(**TINY)
    L = sub.model_config.window
    batch, changed = _batch(sub.model_config, 2, 4 * L), _batch(sub.model_config, 2, 4 * L, seed=5)
    t = 2 * L + 3  # inside the third window, which one chunk of L frames delivers whole
    for name in ("emotion", "threedmm", "audio"):
        getattr(changed, name)[:, : t * (640 if name == "audio" else 1)] = getattr(batch, name)[:, : t * (640 if name == "audio" else 1)]
    for k in batch.features:
        changed.features[k][:, :t] = batch.features[k][:, :t]
    a, b = stream_online(sub, batch, L, num_samples=4, seed=1), stream_online(sub, changed, L, num_samples=4, seed=1)
    torch.testing.assert_close(a[:, :, :t], b[:, :, :t], rtol=0, atol=0)
    assert not torch.allclose(a[:, :, t:], b[:, :, t:])


def test_online_refuses_a_model_that_is_not_frame_causal():
    sub = ReactDiffSubmission(**TINY, unet_causal=False)
    with pytest.raises(BadInputError, match=r"causal=True, unet_causal=False; the online track needs a frame-causal"):
        sub.reset(1, num_samples=1, generator=torch.Generator())


class _OldOnline(ReactDiffSubmission):
    """The online mode before issue 12: the paper's UNet online (the refusal switched off)."""

    def check_online(self) -> None:
        pass


def test_audit_passes_the_new_online_mode_and_fails_the_old(synthetic_root):
    dataset = ReactDataset(synthetic_root, "test")
    new, old = ReactDiffSubmission(**TINY), _OldOnline(**TINY, unet_causal=False)
    streams = SpeakerStreams(dataset, features=new.feature_specs())
    # random weights: the property is architectural; the runner's 50-frame chunks hold 5 of TINY's 10-frame windows
    passed = audit_causality(new, streams, num_samples=2, seed=0)
    assert passed["passed"], passed["violations"]
    assert passed["max_abs_diff_after_cut"] > 1e-3  # the replaced speaker did reach the model
    failed = audit_causality(old, streams, num_samples=2, seed=0)
    assert not failed["passed"] and failed["reproducible"]
    assert failed["max_abs_diff_before_cut"] > 1e-3
