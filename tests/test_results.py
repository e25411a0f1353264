"""Result records and the leaderboard built from them."""

import json

import pandas as pd
import pytest

from seqbench.runs.experiment import run_experiment
from seqbench.boards.tables import results_frame, task_table
from seqbench.boards.render import build
from seqbench.core.record import RunRecord, load_results, write_result

TINY = {"steps": 4, "eval_every": 2, "eval_size": 16, "val_size": 16, "batch_size": 8}


def test_write_is_atomic_and_replaces(tmp_path):
    write_result(tmp_path, RunRecord(task="t", model="m", seed=0, status="ok"))
    write_result(tmp_path, RunRecord(task="t", model="m", seed=1, status="ok",
                                     metrics={"test": {"accuracy": float("nan")}}))
    assert [p.name for p in tmp_path.iterdir()] == ["result.json"]  # no temporary left behind
    record = json.loads((tmp_path / "result.json").read_text())
    assert record["seed"] == 1 and record["metrics"]["test"]["accuracy"] is None  # NaN stored as null


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ('{"schema": 1, "task": "parity", "mod', "not valid JSON"),
        ("[1, 2]", "not a JSON object"),
        ('{"schema": 99, "task": "a", "model": "b", "seed": 0, "status": "ok", "metrics": {}}', "unknown schema 99"),
        ('{"schema": 1, "model": "b", "seed": 0, "status": "ok", "metrics": {}}', "missing key 'task'"),
        ('{"schema": 1, "task": "a", "model": "b", "seed": 0, "status": "great", "metrics": {}}', "unknown status"),
        ('{"schema": 1, "task": "a", "model": "b", "seed": 0, "status": "ok", "metrics": {"test": 3}}',
         "field 'metrics' at ['test'] must be an object, not int"),
    ],
)
def test_bad_result_files_are_skipped_with_the_reason(tmp_path, content, reason):
    (tmp_path / "result.json").write_text(content)
    records, skipped, _ = load_results([tmp_path])
    assert records == [] and len(skipped) == 1
    assert skipped[0][0].endswith("result.json") and reason in skipped[0][1]


def test_leaderboard_shows_intervals_over_seeds_and_examples_and_skipped_files(tmp_path):
    for seed in (0, 1):
        run_experiment({"name": "parity", "length": 4}, {"name": "gru", "hidden_size": 8}, TINY, seed=seed,
                       out_dir=tmp_path / f"gru{seed}")
    run_experiment({"name": "parity", "length": 4}, {"name": "lstm", "hidden_size": 8}, TINY, seed=0,
                   out_dir=tmp_path / "lstm0")
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "result.json").write_text("{")
    markdown, frame, skipped = build([str(tmp_path)], str(tmp_path / "out"))
    records = load_results([tmp_path]).records
    table = task_table(frame, "parity", records)
    lstm = table[table["model"] == "lstm"].iloc[0]
    run = next(r for r in records if r.model == "lstm")
    low, high = run.intervals["test"]["accuracy"]  # one seed: the run's own interval over examples
    assert lstm["accuracy ↑"] == f"{run.metrics['test']['accuracy']:.3f} [{low:.3f}, {high:.3f}]" and lstm["n"] == "1"
    gru = table[table["model"] == "gru"].iloc[0]
    values = sorted(r.metrics["test"]["accuracy"] for r in records if r.model == "gru")
    mean, band = gru["accuracy ↑"].split(" [")
    low, high = (float(x) for x in band.rstrip("]").split(", "))
    assert float(mean) == pytest.approx(sum(values) / 2, abs=1e-3) and gru["n"] == "2"
    assert low <= values[0] and high >= values[1]  # the interval covers both seeds' scores
    assert {"baseline: chance", "baseline: majority"} <= set(table["model"])
    assert "Skipped result files" in markdown and "broken/result.json" in markdown
    assert len(pd.read_csv(tmp_path / "out" / "results.csv")) == 3


def test_leaderboard_marks_the_best_and_averages_exactly():
    records = [RunRecord(task="t", model=m, seed=s, status="ok", primary_metric="mse", higher_is_better=False,
                         n_params=10, metrics={"test": {"mse": v}}) for m, s, v in [("a", 0, 0.5), ("a", 1, 0.7), ("b", 0, 0.2)]]
    table = task_table(results_frame(records), "t").set_index("model")
    assert table.loc["b", "mse ↓"] == "0.200" and bool(table.loc["b", "_best"])  # no interval recorded: none shown
    assert table.loc["a", "mse ↓"] == "0.600 [0.000, 1.871]"  # two seeds: Student's t, 1 degree of freedom, mse >= 0
    assert table.loc["a", "_best"]  # b's one value has no interval: unknown, so a is not worse beyond doubt
    records[2].intervals = {"test": {"mse": [0.15, 0.25]}}
    table = task_table(results_frame(records), "t").set_index("model")
    records += [RunRecord(task="t", model="a", seed=s, status="ok", primary_metric="mse", higher_is_better=False,
                          n_params=10, metrics={"test": {"mse": v}}) for s, v in [(2, 0.6), (3, 0.6), (4, 0.6)]]
    table = task_table(results_frame(records), "t").set_index("model")
    assert not table.loc["a", "_best"]  # five seeds, 0.6 [0.489, 0.711], are worse than 0.15..0.25 beyond doubt


def test_an_invalid_configuration_raises_and_writes_nothing(tmp_path):
    from seqbench.core.errors import ConfigError

    with pytest.raises(ConfigError, match=r"model.hidden_size=-1: must be an integer in \[1, "):
        run_experiment({"name": "parity"}, {"name": "gru", "hidden_size": -1}, TINY, out_dir=tmp_path)
    assert not (tmp_path / "result.json").exists()


def test_a_failing_job_records_failed_and_the_error(tmp_path, monkeypatch):
    import seqbench.runs.experiment as experiment

    def broken_fit(*args, **kwargs):
        raise RuntimeError("the optimiser caught fire")

    monkeypatch.setattr(experiment, "fit_config", broken_fit)
    record = run_experiment({"name": "parity", "length": 4}, {"name": "gru", "hidden_size": 8}, TINY, out_dir=tmp_path)
    assert record.status == "failed" and record.error == "RuntimeError: the optimiser caught fire"
    assert json.loads((tmp_path / "result.json").read_text())["status"] == "failed"


def test_saved_weights_reload_and_code_in_a_pickle_is_refused(tmp_path):
    import pickle

    import torch

    from seqbench.runs.checkpoint import load_run, load_weights

    record = run_experiment({"name": "parity", "length": 4}, {"name": "gru", "hidden_size": 8}, TINY,
                            out_dir=tmp_path / "run", save_model=True)
    assert record["weights"] == "model.pt"
    task, model = load_run(tmp_path / "run")
    from seqbench.engine.evaluation import evaluate, make_eval_sets

    test_set = make_eval_sets(task, TINY["eval_size"], TINY["val_size"])["test"]
    metrics = evaluate(model, task, test_set, torch.device("cpu"))
    assert metrics == {k: v for k, v in record.metrics["test"].items() if k != "length_mean"}  # the selected weights

    class Evil:
        def __reduce__(self):
            return (print, ("this must never run",))

    (tmp_path / "evil.pt").write_bytes(pickle.dumps({"weight": Evil()}))
    with pytest.raises(pickle.UnpicklingError):
        load_weights(tmp_path / "evil.pt")
