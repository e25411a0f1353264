"""The command line as a new user meets it."""

import json

import pytest

from seqbench.core.spec import KINDS

from conftest import SMOKE, run_cli, seqbench_cli


def test_tasks_json_lists_every_kind_with_its_knobs():
    listed = json.loads(run_cli("tasks", "--json").stdout)
    assert {t["kind"] for t in listed} == set(KINDS)
    for task in listed:
        assert {"name", "kind", "version", "description", "primary_metric", "knobs"} <= set(task)
        assert all("default" in knob for knob in task["knobs"].values())


def test_models_json_lists_models_with_options():
    listed = {m["name"]: m for m in json.loads(run_cli("models", "--json").stdout)}
    assert {"rnn_tanh", "rnn_relu", "rnn_sigmoid", "lstm", "gru", "mlp"} <= set(listed)
    assert listed["lstm"]["options"]["hidden_size"]["default"] == 64


@pytest.mark.slow
def test_every_kind_runs_from_the_command_line_and_writes_a_complete_record(demo):
    """The demo grid (``make demo``: every task x rnn_tanh, lstm, gru) covers every kind."""
    assert sorted({r["kind"] for r in demo.records}) == sorted(KINDS)
    for record in demo.records:
        assert record["status"] == "ok", record["error"]
        for key in ("schema", "task", "task_version", "task_params", "model", "model_params", "n_params", "seed",
                    "metrics", "primary_metric", "higher_is_better", "train_seconds", "steps",
                    "tokens_per_second", "dataset_fingerprint", "versions", "git_commit", "device", "created",
                    "baselines", "by_length" if record["kind"] != "one_to_one" else "baselines"):
            assert key in record, key


@pytest.mark.slow
def test_grid_and_leaderboard_name_both_models(tmp_path):
    run_cli("run", "-m", "task=parity,bracket_depth", "model=rnn_tanh,gru", *SMOKE, f"hydra.sweep.dir={tmp_path / 'grid'}")
    assert len(list((tmp_path / "grid").rglob("result.json"))) == 4
    listed = run_cli("leaderboard", str(tmp_path / "grid"), "--out", str(tmp_path / "lb")).stdout
    assert str(tmp_path / "lb" / "leaderboard.md") in listed.splitlines()  # --out lists the files written
    out = run_cli("leaderboard", str(tmp_path / "grid")).stdout  # without --out: the markdown
    for name in ("## parity", "## bracket_depth", "| rnn_tanh", "| gru", "baseline: chance"):
        assert name in out
    assert (tmp_path / "lb" / "leaderboard.md").read_text().strip() == out.strip()
    csv = (tmp_path / "lb" / "results.csv").read_text().splitlines()
    assert len(csv) == 5 and "test/accuracy" in csv[0]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "task=partiy"], "unknown task 'partiy'; did you mean 'parity'?"),
        (["run", "model=lstn"], "unknown model 'lstn'; did you mean 'lstm'?"),
        (["run", "task.lenght=5"], "task.lenght: unknown key; did you mean 'task.length'?"),
        (["run", "trainer.stpes=5"], "trainer.stpes: unknown key; did you mean 'trainer.steps'?"),
        (["check", "revrese"], "unknown task 'revrese'; did you mean 'reverse'?"),
        (["leaderboard", "/no/such/folder"], "no such folder: /no/such/folder"),
        (["tsks"], "unknown command 'tsks'; did you mean 'tasks'?"),
    ],
)
def test_user_errors_are_one_line_without_traceback(args, message):
    result = run_cli(*args, check=False)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_bad_knob_value_is_refused_with_key_value_and_range_and_writes_nothing(tmp_path):
    result = run_cli("run", "task.length=-3", *SMOKE, f"hydra.run.dir={tmp_path / 'run'}", check=False)
    assert result.returncode == 2
    assert "task.length=-3: must be an integer in [1, 100000]" in result.stderr
    assert not (tmp_path / "run").exists()  # validated before anything is written (issue 11.7)


def test_not_applicable_is_recorded_with_the_reason(tmp_path):
    run_cli("run", "task=markov_lm", "model=bilstm", *SMOKE, f"hydra.run.dir={tmp_path}")
    record = json.loads((tmp_path / "result.json").read_text())
    assert record["status"] == "not_applicable" and "bidirectional" in record["error"]


def test_the_installed_script_gives_the_same_one_line_error_and_exit_status():
    """The tests above call ``seqbench.cli.main`` in-process; the script a user runs agrees."""
    script, here = seqbench_cli("tsks", check=False), run_cli("tsks", check=False)
    assert script.returncode == here.returncode == 2 and script.stdout == here.stdout == ""
    assert script.stderr == here.stderr
    assert script.stderr.startswith("seqbench: error: unknown command 'tsks'; did you mean 'tasks'?")


def test_output_piped_into_a_reader_that_stops_early_is_not_an_error(monkeypatch, capsys):
    """`seqbench leaderboard DIR | head -1`: the closed pipe ends the command quietly, exit 0."""
    import os
    import sys

    import seqbench.cli as cli

    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader has gone

    class ClosedPipe:
        def write(self, text):
            raise BrokenPipeError(32, "Broken pipe")

        def flush(self):
            raise BrokenPipeError(32, "Broken pipe")

        def fileno(self):
            return write_end

    monkeypatch.setattr(sys, "stdout", ClosedPipe())
    monkeypatch.setattr(sys, "argv", ["seqbench", "--help"])
    with pytest.raises(SystemExit) as stop:
        cli.entry()
    assert stop.value.code == 0
    os.close(write_end)
