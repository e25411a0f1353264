"""A board says which models solve a task (best seed and mean, at the paper's 90 %), flags tasks no
model beats the input-ignoring baselines on, and shows published numbers beside its own."""

from __future__ import annotations

import pytest

from seqbench.boards.published import published_table, read_published
from seqbench.boards.solved import clears, input_ignoring, solved_by, solved_table
from seqbench.boards.tables import results_frame
from seqbench.cli import main
from seqbench.core.errors import ConfigError
from seqbench.core.record import RunRecord

#: test_ood accuracy per seed: the lstm solves parity on every seed, the gru on one, the
#: transformer sits at the majority answer; on cycle_navigation nobody clears the majority (0.3)
SCORES = {
    ("parity_check", "lstm"): (1.0, 0.99, 0.98),
    ("parity_check", "gru"): (0.95, 0.6, 0.62),
    ("parity_check", "transformer"): (0.50, 0.51, 0.50),
    ("cycle_navigation", "lstm"): (0.31, 0.29, 0.30),
    ("cycle_navigation", "gru"): (0.30, 0.32, 0.30),
}
BASELINES = {"parity_check": {"chance": {"accuracy": 0.5}, "majority": {"accuracy": 0.51}},
             "cycle_navigation": {"chance": {"accuracy": 0.2}, "majority_exact": {"accuracy": 0.3},
                                  "true_source": {"accuracy": 1.0}}}  # reads the input: not a floor


def records() -> list[RunRecord]:
    out = []
    for (task, model), values in SCORES.items():
        for seed, value in enumerate(values):
            out.append(RunRecord(task=task, model=model, seed=seed, status="ok", primary_metric="accuracy",
                                 higher_is_better=True, config_hash=f"{task}{model}{seed}",
                                 metrics={"test": {"accuracy": 1.0},
                                          "test_ood": {"accuracy": value, "length_mean": value}},
                                 baselines={"test_ood": BASELINES[task]}))
    return out


def test_solved_reads_the_best_seed_and_the_mean():
    frame = results_frame(records())
    assert solved_by(frame, "parity_check", "test_ood/length_mean", 0.9) == (["gru", "lstm"], ["lstm"])
    assert solved_by(frame, "cycle_navigation", "test_ood/length_mean", 0.9) == ([], [])
    assert solved_by(frame, "parity_check", "test_ood/length_mean", 1.0) == (["lstm"], [])  # at the threshold counts


def test_only_input_ignoring_baselines_are_the_floor_and_a_task_nobody_clears_is_flagged():
    frame = results_frame(records())
    chosen = [r for r in records() if r.task == "cycle_navigation"]
    assert input_ignoring(chosen, "test_ood", "accuracy") == {"chance": 0.2, "majority_exact": 0.3}
    assert clears(frame, "cycle_navigation", "test_ood", {"majority_exact": 0.3}) == []
    # the lstm's three seeds are far above 0.51; the gru's mean (0.72) is, but not beyond its interval
    assert clears(frame, "parity_check", "test_ood", {"majority": 0.51}) == ["lstm"]
    table = solved_table(frame, records(), ["parity_check", "cycle_navigation"], "test_ood/length_mean", 0.9)
    rows = {row["task"]: row for row in table.to_dict("records")}
    assert rows["cycle_navigation"]["flag"] == "no model beyond the input-ignoring baselines"
    assert rows["cycle_navigation"]["best input-ignoring baseline (test_ood accuracy)"] == "majority_exact 0.300"
    assert rows["parity_check"]["flag"] == "" and rows["parity_check"]["models beyond it"] == "lstm"
    assert rows["parity_check"]["solved, best seed ≥ 0.9"] == "gru, lstm"
    assert rows["parity_check"]["budget-limited runs"] == "none"


def test_budget_limited_runs_are_named_per_model():
    """A run stopped at its cap while its curve still rose is counted where the verdict is read."""
    rising = [{"step": s, "val_accuracy": a} for s, a in ((100, 0.5), (200, 0.6), (300, 0.7))]
    capped = [RunRecord(task="parity_check", model="gru", seed=s, status="ok", primary_metric="accuracy",
                        higher_is_better=True, config_hash=f"g{s}", steps=300, converged=False,
                        budget_limited=s == 0, history=rising, trainer_params={"steps": 300, "patience": 1},
                        metrics={"test_ood": {"accuracy": 0.7, "length_mean": 0.7}},
                        baselines={"test_ood": BASELINES["parity_check"]}) for s in range(3)]
    frame = results_frame(capped)
    table = solved_table(frame, capped, ["parity_check"], "test_ood/length_mean", 0.9)
    assert table.iloc[0]["budget-limited runs"] == "gru 1/3"


