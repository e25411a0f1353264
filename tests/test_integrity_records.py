"""Issue 11, items 2 to 6: a run counts once, a record is data, resume identity, the tolerant
reader, and markdown that stays a table. Each class is tried with several inputs."""

from __future__ import annotations

import json
import os
import re
import stat

import pytest

from seqbench.runs.experiment import completed, validate_experiment
from seqbench.boards.render import build
from seqbench.core.record import MAX_BYTES, MAX_DEPTH, RunRecord, load_results, read_result, write_result

TINY = {"steps": 4, "eval_every": 2, "eval_size": 16, "batch_size": 8}


def record(task="parity", model="lstm", seed=0, value=0.75, **extra) -> RunRecord:
    """A complete ok record without training (its identity is its config hash)."""
    fields = dict(task=task, model=model, seed=seed, status="ok", primary_metric="accuracy", higher_is_better=True,
                  config_hash=f"{task}-{model}-{seed}", metrics={"test": {"accuracy": value}}, n_params=10,
                  trainer_params={"steps": 4000}, created="2026-11-26T00:00:00+00:00")
    return RunRecord(**{**fields, **extra})


def grid(folder, n_seeds=2):
    for model in ("lstm", "gru"):
        for seed in range(n_seeds):
            write_result(folder / f"model={model},seed={seed}", record(model=model, seed=seed))


# ------------------------------------------------------------------ 2. a run counts once
@pytest.mark.parametrize("layout", ["same folder twice", "raw copy inside", "copied sweep", "nested given too"])
def test_a_run_counts_once_however_many_copies(tmp_path, layout):
    sweep = tmp_path / "sweep"
    grid(sweep)
    folders = [sweep]
    if layout == "same folder twice":
        folders = [sweep, sweep]
    elif layout == "raw copy inside":
        build([str(sweep)], str(sweep / "board"), copy_raw=True)  # board/raw/ holds copies of all 4
        folders = [sweep]
    elif layout == "copied sweep":
        import shutil

        shutil.copytree(sweep, tmp_path / "copy")
        folders = [sweep, tmp_path / "copy"]
    elif layout == "nested given too":
        folders = [sweep, sweep / "model=lstm,seed=0"]
    loaded = load_results(folders)
    assert len(loaded.records) == 4
    assert {(r.model, r.seed) for r in loaded.records} == {(m, s) for m in ("lstm", "gru") for s in (0, 1)}
    expected_duplicates = {"same folder twice": 4, "raw copy inside": 4, "copied sweep": 4, "nested given too": 1}
    assert loaded.duplicates == expected_duplicates[layout]
    markdown, frame, _ = build([str(f) for f in folders])
    assert len(frame) == 4 and frame.attrs["duplicates"] == expected_duplicates[layout]
    assert f"{expected_duplicates[layout]} copies of runs already counted" in markdown


@pytest.mark.slow
def test_out_inside_an_input_folder_is_never_read_back(tmp_path):
    grid(tmp_path)
    for _ in range(3):  # rebuilding again and again never counts the board's own raw copies
        markdown, frame, skipped = build([str(tmp_path)], str(tmp_path / "board"), copy_raw=True)
        assert len(frame) == 4 and frame.attrs["duplicates"] == 0 and skipped == []
    assert len(list((tmp_path / "board" / "raw").rglob("result.json"))) == 4
    again = build([str(tmp_path / "board" / "raw")], str(tmp_path / "board"), copy_raw=True)[1]  # rebuild from raw
    assert len(again) == 4 and len(list((tmp_path / "board" / "raw").rglob("result.json"))) == 4


def test_two_records_of_one_run_keep_the_newest(tmp_path):
    write_result(tmp_path / "a", record(value=0.5, created="2026-11-25T00:00:00+00:00"))
    write_result(tmp_path / "b", record(value=0.9, created="2026-11-26T00:00:00+00:00"))
    loaded = load_results([tmp_path])
    assert [r.metrics["test"]["accuracy"] for r in loaded.records] == [0.9] and loaded.duplicates == 1


# ------------------------------------------------------------------ 3. a record is data, never a path
@pytest.mark.parametrize("hostile", [
    {"path": "/etc/passwd"},
    {"source": "../../outside/result.json"},
    {"weights": "../../../escape.pt", "path": "../../x"},
    {"task": "../../evil", "model": "a/b/../../c"},
])
def test_nothing_in_a_record_decides_which_file_is_read_or_written(tmp_path, hostile):
    sweep, out = tmp_path / "sweep", tmp_path / "out"
    folder = sweep / "job"
    folder.mkdir(parents=True)
    (folder / "result.json").write_text(json.dumps({**record().to_json(), **hostile}))
    (tmp_path / "outside").mkdir()
    before = sorted(p for p in tmp_path.rglob("*") if p != out and out not in p.parents)
    markdown, frame, skipped = build([str(sweep)], str(out), copy_raw=True)
    assert skipped == [] and len(frame) == 1
    loaded = load_results([out / "raw"])
    assert [r.source.parent.parent for r in loaded.records] == [out / "raw"]  # the copy, where the reader found it
    copied = list((out / "raw").rglob("*"))
    assert [p.name for p in copied if p.is_file()] == ["result.json"]  # only the result file itself
    assert all((out / "raw") in p.parents for p in copied)
    after = sorted(p for p in tmp_path.rglob("*") if p != out and out not in p.parents)
    assert after == before  # nothing written outside --out


