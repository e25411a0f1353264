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


def test_the_rank_intervals_do_not_depend_on_the_order_the_rows_are_shown_in():
    """The page orders the Chomsky table's rows by level, a claim by name: both must read the same resamples."""
    records = []
    for t, task in enumerate(("parity_check", "even_pairs", "cycle_navigation")):
        for r in runs():
            value = r.metrics["test_ood"]["accuracy"] - 0.1 * t * (r.model == "lstm")
            records.append(r.__class__(**{**r.__dict__, "task": task, "config_hash": f"{task}{r.config_hash}",
                                          "metrics": {**r.metrics, "test_ood": {"accuracy": value, "length_mean": value}}}))
    frame = results_frame(records)
    named = overview(frame, "test_ood/length_mean")
    shown = overview(frame, "test_ood/length_mean", order=["parity_check", "even_pairs", "cycle_navigation"])
    assert named.rank_low.tolist() == shown.rank_low.tolist() and named.rank_high.tolist() == shown.rank_high.tolist()
    assert named.ahead.equals(shown.ahead)


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


def accuracy_runs(task: str, cells: dict[str, tuple[float, float]], ood: dict[str, float] | None = None) -> list:
    """One run per model on ``task``: accuracy ``(mean, half-width)`` on test, and on test_ood where given."""
    out = []
    for model, (value, half) in cells.items():
        metrics = {"test": {"accuracy": value}}
        intervals = {"test": {"accuracy": [value - half, min(value + half, 1.0)]}}
        if ood is not None:
            metrics["test_ood"] = {"accuracy": ood[model], "length_mean": ood[model]}
            intervals["test_ood"] = {"accuracy": [ood[model] - 0.01, min(ood[model] + 0.01, 1.0)],
                                     "length_mean": [ood[model] - 0.01, min(ood[model] + 0.01, 1.0)]}
        out.append(RunRecord(task=task, model=model, seed=0, status="ok", primary_metric="accuracy",
                             higher_is_better=True, config_hash=f"{task}{model}", metrics=metrics, intervals=intervals))
    return out


def test_at_the_ceiling_every_model_ranks_first_is_painted_best_and_nothing_separates():
    """Every model at 1.0 on a task: all ranked 1, all tied with the best, none painted worst (the
    colour of the worst rank is not on the row), and the task's first line says nothing separates."""
    from seqbench.boards.page import colour, overview_section
    from seqbench.boards.render import render_markdown, sections

    records = accuracy_runs("parity", {m: (1.0, 0.001) for m in ("gru", "lstm", "rnn_tanh")})
    records += accuracy_runs("sort", {"gru": (0.9, 0.01), "lstm": (0.7, 0.01), "rnn_tanh": (0.5, 0.01)})
    frame = results_frame(records)
    view = overview(frame)
    assert view.ranks.loc["parity"].tolist() == [1.0, 1.0, 1.0] and view.tied.loc["parity"].all()
    assert view.ranks.loc["sort"].tolist() == [1.0, 2.0, 3.0] and view.tied.loc["sort"].tolist() == [True, False, False]
    parts = sections(frame, records, [])
    page = overview_section(parts[0])
    row = page[page.index('href="#task-parity"'):page.index('href="#task-sort"')]
    best, worst = colour(0.0)[0], colour(1.0)[0]
    assert row.count(f"background:{best}") == 3 and worst not in row
    assert worst in page[page.index('href="#task-sort"'):]  # the board does paint a worst model elsewhere
    markdown = render_markdown(parts)
    parity = markdown.split("## parity", 1)[1].splitlines()
    assert parity[2] == "test (accuracy ↑): no model separates from the others beyond the margin (0.005 accuracy)."
    sort = markdown.split("## sort", 1)[1].splitlines()
    assert sort[2] == ("test (accuracy ↑): best gru 0.900; separated from the best beyond the margin "
                       "(0.005 accuracy): lstm 0.700, rnn_tanh 0.500.")


def test_a_model_tied_with_the_best_is_painted_best_whatever_its_rank():
    """c is behind b beyond doubt (rank 2, the row's worst rank), but the best, a, is not better than
    c: its interval is wide. c is tied with the best, so it takes the best's colour, not the worst's."""
    from seqbench.boards.page import colour, overview_section
    from seqbench.boards.render import render_markdown, sections

    records = accuracy_runs("sort", {"a": (0.9, 0.2), "b": (0.85, 0.001), "c": (0.8, 0.001)})
    frame = results_frame(records)
    view = overview(frame)
    assert view.ranks.loc["sort"].tolist() == [1.0, 1.0, 2.0] and view.tied.loc["sort"].all()
    parts = sections(frame, records, [])
    row = overview_section(parts[0]).split('href="#task-sort"', 1)[1].split("</tr>", 1)[0]
    assert row.count(f"background:{colour(0.0)[0]}") == 3 and colour(1.0)[0] not in row
    lead = render_markdown(parts).split("## sort", 1)[1].splitlines()[2]
    assert lead == ("test (accuracy ↑): best a 0.900, tied with b 0.850, c 0.800: no model separates from the best "
                    "beyond the margin (0.005 accuracy), though some separate from each other: b ahead of c.")


