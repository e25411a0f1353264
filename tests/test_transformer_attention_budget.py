"""Additive attention, the transformer baseline, and equal-size comparisons (param_budget)."""

import pytest
import torch

from seqbench import fit, make_model, make_task
from seqbench.core.errors import ConfigError
from seqbench.runs.experiment import run_experiment
from seqbench.models import count_parameters, model_def

TINY = dict(steps=2, batch_size=4, eval_every=2, eval_size=8, eval_batch_size=8)


def _batch(task, split="test", n=6):
    return task.sample(task.rng(0, split), n, split)


# ------------------------------------------------------------------ attention
def test_attention_weights_cover_only_real_steps_and_change_the_outputs():
    task = make_task("reverse", length=6)
    batch = _batch(task)
    torch.manual_seed(0)
    model = make_model("gru", task.spec, hidden_size=8, attention=True, bidirectional=True).eval()
    before = model(batch)
    weights = model.decoder.last_attention  # (B, T_out, S)
    assert weights.shape == (batch.size, batch.targets.shape[1], batch.inputs.shape[1])
    real = torch.arange(batch.inputs.shape[1])[None, :] < batch.lengths[:, None]  # (B, S)
    assert torch.allclose(weights.sum(-1), torch.ones(weights.shape[:2]))
    assert float(weights.masked_select(~real[:, None, :].expand_as(weights)).abs().sum()) == 0.0
    with torch.no_grad():
        model.decoder.attention.score.weight.mul_(5.0)  # sharper scores: other contexts, other logits
    assert not torch.allclose(before, model(batch))


@pytest.mark.slow
def test_attention_trains():
    task = make_task("reverse", length=4, vocab_size=3)
    torch.manual_seed(0)
    model = make_model("gru", task.spec, hidden_size=16, attention=True)
    result = fit(model, task, seed=0, steps=120, batch_size=32, eval_every=40, eval_size=128, lr=1e-2)
    chance = 1 / 4  # three symbols and EOS
    assert result.status == "ok" and result.metrics["test"]["token_accuracy"] > 2 * chance


@pytest.mark.parametrize(("task_name", "reason"), [("number_words", "one vector"), ("parity", "no decoder"),
                                                   ("markov_lm", "no decoder")])
def test_attention_is_refused_where_there_is_nothing_to_attend_over(task_name, reason):
    refusal = model_def("lstm").applicable(make_task(task_name).spec, attention=True)
    assert refusal and reason in refusal


@pytest.mark.parametrize(("model_name", "options", "task_name"), [
    ("gru", {"attention": True}, "reverse"), ("lstm", {"attention": True, "num_layers": 2}, "reverse"),
    ("transformer", {}, "reverse"), ("transformer", {}, "number_words")])
def test_decoders_never_read_targets_at_evaluation(model_name, options, task_name):
    task = make_task(task_name)
    torch.manual_seed(0)
    model = make_model(model_name, task.spec, hidden_size=8, **options).eval()
    batch = _batch(task)
    before = model(batch)
    batch.targets[batch.target_mask] = 2  # scramble the answers
    assert torch.equal(before, model(batch))


# ------------------------------------------------------------------ transformer
@pytest.mark.parametrize("task_name", ["parity", "bracket_depth", "markov_lm", "reverse"])
def test_transformer_handles_test_ood_lengths_beyond_training(task_name):
    task = make_task(task_name)
    torch.manual_seed(0)
    model = make_model("transformer", task.spec, hidden_size=16).eval()
    batch = _batch(task, "test_ood")
    assert batch.inputs.shape[1] > task.spec.lengths[1]
    scores = task.summarize(task.score(model(batch), batch))
    assert all(torch.isfinite(torch.tensor(v)) for v in scores.values())


@pytest.mark.parametrize(("task_name", "causal"), [("markov_lm", True), ("bracket_depth", False)])
def test_language_model_is_causal_and_tagger_sees_the_whole_input(task_name, causal):
    task = make_task(task_name, length=10, min_length=10) if task_name != "markov_lm" else make_task(task_name, length=10)
    torch.manual_seed(0)
    model = make_model("transformer", task.spec, hidden_size=16).eval()
    batch = _batch(task, "val")
    before = model(batch)
    symbols = task.spec.input.size - 1  # ids 1..symbols
    batch.inputs[:, -1] = batch.inputs[:, -1] % symbols + 1  # another symbol at the last step only
    after = model(batch)
    assert torch.allclose(before[:, :-1], after[:, :-1], atol=1e-6) == causal


@pytest.mark.slow
def test_transformer_learns_a_language_model():
    task = make_task("markov_lm", length=16)
    torch.manual_seed(0)
    model = make_model("transformer", task.spec, hidden_size=16, num_layers=1)
    result = fit(model, task, seed=0, steps=150, batch_size=32, eval_every=50, eval_size=128, lr=3e-3)
    chance = 2.0  # log2 of the 4 letters
    assert result.metrics["test"]["bits_per_char"] < chance - 0.2


def test_transformer_width_must_split_into_heads_and_tbptt_is_refused():
    spec = make_task("parity").spec
    with pytest.raises(ConfigError, match="multiple of model.num_heads"):
        make_model("transformer", spec, hidden_size=10, num_heads=4)
    task = make_task("markov_lm", length=12)
    with pytest.raises(ConfigError, match="tbptt"):
        fit(make_model("transformer", task.spec, hidden_size=8), task, tbptt=4, **TINY)


# ------------------------------------------------------------------ param_budget
@pytest.mark.parametrize("model_name", ["rnn_tanh", "rnn_sigmoid", "lstm", "gru", "mlp", "transformer"])
@pytest.mark.parametrize("task_name", ["parity", "reverse"])
def test_param_budget_lands_closest_to_n(model_name, task_name):
    spec, budget = make_task(task_name).spec, 50_000
    model = make_model(model_name, spec, param_budget=budget)
    chosen, n = model.build_options["hidden_size"], count_parameters(model)
    step = model_def(model_name).size_step(model.build_options) if model_def(model_name).size_step else 1
    # one unit more or less moves a recurrent model by ~2 %; the transformer's width moves by num_heads
    assert abs(n - budget) / budget < (0.05 if step == 1 else 0.15)
    assert chosen % step == 0
    for neighbour in (chosen - step, chosen + step):  # no valid hidden size comes closer
        other = count_parameters(make_model(model_name, spec, **{**model.build_options, "param_budget": None,
                                                                "hidden_size": neighbour}))
        assert abs(other - budget) >= abs(n - budget)


def test_budget_search_draws_no_random_numbers():
    spec = make_task("parity").spec
    torch.manual_seed(0)
    budgeted = make_model("lstm", spec, param_budget=5_000)
    torch.manual_seed(0)
    plain = make_model("lstm", spec, hidden_size=budgeted.build_options["hidden_size"])
    assert all(torch.equal(a, b) for a, b in zip(budgeted.parameters(), plain.parameters()))


def test_every_run_reports_n_params_at_the_budget(tmp_path):
    record = run_experiment({"name": "parity", "length": 4}, {"name": "gru", "param_budget": 3_000},
                            TINY, seed=0, out_dir=tmp_path)
    assert record["status"] == "ok" and abs(record["n_params"] - 3_000) < 150
