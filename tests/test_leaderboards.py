"""The committed leaderboards are exactly what seqbench computes from the committed raw results."""

import pytest

from conftest import ROOT, builtin_names
from seqbench.report import build

COMMITTED = ROOT / "leaderboards" / "main"


@pytest.mark.slow
def test_committed_leaderboard_regenerates_byte_for_byte(tmp_path):
    if not (COMMITTED / "raw").is_dir():
        pytest.fail("leaderboards/main/raw is missing: run `make leaderboard` and commit its output")
    build([str(COMMITTED / "raw")], str(tmp_path), figures=False)  # the tables; plots are not compared
    for name in ("leaderboard.md", "leaderboard.html", "results.csv"):
        assert (tmp_path / name).read_bytes() == (COMMITTED / name).read_bytes(), name


def test_committed_leaderboard_covers_every_task_and_model_with_three_seeds():
    """Every built-in task that ``experiment=leaderboard`` selects, x every built-in model, 3 seeds."""
    import re

    import pandas as pd

    from seqbench import MODELS, TASKS

    sweep = (ROOT / "conf" / "experiment" / "leaderboard.yaml").read_text()
    left_out = re.search(r"task: glob\(\*(?:,exclude=\[([^]]*)\])?\)", sweep)
    assert left_out, "conf/experiment/leaderboard.yaml no longer sweeps task=glob(*...)"
    excluded = set(filter(None, (left_out.group(1) or "").split(",")))
    runs = pd.read_csv(COMMITTED / "results.csv")
    assert set(builtin_names(TASKS)) - excluded <= set(runs["task"])
    assert set(builtin_names(MODELS)) <= set(runs["model"])
    ran = runs[runs["status"] != "not_applicable"]
    assert (ran.groupby(["task", "model_label"])["seed"].nunique() >= 3).all()


@pytest.mark.slow
def test_committed_chomsky_table_regenerates_byte_for_byte(tmp_path):
    """The Chomsky table ranks test_ood/length_mean and shows the best seed, from its sweep folder."""
    board = ROOT / "leaderboards" / "chomsky"
    sweeps = [str(folder) for folder in sorted(board.glob("sweep*"))]  # sweep/ (GPU host), sweep_cpu/ (CPU)
    build(sweeps, str(tmp_path), score="test_ood/length_mean", best_seed=True, figures=False)
    for name in ("leaderboard.md", "leaderboard.html", "results.csv"):
        assert (tmp_path / name).read_bytes() == (board / name).read_bytes(), name
    markdown = (board / "leaderboard.md").read_text()
    assert "Overview: test_ood/length_mean" in markdown and "Best seed" in markdown
