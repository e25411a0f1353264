"""The sigmoid RNN on torch's fused tanh RNN equals the hand-written cell (issue 15, item 4).

``SigmoidRNN`` (``fused=True``, the default of ``model=rnn_sigmoid``) runs ``torch._VF.rnn_tanh``
on g = 2h - 1 with weights computed from the sigmoid cell's own parameters; ``fused=False`` is
the hand-written step-by-step cell. Both must give the same outputs, final states and
gradients (of the parameters, the inputs and the initial state) to float tolerance.
"""

import copy

import pytest
import torch

from seqbench import fit, make_model, make_task
from seqbench.analysis.gradflow import probe
from seqbench.models.cores import RecurrentCore, SigmoidRNN

TOLERANCE = {torch.float64: 1e-9, torch.float32: 1e-5}


def pair(*args, dtype=torch.float64, **kwargs):
    """A fused SigmoidRNN and the hand-written one with the same parameters."""
    torch.manual_seed(0)
    fused = SigmoidRNN(*args, **kwargs).to(dtype)
    reference = SigmoidRNN(*args, **kwargs, fused=False).to(dtype)
    reference.load_state_dict(fused.state_dict())
    assert fused.fused and not reference.fused
    return fused, reference


def run(rnn, x, lengths, h0):
    """Outputs, final state and every gradient of a loss that weighs each output differently."""
    leaves = [t for t in (x, h0) if t is not None]
    for t in [*leaves, *rnn.parameters()]:
        t.grad = None
    out, h = rnn(x, lengths, h0)
    weights = torch.linspace(-1, 1, out.numel(), dtype=out.dtype).view_as(out)  # (B, T, D*H)
    ((out * weights).sum() + h.sin().sum()).backward()
    grads = [t.grad.clone() for t in leaves] + [p.grad.clone() for p in rnn.parameters()]
    return [out.detach(), h.detach(), *grads]


def assert_same(fused, reference, x, lengths=None, h0=None):
    got, expected = run(fused, x, lengths, h0), run(reference, x, lengths, h0)
    atol = TOLERANCE[x.dtype]
    names = ["outputs", "final state"] + ["x grad"] + (["h0 grad"] if h0 is not None else []) + \
        [f"{n} grad" for n, _ in fused.named_parameters()]
    assert len(got) == len(expected) == len(names)
    for name, a, b in zip(names, got, expected):
        assert a.shape == b.shape, name
        assert torch.allclose(a, b, atol=atol, rtol=0), f"{name}: max difference {(a - b).abs().max():.3g}"


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("lengths", [None, [7, 3, 1, 7, 5]], ids=["full", "padded"])
@pytest.mark.parametrize("with_h0", [False, True], ids=["zero_state", "given_state"])
def test_fused_equals_the_hand_written_cell(dtype, num_layers, bidirectional, lengths, with_h0):
    fused, reference = pair(4, 6, num_layers=num_layers, bidirectional=bidirectional, dtype=dtype)
    x = torch.randn(5, 7, 4, dtype=dtype, requires_grad=True)  # (B, T, I)
    h0 = torch.rand(num_layers * fused.directions, 5, 6, dtype=dtype, requires_grad=True) if with_h0 else None
    lengths = None if lengths is None else torch.tensor(lengths)
    assert_same(fused, reference, x, lengths, h0)


def test_outputs_are_zero_at_padding_and_states_are_taken_at_each_length():
    fused, _ = pair(3, 4, num_layers=2, bidirectional=True)
    x = torch.randn(2, 6, 3, dtype=torch.float64)
    out, h = fused(x, torch.tensor([6, 2]))
    assert torch.all(out[1, 2:] == 0) and torch.all(out[1, :2] != 0)
    alone_out, alone_h = fused(x[1:, :2])
    assert torch.allclose(out[1:, :2], alone_out, atol=1e-12)
    assert torch.allclose(h[:, 1:], alone_h, atol=1e-12)
    assert torch.all((h > 0) & (h < 1))  # states are sigmoid outputs h, not g = 2h - 1


def test_a_length_of_zero_keeps_the_initial_state():
    fused, reference = pair(3, 4, bidirectional=True)
    x = torch.randn(3, 5, 3, dtype=torch.float64, requires_grad=True)
    h0 = torch.rand(2, 3, 4, dtype=torch.float64, requires_grad=True)
    lengths = torch.tensor([5, 0, 2])
    out, h = fused(x, lengths, h0)
    assert torch.all(out[1] == 0) and torch.equal(h[:, 1], h0[:, 1])
    assert_same(fused, reference, x, lengths, h0)


