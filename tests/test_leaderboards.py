"""The committed leaderboards are exactly what seqbench computes from the committed raw results."""

import pytest

from conftest import ROOT, builtin_names
from seqbench.boards.render import build

COMMITTED = ROOT / "leaderboards" / "main"
TABLES = ("leaderboard.md", "leaderboard.html", "results.csv")  # the files a board's test compares; plots are not


def assert_regenerates(board, sources, tmp_path, **options) -> None:
    """``board``'s committed tables are byte for byte what :func:`build` makes from ``sources``."""
    build([str(source) for source in sources], str(tmp_path), figures=False, **options)
    for name in TABLES:
        assert (tmp_path / name).read_bytes() == (board / name).read_bytes(), name


@pytest.mark.slow
def test_committed_leaderboard_regenerates_byte_for_byte(tmp_path):
    if not (COMMITTED / "raw").is_dir():
        pytest.fail("leaderboards/main/raw is missing: restore it from git (seqbench leaderboard outputs/leaderboard "
                    "--out leaderboards/main --raw wrote it)")
    assert_regenerates(COMMITTED, [COMMITTED / "raw"], tmp_path)


def test_committed_leaderboard_has_three_seeds_per_cell_and_reports_what_it_lacks(capsys):
    """A board is data: its own cells have their seeds; tasks and models added since it was built are
    reported (seqbench.boards.coverage), never a failure, so adding a model needs no 810-run rerun."""
    import pandas as pd

    from seqbench import MODELS, TASKS
    from seqbench.boards.coverage import board_gaps, gaps_text
    from seqbench.core.record import load_results

    runs = pd.read_csv(COMMITTED / "results.csv")
    ran = runs[runs["status"] != "not_applicable"]
    assert (ran.groupby(["task", "model_label"])["seed"].nunique() >= 3).all()
    records = load_results([COMMITTED / "raw"]).records
    gaps = board_gaps(records, builtin_names(TASKS), builtin_names(MODELS))
    assert set(gaps["models"]) <= set(builtin_names(MODELS)) and "lstm" not in gaps["models"]
    print(gaps_text(gaps))  # shown with -s: what a rebuild of the board would add


@pytest.mark.slow
def test_committed_chomsky_table_regenerates_byte_for_byte(tmp_path):
    """The Chomsky table ranks test_ood/length_mean and shows the best seed, from its sweep folder."""
    board = ROOT / "leaderboards" / "chomsky"
    sweeps = sorted(board.glob("sweep*"))  # sweep/ (GPU host), sweep_cpu/ (CPU)
    assert_regenerates(board, sweeps, tmp_path, score="test_ood/length_mean", best_seed=True)
    markdown = (board / "leaderboard.md").read_text()
    assert "Overview: test_ood/length_mean" in markdown and "Best seed" in markdown


@pytest.mark.slow
@pytest.mark.parametrize("folder", ["chomsky_converged", "chomsky_past_ceiling"])
def test_committed_converged_chomsky_table_regenerates_byte_for_byte(folder, tmp_path):
    """The boards of issue 26 (the first trainer's, stopped at the val ceiling, and the one being
    built, trained on past it): their tables are what their committed records give, with the
    paper's score, the best seed, the solved marks at 0.9 and the published numbers beside ours."""
    from seqbench.boards.published import read_published

    board = ROOT / "leaderboards" / folder
    published = read_published(ROOT / "leaderboards" / "chomsky" / "published.csv")
    assert_regenerates(board, [board / "raw"], tmp_path, score="test_ood/length_mean", best_seed=True, solved=0.9,
                       published=published)
    markdown = (board / "leaderboard.md").read_text()
    assert "## Solved" in markdown and "## Published results beside ours" in markdown


@pytest.mark.slow
def test_the_rebuilt_main_board_regenerates_byte_for_byte(tmp_path):
    """Issue 27's rebuild, committed a whole task at a time as its sittings completed them: its tables
    are what its records give, it holds every task of experiment=leaderboard, and each is complete: each model of the grid (the
    built-ins and the presets but teacher forcing's ablation, as experiment=leaderboard's glob) has a
    record there, run or not applicable; each run cell has seed 0 at all four rates (whatever their
    outcome: a run that diverged at a rate val did not choose is part of the search) and the other seeds
    at the rate val chose only; the rates and seeds are experiment=leaderboard's."""
    import pandas as pd
    import yaml

    from seqbench import MODELS

    board = ROOT / "leaderboards" / "main_rebuild"
    assert_regenerates(board, [board / "raw"], tmp_path)
    swept = yaml.safe_load((ROOT / "conf" / "experiment" / "leaderboard.yaml").read_text())["hydra"]["sweeper"]["params"]
    rates = sorted(float(rate) for rate in str(swept["trainer.lr"]).split(","))  # "0.0003,0.001,0.003,0.01"
    seeds = list(range(int(swept["seed"].removeprefix("range(").removesuffix(")"))))  # "range(5)"
    presets = {path.stem for path in (ROOT / "conf" / "model").glob("*.yaml")} - {"gru_free_running"}
    grid = set(builtin_names(MODELS)) | presets
    runs = pd.read_csv(board / "results.csv")
    from seqbench.cli.overrides import untagged_tasks

    assert set(runs["task"]) == set(untagged_tasks("chomsky").split(","))  # complete: every task of the grid
    for task, rows in runs.groupby("task"):
        assert set(rows["model_label"]) == grid, (task, sorted(grid ^ set(rows["model_label"])))
        for model, cell in rows.groupby("model_label"):
            if (cell["status"] == "not_applicable").all():
                continue
            assert sorted(cell.loc[cell["seed"] == 0, "lr"]) == rates, (task, model)
            later = cell[cell["seed"] > 0]
            assert sorted(later["seed"]) == seeds[1:] and later["selected"].all(), (task, model)
            assert sorted(cell.loc[cell["selected"], "seed"]) == seeds, (task, model)
    from seqbench.core.record import load_results
    from seqbench.engine.convergence import replayed_stop

    for run in load_results([board / "raw"]).records:  # each run stopped where its own rule stops its curve
        if run.status == "ok":
            stopped = run.steps if run.converged else None
            assert replayed_stop(run.history, run.trainer_params, run.primary_metric, run.higher_is_better) == stopped, \
                (run.task, run.model_label, run.seed, run.trainer_params["lr"])
