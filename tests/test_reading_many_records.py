"""Reading thousands of records (issue 21): the bulk checks say exactly what the per-record
checks say, nesting is still bounded, and ``bench/loading.py`` keeps working.

No test asserts a time or a size: ``python bench/loading.py`` measures them.
"""

import importlib
import json
import random
import sys
from pathlib import Path

import pytest

from seqbench.core.record_schema import FIELDS, MAX_DEPTH, check_field, field_fits, nesting
from seqbench.core.record import RunRecord, load_results, read_result, write_result

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "leaderboards" / "main" / "raw"


def real_records(count: int = 40) -> list[dict]:
    """The first ``count`` committed records of the main board, as JSON objects."""
    paths = sorted(RAW.rglob("result.json"))[:count]
    assert paths, f"no records below {RAW}"
    return [json.loads(path.read_text(encoding="utf-8")) for path in paths]


def deep(levels: int):
    """A list nested ``levels`` deep."""
    value: list = []
    for _ in range(levels - 1):
        value = [value]
    return value


#: (field, a wrong value): each must be refused in bulk and explained one by one
WRONG = [
    ("seed", -1), ("seed", True), ("seed", "0"), ("task", 3), ("steps", None), ("n_params", 1.5),
    ("metrics", {"test": {"accuracy": "high"}}), ("metrics", {"test": {"accuracy": True}}),
    ("metrics", {"test": {"accuracy": 10**400}}), ("metrics", {"test": {"accuracy": float("inf")}}),
    ("metrics", {"test": [0.5]}), ("history", [{"step": 1}, {"step": [2]}]), ("history", {"step": 1}),
    ("intervals", {"test": {"accuracy": [0.1]}}), ("intervals", {"test": {"accuracy": [0.1, "x"]}}),
    ("baseline_intervals", {"test": {"chance": {"accuracy": [0.1, 0.2, 0.3]}}}),
    ("by_length", {"test": {"values": {"3": 0.5}}}), ("by_length", {"test": {"metric": "a", "counts": {"3": 1.5}}}),
    ("by_length", {"test": {"metric": "a", "values": {"3": None}, "extra": deep(MAX_DEPTH + 1)}}),
    ("task_params", []), ("task_params", {"a": deep(MAX_DEPTH)}), ("task_facts", {"a": deep(MAX_DEPTH)}),
    ("lengths", [1]), ("lengths", [1, "2"]), ("versions", {"torch": 2}), ("train_seconds", float("nan")),
    ("unknown_field", deep(MAX_DEPTH + 1)), ("split_sizes", {"test": True}),
]


@pytest.mark.parametrize("name, value", WRONG, ids=[f"{n}-{i}" for i, (n, _) in enumerate(WRONG)])
def test_a_wrong_value_fails_in_bulk_and_is_explained(name, value):
    assert not field_fits(name, [value])
    assert check_field(name, value)


def test_every_value_of_real_records_fits_in_bulk_and_alone():
    records = real_records()
    for name in {n for r in records for n in r}:
        values = [r[name] for r in records if name in r]
        assert field_fits(name, values), name
        assert all(check_field(name, v) is None for v in values), name


def test_nesting_is_bounded_as_before():
    assert nesting(deep(MAX_DEPTH - 1)) == MAX_DEPTH - 1
    assert check_field("task_params", {"a": deep(MAX_DEPTH - 1)}) is None  # 32 levels below the field
    assert "nested deeper than 32 levels" in check_field("task_params", {"a": deep(MAX_DEPTH)})
    assert check_field("unknown_field", deep(MAX_DEPTH)) is None
    assert nesting(deep(10_000)) == MAX_DEPTH + 1  # counted up to the cap, without recursion