def test_dropout_between_layers_acts_on_h_like_the_hand_written_cell():
    """Full-length batches draw the same dropout mask on the same (B, T, D*H) h in both paths."""
    fused, reference = pair(3, 5, num_layers=3, bidirectional=True, dropout=0.5)
    x = torch.randn(4, 6, 3, dtype=torch.float64, requires_grad=True)
    results = []
    for rnn in (fused, reference):
        torch.manual_seed(1)
        results.append(run(rnn.train(), x, None, None))
    for a, b in zip(*results):
        assert torch.allclose(a, b, atol=1e-9)
    torch.manual_seed(1)
    assert not torch.allclose(fused(x)[0], fused.eval()(x)[0])  # the dropout did act


def test_chunks_with_passed_state_equal_one_pass():
    """Truncated BPTT: the state returned after one chunk continues the next exactly."""
    torch.manual_seed(0)
    core = RecurrentCore("sigmoid", 3, 5, num_layers=2).double()
    x = torch.randn(2, 9, 3, dtype=torch.float64)
    whole, h_whole = core(x)
    first, state = core(x[:, :4])
    second, h_end = core(x[:, 4:], None, state)
    assert torch.allclose(torch.cat([first, second], dim=1), whole, atol=1e-12)
    assert torch.allclose(h_end, h_whole, atol=1e-12)


def test_the_parameters_stay_the_sigmoid_cells_own():
    """Same names and shapes as nn.RNN (checkpoints, counts, probes), no derived weights stored."""
    fused, reference = pair(7, 16, num_layers=2, bidirectional=True)
    torchs = torch.nn.RNN(7, 16, num_layers=2, bidirectional=True)
    shapes = {n: tuple(p.shape) for n, p in torchs.named_parameters()}
    assert {n: tuple(p.shape) for n, p in fused.named_parameters()} == shapes
    assert fused.state_dict().keys() == reference.state_dict().keys() == torchs.state_dict().keys()


def test_rnn_sigmoid_uses_the_fused_path():
    model = make_model("rnn_sigmoid", make_task("parity").spec, hidden_size=8)
    cells = [m for m in model.modules() if isinstance(m, SigmoidRNN)]
    assert cells and all(cell.fused for cell in cells)


def hand_written(model):
    """A copy of ``model`` whose sigmoid cells run the hand-written path."""
    twin = copy.deepcopy(model)
    for cell in twin.modules():
        if isinstance(cell, SigmoidRNN):
            cell.fused = False
    return twin


@pytest.mark.slow
@pytest.mark.parametrize("task_name, options, trainer", [
    ("parity", {}, {}),  # many to one, padded batches
    ("pos_tagging", {"bidirectional": True, "num_layers": 2}, {}),  # tagging, two layers, both directions
    ("reverse", {}, {}),  # an encoder and a decoder stepping one token at a time from a passed state
    ("markov_lm", {}, {"tbptt": 8}),  # truncated BPTT: state carried across chunks
])
def test_training_gives_the_same_losses_both_ways(task_name, options, trainer):
    task = make_task(task_name)
    torch.manual_seed(0)
    model = make_model("rnn_sigmoid", task.spec, hidden_size=8, embedding_size=4, **options)
    reference = hand_written(model)
    budget = dict(steps=12, batch_size=8, eval_every=3, eval_size=16, val_size=16, lr=1e-2, **trainer)
    ours, theirs = fit(model, task, seed=0, **budget), fit(reference, task, seed=0, **budget)
    assert ours.status == theirs.status == "ok"
    losses = [row["train_loss"] for row in ours.history]
    expected = [row["train_loss"] for row in theirs.history]
    assert len(losses) == 4 and losses == pytest.approx(expected, abs=1e-4)
    primary = task.spec.primary_metric
    assert ours.metrics["test"][primary] == pytest.approx(theirs.metrics["test"][primary], abs=1e-4)
    for a, b in zip(model.parameters(), reference.parameters()):
        assert torch.allclose(a, b, atol=1e-4)


def test_the_gradient_flow_probe_reads_the_same_numbers():
    task = make_task("parity", min_length=20, length=20)
    batch = task.sample(task.rng(0, "train"), 8)
    torch.manual_seed(0)
    model = make_model("rnn_sigmoid", task.spec, hidden_size=8)
    ours, theirs = probe(model, task, batch), probe(hand_written(model), task, batch)
    assert ours.step_norms == theirs.step_norms and ours.weight_hh_norm == theirs.weight_hh_norm
    assert ours.first_last_ratio < 1e-3  # the sigmoid's gradient still vanishes
