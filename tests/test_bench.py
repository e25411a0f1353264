"""The benchmark runner keeps working: ``bench/run.py --smoke`` writes every figure.

No timing is asserted anywhere; only that each figure is there, with a median, min and max
where it is a ratio. The benchmark's own references (per-example generators, the plain
sigmoid RNN) are checked against what they stand in for.
"""

import importlib
import json
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from seqbench import make_task
from seqbench.models.cores import SigmoidRNN
from seqbench.core.registry import TASKS

BENCH = Path(__file__).resolve().parents[1] / "bench"
RATIOS = ("trainer_vs_bare", "sigmoid_vs_fused", "joblib_speedup")


@pytest.fixture(scope="module")
def bench_modules(monkeypatch_module):
    monkeypatch_module.syspath_prepend(str(BENCH))  # bench/ is a folder of scripts, not a package
    return importlib.import_module("naive"), importlib.import_module("reference")


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as mp:
        yield mp


IN_PROCESS = ("trainer_vs_bare", "generation_vs_naive", "sigmoid_vs_fused", "scaling", "evaluation_cost", "selective_scan",
              "optimizer_update")


@pytest.mark.slow
def test_smoke_run_writes_every_in_process_figure(tmp_path, capsys, bench_modules):
    """The figures measured in the runner's own process. The grid figures (joblib_speedup,
    peak_rss_mb) start grids of their own; `make bench`, which CI runs after the tests, measures
    every figure and exits 1 when one is missing (see the next test)."""
    out = tmp_path / "bench.json"
    runner = importlib.import_module("run")  # in this process: its figures need no fresh interpreter
    code = runner.main(["--smoke", "--only", ",".join(IN_PROCESS), "--json", str(out)])
    printed = capsys.readouterr().out
    assert code == 0, printed[-3000:]
    data = json.loads(out.read_text())
    figures = data["figures"]
    for name in ("trainer_vs_bare", "sigmoid_vs_fused"):
        assert {"median", "min", "max"} <= set(figures[name]), name
        assert figures[name]["min"] <= figures[name]["median"] <= figures[name]["max"]
    generation = figures["generation_vs_naive"]
    assert generation["median_over_tasks"] > 0
    assert set(generation["tasks"]) == set(TASKS.load_all()[0])  # every registered task is reported
    assert all("share_of_step" in e for e in generation["tasks"].values())
    assert len(figures["scaling"]["points"]) >= 6
    assert figures["evaluation_cost"]["tasks"]
    assert figures["trainer_vs_bare"]["same_final_parameters"]
    assert set(figures["selective_scan"]["ranges"]) == {"eigenvalue_min=0", "eigenvalue_min=-1"}
    assert all(r["median"] > 0 for r in figures["selective_scan"]["ranges"].values())
    assert set(figures["optimizer_update"]["families"]) == {"lstm", "mingru"}
    assert all(r["median"] > 0 and r["tensors"] > 1 for r in figures["optimizer_update"]["families"].values())
    assert len(data["loadavg"]["start"]) == 3 and set(data["targets"]) >= set(RATIOS)
    assert "trainer_vs_bare" in printed  # the table


def test_a_missing_figure_makes_the_runner_fail(monkeypatch):
    monkeypatch.syspath_prepend(str(BENCH))
    run = importlib.import_module("run")
    args = run.parse(["--smoke", "--only", "trainer_vs_bare,joblib_speedup"])
    out = {"figures": {"trainer_vs_bare": {"median": 1.0}, "joblib_speedup": None}}
    assert run.missing_figures(out, args) == ["joblib_speedup"]
    out["figures"]["joblib_speedup"] = {"median": 1.2}
    assert run.missing_figures(out, args) == []
    assert run.missing_figures({"figures": {}}, run.parse(["--only", "gpu"])) == []  # gpu needs --device cuda