def mutated(records: list[dict], seed: int) -> list:
    """The records with about a third broken, each in one random way (a wrong field, a missing
    key, an unknown status, not an object, an unknown schema)."""
    rng = random.Random(seed)
    out: list = []
    for record in records:
        record = dict(record)
        roll = rng.random()
        if roll < 0.2:
            name, value = rng.choice(WRONG)
            record[name] = value
        elif roll < 0.25:
            del record[rng.choice(["task", "model", "seed", "status"])]
        elif roll < 0.28:
            record["status"] = "finished"
        elif roll < 0.30:
            record = [record]
        elif roll < 0.32:
            record["schema"] = 99
        out.append(record)
    return out


@pytest.mark.parametrize("seed", range(5))
def test_many_at_once_is_each_alone(seed):
    """``many_from_json`` gives exactly what ``from_json`` gives each record: the same record or
    the same one-line reason."""
    items = mutated(real_records(), seed)
    together = RunRecord.many_from_json(items)
    assert len(together) == len(items)
    for item, got in zip(items, together):
        try:
            alone = RunRecord.from_json(item)
        except ValueError as exc:
            assert isinstance(got, ValueError) and str(got) == str(exc)
        else:
            assert isinstance(got, RunRecord) and got.to_json() == alone.to_json()
    assert any(isinstance(g, ValueError) for g in together) and any(isinstance(g, RunRecord) for g in together)


def test_the_reason_names_the_first_bad_field_in_the_file(tmp_path):
    data = {**real_records(1)[0], "seed": -1}
    data["metrics"] = {"test": {"accuracy": "high"}}
    ordered = {k: data[k] for k in sorted(data)}  # metrics before seed
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "result.json").write_text(json.dumps(ordered))
    (_, reason), = load_results([tmp_path]).skipped
    assert reason.startswith("field 'metrics' at ['test']['accuracy']")


def test_a_board_reads_as_before(tmp_path):
    """Good and bad files mixed: the good ones load, each bad one is skipped with its reason,
    in path order, and the very same file given twice counts once."""
    for i, item in enumerate(mutated(real_records(), seed=7)):
        (tmp_path / f"run_{i:02d}").mkdir()
        (tmp_path / f"run_{i:02d}" / "result.json").write_text(json.dumps(item))
    (tmp_path / "run_99").mkdir()
    (tmp_path / "run_99" / "result.json").write_text('{"schema": 4, "x": ' + "[" * 5000 + "]" * 5000 + "}")
    loaded = load_results([tmp_path, tmp_path / "run_00"])
    expected_good, expected_bad = [], []
    for path in sorted(tmp_path.rglob("result.json")):
        try:
            expected_good.append(read_result(path).to_json())
        except ValueError as exc:
            expected_bad.append((str(path), str(exc)))
    assert loaded.skipped == expected_bad and "nested deeper than 32 levels" in expected_bad[-1][1]
    assert [r.to_json() for r in loaded.records] == expected_good
    assert loaded.duplicates == 1  # run_00 reached twice


def test_a_written_record_reads_back(tmp_path):
    record = RunRecord(task="parity", model="lstm", seed=3, status="ok", metrics={"test": {"accuracy": 0.5}},
                       history=[{"step": 1, "train_loss": 0.7}], task_params={"length": 4})
    write_result(tmp_path, record)
    assert read_result(tmp_path / "result.json").to_json() == record.to_json()
    assert set(FIELDS) == {f for f in record.to_json()}  # every field has a checker


@pytest.mark.slow
def test_the_loading_benchmark_runs(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT / "bench"))  # bench/ is a folder of scripts, not a package
    loading = importlib.import_module("loading")
    tree = loading.build_tree(tmp_path / "tree", 12)
    assert len(list(tree.rglob("result.json"))) == 12
    figures = {what: loading.measure(what, tree) for what in loading.MEASURES}
    assert figures["load_results"]["result"] == 12 and figures["leaderboard"]["result"] == 0
    for figure in figures.values():
        assert figure["seconds"] > 0 and figure["peak_rss_mb"] >= figure["imports_rss_mb"] > 0
    assert loading.main(["--records", "3", "--json", str(tmp_path / "f.json")]) == 0
    assert json.loads((tmp_path / "f.json").read_text())["records"] == 3
    sys.modules.pop("loading", None)
