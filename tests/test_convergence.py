"""The stopping rule records whether a run converged, and the learning curve its sample efficiency."""

from __future__ import annotations

import tempfile

import pytest
import torch

from seqbench import fit, make_model, make_task
from seqbench.engine.convergence import Plateau, steps_to
from seqbench.runs.experiment import run_experiment


def test_the_plateau_rule_stops_only_after_patience_evaluations_without_a_real_improvement():
    watch = Plateau(higher_is_better=False, patience=3, min_delta=0.05)
    values = [(1, 2.0), (2, 1.5), (3, 1.48), (4, 1.47), (5, 1.46)]  # improvements below 0.05 do not count
    stops = [watch.update(step, value) for step, value in values]
    assert stops == [False, False, False, False, True] and watch.best_step == 2
    assert watch.reason == "no improvement above 0.05 in 3 evaluations after step 2"


def test_a_target_is_a_ceiling_that_counts_as_converged():
    watch = Plateau(higher_is_better=True, target=1.0)
    assert [watch.update(s, v) for s, v in [(1, 0.9), (2, 1.0)]] == [False, True]
    assert watch.converged and watch.reason == "reached the target 1 at step 2"


def test_steps_to_reads_the_share_of_the_improvement_in_either_direction():
    curve = [{"step": s, "val_bits_per_char": v} for s, v in [(10, 3.0), (20, 2.0), (30, 1.2), (40, 1.0)]]
    assert steps_to(curve, "bits_per_char", higher_is_better=False) == {"0.5": 20, "0.9": 30, "0.99": 40}
    assert steps_to(curve[:1], "bits_per_char", higher_is_better=False) == {}
    flat = [{"step": s, "val_accuracy": 1.0} for s in (10, 20)]
    assert steps_to(flat, "accuracy", higher_is_better=True) == {}


def test_a_run_stopped_by_the_cap_is_not_converged_and_one_stopped_by_the_plateau_is():
    task = make_task("parity", length=6)
    sizes = dict(eval_size=64, val_size=64, batch_size=32, eval_every=5, lr=0.01)
    torch.manual_seed(0)
    capped = fit(make_model("gru", task.spec, hidden_size=8), task, steps=10, **sizes)
    assert capped.steps == 10 and not capped.converged and capped.stop_reason == ""
    torch.manual_seed(0)
    stopped = fit(make_model("gru", task.spec, hidden_size=8), task, steps=2000, patience=2, min_delta=1.0, **sizes)
    # no change can exceed 1.0 in accuracy: the third evaluation (step 15) ends the run
    assert stopped.converged and stopped.steps == 15 and "after step 5" in stopped.stop_reason


def test_the_record_says_whether_the_run_converged_and_how_fast_it_learnt():
    record = run_experiment({"name": "parity", "length": 6}, {"name": "gru", "hidden_size": 16},
                            {"steps": 400, "eval_every": 20, "patience": 3, "min_delta": 0.001, "lr": 0.01,
                             "eval_size": 128, "val_size": 128}, out_dir=tempfile.mkdtemp())
    assert record.status == "ok" and isinstance(record.converged, bool) and record.stop_reason is not None
    assert record.best_step <= record.steps
    for fraction, step in record.steps_to.items():
        assert 0 < float(fraction) < 1 and step <= record.best_step


def test_trainer_converge_is_the_convergence_budget():
    from hydra import compose, initialize_config_module

    from seqbench.cli.run import register_configs

    register_configs()
    with initialize_config_module("seqbench.conf", version_base="1.3"):
        cfg = compose("config", overrides=["trainer=converge"])
    assert cfg.trainer.patience == 5 and cfg.trainer.min_delta == pytest.approx(0.001) and cfg.trainer.steps == 5000


@pytest.mark.parametrize("smooth", [1, 2, 3])
def test_the_plateau_rule_resumed_from_its_saved_state_decides_as_one_uninterrupted(smooth):
    """What a budget-limited run saves (best, its step, evaluations waited) plus the curve it
    refills the recent values from gives every later decision of a run that never stopped."""
    from seqbench.engine.convergence import Plateau

    curve = [0.50, 0.53, 0.49, 0.55, 0.60, 0.58, 0.61, 0.62, 0.61, 0.60, 0.62, 0.61, 0.60]
    whole = Plateau(True, patience=3, min_delta=0.01, smooth=smooth)
    decisions = [whole.update(i, v) for i, v in enumerate(curve)]
    for cut in range(1, len(curve)):
        first = Plateau(True, patience=3, min_delta=0.01, smooth=smooth)
        before = [first.update(i, v) for i, v in enumerate(curve[:cut])]
        if any(before):
            continue  # it stopped before the cut: nothing to resume
        resumed = Plateau(True, patience=3, min_delta=0.01, smooth=smooth)
        resumed.best, resumed.best_step, resumed.waited = first.best, first.best_step, first.waited
        resumed.seen = list(curve[:cut])  # what fit_config refills from the history
        after = [resumed.update(i, v) for i, v in enumerate(curve[cut:], start=cut)]
        stop = next((i for i, d in enumerate(before + after) if d), None)
        assert stop == next((i for i, d in enumerate(decisions) if d), None), cut


