"""Every built-in model x every built-in task either trains on a tiny budget or is refused with the
reason expected for that pair (plugin models and tasks are covered by the conformance checks)."""

import pytest
import torch

from seqbench import MODELS, TASKS, fit, make_model, make_task
from seqbench.core.errors import NotApplicableError
from seqbench.models import count_parameters, model_def
from seqbench.models.cores import RecurrentCore, SigmoidRNN

from conftest import builtin_names

TINY = dict(steps=2, batch_size=4, eval_every=2, eval_size=8, val_size=8, eval_batch_size=8)


#: (model, kind) -> what its refusal must say; every other built-in pair must train.
REFUSED = {("mlp", "lm"): ("cannot be a language model", "would see the characters it is asked to predict")}


#: one quick task of each kind: every model through every adapter in ``make test``; the rest of
#: the matrix (33 tasks) in ``make test-slow``
QUICK_TASKS = ("parity", "adding", "reverse", "bracket_depth", "markov_lm", "captioning", "digits")


@pytest.mark.parametrize("model_name, task_name", [
    pytest.param(model, task, marks=() if task in QUICK_TASKS else pytest.mark.slow)
    for model in builtin_names(MODELS) for task in builtin_names(TASKS)])
def test_model_task_matrix(model_name, task_name):
    """Each pair trains two steps, or is refused with the expected reason."""
    knobs = TASKS.get(task_name)().describe()["knobs"]
    # the Chomsky tasks test lengths up to 500 by default; the matrix only asks whether each pair runs
    short = {"length": 8, "ood_length": 16} if {"ood_length", "ood_grid"} <= set(knobs) else {}
    task = make_task(task_name, **short)
    expected = REFUSED.get((model_name, task.kind))
    try:
        model = make_model(model_name, task.spec, hidden_size=8, embedding_size=4)
    except NotApplicableError as refusal:
        assert expected is not None, f"{model_name} refused {task_name} ({task.kind}): {refusal}"
        assert all(words in str(refusal) for words in expected), str(refusal)  # the reason, not just a no
        return
    assert expected is None, f"{model_name} built for {task_name} ({task.kind}) instead of refusing: {expected}"
    result = fit(model, task, seed=0, **TINY)
    assert result.status == "ok"
    primary = task.spec.primary_metric
    for split in task.splits[1:]:  # scored with an interval, or not applicable with the reason
        if split in result.not_applicable:
            assert model_name == "mlp" and "never trained on" in result.not_applicable[split]
            continue
        low, high = result.intervals[split][primary]
        assert low - 1e-9 <= result.metrics[split][primary] <= high + 1e-9


@pytest.mark.parametrize("task_name", ["markov_lm"])
def test_bidirectional_language_model_is_refused(task_name):
    reason = model_def("lstm").applicable(make_task(task_name).spec, bidirectional=True)
    assert reason and "bidirectional" in reason


def test_bidirectional_decoder_is_refused():
    reason = model_def("gru").applicable(make_task("number_words").spec, bidirectional=True)
    assert reason and "decoder" in reason


@pytest.mark.parametrize("cell", ["tanh", "relu", "sigmoid", "lstm", "gru"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_final_state_ignores_padding(cell, bidirectional):
    """A padded example gets the same final state as the same example alone."""
    torch.manual_seed(0)
    core = RecurrentCore(cell, 3, 5, num_layers=2, bidirectional=bidirectional).eval()
    x = torch.randn(2, 6, 3)
    lengths = torch.tensor([6, 3])
    _, state = core(x, lengths)
    _, alone = core(x[1:, :3], torch.tensor([3]))
    assert torch.allclose(core.top_state(state)[1], core.top_state(alone)[0], atol=1e-6)


def test_sigmoid_rnn_is_the_lectures_recurrence():
    torch.manual_seed(0)
    rnn = SigmoidRNN(3, 4)
    x = torch.randn(2, 5, 3)
    out, h = rnn(x)
    manual = torch.zeros(2, 4)
    for t in range(5):  # H_t = sigmoid(X_t W_xh + H_{t-1} W_hh + b_h)
        manual = torch.sigmoid(x[:, t] @ rnn.weight_ih_l0.T + manual @ rnn.weight_hh_l0.T
                               + rnn.bias_ih_l0 + rnn.bias_hh_l0)
        assert torch.allclose(out[:, t], manual, atol=1e-6)
    assert torch.allclose(h[0], manual, atol=1e-6)


def test_sigmoid_rnn_has_the_same_parameter_count_as_torchs_rnn():
    ours = SigmoidRNN(7, 16, num_layers=2, bidirectional=True)
    torchs = torch.nn.RNN(7, 16, num_layers=2, bidirectional=True)
    assert count_parameters(ours) == count_parameters(torchs)
    assert {n for n, _ in ours.named_parameters()} == {n for n, _ in torchs.named_parameters()}


def test_decoder_never_reads_targets_at_evaluation():
    task = make_task("reverse")
    model = make_model("gru", task.spec, hidden_size=8).eval()
    batch = task.sample(task.rng(0, "test"), 4, "test")
    before = model(batch)
    batch.targets[batch.target_mask] = 2  # scramble the answers
    assert torch.equal(before, model(batch))


def test_stacking_and_bidirectional_add_parameters():
    spec = make_task("parity").spec
    base = count_parameters(make_model("lstm", spec))
    assert count_parameters(make_model("lstm", spec, num_layers=2)) > base
    assert count_parameters(make_model("lstm", spec, bidirectional=True)) > base

