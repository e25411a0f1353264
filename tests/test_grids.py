"""Grids hold up: failures are isolated, killed grids resume, launchers agree, writes are atomic."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import SMOKE, seqbench_cli
from seqbench.results import load_results, read_result


def _records(folder: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted(folder.rglob("result.json"))]


def test_a_failing_job_is_recorded_and_the_grid_finishes(tmp_path):
    result = seqbench_cli("run", "-m", "task=parity", "task.length=8,-3", "model=gru", *SMOKE,
                          f"hydra.sweep.dir={tmp_path / 'grid'}", check=False)
    assert result.returncode == 1 and "1 of 2 runs did not finish ok" in result.stderr
    statuses = sorted(r["status"] for r in _records(tmp_path / "grid"))
    assert statuses == ["failed", "ok"]
    board = seqbench_cli("leaderboard", str(tmp_path / "grid"), "--out", str(tmp_path / "lb")).stdout
    assert "**failed**: task.length=-3: must be an integer" in board
    assert (tmp_path / "lb" / "leaderboard.html").exists() and (tmp_path / "lb" / "overview.png").exists()


def test_killed_grid_resumes_with_every_run_exactly_once(tmp_path):
    sweep = tmp_path / "grid"
    args = ["run", "-m", "task=parity", "model=rnn_tanh,gru", "seed=0,1,2", "trainer=smoke",
            "trainer.steps=60", "trainer.eval_size=32", f"hydra.sweep.dir={sweep}"]
    seqbench = str(Path(sys.executable).parent / "seqbench")
    process = subprocess.Popen([seqbench, *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    deadline = time.time() + 300
    while len(list(sweep.rglob("result.json"))) < 2 and time.time() < deadline:
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)  # kill -9, half-way
    process.wait()
    before = {str(p): read_result(p)["created"] for p in sweep.rglob("result.json")}  # all complete
    assert 2 <= len(before) < 6

    resumed = seqbench_cli(*args, "resume=true")
    assert resumed.stdout.count("skipped, ok result already in") == len(before)
    records, skipped = load_results([sweep])
    assert not skipped and len(records) == 6
    assert sorted((r["model"], r["seed"]) for r in records) == sorted(
        (m, s) for m in ("rnn_tanh", "gru") for s in (0, 1, 2))  # each run exactly once
    for path, created in before.items():
        assert read_result(path)["created"] == created  # finished runs were not redone


def test_results_are_identical_across_processes_and_launchers(tmp_path):
    """Every task: the same config and seed give the same fingerprints and metrics in another
    process, under the basic launcher and under joblib's worker processes."""
    common = ["-m", "task=glob(*)", "model=gru", *SMOKE]
    seqbench_cli("run", *common, f"hydra.sweep.dir={tmp_path / 'basic'}")
    seqbench_cli("run", *common, "hydra/launcher=joblib", "hydra.launcher.n_jobs=2",
                 f"hydra.sweep.dir={tmp_path / 'joblib'}")

    def numbers(folder):
        return {r["task"]: (r["metrics"], r["dataset_fingerprint"]) for r in _records(folder)}

    from seqbench import TASKS

    basic = numbers(tmp_path / "basic")
    assert set(basic) == set(TASKS.names())
    assert basic == numbers(tmp_path / "joblib")


def test_submitit_local_launcher_runs_a_grid(tmp_path):
    pytest.importorskip("hydra_plugins.hydra_submitit_launcher")
    seqbench_cli("run", "-m", "task=parity", "model=rnn_tanh,gru", *SMOKE, "hydra/launcher=submitit_local",
                 "hydra.launcher.timeout_min=10", f"hydra.sweep.dir={tmp_path}")
    assert sorted(r["status"] for r in _records(tmp_path)) == ["ok", "ok"]


WRITER = """
import sys
from seqbench.results import write_result
big = {"schema": 2, "task": "t", "model": "m", "seed": 0, "status": "ok",
       "metrics": {"test": {f"m{i}": i / 7 for i in range(5000)}}}
i = 0
while True:
    big["seed"] = i
    write_result(sys.argv[1], big)
    i += 1
"""


@pytest.mark.parametrize("delay", [0.3, 0.7, 1.1, 1.6, 2.3])
def test_a_writer_killed_at_any_moment_leaves_a_complete_file_or_none(tmp_path, delay):
    process = subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path)])
    time.sleep(delay)
    process.send_signal(signal.SIGKILL)
    process.wait()
    path = tmp_path / "result.json"
    if path.exists():
        record = read_result(path)
        assert len(record["metrics"]["test"]) == 5000


def test_cuda_jobs_spread_over_gpus(monkeypatch):
    import torch

    from seqbench.experiment import resolve_device

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 4)
    assert [resolve_device("cuda", n) for n in range(6)] == ["cuda:0", "cuda:1", "cuda:2", "cuda:3",
                                                             "cuda:0", "cuda:1"]
    assert resolve_device("cuda:2", 5) == "cuda:2" and resolve_device("cpu", 3) == "cpu"


def test_optuna_sweeper_tunes_on_val_and_records_every_trial(tmp_path):
    pytest.importorskip("hydra_plugins.hydra_optuna_sweeper")
    seqbench_cli("run", "-m", "hparams_search=parity_lstm", "hydra.sweeper.n_trials=2", "trainer.steps=10",
                 "trainer.eval_every=5", "trainer.eval_size=32", f"hydra.sweep.dir={tmp_path}")
    records = _records(tmp_path)
    assert len(records) == 2 and all(r["status"] == "ok" for r in records)
    best = (tmp_path / "optimization_results.yaml").read_text()
    assert f"best_value: {max(r['metrics']['val']['accuracy'] for r in records)}" in best
