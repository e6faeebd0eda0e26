import torch

from react_bench.models.reactdiff import ReactDiff, ReactDiffSubmission

from reactdiff_helpers import TINY, make_batch as _batch, random_streams


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


def _online(sub, batch, chunk, seed):
    sub.reset(batch.batch_size, num_samples=4, generator=torch.Generator().manual_seed(seed))
    T, out = batch.num_frames, []
    for s in range(0, T, chunk):
        piece = type(batch)(emotion=batch.emotion[:, s:s + chunk], threedmm=batch.threedmm[:, s:s + chunk],
                            audio=batch.audio[:, s * 640:(s + chunk) * 640], indices=batch.indices,
                            features={k: v[:, s:s + chunk] for k, v in batch.features.items()}, start_frame=s)
        out.append(sub.step(piece).emotion)
    return torch.cat(out, dim=2)  # (B, S, T, 25)


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
    a, b = _online(sub, batch, L, seed=1), _online(sub, changed, L, seed=1)
    assert a.shape == (2, 4, 5 * L, 25)
    torch.testing.assert_close(a[:, :, :t], b[:, :, :t])
    assert not torch.allclose(a[:, :, t:], b[:, :, t:])
