"""The one trainer: determinism, best-checkpoint selection, divergence, early stop, TBPTT."""

import math

import pytest
import torch

from seqbench import fit, make_model, make_task
from seqbench.engine.steps import TruncatedBPTT, WholeSequence



def _fit(task_name="parity", model_name="gru", seed=0, task_knobs=None, model_opts=None, **options):
    task = make_task(task_name, **(task_knobs or {}))
    torch.manual_seed(seed)
    model = make_model(model_name, task.spec, hidden_size=16, **(model_opts or {}))
    defaults = dict(steps=20, batch_size=16, eval_every=5, eval_size=64)
    return fit(model, task, seed=seed, **{**defaults, **options})


def test_same_seed_gives_identical_numbers_on_cpu():
    a, b = _fit(seed=3), _fit(seed=3)
    assert a.metrics == b.metrics and a.history == b.history
    assert a.dataset_fingerprint == b.dataset_fingerprint
    assert _fit(seed=4).metrics != a.metrics


def test_best_val_checkpoint_is_kept_not_the_last():
    result = _fit(steps=40, eval_every=5, lr=0.05)
    best = max(result.history, key=lambda h: h["val_accuracy"])
    assert result.best_step == best["step"]
    assert result.metrics["val"]["accuracy"] == pytest.approx(best["val_accuracy"])


def test_checkpoint_last_scores_the_final_parameters():
    """trainer.checkpoint=last (the Chomsky-hierarchy paper's protocol) scores the parameters after the
    last step, not the best val evaluation's: the same training, another scored model."""
    best = _fit(steps=40, eval_every=5, lr=0.05)
    last = _fit(steps=40, eval_every=5, lr=0.05, checkpoint="last")
    assert last.history == best.history and last.best_step == best.best_step
    assert best.best_step != last.history[-1]["step"]  # here the best evaluation is not the last one
    assert last.metrics["val"]["accuracy"] == pytest.approx(last.history[-1]["val_accuracy"])
    assert last.metrics["val"]["accuracy"] != pytest.approx(best.metrics["val"]["accuracy"])


def test_checkpoint_latest_best_moves_to_the_latest_tie_at_the_best_val_score():
    """trainer.checkpoint=latest_best keeps the best val evaluation as best does, but a later evaluation
    that ties it takes its place: a run held at the val ceiling (accuracy 1) scores its last evaluation
    there, not its first."""
    options = dict(task_name="digits", model_name="mlp", steps=200, eval_every=10, lr=0.01, val_size=20)
    best, latest = _fit(**options), _fit(checkpoint="latest_best", **options)
    assert latest.history == best.history
    top = max(h["val_accuracy"] for h in best.history)
    ties = [h["step"] for h in best.history if h["val_accuracy"] == top]
    assert len(ties) > 1  # this run meets its best val score more than once
    assert best.best_step == ties[0] and latest.best_step == ties[-1]
    assert latest.metrics["val"]["accuracy"] == pytest.approx(top)
    assert latest.metrics["test"] != best.metrics["test"]  # the later tie's parameters are the ones scored


def test_non_finite_loss_is_recorded_as_diverged():
    class Exploding(WholeSequence):
        def __call__(self, model, task, batch):
            loss = super().__call__(model, task, batch)
            self.calls = getattr(self, "calls", 0) + 1
            return float("nan") if self.calls == 4 else loss

    task = make_task("parity")

    def run(checkpoint):
        torch.manual_seed(0)
        model = make_model("gru", task.spec, hidden_size=8)
        return fit(model, task, steps=10, eval_every=2, eval_size=32, batch_size=8, strategy=Exploding(),
                   checkpoint=checkpoint)

    result = run("best")
    assert result.status == "diverged"
    assert "step 4" in result.error and "last finite loss" in result.error
    assert result.steps == 3 and result.best_step == 2
    kept = run("last")  # the parameters after step 3 were never evaluated: a diverged run scores its best
    assert kept.status == "diverged" and kept.metrics == result.metrics


def test_early_stop_at_the_target():
    result = _fit(task_name="digits", model_name="mlp", steps=400, eval_every=10, lr=0.01, target=0.5)
    assert result.steps < 400
    assert result.history[-1]["val_accuracy"] >= 0.5


def test_tbptt_with_k_at_least_the_length_equals_full_backprop():
    task = make_task("markov_lm", length=12)
    batch = task.sample(task.rng(0, "train"), 8)
    torch.manual_seed(0)
    model = make_model("lstm", task.spec, hidden_size=8)

    def grads(strategy):
        model.zero_grad()
        loss = strategy(model, task, batch)
        return loss, [p.grad.clone() for p in model.parameters()]

    full_loss, full = grads(WholeSequence())
    chunk_loss, chunked = grads(TruncatedBPTT(12))
    assert chunk_loss == pytest.approx(full_loss)
    assert all(torch.allclose(a, b, atol=1e-6) for a, b in zip(full, chunked))
    short_loss, short = grads(TruncatedBPTT(4))  # same loss, but gradients cut at chunk borders
    assert short_loss == pytest.approx(full_loss, rel=1e-5)
    assert not all(torch.allclose(a, b, atol=1e-6) for a, b in zip(full, short))


