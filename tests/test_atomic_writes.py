"""Every file seqbench writes is written whole or not at all, a file-system error is one line,
a leaderboard folder has one writer at a time, and results.csv is safe to open in a spreadsheet.

File-system errors are simulated by monkeypatching ``os.replace`` / ``os.fsync`` (the tests run
as root, whom a read-only mode bits would not stop).
"""

from __future__ import annotations

import csv
import errno
import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import SMOKE, run_cli
from seqbench.core.atomic import WriteError, write_atomic, write_with
from seqbench.boards.files import LOCK_FILE, STAGING_PREFIX, board_lock, write_board
from seqbench.core.errors import SeqbenchError
from seqbench.core.record import RunRecord, load_results, read_result, write_result

ERRORS = [(errno.ENOSPC, "No space left on device"), (errno.EROFS, "Read-only file system"),
          (errno.EFBIG, "File too large"), (errno.EACCES, "Permission denied")]


def record(model="lstm", seed=0, value=0.75, **extra) -> RunRecord:
    """A complete ok record without training (ranked: its step budget is a real one)."""
    fields = dict(task="parity", model=model, seed=seed, status="ok", primary_metric="accuracy",
                  higher_is_better=True, config_hash=f"parity-{model}-{seed}", metrics={"test": {"accuracy": value}},
                  n_params=10, trainer_params={"steps": 4000}, created="2026-11-26T00:00:00+00:00")
    return RunRecord(**{**fields, **extra})


def runs(folder: Path, labels=("lstm", "gru")) -> Path:
    for i, label in enumerate(labels):
        write_result(folder / f"run{i}", record(model=f"m{i}", model_label=label, value=0.5 + i / 10))
    return folder


def leftovers(folder: Path) -> list[str]:
    """Temporary files, staging folders and lock files anywhere below ``folder``."""
    return sorted(str(p) for p in folder.rglob("*")
                  if p.name.endswith(".tmp") or p.name.startswith((STAGING_PREFIX, LOCK_FILE)))


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def fail_replace(monkeypatch, code: int, message: str, when=lambda destination: True) -> None:
    """``os.replace`` raises ``OSError(code)`` for destinations ``when`` accepts."""
    real = os.replace

    def replace(source, destination, *args, **kwargs):
        if when(Path(destination)):
            raise OSError(code, message)
        return real(source, destination, *args, **kwargs)

    monkeypatch.setattr(os, "replace", replace)


def fail_file_fsync(monkeypatch, code: int, message: str, after: int = 0) -> None:
    """``os.fsync`` of a regular file raises ``OSError(code)`` from its ``after``-th call on (data
    written, then the disk reports it full), as a file system with delayed allocation does."""
    real, calls = os.fsync, []

    def fsync(fd):
        if stat.S_ISREG(os.fstat(fd).st_mode):
            calls.append(fd)
            if len(calls) > after:
                raise OSError(code, message)
        return real(fd)

    monkeypatch.setattr(os, "fsync", fsync)


# ------------------------------------------------------------------ the atomic writer


@pytest.mark.parametrize("code, message", ERRORS)
@pytest.mark.parametrize("stage", ["write", "fsync", "replace"])
def test_a_failed_write_keeps_the_old_file_leaves_no_temporary_and_names_path_and_errno(
        tmp_path, monkeypatch, code, message, stage):
    target = tmp_path / "board" / "leaderboard.md"
    write_atomic(target, "old\n")

    def write(handle):
        handle.write(b"new, half")
        if stage == "write":
            raise OSError(code, message)

    if stage == "fsync":
        fail_file_fsync(monkeypatch, code, message)
    if stage == "replace":
        fail_replace(monkeypatch, code, message)
    with pytest.raises(WriteError) as info:
        write_with(target, write)
    assert str(info.value) == f"cannot write {target}: [{errno.errorcode[code]}] {message}"
    assert isinstance(info.value, OSError) and isinstance(info.value, SeqbenchError)
    assert info.value.errno == code
    monkeypatch.undo()
    assert target.read_text() == "old\n"
    assert [p.name for p in target.parent.iterdir()] == ["leaderboard.md"]  # no temporary file left


