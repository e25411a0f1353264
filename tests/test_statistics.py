"""Practical equivalence, honest convergence: what 'better' and 'converged' mean on a board."""

import pytest

from seqbench.boards.aggregate import better, interval_ranks, tied_with_best
from seqbench.engine.convergence import Plateau, budget_limited, still_improving
from seqbench.boards.tables import overview, results_frame, task_table
from seqbench.core.record import RunRecord
from seqbench.core.spec import METRICS, metric_margin, metric_spec


def cell_runs(model, values, task="bracket_depth", metric="accuracy", width=0.0001, higher=True):
    return [RunRecord(task=task, model=model, seed=s, status="ok", primary_metric=metric, higher_is_better=higher,
                      trainer_params={"steps": 5000}, metrics={"test": {metric: v}},
                      intervals={"test": {metric: [v - width, min(v + width, 1.0) if higher else v + width]}})
            for s, v in enumerate(values)]


def test_every_metric_declares_a_direction_and_a_margin_in_one_registry():
    for name in ("accuracy", "length_mean", "content_accuracy", "stop_accuracy", "excess_bits_per_char",
                 "excess_accuracy", "mse", "cross_entropy", "bits_per_char", "perplexity"):
        assert name in METRICS, name
    assert metric_margin("accuracy") == (0.005, False) and metric_margin("mse") == (0.05, True)
    assert metric_spec("length_mean", "mse").higher_is_better is False
    assert metric_spec("excess_accuracy").ceiling is None


def test_a_gap_under_the_margin_is_a_tie_however_certain():
    """bracket_depth: the transformer at 0.99994 against 1.000 was ranked #7 of 9 and painted worst."""
    records = (cell_runs("lstm", [1.0] * 5) + cell_runs("gru", [1.0] * 5)
               + cell_runs("transformer", [0.99994, 0.99993, 0.99995, 0.99994, 0.99994]))
    view = overview(results_frame(records))
    assert view.ranks.loc["bracket_depth"].tolist() == [1.0, 1.0, 1.0]
    table = task_table(results_frame(records), "bracket_depth")
    assert table["_best"].all()


def test_a_gap_beyond_the_margin_and_beyond_doubt_ranks():
    records = cell_runs("lstm", [0.95, 0.951, 0.949]) + cell_runs("gru", [0.90, 0.901, 0.899])
    view = overview(results_frame(records))
    assert view.ranks.loc["bracket_depth", "lstm"] == 1.0 and view.ranks.loc["bracket_depth", "gru"] == 2.0


def test_better_needs_both_the_margin_and_the_difference_interval():
    assert not better((0.904, 0.903, 0.905), (0.900, 0.899, 0.901), True, 0.005)  # sure, but under the margin
    assert not better((0.95, 0.80, 1.0), (0.90, 0.85, 0.95), True, 0.005)  # over the margin, not sure
    assert better((0.95, 0.94, 0.96), (0.90, 0.89, 0.91), True, 0.005)
    assert interval_ranks([0.1, 0.2], [0.09, 0.19], [0.11, 0.21], False, (0.05, True)).tolist() == [1.0, 2.0]
    assert tied_with_best([0.100, 0.103], [0.099, 0.102], [0.101, 0.104], False, (0.05, True)).tolist() == [True, True]


def test_the_plateau_threshold_is_on_the_metrics_scale():
    """adding: mse near 1e-4 can never improve by an absolute 0.001; a relative threshold can be exceeded."""
    absolute, relative = Plateau(False, 3, 0.001), Plateau(False, 3, 0.001, relative=True)
    curve = [(100 * i, 2e-4 * 0.8 ** i) for i in range(1, 10)]  # still falling 20 % per evaluation
    assert any(absolute.update(step, value) for step, value in curve)  # stopped: "converged" while falling
    assert not any(relative.update(step, value) for step, value in curve)


def test_a_run_capped_while_its_curve_still_falls_is_budget_limited_not_converged():
    history = [{"step": 100 * i, "val_mse": 1e-3 * 0.9 ** i} for i in range(1, 51)]
    assert still_improving(history, "mse", False, window=5, min_delta=0.001, relative=True)
    record = RunRecord(task="adding", model="gru", seed=0, status="ok", primary_metric="mse", higher_is_better=False,
                       steps=5000, converged=False, history=history,
                       trainer_params={"steps": 5000, "patience": 5, "min_delta": 0.001})
    assert budget_limited(record)
    flat = [{"step": 100 * i, "val_mse": 1e-3} for i in range(1, 51)]
    assert not budget_limited(RunRecord(**{**record.to_json(), "history": flat}))
    assert not budget_limited(RunRecord(**{**record.to_json(), "steps": 800}))  # stopped before the cap


