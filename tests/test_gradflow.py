"""The gradient-flow probe: correct per-step gradients, and the lecture's orderings on a fixed seed."""

import json
import math

import pytest
import torch

from seqbench import make_model, make_task
from seqbench.core.errors import NotApplicableError
from seqbench.analysis.gradflow import first_last_ratio, probe, scale_recurrent, unrolled, unrolled_forward
from seqbench.models.cores import RecurrentCore
from seqbench.core.record import read_result

from conftest import run_cli

CELLS = ["tanh", "relu", "sigmoid", "lstm", "gru"]
LENGTH, HIDDEN = 50, 16


@pytest.mark.parametrize("cell", CELLS)
def test_unrolled_pass_is_the_fused_core(cell):
    """Same outputs, final states and weight gradients as the core's own forward (2 layers, padding)."""
    torch.manual_seed(0)
    core = RecurrentCore(cell, 3, 5, num_layers=2).double()
    x = torch.randn(3, 7, 3, dtype=torch.double)
    lengths = torch.tensor([7, 4, 1])

    def run(forward):
        core.zero_grad()
        out, state = forward(x, lengths)
        h = state[0] if isinstance(state, tuple) else state
        (out.pow(2).sum() + h.sin().sum()).backward()
        return out, h, [p.grad.clone() for p in core.parameters()]

    fused = run(core)
    explicit = run(lambda x, lengths: unrolled_forward(core, x, lengths))
    assert torch.allclose(fused[0], explicit[0], atol=1e-12)
    assert torch.allclose(fused[1], explicit[1], atol=1e-12)
    assert all(torch.allclose(a, b, atol=1e-10) for a, b in zip(fused[2], explicit[2]))


def test_step_gradients_are_the_total_derivative():
    """dLoss/dh_t from the probe equals a finite-difference nudge of h_t (through later steps too)."""
    torch.manual_seed(0)
    core = RecurrentCore("gru", 2, 3).double()
    x = torch.randn(1, 6, 2, dtype=torch.double)
    with unrolled(core) as states:
        out, h = core(x)
        (out.pow(2).sum() + h.sum()).backward()  # a loss at every step (lm, tagging) and at the end
    t, unit, eps = 2, 1, 1e-6

    @torch.no_grad()
    def loss_with_nudge(delta):
        out_early, h_t = unrolled_forward(core, x[:, : t + 1])
        h_t = h_t.clone()
        h_t[0, 0, unit] += delta
        out_early[0, t, unit] += delta  # the output at step t is h_t
        out_late, h_end = unrolled_forward(core, x[:, t + 1 :], state=h_t)
        return float(out_early.pow(2).sum() + out_late.pow(2).sum() + h_end.sum())

    numeric = (loss_with_nudge(eps) - loss_with_nudge(-eps)) / (2 * eps)
    assert states[t].grad[0, unit].item() == pytest.approx(numeric, rel=1e-6)


@pytest.fixture(scope="module")
def ratios():
    """first/last gradient-norm ratio of each family at initialisation, seed 0, T = 50."""
    task = make_task("parity", min_length=LENGTH, length=LENGTH)
    batch = task.sample(task.rng(0, "test"), 16, "test")
    out = {}
    for name, scale in [("rnn_sigmoid", 1), ("rnn_tanh", 1), ("rnn_relu", 1), ("rnn_relu", 4), ("lstm", 1), ("gru", 1)]:
        torch.manual_seed(0)
        model = make_model(name, task.spec, hidden_size=HIDDEN)
        scale_recurrent(model, scale)
        out[name if scale == 1 else f"{name}_x{scale}"] = probe(model, task, batch).first_last_ratio
    return out


def test_sigmoid_rnn_gradient_vanishes(ratios):
    # sigmoid' <= 1/4: about 0.13 per step back, 1e-44 over 50 steps (measured), far below tanh
    assert ratios["rnn_sigmoid"] < 1e-30
    assert ratios["rnn_sigmoid"] < 1e-10 * ratios["rnn_tanh"]


def test_relu_rnn_gradient_explodes_when_its_recurrent_weights_are_scaled_up(ratios):
    assert ratios["rnn_relu_x4"] > 1e3  # grows going back in time (1e6 measured)
    assert ratios["rnn_relu"] < 1  # at the default initialisation it still shrinks