def test_the_written_file_has_a_plain_open_s_permissions(tmp_path):
    old = os.umask(0o027)
    try:
        path = write_atomic(tmp_path / "a.txt", b"x")
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_a_write_error_survives_pickling_for_launcher_workers():
    import pickle

    error = WriteError("outputs/x/result.json", errno.ENOSPC, "No space left on device")
    again = pickle.loads(pickle.dumps(error))
    assert str(again) == str(error) and again.errno == errno.ENOSPC


@pytest.mark.parametrize("code, message", ERRORS)
def test_write_result_on_a_full_disk_keeps_the_old_record_and_no_temporary(tmp_path, monkeypatch, code, message):
    write_result(tmp_path, record(value=0.5))
    fail_file_fsync(monkeypatch, code, message)
    with pytest.raises(WriteError, match=rf"^cannot write {tmp_path}/result.json: \[{errno.errorcode[code]}\] "):
        write_result(tmp_path, record(value=0.9))
    monkeypatch.undo()
    assert read_result(tmp_path / "result.json").metrics["test"]["accuracy"] == 0.5
    assert [p.name for p in tmp_path.iterdir()] == ["result.json"]


def test_model_weights_and_plots_are_written_atomically_too(tmp_path, monkeypatch):
    import torch

    from seqbench.analysis.plots import new_figure, save_figure
    from seqbench.runs.checkpoint import save_weights

    fail_replace(monkeypatch, errno.ENOSPC, "No space left on device")
    with pytest.raises(WriteError, match=r"model.pt: \[ENOSPC\]"):
        save_weights(torch.nn.Linear(2, 2), tmp_path)
    with pytest.raises(WriteError, match=r"overview.png: \[ENOSPC\]"):
        save_figure(new_figure((1, 1)), tmp_path / "overview.png")
    monkeypatch.undo()
    assert list(tmp_path.iterdir()) == []
    assert save_figure(new_figure((1, 1)), tmp_path / "overview.png").read_bytes()[:4] == b"\x89PNG"


def test_weights_that_cannot_be_saved_fail_the_run_with_one_line_and_no_temporary(tmp_path, monkeypatch):
    from seqbench.runs.experiment import run_experiment

    fail_replace(monkeypatch, errno.ENOSPC, "No space left on device", when=lambda d: d.name == "model.pt")
    result = run_experiment({"name": "parity", "length": 4}, {"name": "gru", "hidden_size": 4},
                            {"steps": 2, "eval_every": 1, "eval_size": 16, "batch_size": 8}, out_dir=tmp_path,
                            save_model=True)
    assert result.status == "failed"
    assert result.error == f"cannot write {tmp_path}/model.pt: [ENOSPC] No space left on device"
    assert [p.name for p in tmp_path.iterdir()] == ["result.json"]


# ------------------------------------------------------------------ the leaderboard folder


def test_leaderboard_with_out_lists_the_files_written_instead_of_the_markdown(tmp_path):
    folder, out = runs(tmp_path / "runs"), tmp_path / "board"
    done = run_cli("leaderboard", str(folder), "--out", str(out), "--raw")
    lines = done.stdout.splitlines()
    assert lines[:4] == [str(out / name) for name in ("overview.png", "results.csv", "leaderboard.md",
                                                       "leaderboard.html")]
    assert lines[4].startswith(f"{out / 'raw'}/") and len(lines) == 5
    assert all(Path(line).exists() for line in lines[:4])
    assert "# seqbench leaderboard" not in done.stdout and leftovers(tmp_path) == []
    printed = run_cli("leaderboard", str(folder)).stdout  # without --out: the markdown, as before
    assert printed.strip() == (out / "leaderboard.md").read_text().strip()