def test_every_naive_reference_matches_its_tasks_layout(bench_modules):
    """Same tensors, dtypes and trailing shapes as the task's own batches, similar means."""
    naive, _ = bench_modules
    for name in sorted(naive.REFERENCES):
        if name not in TASKS.names():
            continue
        task = make_task(name)
        ours = task.sample(task.rng(0, "train"), 400, "train")
        theirs = naive.REFERENCES[name](task, task.rng(0, "train"), 400, "train")
        for field in ("inputs", "targets", "lengths", "target_mask"):
            a, b = getattr(ours, field), getattr(theirs, field)
            assert (a is None) == (b is None), (name, field)
            if a is not None:
                assert a.dtype == b.dtype and a.dim() == b.dim(), (name, field)
                assert a.shape[0] == b.shape[0] and a.shape[2:] == b.shape[2:], (name, field)
        for field in ("inputs", "targets"):
            a, b = getattr(ours, field).double().mean(), getattr(theirs, field).double().mean()
            assert abs(a - b) <= 0.1 * abs(a) + 0.05, (name, field, float(a), float(b))


@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("lengths", [None, [6, 3, 1, 6]])
def test_sigmoid_rnn_matches_the_plain_autograd_loop(bench_modules, bidirectional, lengths):
    """The hand-written backward pass gives autograd's gradients (values, inputs, weights, h0)."""
    _, reference = bench_modules
    torch.manual_seed(0)
    rnn = SigmoidRNN(3, 5, num_layers=2, bidirectional=bidirectional)
    x = torch.randn(4, 6, 3, requires_grad=True)
    h0 = torch.randn(2 * rnn.directions, 4, 5, requires_grad=True)
    lengths = None if lengths is None else torch.tensor(lengths)
    results = []
    for forward in (rnn, lambda *a: reference.plain_sigmoid_rnn(rnn, *a)):
        for t in [x, h0, *rnn.parameters()]:
            t.grad = None
        out, h = forward(x, lengths, h0)
        (out * torch.linspace(-1, 1, out.numel()).view_as(out)).sum().add(h.square().sum()).backward()
        results.append([out.detach(), h.detach(), x.grad, h0.grad, *[p.grad for p in rnn.parameters()]])
    for ours, plain in zip(*results):
        assert torch.allclose(ours, plain, atol=1e-6), (ours - plain).abs().max()


def test_the_timing_helpers():
    sys.path.insert(0, str(BENCH))
    try:
        timing = importlib.import_module("timing")
    finally:
        sys.path.remove(str(BENCH))
    figure = timing.ratio_figure(lambda: 2.0, lambda: 1.0, repeats=3)
    assert figure["median"] == figure["min"] == figure["max"] == 2.0
    assert timing.seconds_per_call(lambda: None, min_seconds=0.001) > 0
    assert np.isclose(timing.stats([1.0, 3.0, 2.0])["median"], 2.0)


@pytest.mark.slow
def test_board_cost_measures_every_task_and_model_and_marks_what_does_not_apply(bench_modules, tmp_path, capsys):
    """bench/board_cost.py: a row per task x model, presets read from conf/model, n/a where the
    model cannot be built for the task (a bidirectional language model)."""
    board_cost = importlib.import_module("board_cost")
    assert board_cost.model_options("bilstm") == ("lstm", {"bidirectional": True})
    assert board_cost.model_options("mamba_signed") == ("mamba", {"eigenvalue_min": -1.0})
    assert board_cost.model_options("gru") == ("gru", {})
    out = tmp_path / "cost.json"
    code = board_cost.main(["--tasks", "parity,grammar_lm", "--models", "gru,bilstm", "--budget", "2000",
                            "--steps", "1", "--warmup", "1", "--json", str(out)])
    figures = json.loads(out.read_text())["ms_per_step"]
    assert code == 0 and set(figures) == {"parity/gru", "parity/bilstm", "grammar_lm/gru", "grammar_lm/bilstm"}
    assert figures["grammar_lm/bilstm"] is None and all(figures[k] > 0 for k in figures if k != "grammar_lm/bilstm")
    assert "| grammar_lm | bilstm | n/a |" in capsys.readouterr().out
