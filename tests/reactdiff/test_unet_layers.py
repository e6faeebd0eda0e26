"""The causal UNet's own layers against torch's reference ops (they are re-written for speed)."""

from __future__ import annotations

import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from react_bench.models.reactdiff.unet import CausalConv1d, FrameGroupNorm


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 4), c_in=st.integers(1, 9), c_out=st.integers(1, 9), length=st.integers(1, 23),
       kernel=st.integers(1, 4), stride=st.integers(1, 2), seed=st.integers(0, 2**16))
def test_causal_conv_is_conv1d_of_the_left_padded_input(n, c_in, c_out, length, kernel, stride, seed):
    torch.manual_seed(seed)
    conv = CausalConv1d(c_in, c_out, kernel, stride=stride)
    x = torch.randn(n, c_in, length, requires_grad=True)
    expected = torch.nn.functional.conv1d(torch.nn.functional.pad(x, (kernel - 1, 0)), conv.weight, conv.bias, stride=stride)
    got = conv(x)
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-5)
    assert got.shape == (n, c_out, -(-length // stride))
    # the gradients too (the layer trains)
    grad = torch.randn_like(got)
    g_got = torch.autograd.grad(got, (x, conv.weight, conv.bias), grad, retain_graph=True)
    g_exp = torch.autograd.grad(expected, (x, conv.weight, conv.bias), grad)
    for a, b in zip(g_got, g_exp):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 4), groups=st.sampled_from([1, 2, 4, 8]), per_group=st.integers(2, 5),
       length=st.integers(1, 17), seed=st.integers(0, 2**16))
def test_frame_group_norm_is_group_norm_of_each_frame(n, groups, per_group, length, seed):
    torch.manual_seed(seed)
    channels = groups * per_group
    norm = FrameGroupNorm(groups, channels)
    with torch.no_grad():
        norm.weight.normal_()
        norm.bias.normal_()
    x = torch.randn(n, channels, length) * 3 + 1
    frames = x.transpose(1, 2).reshape(n * length, channels)  # every frame on its own
    expected = torch.nn.functional.group_norm(frames, groups, norm.weight, norm.bias, norm.eps)
    torch.testing.assert_close(norm(x), expected.reshape(n, length, channels).transpose(1, 2), rtol=1e-5, atol=1e-5)