# ------------------------------------------------------------------ 4. resume skips only what comes out the same
def _identity(task=None, model=None, trainer=None, **kw):
    return validate_experiment(task or {"name": "parity", "length": 4}, model or {"name": "gru", "hidden_size": 8},
                               trainer or TINY, **kw).identity


def test_resume_identity_covers_what_changes_a_run_or_its_outputs(tmp_path, monkeypatch):
    base = _identity()
    assert _identity() == base  # stable
    changed = {
        "a knob": _identity(task={"name": "parity", "length": 5}),
        "an option": _identity(model={"name": "gru", "hidden_size": 9}),
        "the trainer": _identity(trainer={**TINY, "lr": 0.01}),
        "the seed": _identity(seed=1),
        "save_model": _identity(save_model=True),
        "the label": _identity(label="my_gru"),
    }
    assert all(value != base for value in changed.values()), changed
    assert len(set(changed.values())) == len(changed)


def test_resume_identity_covers_the_content_of_a_file_a_task_reads(tmp_path, monkeypatch):
    text = tmp_path / "notes.txt"
    text.write_text("the quick brown fox jumps over the lazy dog. " * 40)
    task = {"name": "text_lm", "path": str(text), "length": 16}
    first = _identity(task=task)
    text.write_text("THE QUICK BROWN FOX JUMPS OVER THE LAZY DOG. " * 40)  # same path, new content
    assert _identity(task=task) != first
    monkeypatch.chdir(tmp_path)
    relative = _identity(task={**task, "path": "notes.txt"})
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("the quick brown fox jumps over the lazy dog. " * 40)
    monkeypatch.chdir(tmp_path / "other")
    assert _identity(task={**task, "path": "notes.txt"}) != relative  # the relative path is resolved


def test_completed_only_matches_an_ok_record_of_the_same_identity(tmp_path):
    plan = validate_experiment({"name": "parity", "length": 4}, {"name": "gru", "hidden_size": 8}, TINY)
    assert completed(tmp_path, plan.identity) is None  # nothing there
    write_result(tmp_path, record(config_hash=plan.identity, status="failed"))
    assert completed(tmp_path, plan.identity) is None  # not ok
    write_result(tmp_path, record(config_hash="something-else"))
    assert completed(tmp_path, plan.identity) is None  # another configuration
    write_result(tmp_path, record(config_hash=plan.identity))
    assert completed(tmp_path, plan.identity).config_hash == plan.identity
    (tmp_path / "result.json").write_text('{"schema": 3, "task": ')  # corrupt: redo, never crash
    assert completed(tmp_path, plan.identity) is None


# ------------------------------------------------------------------ 5. a bad record costs only itself
def _bad_files(tmp_path):
    good = record().to_json()
    yield "wrong type: seed", json.dumps({**good, "seed": "zero"}), "field 'seed'"
    yield "wrong type: nested metric", json.dumps({**good, "metrics": {"test": {"accuracy": [1]}}}), "field 'metrics'"
    yield "wrong type: history", json.dumps({**good, "history": {"step": 1}}), "field 'history'"
    yield "wrong type: by_length", json.dumps({**good, "by_length": {"test": {"values": {"3": 1}}}}), "field 'by_length'"
    yield "wrong type: bool as int", json.dumps({**good, "n_params": True}), "field 'n_params'"
    yield "missing field", json.dumps({k: v for k, v in good.items() if k != "status"}), "missing key 'status'"
    yield "negative seed", json.dumps({**good, "seed": -3}), "field 'seed'"
    yield "deep nesting", '{"schema": 3, "x": ' + "[" * 5000 + "]" * 5000 + "}", "nested deeper"
    yield "NaN metric", json.dumps(good).replace('"accuracy": 0.75', '"accuracy": NaN'), "non-finite number NaN"
    yield "Infinity metric", json.dumps(good).replace('"accuracy": 0.75', '"accuracy": -Infinity'), "non-finite"
    yield "huge file", " " * (MAX_BYTES + 1), "over the"
    yield "not UTF-8", b"\xff\xfe{", "not UTF-8"


