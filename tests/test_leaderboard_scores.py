"""The overview can rank another score than the primary test metric (the Chomsky table ranks
test_ood/length_mean) and show the best seed, as the Chomsky-hierarchy paper does."""

from __future__ import annotations

import pytest

from seqbench.cli import main
from seqbench.boards.tables import overview, results_frame
from seqbench.core.record import RunRecord


def runs() -> list[RunRecord]:
    out = []
    for model, ood in (("lstm", (1.0, 0.9, 0.98)), ("transformer", (0.5, 0.6, 0.55))):
        for seed, value in enumerate(ood):
            out.append(RunRecord(task="parity_check", model=model, seed=seed, status="ok", primary_metric="accuracy",
                                 higher_is_better=True, config_hash=f"{model}{seed}",
                                 metrics={"test": {"accuracy": 1.0, "length_mean": 1.0},
                                          "test_ood": {"accuracy": value, "length_mean": value}}))
    return out


def test_the_overview_ranks_the_chosen_score_and_the_best_seed():
    frame = results_frame(runs())
    default = overview(frame)
    assert default.values.loc["parity_check"].tolist() == [1.0, 1.0]  # test accuracy: a tie
    ood = overview(frame, "test_ood/length_mean")
    assert ood.values.loc["parity_check", "lstm"] == pytest.approx((1.0 + 0.9 + 0.98) / 3)
    assert ood.ranks.loc["parity_check"].tolist() == [1.0, 2.0]  # separated beyond their intervals
    best = overview(frame, "test_ood/length_mean", best_seed=True)
    assert best.values.loc["parity_check"].tolist() == [1.0, 0.6]


def test_the_leaderboard_command_takes_a_score_and_refuses_a_bad_one(tmp_path, capsys):
    from seqbench.core.record import write_result

    for i, record in enumerate(runs()):
        write_result(tmp_path / "runs" / str(i), record)
    assert main(["leaderboard", str(tmp_path / "runs"), "--score", "test_ood/length_mean", "--best-seed"]) == 0
    out = capsys.readouterr().out
    assert "Overview: test_ood/length_mean per task and model" in out and "Best seed: test_ood/length_mean" in out
    assert main(["leaderboard", str(tmp_path / "runs"), "--score", "tset_ood/length_mean"]) == 2
    assert "did you mean 'test_ood/length_mean'?" in capsys.readouterr().err


def test_headroom_names_the_best_and_worst_model_per_split_and_whether_they_separate():
    """Tied on test (every model at 1.0), separated on test_ood; a lower-is-better task reads the
    other way; a task with one scored model has no headroom row."""
    from seqbench.boards.render import headroom_table

    records = runs()
    for model, (a, b, c) in (("gru", (0.10, 0.11, 0.12)), ("mlp", (0.50, 0.52, 0.51))):
        for seed, value in enumerate((a, b, c)):
            records.append(RunRecord(task="markov_lm", model=model, seed=seed, status="ok",
                                     primary_metric="bits_per_char", higher_is_better=False,
                                     config_hash=f"lm{model}{seed}", metrics={"test": {"bits_per_char": value}}))
    records.append(RunRecord(task="digits", model="mlp", seed=0, status="ok", primary_metric="accuracy",
                             higher_is_better=True, config_hash="d", metrics={"test": {"accuracy": 0.9}}))
    table = headroom_table(results_frame(records), ["digits", "markov_lm", "parity_check"])
    rows = {(r["task"], r["split"]): r for r in table.to_dict("records")}
    assert set(rows) == {("markov_lm", "test"), ("parity_check", "test"), ("parity_check", "test_ood")}
    assert rows[("parity_check", "test")]["separates"] == "n/a"  # identical seeds, no example intervals: unknown
    assert rows[("parity_check", "test_ood")]["best"].startswith("lstm 0.960")
    assert rows[("parity_check", "test_ood")]["worst"].startswith("transformer 0.550")
    assert rows[("parity_check", "test_ood")]["separates"] == "yes"
    assert rows[("markov_lm", "test")]["best"].startswith("gru 0.110")  # lower is better
    assert rows[("markov_lm", "test")]["metric"] == "bits_per_char ↓"