def test_lstm_and_gru_are_flatter(ratios):
    for gated in ("lstm", "gru"):
        assert ratios[gated] > 1e3 * ratios["rnn_tanh"] > 1e13 * ratios["rnn_sigmoid"]


def test_probe_leaves_the_model_alone_and_refuses_what_it_cannot_probe():
    task = make_task("parity", length=6)
    batch = task.sample(task.rng(0, "test"), 4, "test")
    model = make_model("lstm", task.spec, hidden_size=4)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    profile = probe(model, task, batch)
    assert len(profile.step_norms) == int(batch.lengths.max()) and profile.weight_hh_norm > 0
    assert all(torch.equal(before[k], v) and v.dtype == before[k].dtype for k, v in model.state_dict().items())
    for name, options in [("transformer", {}), ("mlp", {}), ("gru", {"bidirectional": True})]:
        with pytest.raises(NotApplicableError):
            probe(make_model(name, task.spec, **options), task, batch)


MODERN = [("mingru", {}), ("minlstm", {}), ("lru", {}), ("mamba", {}), ("mamba", {"eigenvalue_min": -1.0}),
          ("slstm", {}), ("mlstm", {})]


@pytest.mark.parametrize("name,options", MODERN, ids=[n + ("_signed" if o else "") for n, o in MODERN])
def test_modern_families_are_probed_through_their_input(name, options):
    """No h_t to read inside a scan: the probe measures dLoss/dx_t at every step, in float64, model untouched."""
    task = make_task("parity", min_length=LENGTH, length=LENGTH)
    batch = task.sample(task.rng(0, "test"), 8, "test")
    torch.manual_seed(0)
    model = make_model(name, task.spec, hidden_size=HIDDEN, **options)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    profile = probe(model, task, batch)
    assert profile.step_norms is None and profile.weight_hh_norm is None
    assert len(profile.input_norms) == LENGTH and all(n > 0 for n in profile.input_norms)
    assert 0 < profile.input_per_step_factor < 1  # the loss depends less on early steps than on the last
    assert math.isnan(profile.per_step_factor) and profile.summary()["per_step_factor"] is None
    assert all(torch.equal(before[k], v) and v.dtype == before[k].dtype for k, v in model.state_dict().items())
    with pytest.raises(NotApplicableError, match="only the classic recurrent cells"):
        scale_recurrent(model, 4.0)


@pytest.mark.parametrize("name", ["rnn_sigmoid", "rnn_tanh", "rnn_relu", "lstm", "gru"])
def test_the_input_profile_of_a_classic_cell_shrinks_as_its_state_profile(name):
    """dLoss/dx_t = W_ih^T (phi'(a_t) * dLoss/dh_t) for a one-state cell: both fall by the same factor
    per step (within 1 % at T = 50, measured 0.3 to 0.9 %). The LSTM's x_t also writes its cell c_t,
    whose gradient goes back through the forget gate alone, so its input profile is a little
    flatter than that of h_t (measured 3.7 to 4.2 %), never steeper."""
    task = make_task("parity", min_length=LENGTH, length=LENGTH)
    batch = task.sample(task.rng(0, "test"), 16, "test")
    torch.manual_seed(0)
    summary = probe(make_model(name, task.spec, hidden_size=HIDDEN), task, batch).summary()
    ratio = summary["input_per_step_factor"] / summary["per_step_factor"]
    assert 1.0 < ratio < 1.08 if name == "lstm" else ratio == pytest.approx(1.0, abs=0.01)


@pytest.mark.parametrize("task_name,kind", [("copy", "seq2seq"), ("number_words", "one_to_many")])
@pytest.mark.parametrize("name", ["gru", "mingru"])
def test_the_input_profile_spans_every_step_of_an_encoder_or_a_decoder(task_name, kind, name):
    """An encoder reads its sequence in one call; a decoder in evaluation mode one step per call:
    both profiles cover the same steps (the state's where it is measured)."""
    task = make_task(task_name)
    assert task.kind == kind
    batch = task.sample(task.rng(0, "test"), 4, "test")
    torch.manual_seed(0)
    profile = probe(make_model(name, task.spec, hidden_size=8), task, batch)
    summary = profile.summary()
    steps = int(batch.lengths.max()) if kind == "seq2seq" else len(profile.input_norms)
    assert len(profile.input_norms) == steps == summary["steps"] and steps > 1
    if profile.step_norms is not None:
        assert len(profile.step_norms) == steps
    assert math.isfinite(summary["input_per_step_factor"])