@pytest.mark.slow
@pytest.mark.parametrize("code, message", ERRORS)
def test_a_board_that_cannot_be_written_is_one_line_and_the_old_board_stays_whole(tmp_path, monkeypatch, code,
                                                                                   message):
    folder, out = runs(tmp_path / "runs"), tmp_path / "board"
    run_cli("leaderboard", str(folder), "--out", str(out))
    before = snapshot(out)
    write_result(folder / "run2", record(model="m2", model_label="rnn", value=0.9))  # a new board would differ
    fail_file_fsync(monkeypatch, code, message, after=2)  # two files written, then the disk fails
    done = run_cli("leaderboard", str(folder), "--out", str(out), check=False)
    monkeypatch.undo()
    assert done.returncode == 2 and done.stdout == "" and "Traceback" not in done.stderr
    assert done.stderr.count("\n") == 1
    assert done.stderr.startswith(f"seqbench: error: cannot write {out}/")
    assert done.stderr.rstrip().endswith(f": [{errno.errorcode[code]}] {message}")
    assert STAGING_PREFIX not in done.stderr  # the board's own file name, not the staging folder's
    assert snapshot(out) == before and leftovers(tmp_path) == []


def test_a_failed_swap_is_one_line_naming_the_board_file(tmp_path, monkeypatch):
    folder, out = runs(tmp_path / "runs"), tmp_path / "board"
    fail_replace(monkeypatch, errno.EROFS, "Read-only file system", when=lambda d: d == out / "results.csv")
    done = run_cli("leaderboard", str(folder), "--out", str(out), check=False)
    monkeypatch.undo()
    assert done.returncode == 2
    assert done.stderr == f"seqbench: error: cannot write {out}/results.csv: [EROFS] Read-only file system\n"
    assert leftovers(tmp_path) == []


def test_a_killed_writer_s_staging_folder_and_old_plots_are_cleared_user_files_are_kept(tmp_path):
    folder, out = runs(tmp_path / "runs"), tmp_path / "board"
    staging = out / f"{STAGING_PREFIX}killed"
    staging.mkdir(parents=True)
    (staging / "leaderboard.md").write_text("half")
    for name in ("curves_gone.png", "length_gone.png", "notes.txt", "claims.yaml"):
        (out / name).write_text("old")
    run_cli("leaderboard", str(folder), "--out", str(out))
    assert sorted(p.name for p in out.iterdir()) == ["claims.yaml", "leaderboard.html", "leaderboard.md", "notes.txt",
                                                     "overview.png", "results.csv"]


def test_tables_only_keep_the_plots_already_there(tmp_path):
    from seqbench.boards.render import build

    folder, out = runs(tmp_path / "runs"), tmp_path / "board"
    build([str(folder)], str(out))
    (out / "curves_kept.png").write_text("old")
    _, frame, _ = build([str(folder)], str(out), figures=False)
    assert [p.name for p in frame.attrs["files"]] == ["results.csv", "leaderboard.md", "leaderboard.html"]
    assert (out / "overview.png").exists() and (out / "curves_kept.png").exists()


def test_a_second_writer_of_the_same_folder_is_refused_in_one_line(tmp_path):
    folder, out = runs(tmp_path / "runs"), tmp_path / "board"
    with board_lock(out):
        assert (out / LOCK_FILE).read_text().strip() == str(os.getpid())
        with board_lock(out):  # re-entrant in one process
            pass
        done = subprocess.run([str(Path(sys.executable).parent / "seqbench"), "leaderboard", str(folder), "--out",
                               str(out)], capture_output=True, text=True, timeout=300)
        assert done.returncode == 2 and done.stdout == ""
        assert done.stderr == f"seqbench: error: another seqbench leaderboard is writing {out} (pid {os.getpid()})\n"
        assert [p.name for p in out.iterdir()] == [LOCK_FILE]  # nothing of the refused writer's
    assert not out.exists()  # the lock created the folder; nothing was written, so it is gone
    run_cli("leaderboard", str(folder), "--out", str(out))
    assert (out / "leaderboard.html").exists() and not (out / LOCK_FILE).exists()