def test_the_overview_shows_test_and_test_ood_views_with_the_chosen_score_first(tmp_path):
    """leaderboard.md carries the overview of test/primary, test_ood/primary and test_ood/length_mean
    where runs have them, --score first; a task without test_ood is left out of the test_ood views;
    the page has one table per view and a list to switch, the first shown."""
    from seqbench.boards.render import build
    from seqbench.core.record import write_result

    records = accuracy_runs("parity", {"gru": (1.0, 0.001), "lstm": (1.0, 0.001), "transformer": (0.998, 0.002)},
                            ood={"gru": 1.0, "lstm": 0.95, "transformer": 0.6})
    records += accuracy_runs("sentiment", {"gru": (0.9, 0.01), "lstm": (0.7, 0.01), "transformer": (0.9, 0.01)})
    for i, record in enumerate(records):
        write_result(tmp_path / "runs" / str(i), record)

    def overviews(markdown: str) -> list[str]:
        return [line for line in markdown.splitlines() if line.startswith("## Overview")]

    markdown, _, _ = build([str(tmp_path / "runs")], str(tmp_path / "board"), figures=False)
    assert [h.split(" per task")[0].removeprefix("## Overview: ") for h in overviews(markdown)] == [
        "primary metric (test)", "test_ood/primary metric", "test_ood/length_mean"]
    ood = markdown.split("## Overview: test_ood/primary metric", 1)[1].split("## ", 1)[0]
    assert "| parity" in ood and "sentiment" not in ood
    assert "0.600 [0.590, 0.610] (#3)" in ood  # the transformer, behind on test_ood
    chosen, _, _ = build([str(tmp_path / "runs")], str(tmp_path / "chosen"), score="test_ood/length_mean",
                         figures=False)
    assert [h.split(" per task")[0].removeprefix("## Overview: ") for h in overviews(chosen)] == [
        "test_ood/length_mean", "primary metric (test)", "test_ood/primary metric"]
    parity = chosen.split("## parity", 1)[1].splitlines()
    assert parity[2].startswith("test_ood (length_mean ↑): best gru 1.000;")  # the chosen score leads
    assert parity[4].startswith("test (accuracy ↑): no model separates")
    assert parity[6].startswith("test_ood (accuracy ↑): best gru 1.000;")
    page = (tmp_path / "board" / "leaderboard.html").read_text()
    assert page.count('<option value="overview') == 3 and page.count('<div class="view"') == 3
    assert 'id="table-overview"' in page and page.count(' hidden>') >= 2  # the other views hidden
    assert '<p class="lead">test (accuracy ↑): no model separates' in page
    single = build([str(tmp_path / "runs" / "3")], str(tmp_path / "single"), figures=False)[0]
    assert len(overviews(single)) == 1  # no test_ood: one view, and the page has no list to switch
    assert 'id="overview-view"' not in (tmp_path / "single" / "leaderboard.html").read_text()


def test_the_length_curves_keep_their_intervals_inside_the_range_of_the_metric():
    """Three seeds that disagree at one short length give a seed interval wider than [0, 1]; the
    length plot shows what an accuracy can be, as the tables do."""
    from seqbench.boards.tables import length_series

    records = runs()
    for r, value in zip(records, (1.0, 0.0, 1.0, 0.2, 0.2, 0.2)):
        r.by_length = {"test": {"metric": "accuracy", "values": {"3": value, "40": 0.9},
                                "intervals": {"3": [max(value - 0.3, 0), min(value + 0.3, 1)], "40": [0.85, 0.95]}}}
    curves, bands = length_series(records, "parity_check", results_frame(records))
    assert curves["lstm"][3] == pytest.approx(2 / 3) and bands["lstm"][3] == (0.0, 1.0)  # unclipped: about [-0.8, 2.1]
    assert all(0.0 <= low <= high <= 1.0 for model in bands.values() for low, high in model.values())
    assert 0.8 < bands["lstm"][40][0] < 0.9 < bands["lstm"][40][1] < 1.0  # an interval inside the range is kept as it is