def test_linear_recurrences_start_with_long_memory_where_a_tanh_rnn_forgets():
    """The LRU's eigenvalues start near the unit circle and sLSTM's forget gates open (their papers'
    initialisations): at T = 50 the gradient reaching the first input is within 1e-3 of the last's,
    where a tanh RNN's has fallen by 1e-10 or more."""
    task = make_task("parity", min_length=LENGTH, length=LENGTH)
    batch = task.sample(task.rng(0, "test"), 16, "test")
    ratios = {}
    for name in ("lru", "slstm", "rnn_tanh"):
        torch.manual_seed(0)
        ratios[name] = first_last_ratio(probe(make_model(name, task.spec, hidden_size=HIDDEN), task, batch).input_norms)
    assert ratios["lru"] > 1e-3 and ratios["slstm"] > 1e-3 and ratios["rnn_tanh"] < 1e-10


def test_gradflow_command_writes_table_plot_and_record(tmp_path):
    out = run_cli("gradflow", "model=rnn_tanh", "model.hidden_size=8", "gradflow.length=12",
                       "gradflow.batch_size=8", "trainer.steps=4", "trainer.eval_every=2", "trainer.eval_size=16",
                       f"gradflow.out_dir={tmp_path}").stdout
    assert "first/last" in out and "after training" in out and "|dL/dW_hh|" in out
    record = read_result(tmp_path / "result.json")  # a valid record for the leaderboard reader
    section = json.loads((tmp_path / "result.json").read_text())["gradflow"]
    assert record["status"] == "ok" and record["n_params"] > 0 and record["task_params"]["length"] == 12
    for when in ("init", "trained"):
        assert len(section[when]["step_norms"]) == 12 == len(section[when]["input_norms"])
        assert section[when]["first_last_ratio"] == pytest.approx(
            section[when]["step_norms"][0] / section[when]["step_norms"][-1])
    assert (tmp_path / section["plot"]).read_bytes()[:4] == b"\x89PNG"


def test_a_probe_of_a_preset_is_labelled_with_the_preset(tmp_path):
    """stacked_lstm is an lstm with two layers: its probe must not be read as the lstm's."""
    run_cli("gradflow", "model=stacked_lstm", "model.hidden_size=4", "gradflow.length=6", "gradflow.batch_size=4",
            "gradflow.train=false", f"gradflow.out_dir={tmp_path}")
    record = read_result(tmp_path / "result.json")
    assert (record["model"], record["model_label"], record["model_params"]["num_layers"]) == ("lstm", "stacked_lstm", 2)


def test_gradflow_command_probes_a_modern_family_through_its_input(tmp_path):
    out = run_cli("gradflow", "model=mamba_signed", "model.hidden_size=8", "gradflow.length=10", "gradflow.batch_size=4",
                  "gradflow.train=false", f"gradflow.out_dir={tmp_path}").stdout
    assert "||dLoss/dx_t||" in out and "|dL/dW_hh|" not in out and "gradflow mamba_signed on parity" in out
    section = json.loads((tmp_path / "result.json").read_text())["gradflow"]["init"]
    assert section["step_norms"] is None and len(section["input_norms"]) == 10 and section["steps"] == 10
    from seqbench.analysis.curves import gradflow_profiles

    record = json.loads((tmp_path / "result.json").read_text())
    assert gradflow_profiles([record]) == {}  # no dLoss/dh_t to draw
    assert gradflow_profiles([record], of="input") == {"mamba_signed": section["input_norms"]}


@pytest.mark.slow
def test_probes_differing_only_in_their_own_options_are_distinct_runs(tmp_path):
    """W_hh x 1 and x 4 of the same model and seed are two probes: the reader keeps both."""
    from seqbench.core.record import load_results

    for scale in (1, 4):
        run_cli("gradflow", "model=rnn_relu", "model.hidden_size=8", "gradflow.length=12", "gradflow.batch_size=8",
                "gradflow.train=false", f"gradflow.recurrent_scale={scale}", f"gradflow.out_dir={tmp_path / str(scale)}")
    loaded = load_results([tmp_path])
    assert loaded.duplicates == 0
    assert sorted(r.gradflow["recurrent_scale"] for r in loaded.records) == [1.0, 4.0]
