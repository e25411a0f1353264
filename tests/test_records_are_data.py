"""Records are data: a board never opens a file a record names, and never claims certainty the data lack."""

import math

import pytest

from seqbench.boards.lookup import Board
from seqbench.boards.claims import evaluate
from seqbench.engine.exact_intervals import exact_proportion, guard, record_interval
from seqbench.boards.render import build
from seqbench.core.record import RunRecord, read_result, write_result


def lm_record(**fields):
    return RunRecord(task="text_lm", model="lstm", seed=0, status="ok", kind="lm", task_version=1,
                     primary_metric="bits_per_char", higher_is_better=False,
                     metrics={"test": {"bits_per_char": 2.5}}, intervals={"test": {"bits_per_char": [2.4, 2.6]}},
                     **fields)


def test_the_page_never_reads_a_file_a_record_names(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-LINE " * 200)
    write_result(tmp_path / "runs" / "a", lm_record(task_params={"path": str(secret), "length": 64}))
    build([str(tmp_path / "runs")], str(tmp_path / "out"), figures=False)
    page = (tmp_path / "out" / "leaderboard.html").read_text()
    assert "TOP-SECRET" not in page and str(secret) in page  # the path is shown as a knob value, as text


def test_a_record_with_its_task_facts_renders_as_it_ran_not_as_the_code_is_now(tmp_path):
    facts = {"description": "the task as it was in 2025", "version": 1, "level": None, "ood_shift": None,
             "knobs": {"length": {"value": 64, "default": 64, "help": "characters"}}, "example": "an old example"}
    write_result(tmp_path / "runs" / "a", lm_record(task_params={"length": 64}, task_facts=facts))
    build([str(tmp_path / "runs")], str(tmp_path / "out"), figures=False)
    page = (tmp_path / "out" / "leaderboard.html").read_text()
    assert "the task as it was in 2025" in page and "an old example" in page


def test_a_run_records_its_task_facts_and_split_sizes(tmp_path):
    from seqbench.runs.experiment import run_experiment

    trainer = {"steps": 2, "batch_size": 8, "eval_every": 1, "eval_size": 1, "val_size": 1}
    run_experiment({"name": "parity", "length": 4}, {"name": "rnn_tanh", "hidden_size": 4}, trainer, out_dir=tmp_path)
    record = read_result(tmp_path / "result.json")
    assert record.task_facts["description"] and record.task_facts["example"]
    assert record.split_sizes["test"] == 1 and record.split_sizes["val"] == 1
    low, high = record.intervals["test"]["accuracy"]
    # one example: the exact interval, [0.025, 1] if it was right and [0, 0.975] if wrong; never [v, v]
    assert [round(low, 3), round(high, 3)] in ([0.025, 1.0], [0.0, 0.975])


def test_an_all_correct_split_gets_the_exact_interval_not_a_point():
    assert [round(v, 3) for v in exact_proportion(1.0, 1)] == [0.025, 1.0]
    assert [round(v, 3) for v in exact_proportion(0.0, 1)] == [0.0, 0.975]
    low, high = guard("accuracy", 1.0, [1.0, 1.0], 2000)
    assert high == 1.0 and 0.998 < low < 0.999  # Clopper-Pearson: (0.025) ** (1 / 2000)
    assert guard("token_accuracy", 0.9, [0.85, 0.95], 10)[0] < 0.85  # too few examples: widened to exact
    assert all(math.isnan(v) for v in guard("mse", 0.1, [0.1, 0.1], 3))  # no exact form: unknown


def test_older_records_with_point_intervals_are_read_as_exact_ones():
    record = RunRecord(task="t", model="m", seed=0, status="ok", primary_metric="accuracy", higher_is_better=True,
                       metrics={"test": {"accuracy": 1.0}}, intervals={"test": {"accuracy": [1.0, 1.0]}},
                       trainer_params={"eval_size": 1})
    assert [round(v, 3) for v in record_interval(record, "test", "accuracy")] == [0.025, 1.0]


def test_a_claim_cannot_pass_beyond_doubt_on_one_example():
    record = RunRecord(task="t", model="m", seed=0, status="ok", primary_metric="accuracy", higher_is_better=True,
                       metrics={"test": {"accuracy": 1.0}}, intervals={"test": {"accuracy": [1.0, 1.0]}},
                       trainer_params={"eval_size": 1})
    claim = {"id": "c", "says": "m is near perfect", "kind": "at_least", "task": "t", "model": "m", "value": 0.99}
    assert not evaluate(Board([record]), [claim])[0].passed
    no_interval = RunRecord(**{**record.to_json(), "metrics": {"test": {"accuracy": 1.0}}, "intervals": {}})
    no_interval.primary_metric = "mse"
    no_interval.metrics = {"test": {"mse": 0.0}}
    claim = {**claim, "kind": "at_most", "value": 0.01}
    assert not evaluate(Board([no_interval]), [claim])[0].passed  # unknown interval: not beyond doubt


@pytest.mark.parametrize("n", [1, 5, 19])
def test_small_splits_of_a_proportion_are_never_zero_width(n):
    low, high = guard("accuracy", 1.0, [1.0, 1.0], n)
    assert high - low > 0.1


def _accuracy_runs(steps):
    return [RunRecord(task="parity", model=m, seed=s, status="ok", primary_metric="accuracy", higher_is_better=True,
                      trainer_params={"steps": steps}, metrics={"test": {"accuracy": a + s / 100}},
                      intervals={"test": {"accuracy": [a - 0.01 + s / 100, a + 0.01 + s / 100]}})
            for m, a in [("lstm", 0.9), ("gru", 0.6)] for s in (0, 1)]


def test_a_smoke_board_says_so_at_its_top_and_shows_no_ranks(tmp_path):
    for i, record in enumerate(_accuracy_runs(steps=20)):
        write_result(tmp_path / "runs" / str(i), record)
    markdown, _, _ = build([str(tmp_path / "runs")], str(tmp_path / "out"), figures=False)
    top = markdown.split("\n## ")[0]
    assert "smoke budget" in top and "rank nothing" in top
    assert "(#" not in markdown and "mean rank over" not in markdown and "**" not in markdown
    page = (tmp_path / "out" / "leaderboard.html").read_text()
    assert "smoke budget" in page and 'class="rank"' not in page and "mean rank over" not in page


def test_a_real_budget_ranks_and_the_page_shows_the_headroom_table(tmp_path):
    for i, record in enumerate(_accuracy_runs(steps=2000)):
        write_result(tmp_path / "runs" / str(i), record)
    markdown, _, _ = build([str(tmp_path / "runs")], str(tmp_path / "out"), figures=False)
    assert "(#1)" in markdown and "smoke budget" not in markdown
    page = (tmp_path / "out" / "leaderboard.html").read_text()
    headroom = page.split('<section id="headroom">')[1].split("</section>")[0]
    assert '<table class="board sortable" id="table-headroom">' in headroom and "lstm 0.905" in headroom


def test_a_model_whose_every_run_failed_does_not_erase_the_other_models_mean_ranks(tmp_path):
    """The overview ranks the models with a score, as a `ranks` claim does; the failed model keeps its task rows."""
    runs = _accuracy_runs(steps=2000) + [RunRecord(task="parity", model="rnn_tanh", seed=s, status="failed",
                                                   trainer_params={"steps": 2000}, error="boom") for s in (0, 1)]
    for i, record in enumerate(runs):
        write_result(tmp_path / "runs" / str(i), record)
    markdown, _, _ = build([str(tmp_path / "runs")], str(tmp_path / "out"), figures=False)
    overview = markdown.split("\n## Overview")[1].split("\n## ")[0]
    assert "mean rank over the 1 task every model ran" in overview and "rnn_tanh" not in overview
    assert "rnn_tanh" in markdown.split("\n## parity")[1]
