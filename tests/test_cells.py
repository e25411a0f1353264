"""A cell is one setup: runs differing in anything but the seed are never averaged as seeds."""

import pytest

from seqbench.boards.lookup import Board
from seqbench.boards.cells import distinct_runs
from seqbench.core.setup import device_class
from seqbench.boards.selection import compared_runs
from seqbench.boards.claims import evaluate
from seqbench.core.errors import SeqbenchError
from seqbench.boards.render import build
from seqbench.core.record import RunRecord, write_result

TRAINER = {"steps": 20, "batch_size": 32, "lr": 0.001, "eval_size": 128, "threads": 1, "eval_batch_size": 256}


def run(seed=0, accuracy=0.9, task_version=1, device="cpu", created="2026-01-01T00:00:00", weights=None,
        model_params=None, **trainer):
    return RunRecord(task="parity", model="lstm", seed=seed, status="ok", task_version=task_version,
                     task_params={"length": 8}, model_params=model_params or {"hidden_size": 8},
                     trainer_params={**TRAINER, **trainer}, primary_metric="accuracy", higher_is_better=True,
                     metrics={"test": {"accuracy": accuracy}, "val": {"accuracy": accuracy}},
                     device=device, created=created, weights=weights)


def rows(records):
    compared = compared_runs(records)
    return sorted((r.model_label, r.seed) for r in compared.records), compared.repeats


def test_runs_with_different_budgets_are_two_rows_of_one_seed_each():
    assert rows([run(steps=20), run(steps=40)]) == ([("lstm (steps=20)", 0), ("lstm (steps=40)", 0)], 0)


def test_every_measuring_trainer_setting_splits_a_cell():
    for key, a, b in [("patience", 3, 5), ("batch_size", 32, 64), ("eval_size", 128, 2000), ("val_size", 64, 500),
                      ("min_delta", 0.0, 0.01), ("eval_every", 10, 100)]:
        labels, _ = rows([run(**{key: a}), run(**{key: b})])
        assert labels == sorted([(f"lstm ({key}={a})", 0), (f"lstm ({key}={b})", 0)]), key


def test_settings_that_do_not_change_the_numbers_never_split_or_double_a_cell():
    labels, repeats = rows([run(0, threads=1), run(1, threads=4, eval_batch_size=64)])
    assert labels == [("lstm", 0), ("lstm", 1)] and repeats == 0


def test_the_same_run_again_with_save_model_counts_once_and_the_newest_is_kept():
    old, new = run(accuracy=0.5), run(accuracy=0.7, weights="model.pt", created="2026-02-01T00:00:00")
    kept, repeats = distinct_runs([old, new])
    assert kept == [new] and repeats == 1


def test_task_versions_are_never_pooled():
    frame = build_frame([run(0, task_version=1), run(1, task_version=2)])
    assert sorted(frame["task_label"]) == ["parity (version=1)", "parity (version=2)"]


def test_devices_of_different_classes_are_separate_rows_and_indices_are_not():
    assert device_class("cuda:0") == device_class("cuda (NVIDIA H200)") == "cuda"
    labels, _ = rows([run(0, device="cpu"), run(0, device="cuda (NVIDIA H200)"), run(1, device="cuda:1")])
    assert labels == [("lstm (device=cpu)", 0), ("lstm (device=cuda)", 0), ("lstm (device=cuda)", 1)]


def test_learning_rates_are_selected_not_split():
    labels, _ = rows([run(0, accuracy=0.6, lr=0.001), run(0, accuracy=0.8, lr=0.01), run(1, accuracy=0.8, lr=0.01)])
    assert labels == [("lstm", 0), ("lstm", 1)]


def build_frame(records, tmp_path=None):
    import tempfile
    from pathlib import Path

    folder = Path(tmp_path or tempfile.mkdtemp())
    for i, record in enumerate(records):
        write_result(folder / f"job{i}", record)
    _, frame, _ = build([str(folder)])
    return frame


def test_the_leaderboard_shows_one_row_per_setup_with_its_true_seed_count(tmp_path):
    frame = build_frame([run(0, steps=20), run(0, steps=40), run(0, steps=40, weights="m.pt")], tmp_path)
    assert sorted(frame["model_label"]) == ["lstm (steps=20)", "lstm (steps=40)"]
    assert frame.attrs["duplicates"] == 1


def test_a_claim_on_a_model_with_two_setups_must_name_one():
    records = [run(s, model_params={"hidden_size": h}) for s in (0, 1) for h in (8, 16)]
    board = Board(records)
    claim = {"id": "c", "says": "lstm is good", "kind": "at_least", "task": "parity", "model": "lstm", "value": 0.5}
    with pytest.raises(SeqbenchError, match=r"lstm \(hidden_size=16\)"):
        evaluate(board, [claim])
    named = evaluate(board, [{**claim, "model": "lstm (hidden_size=8)"}])
    assert named[0].passed and "seeds (0.900, 0.900)" in named[0].numbers[-1]  # two seeds, not four


def test_a_claim_over_two_task_setups_must_choose_one():
    records = [run(0), RunRecord(**{**run(1).to_json(), "task_params": {"length": 16}})]
    claim = {"id": "c", "says": "s", "kind": "at_least", "task": "parity", "model": "lstm", "value": 0.5}
    with pytest.raises(SeqbenchError, match="2 setups.*where"):
        evaluate(Board(records), [claim])
    assert evaluate(Board(records), [{**claim, "where": {"length": 16}}])[0].passed