def test_the_smooth_option_at_its_default_leaves_a_runs_identity_as_before():
    """resume=true finds the runs of grids started before trainer.smooth existed: at smooth=1 the
    identity is the one the code before the option computed (pinned from commit c5dcb1e)."""
    from seqbench.runs.plan import validate_experiment

    def identity(**extra):
        return validate_experiment({"name": "parity", "length": 8}, {"name": "gru", "hidden_size": 8},
                                   {"steps": 50, "patience": 3, "min_delta": 0.01, **extra}, seed=1).identity

    assert identity() == identity(smooth=1) == "65b32376c32ba002"
    assert identity(smooth=3) != identity()


# -- trainer.min_steps: no plateau stop on a start-up plateau ---------------------------------------------


def _parity_run(**trainer):
    """A small parity run whose plateau rule fires early (a coarse min_delta), CPU, one thread."""
    from seqbench import make_model, make_task
    from seqbench.engine.train import fit_config
    from seqbench.engine.trainer_options import TrainerConfig

    task = make_task("parity", length=6, min_length=2)
    torch.manual_seed(0)
    model = make_model("gru", task.spec, hidden_size=4)
    config = TrainerConfig.of({"steps": 400, "batch_size": 8, "eval_every": 20, "eval_size": 64, "val_size": 64,
                               "patience": 2, "min_delta": 0.3, **trainer})
    return fit_config(model, task, config, seed=0)


def test_min_steps_keeps_a_run_going_and_changes_nothing_it_does_not_stop():
    """The rule stops no run before min_steps (unless at the ceiling); a run it stopped at step s
    is the same run, to the last bit, under any min_steps <= s: what lets resume keep its record."""
    plain = _parity_run()
    assert plain.converged and plain.steps < 400
    same = _parity_run(min_steps=plain.steps)
    assert (same.steps, same.history, same.metrics) == (plain.steps, plain.history, plain.metrics)
    later = _parity_run(min_steps=plain.steps + 100)
    assert later.steps >= plain.steps + 100 and later.history[:len(plain.history)] == plain.history


def test_a_record_is_kept_under_a_larger_min_steps_only_where_the_replayed_rule_stops_it_where_it_stopped(tmp_path):
    """adoptable replays the plan's rule over the record's val curve: kept when it stops there (past the
    minimum, or with an evaluation at the ceiling even if its best level moved by less than min_delta);
    trained again when it would go on."""
    from seqbench.core.record import RunRecord, write_result
    from seqbench.runs.plan import validate_experiment
    from seqbench.runs.replacement import adoptable

    rule = {"steps": 2000, "eval_every": 100, "patience": 2, "min_delta": 0.01}
    old, new = (validate_experiment({"name": "parity", "length": 4}, {"name": "gru"}, {**rule, "min_steps": m})
                for m in (0, 500))

    def kept(values):
        record = RunRecord(task="parity", model="gru", seed=0, model_label="gru", status="ok",
                           task_version=old.task.version, task_params=dict(old.task.params),
                           model_params=dict(old.model_options), trainer_params=old.trainer.as_dict(), device="cpu",
                           config_hash=old.identity, primary_metric="accuracy", higher_is_better=True,
                           history=[{"step": 100 * (i + 1), "val_accuracy": v} for i, v in enumerate(values)],
                           steps=100 * len(values), converged=True)
        write_result(tmp_path, record)
        return adoptable(tmp_path, new) is not None

    assert kept([0.5, 0.6, 0.7, 0.9, 0.9, 0.9])  # stopped at step 600 >= 500
    assert kept([0.995, 1.0, 1.0])  # stopped at 300 with an evaluation at the ceiling
    assert not kept([0.5, 0.5, 0.5])  # stopped at 300 on its start-up plateau: the new rule goes on