def test_a_new_run_records_whether_it_was_budget_limited(tmp_path):
    from seqbench.runs.experiment import run_experiment

    trainer = {"steps": 60, "batch_size": 16, "eval_every": 10, "eval_size": 64, "val_size": 64, "lr": 0.01}
    record = run_experiment({"name": "adding", "length": 10}, {"name": "gru", "hidden_size": 8}, trainer,
                            out_dir=tmp_path)
    assert record.budget_limited is not None and record.converged is False
    table = task_table(results_frame([record]), "adding")
    assert ("budget-limited" in table.columns) == record.budget_limited


def test_a_budget_limited_run_continues_to_a_larger_cap_as_if_it_had_run_there_at_once(tmp_path):
    from seqbench.runs.experiment import run_experiment
    from seqbench.engine.training_state import STATE_FILE

    task, model = {"name": "parity", "length": 6}, {"name": "gru", "hidden_size": 8, "dropout": 0.1,
                                                     "num_layers": 2}
    trainer = {"batch_size": 16, "eval_every": 5, "eval_size": 64, "val_size": 64, "lr": 0.01}
    first = run_experiment(task, model, {**trainer, "steps": 20}, out_dir=tmp_path / "a")
    assert first.budget_limited and (tmp_path / "a" / STATE_FILE).exists()
    extended = run_experiment(task, model, {**trainer, "steps": 40}, out_dir=tmp_path / "a", extend=True)
    straight = run_experiment(task, model, {**trainer, "steps": 40}, out_dir=tmp_path / "b")
    assert extended.history == straight.history and extended.metrics == straight.metrics
    assert extended.steps == straight.steps == 40 and extended.best_step == straight.best_step
    assert (tmp_path / "a" / STATE_FILE).exists() == bool(extended.budget_limited)
    assert [r["step"] for r in extended.resumed] == [20] and extended.resumed[0]["from"] == STATE_FILE


class Killed(BaseException):
    """A kill at a given moment: not an Exception, so no record is written (as under kill -9)."""


def test_a_killed_run_resumes_from_its_snapshot_as_if_never_stopped(tmp_path, monkeypatch, capsys):
    """A run saves ``partial.pt`` as it goes; killed after its second snapshot (step 10), the same
    run with ``resume=true`` (extend) goes on from step 10, not 0, and ends exactly where the
    uninterrupted run ends (dropout draws torch's random stream, batches the task's), then
    removes the snapshot. Another run's snapshot in the folder (another rate) is not used."""
    import seqbench.engine.train as train
    import seqbench.runs.experiment as experiment
    from seqbench.engine.training_state import PARTIAL_FILE, STATE_FILE, load_state
    from seqbench.runs.experiment import run_experiment

    monkeypatch.setattr(train, "SNAPSHOT_SECONDS", 0.0)  # a snapshot at every evaluation
    task, model = {"name": "parity", "length": 6}, {"name": "gru", "hidden_size": 8, "dropout": 0.1, "num_layers": 2}
    trainer = {"batch_size": 16, "eval_every": 5, "eval_size": 64, "val_size": 64, "lr": 0.01, "steps": 40,
               "patience": 100}
    straight = run_experiment(task, model, trainer, out_dir=tmp_path / "straight")
    assert not (tmp_path / "straight" / PARTIAL_FILE).exists()  # removed when the run ended

    save, saved = experiment.save_state, []

    def save_then_die(state, folder, name=STATE_FILE):
        save(state, folder, name)
        saved.append(state.step)
        if name == PARTIAL_FILE and len(saved) == 2:
            raise Killed

    monkeypatch.setattr(experiment, "save_state", save_then_die)
    with pytest.raises(Killed):
        run_experiment(task, model, trainer, out_dir=tmp_path / "killed")
    monkeypatch.setattr(experiment, "save_state", save)
    assert saved == [5, 10] and not (tmp_path / "killed" / "result.json").exists()
    assert load_state(tmp_path / "killed", PARTIAL_FILE).step == 10

    fit, started = experiment.fit_config, []

    def watched(*args, resume_from=None, **kwargs):
        started.append(resume_from.step if resume_from is not None else 0)
        return fit(*args, resume_from=resume_from, **kwargs)

    monkeypatch.setattr(experiment, "fit_config", watched)
    other = run_experiment(task, model, {**trainer, "lr": 0.003}, out_dir=tmp_path / "killed", extend=True)
    assert started == [0] and other.steps == 40  # another plan: started over (and its own snapshots removed)
    assert not (tmp_path / "killed" / PARTIAL_FILE).exists()

    with pytest.raises(Killed):  # kill the first plan again, then resume it
        monkeypatch.setattr(experiment, "save_state", save_then_die)
        saved.clear()
        run_experiment(task, model, trainer, out_dir=tmp_path / "killed")
    monkeypatch.setattr(experiment, "save_state", save)
    capsys.readouterr()
    resumed = run_experiment(task, model, trainer, out_dir=tmp_path / "killed", extend=True)
    assert started == [0, 0, 10]  # the kill started from 0; the resume from step 10
    assert "parity x gru seed 0: continues from step 10 (a snapshot of the run, killed)" in capsys.readouterr().err
    assert resumed.history == straight.history and resumed.metrics == straight.metrics
    assert resumed.steps == straight.steps and resumed.best_step == straight.best_step
    assert resumed.config_hash == straight.config_hash
    assert not (tmp_path / "killed" / PARTIAL_FILE).exists()
    assert straight.resumed is None and resumed.resumed == [{"step": 10, "from": PARTIAL_FILE,
                                                             "git_commit": experiment.git_commit()}]


