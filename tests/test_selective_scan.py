"""The selective scan's hand-written backward pass (seqbench.models.selective_scan) against
autograd: torch's numerical gradient check in float64, and the plain autograd loop it replaces
(``reference_scan``)."""

from __future__ import annotations

import pytest
import torch

from seqbench.models.selective_scan import reference_scan, selective_scan


def inputs(dtype, batch=3, steps=6, inner=4, size=5, with_h0=False, seed=0):
    gen = torch.Generator().manual_seed(seed)
    def make(*shape, positive=False):
        x = torch.rand(*shape, generator=gen, dtype=dtype) if positive else torch.randn(*shape, generator=gen, dtype=dtype)
        return x.requires_grad_()
    A = (-torch.rand(inner, size, generator=gen, dtype=dtype) - 0.1).requires_grad_()
    h0 = make(batch, inner, size) if with_h0 else None
    return [make(batch, steps, inner, positive=True), make(batch, steps, inner), make(batch, steps, size),
            make(batch, steps, size), A], h0


KEEP = torch.arange(6)[None, :] < torch.tensor([6, 3, 1])[:, None]  # three lengths: 6, 3 and 1 of 6 steps


@pytest.mark.parametrize("m", [0.0, -1.0, -0.5])
@pytest.mark.parametrize("keep", [None, KEEP], ids=["all kept", "padded"])
@pytest.mark.parametrize("with_h0", [False, True], ids=["zero start", "given start"])
def test_the_backward_pass_is_the_gradient(m, keep, with_h0):
    tensors, h0 = inputs(torch.float64, with_h0=with_h0)
    def scan(*args):
        return selective_scan(*args[:5], eigenvalue_min=m, keep=keep, h0=args[5] if with_h0 else None)
    assert torch.autograd.gradcheck(scan, (*tensors, h0))


@pytest.mark.parametrize("m", [0.0, -1.0])
@pytest.mark.parametrize("keep", [None, KEEP], ids=["all kept", "padded"])
def test_outputs_and_gradients_match_autograds_loop_in_float32(m, keep):
    tensors, h0 = inputs(torch.float32, with_h0=True)
    ours, theirs = selective_scan(*tensors, m, keep, h0), reference_scan(*tensors, m, keep, h0)
    weights = [torch.randn_like(x) for x in ours]  # a random direction for both outputs
    for y, r in zip(ours, theirs):
        torch.testing.assert_close(y, r)
    leaves = [*tensors, h0]
    got = torch.autograd.grad(sum((w * y).sum() for w, y in zip(weights, ours)), leaves)
    want = torch.autograd.grad(sum((w * r).sum() for w, r in zip(weights, theirs)), leaves)
    for g, w in zip(got, want):
        torch.testing.assert_close(g, w)


def test_without_gradients_it_computes_the_same_outputs():
    tensors, h0 = inputs(torch.float32, with_h0=True)
    with_grad = selective_scan(*tensors, -1.0, KEEP, h0)
    with torch.no_grad():
        without = selective_scan(*tensors, -1.0, KEEP, h0)
    for a, b in zip(with_grad, without):
        assert torch.equal(a.detach(), b)


def test_padding_leaves_the_state_where_each_example_ended():
    tensors, _ = inputs(torch.float32)
    _, last = selective_scan(*tensors, 0.0, KEEP)
    for example, length in enumerate([6, 3, 1]):
        cut = [x[example:example + 1, :length] for x in tensors[:4]]
        _, alone = selective_scan(*cut, tensors[4], 0.0)
        torch.testing.assert_close(last[example:example + 1], alone)


@pytest.mark.parametrize("shape", [(1, 1), (1, 4), (2, 1)], ids=["one step, one example", "one example", "one step"])
def test_the_smallest_batches_and_sequences(shape):
    batch, steps = shape
    tensors, h0 = inputs(torch.float64, batch=batch, steps=steps, with_h0=True)
    assert torch.autograd.gradcheck(lambda *a: selective_scan(*a[:5], -1.0, None, a[5]), (*tensors, h0))


def test_a_mask_with_holes_inside_the_sequence():
    holes = torch.tensor([[True, False, True, True, False, True], [False, True, True, False, False, True],
                          [True, True, True, True, True, True]])
    tensors, h0 = inputs(torch.float64, with_h0=True)
    assert torch.autograd.gradcheck(lambda *a: selective_scan(*a[:5], -0.5, holes, a[5]), (*tensors, h0))


def test_a_gradient_on_the_last_state_alone_matches_autograds_loop():
    """The state leaves as a (B, E, N) view: a gradient arriving on it alone still gives autograd's."""
    tensors, h0 = inputs(torch.float32, with_h0=True)
    _, ours = selective_scan(*tensors, -1.0, KEEP, h0)
    _, theirs = reference_scan(*tensors, -1.0, KEEP, h0)
    weight = torch.randn_like(ours)  # contiguous (B, E, N)
    leaves = [*tensors, h0]
    got = torch.autograd.grad((weight * ours).sum(), leaves)
    want = torch.autograd.grad((weight * theirs).sum(), leaves, allow_unused=True)  # C: unused by h
    for g, w, leaf in zip(got, want, leaves):
        torch.testing.assert_close(g, torch.zeros_like(leaf) if w is None else w)


def test_a_second_order_gradient_is_refused_not_wrong():
    tensors, _ = inputs(torch.float64)
    y, _ = selective_scan(*tensors, 0.0)
    (first,) = torch.autograd.grad((y ** 2).sum(), tensors[0], create_graph=True)
    with pytest.raises(RuntimeError):
        torch.autograd.grad(first.sum(), tensors[2])


def test_mambas_convolution_is_its_conv1d():
    """CausalConv1d.convolve (k shifted products; Mamba's and the mLSTM's) computes nn.Conv1d's forward
    exactly, with the same gradients: a flipped kernel would still train (a reparametrisation) but
    change what a checkpoint computes."""
    from seqbench.models.mamba import Mamba

    torch.manual_seed(0)
    block = Mamba(8, conv_kernel=4)
    window = torch.randn(3, 16, 9, requires_grad=True)  # (B, E, k - 1 + T)
    ours, theirs = block.conv.convolve(window), block.conv(window)
    torch.testing.assert_close(ours, theirs)
    weight = torch.randn_like(ours)
    leaves = [window, block.conv.weight, block.conv.bias]
    for g, w in zip(torch.autograd.grad((weight * ours).sum(), leaves), torch.autograd.grad((weight * theirs).sum(), leaves)):
        torch.testing.assert_close(g, w)