def test_bad_records_are_skipped_with_a_one_line_reason_and_the_rest_builds(tmp_path):
    sweep = tmp_path / "sweep"
    grid(sweep, n_seeds=1)
    expected = {}
    for i, (name, content, reason) in enumerate(_bad_files(tmp_path)):
        folder = sweep / f"bad{i}"
        folder.mkdir()
        path = folder / "result.json"
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
        expected[str(path)] = (name, reason)
    extra = record(task="parity", model="extra_fields", seed=0).to_json()
    (sweep / "extra").mkdir()
    (sweep / "extra" / "result.json").write_text(json.dumps({**extra, "unknown_field": {"a": 1}, "another": None}))
    loaded = load_results([sweep])
    assert {r.model for r in loaded.records} == {"lstm", "gru", "extra_fields"}  # extra fields are tolerated
    reasons = dict(loaded.skipped)
    assert set(reasons) == set(expected)
    for path, (name, reason) in expected.items():
        assert reason in reasons[path], (name, reasons[path])
        assert "\n" not in reasons[path]
    markdown, frame, skipped = build([str(sweep)], str(tmp_path / "out"))
    assert len(frame) == 3 and len(skipped) == len(expected)


def test_special_files_and_links_are_never_opened_or_followed(tmp_path):
    sweep = tmp_path / "sweep"
    grid(sweep, n_seeds=1)
    outside = tmp_path / "outside"
    outside.mkdir()
    write_result(outside / "secret", record(model="outside"))
    (sweep / "fifo").mkdir()
    os.mkfifo(sweep / "fifo" / "result.json")  # reading it would block forever
    (sweep / "link").mkdir()
    (sweep / "link" / "result.json").symlink_to(outside / "secret" / "result.json")
    (sweep / "devnull").mkdir()
    (sweep / "devnull" / "result.json").symlink_to("/dev/zero")
    (sweep / "linked_dir").symlink_to(outside, target_is_directory=True)  # never walked into
    loaded = load_results([sweep])
    assert {r.model for r in loaded.records} == {"lstm", "gru"}
    reasons = {os.path.relpath(p, sweep): r for p, r in loaded.skipped}
    assert reasons["fifo/result.json"].startswith("not a regular file")
    assert reasons["link/result.json"].startswith("a symbolic link")
    assert reasons["devnull/result.json"].startswith("a symbolic link")
    assert not any("outside" in p for p, _ in loaded.skipped)


def test_a_character_device_named_result_json_is_skipped(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("making a device node needs root (CI runs as root)")
    (tmp_path / "dev").mkdir()
    os.mknod(tmp_path / "dev" / "result.json", 0o600 | stat.S_IFCHR, os.makedev(1, 5))  # like /dev/zero
    with pytest.raises(ValueError, match="not a regular file"):
        read_result(tmp_path / "dev" / "result.json")


def test_a_non_finite_or_missing_metric_is_never_the_best(tmp_path):
    write_result(tmp_path / "a", record(model="a", value=0.6))
    write_result(tmp_path / "b", record(model="b", value=float("nan")))  # written as null
    write_result(tmp_path / "c", record(model="c", value=float("inf")))  # written as null
    markdown, frame, _ = build([str(tmp_path)])
    bold = re.findall(r"\*\*([^*]+)\*\*", markdown)
    assert bold == ["0.600"]
    assert MAX_DEPTH < 100


# ------------------------------------------------------------------ 6. markdown stays a table
@pytest.mark.slow
@pytest.mark.parametrize("text", ["a|b", "two\nlines", "`code`", "<script>alert(1)</script>", "**bold** | [x](y)",
                                  "back\\slash|pipe", "tab\there"])
def test_markdown_tables_stay_tables_whatever_the_names_and_errors(tmp_path, text):
    write_result(tmp_path / "a", record(model="lstm", task_params={"note": text}))
    write_result(tmp_path / "b", record(model="gru", task_params={"note": text + "!"}))
    write_result(tmp_path / "c", record(model=f"m{text}", status="failed", error=f"boom {text}", config_hash="c"))
    markdown, frame, _ = build([str(tmp_path)], str(tmp_path / "out"))
    for line in markdown.splitlines():
        if line.startswith("|"):
            cells = re.split(r"(?<!\\)\|", line)
            header = markdown.splitlines()[markdown.splitlines().index(line)]
            assert len(cells) >= 3, line
    tables = [block for block in markdown.split("\n\n") if block.startswith("|")]
    for block in tables:
        widths = {len(re.split(r"(?<!\\)\|", row)) for row in block.splitlines()}
        assert len(widths) == 1, block  # every row has as many cells as the header
    page = (tmp_path / "out" / "leaderboard.html").read_text()
    assert "<script>" not in markdown and page.count("<script") == 1  # the page's own script only