@pytest.mark.slow
def test_learning_happens_at_small_scale():
    """A GRU learns parity of short strings far above chance in a few hundred steps."""
    result = _fit(task_knobs={"length": 6}, steps=400, eval_every=50, lr=0.01, batch_size=64)
    assert result.metrics["test"]["accuracy"] > 0.9
    assert math.isfinite(result.tokens_per_second) and result.tokens_per_second > 0


def test_a_long_job_without_a_progress_bar_reports_progress(monkeypatch, capsys):
    import seqbench.engine.train as train

    monkeypatch.setattr(train, "PROGRESS_SECONDS", 0.0)  # report after every step
    _fit(steps=4, eval_every=2, eval_size=16, val_size=16, progress="parity x gru seed 0")
    lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith("[seqbench] parity x gru")]
    assert len(lines) == 4 and lines[0].startswith("[seqbench] parity x gru seed 0: step 1/4, loss ")
    assert "val accuracy" in lines[-1]  # after the first evaluation the line shows the validation score


@pytest.mark.parametrize("family", ["lstm", "complex", pytest.param("mingru", marks=pytest.mark.slow),
                                    pytest.param("mamba", marks=pytest.mark.slow)])
def test_seqbench_adam_matches_torchs_per_tensor_loop_bit_for_bit(family):
    """Our Adam runs torch's foreach kernels on CPU; the parameters it produces are those of
    torch.optim.Adam on its default CPU path (a per-tensor loop) and on its foreach path, bit for
    bit: the speed-up changes no number. "complex": a model with a complex parameter (no family
    has one; Adam's complex path views it as real pairs)."""
    import copy

    import torch

    from seqbench.engine.optim import Adam
    from seqbench.engine.train import _clip

    task = make_task("sort")
    torch.manual_seed(0)
    if family == "complex":
        ours = torch.nn.Linear(3, 4)
        ours.phase = torch.nn.Parameter(torch.randn(4, dtype=torch.complex64))
        inputs = torch.randn(12, 8, 3)
        losses = [lambda m, x=x: ((m(x) * m.phase).abs() ** 2).mean() for x in inputs]
    else:
        ours = make_model(family, task.spec, hidden_size=16)
        rng = task.rng(0, "train")
        batches = [task.sample(rng, 8, "train") for _ in range(12)]
        losses = [lambda m, b=b: task.loss(m(b), b) for b in batches]
    loop, foreach, initial = copy.deepcopy(ours), copy.deepcopy(ours), copy.deepcopy(ours)
    runs = [(ours, Adam(ours.parameters(), lr=0.003)),
            (loop, torch.optim.Adam(loop.parameters(), lr=0.003, foreach=False)),
            (foreach, torch.optim.Adam(foreach.parameters(), lr=0.003, foreach=True))]
    for model, optimizer in runs:
        for loss in losses:
            optimizer.zero_grad()
            loss(model).backward()
            _clip(list(model.parameters()), "norm", 0.5)
            optimizer.step()
    for other in (loop, foreach):
        assert all(torch.equal(a, b) for a, b in zip(ours.state_dict().values(), other.state_dict().values()))
    assert not all(torch.equal(a, b) for a, b in zip(ours.state_dict().values(), initial.state_dict().values()))


TRAIN_IN_A_FRESH_PROCESS = """
import sys
from seqbench import make_model, make_task
from seqbench.runs.experiment import run_experiment
task = make_task("adding", length=6, min_length=6)
model = make_model("rnn_sigmoid", task.spec, param_budget=3000)  # the first import of its module: under meta
model(task.sample(task.rng(0, "train"), 4, "train")).sum().backward()
run_experiment({"name": "parity"}, {"name": "gru", "hidden_size": 8}, {"steps": 3, "eval_every": 3, "eval_size": 16,
               "val_size": 16}, seed=0, out_dir=sys.argv[1])
print("torch._dynamo" in sys.modules)
"""


@pytest.mark.slow
def test_a_fresh_process_trains_without_torch_dynamo_and_builds_budgeted_models(tmp_path):
    """In a fresh interpreter (one, for two checks that need one): ``param_budget`` builds
    candidates under ``torch.device("meta")``, and a model module imported there for the first
    time must not leave module-level tensors on meta (the sigmoid RNN's constant once did); and
    a run never imports torch._dynamo, which torch.optim's wrappers import (1.6 s a process)."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", TRAIN_IN_A_FRESH_PROCESS, str(tmp_path)], capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "False"