def test_a_snapshot_of_a_language_model_loads_back(tmp_path):
    """Perplexity comes out of numpy; the state file's safe loader refuses numpy numbers, so the
    curve keeps plain floats and a language model's snapshot is read back, not silently dropped."""
    import math

    from seqbench import make_model, make_task
    from seqbench.engine.train import fit_config, seeded
    from seqbench.engine.trainer_options import TrainerConfig
    from seqbench.engine.training_state import PARTIAL_FILE, load_state, save_state

    task = make_task("markov_lm")
    config = TrainerConfig.of({"steps": 4, "batch_size": 8, "eval_every": 2, "eval_size": 32, "val_size": 32})
    states = []
    with seeded(0):
        model = make_model("gru", task.spec, hidden_size=8)
        fit_config(model, task, config, snapshot=states.append, snapshot_seconds=0.0)
    assert [state.step for state in states] == [2]  # none at the last step: the run ends there
    assert type(states[0].history[0]["val_perplexity"]) is float and math.isfinite(states[0].history[0]["val_perplexity"])
    save_state(states[0], tmp_path, PARTIAL_FILE)
    assert load_state(tmp_path, PARTIAL_FILE).history == states[0].history


def test_only_the_same_setup_with_a_larger_cap_continues(tmp_path):
    from seqbench.runs.experiment import run_experiment

    task, model = {"name": "parity", "length": 6}, {"name": "gru", "hidden_size": 8}
    trainer = {"batch_size": 16, "eval_every": 5, "eval_size": 64, "val_size": 64, "lr": 0.01, "steps": 20}
    run_experiment(task, model, trainer, out_dir=tmp_path)
    other = run_experiment(task, model, {**trainer, "steps": 40, "lr": 0.003}, out_dir=tmp_path, extend=True)
    assert other.history[0]["step"] == 5  # started over: another learning rate is another run


def test_an_old_run_stopped_by_an_absolute_threshold_while_its_mse_fell_is_not_counted_converged():
    """The committed adding runs: min_delta 0.001 absolute on an mse near 1e-4 stopped the GRU at step 800."""
    from seqbench.engine.convergence import converged

    falling = [{"step": 100 * i, "val_mse": 1e-3 * 0.8 ** i} for i in range(1, 9)]
    record = RunRecord(task="adding", model="gru", seed=0, status="ok", primary_metric="mse", higher_is_better=False,
                       steps=800, converged=True, history=falling,
                       trainer_params={"steps": 5000, "patience": 5, "min_delta": 0.001})
    assert budget_limited(record) and converged(record) is False
    flat = RunRecord(**{**record.to_json(), "history": [{"step": 100 * i, "val_mse": 1e-4} for i in range(1, 9)]})
    assert not budget_limited(flat) and converged(flat) is True