def test_published_numbers_sit_beside_the_board_with_their_source(tmp_path):
    path = tmp_path / "published.csv"
    path.write_text("task,model,published,statistic,source\n"
                    "parity_check,lstm,1.0,max over seeds,Table 2\n"
                    "parity_check,transformer,0.52,max over seeds,Table 2\n"
                    "cycle_navigation,transformer,0.619,max over seeds,Section 5\n")
    table = published_table(results_frame(records()), read_published(path), "test_ood/length_mean", 0.9)
    rows = table.to_dict("records")
    assert [r["ours: best seed"] for r in rows] == ["1.000", "0.510", "not run"]  # no transformer on cycle_navigation
    assert [r["same verdict at 0.9"] for r in rows] == ["yes", "yes", ""]
    assert rows[0]["source"] == "Table 2" and rows[0]["seeds"] == 3


@pytest.mark.parametrize("text, message", [
    ("task,model,published,statistic,source\nt,m,high,max,T2\n", "row 2: published='high': must be a number"),
    ("task,model,published,statistic,source\nt,m,0.5,max,\n", "row 2: source is empty"),
    ("task,model,published\nt,m,0.5\n", "missing column(s) statistic, source"),
    ("task,model,published,statistic,source\n", "no rows"),
    ("task,model,published,statistic,source\nt,m,0.5,max,T2\nt,m,0.6,max,T3\n", "row 3: task 't' x model 'm' appears twice"),
    ("task,model,published,statistic,source\nt,m,0.5,max,T2,extra\n", "row 2: 6 fields, the header has 5"),
])
def test_a_bad_published_file_is_one_line(tmp_path, text, message):
    path = tmp_path / "p.csv"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        read_published(path)


def test_the_leaderboard_command_shows_both_sections_and_checks_its_options_first(tmp_path, capsys):
    from seqbench.core.record import write_result

    for i, record in enumerate(records()):
        write_result(tmp_path / "runs" / str(i), record)
    published = tmp_path / "published.csv"
    published.write_text("task,model,published,statistic,source\nparity_check,lstm,1.0,max over seeds,Table 2\n")
    assert main(["leaderboard", str(tmp_path / "runs"), "--score", "test_ood/length_mean",
                 "--solved", "0.9", "--published", str(published)]) == 0
    out = capsys.readouterr().out
    assert "## Solved: test_ood/length_mean at 0.9 or beyond" in out and "## Published results beside ours" in out
    out_dir = tmp_path / "board"
    assert main(["leaderboard", str(tmp_path / "runs"), "--out", str(out_dir), "--published",
                 str(tmp_path / "missing.csv")]) == 2
    assert "--published" in capsys.readouterr().err and not out_dir.exists()  # refused before any work
    assert main(["leaderboard", str(tmp_path / "runs"), "--solved", "nan"]) == 2
    assert "--solved=nan" in capsys.readouterr().err
    assert main(["leaderboard", str(tmp_path / "runs"), "--out", str(out_dir), "--score", "test_ood/length_mean",
                 "--solved", "90"]) == 2  # a percentage for a share: refused before anything is written
    assert "a share is written 0.9, not 90" in capsys.readouterr().err and not out_dir.exists()


def test_every_baseline_a_chomsky_task_gives_is_classified_as_input_ignoring():
    """The floor a model must clear: every baseline the 15 tasks emit ignores the input's symbols
    (chance, the fitted majority, the exact population values)."""
    from seqbench import make_task
    from seqbench.boards.solved import INPUT_IGNORING
    from seqbench.core.registry import TASKS
    from seqbench.core.tags import select

    for name in select(TASKS, ["chomsky"]):
        task = make_task(name)
        names = {"chance", task.spec.info.memoryless} | set(task.analytic_baselines("test_ood"))
        assert names <= INPUT_IGNORING, (name, names - INPUT_IGNORING)
