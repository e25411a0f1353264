"""Learning-rate selection: the rule (seqbench.boards.selection), the two-stage grid (hydra/sweeper=select)
and what the leaderboard makes of it."""

import json
import re

import pytest

from conftest import run_cli
from seqbench.core.record import RunRecord, load_results
from seqbench.boards.selection import choose, select_rates
from seqbench.engine.train import fit
from seqbench import make_model, make_task


def run(lr, seed, val, test=0.5, status="ok", model="lstm", higher=True, metric="accuracy"):
    return RunRecord(task="t", model=model, seed=seed, status=status, primary_metric=metric, higher_is_better=higher,
                     trainer_params={"lr": lr, "steps": 100}, metrics={"val": {metric: val}, "test": {metric: test}})


def test_val_decides_never_test():
    kept, (choice,) = select_rates([run(0.001, 0, val=0.9, test=0.1), run(0.01, 0, val=0.8, test=1.0)])
    assert choice.chosen == 0.001 and [r.trainer_params["lr"] for r in kept] == [0.001]


def test_lower_is_better_metrics_pick_the_smallest_value():
    runs = [run(0.001, 0, val=0.30, higher=False, metric="mse"), run(0.01, 0, val=0.05, higher=False, metric="mse")]
    assert choose(runs).chosen == 0.01


def test_ties_go_to_the_smaller_rate_and_failed_runs_never_win():
    assert choose([run(0.01, 0, val=1.0), run(0.001, 0, val=1.0)]).chosen == 0.001
    failed = choose([run(0.001, 0, val=None, status="diverged"), run(0.01, 0, val=0.2)])
    assert failed.chosen == 0.01 and failed.scores == {0.001: None, 0.01: 0.2}


def test_rates_are_compared_on_the_seeds_they_share():
    # 0.001 has a lucky extra seed; only seed 0, which both have, is compared
    runs = [run(0.001, 0, val=0.6), run(0.001, 1, val=1.0), run(0.01, 0, val=0.7)]
    choice = choose(runs)
    assert choice.seeds == (0,) and choice.chosen == 0.01


def test_cells_are_separate_and_one_rate_cells_are_left_alone():
    records = [run(0.001, 0, 0.9, model="gru"), run(0.01, 0, 0.1, model="gru"), run(0.003, 0, 0.5), run(0.003, 1, 0.6)]
    kept, choices = select_rates(records)
    assert [(c.model, c.chosen) for c in choices] == [("gru", 0.001)]
    assert [(r.model, r.trainer_params["lr"], r.seed) for r in kept] == [("gru", 0.001, 0), ("lstm", 0.003, 0),
                                                                        ("lstm", 0.003, 1)]


def test_a_run_that_reaches_the_ceiling_stops_there_converged():
    task = make_task("parity", length=6, min_length=6)
    model = make_model("gru", task.spec, hidden_size=16)
    result = fit(model, task, steps=3000, lr=0.01, eval_every=50, eval_size=64, val_size=64, patience=50,
                 stop_at_ceiling=True)
    assert result.converged and result.steps < 3000 and result.steps % 50 == 0
    assert result.history[-1]["val_accuracy"] == 1.0 and result.steps == result.best_step
    assert "1" in result.stop_reason


@pytest.mark.slow
def test_select_grid_runs_seed_0_at_every_rate_then_the_other_seeds_at_the_chosen_one(tmp_path):
    sweep = tmp_path / "grid"
    args = ["run", "-m", "hydra/sweeper=select", "task=parity", "model=gru", "trainer=smoke", "trainer.steps=40",
            "trainer.eval_every=20", "trainer.lr=0.0001,0.03", "seed=0,1,2", f"hydra.sweep.dir={sweep}"]
    out = run_cli(*args).stdout
    assert "4 jobs ->" in out  # 2 rates x seed 0, then 2 more seeds at the chosen rate
    records = load_results([sweep]).records
    assert sorted((r.trainer_params["lr"], r.seed) for r in records if r.seed == 0) == [(0.0001, 0), (0.03, 0)]
    kept, (choice,) = select_rates(records)
    val = {r.trainer_params["lr"]: r.metrics["val"]["accuracy"] for r in records if r.seed == 0}
    assert choice.chosen == min(val, key=lambda lr: (-val[lr], lr))  # the best val score, ties to the smaller
    written = json.loads((sweep / "lr_selection.json").read_text())
    assert [(c["model"], c["lr"]) for c in written] == [("gru", choice.chosen)]
    later = [r for r in records if r.seed > 0]  # seeds 1 and 2 ran at the chosen rate only
    assert sorted(r.seed for r in later) == [1, 2] and {r.trainer_params["lr"] for r in later} == {choice.chosen}
    assert len(kept) == 3

    again = run_cli(*args, "resume=true").stdout  # a finished grid resumes to nothing new
    assert again.count("skipped, ok result already in") == 4

    board = tmp_path / "board"
    run_cli("leaderboard", str(sweep), "--out", str(board))
    text = (board / "leaderboard.md").read_text()
    assert "## Learning-rate selection" in text
    assert re.search(rf"\| parity +\| gru +\| {choice.chosen:g} ", text)
    rows = (board / "results.csv").read_text().splitlines()
    assert len(rows) == 5 and sum(row.endswith(",True") for row in rows[1:]) == 3  # every run, 3 selected