def test_a_lock_held_in_another_process_refuses_write_board(tmp_path):
    out = tmp_path / "board"
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import sys, time
        from seqbench.boards.files import board_lock
        with board_lock({str(out)!r}):
            print("locked", flush=True)
            sys.stdin.readline()
    """)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(SeqbenchError, match=rf"another seqbench leaderboard is writing .* \(pid {holder.pid}\)"):
            write_board(out, {"leaderboard.md": "# mine\n"})
    finally:
        holder.communicate("\n", timeout=60)
    assert write_board(out, {"leaderboard.md": "# mine\n"}) == [out / "leaderboard.md"]


def test_out_naming_an_existing_file_is_one_line(tmp_path):
    folder, out = runs(tmp_path / "runs"), tmp_path / "board.md"
    out.write_text("mine")
    done = run_cli("leaderboard", str(folder), "--out", str(out), check=False)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr == f"seqbench: error: --out {out}: is a file, not a folder (the leaderboard is a folder of files)\n"
    assert out.read_text() == "mine"
    below = run_cli("leaderboard", str(folder), "--out", str(out / "sub"), check=False)
    assert below.returncode == 2 and below.stderr.count("\n") == 1 and "[ENOTDIR]" in below.stderr


# ------------------------------------------------------------------ CSV injection


@pytest.mark.parametrize("label", ["=HYPERLINK(\"http://evil\",\"x\")", "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)",
                                   "\tlstm", "\rlstm"])
def test_results_csv_neutralises_formulas_but_keeps_numbers_numeric(tmp_path, label):
    folder, out = runs(tmp_path / "runs", labels=(label, "gru")), tmp_path / "board"
    write_result(folder / "run2", record(model="m2", model_label="neg", value=-0.25, error="-1"))
    from seqbench.boards.render import build

    build([str(folder)], str(out), figures=False)
    with open(out / "results.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    by_label = {row["model_label"]: row for row in rows}
    assert len(rows) == 3  # a carriage return does not split a row (it is written as a quoted line feed)
    assert "'" + label.replace("\r", "\n") in by_label and label not in by_label  # shown as text, never run
    assert by_label["neg"]["test/accuracy"] == "-0.25"  # a negative number stays a number
    assert by_label["neg"]["error"] == "-1"  # and so does a text cell that is a plain number
    assert not any(cell.startswith(("=", "+", "@", "\t", "\r")) for row in rows for cell in row.values() if cell)


# ------------------------------------------------------------------ a sweep whose records cannot be written

GRID = ["run", "-m", "task=parity", "model=rnn_tanh,gru", *SMOKE]


@pytest.mark.slow
def test_a_job_whose_record_cannot_be_written_fails_alone_and_resume_recovers(tmp_path, monkeypatch):
    sweep, failures = tmp_path / "grid", []

    def first_record(destination: Path) -> bool:  # the first job's full record is too large, once
        if destination.name == "result.json" and not failures:
            failures.append(destination)
            return True
        return False

    fail_replace(monkeypatch, errno.EFBIG, "File too large", when=first_record)
    done = run_cli(*GRID, f"hydra.sweep.dir={sweep}", check=False)
    monkeypatch.undo()
    assert done.returncode == 1 and "Traceback" not in done.stdout + done.stderr
    assert f"FAILED: cannot write {failures[0]}: [EFBIG] File too large" in done.stdout
    assert "1 of 2 runs did not finish ok (failed)" in done.stderr
    failed = read_result(failures[0])  # the short record of the failure took its place
    assert failed.status == "failed" and "[EFBIG]" in failed.error
    assert leftovers(sweep) == []
    again = run_cli(*GRID, f"hydra.sweep.dir={sweep}", "resume=true")
    assert again.stdout.count("skipped, ok result already in") == 1
    assert sorted(r.status for r in load_results([sweep]).records) == ["ok", "ok"]


@pytest.mark.slow
def test_a_sweep_that_cannot_write_any_record_stops_in_one_line_and_resume_recovers(tmp_path, monkeypatch):
    sweep = tmp_path / "grid"
    fail_replace(monkeypatch, errno.ENOSPC, "No space left on device", when=lambda d: d.name == "result.json")
    done = run_cli(*GRID, f"hydra.sweep.dir={sweep}", check=False)
    monkeypatch.undo()
    assert done.returncode == 2 and "Traceback" not in done.stdout + done.stderr
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("seqbench: error: cannot write ")
    assert "result.json: [ENOSPC] No space left on device; stopped: no result can be written" in done.stderr
    assert done.stdout.count("FAILED") == 1  # the second job was not trained for nothing
    assert list(sweep.rglob("result.json")) == [] and leftovers(sweep) == []
    again = run_cli(*GRID, f"hydra.sweep.dir={sweep}", "resume=true")
    assert "skipped" not in again.stdout
    assert sorted(r.status for r in load_results([sweep]).records) == ["ok", "ok"]
