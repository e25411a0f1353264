"""Grids hold up: failures are isolated, killed grids resume, launchers agree, writes are atomic."""

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from conftest import ROOT, SMOKE, once_per_run, run_cli
from seqbench import TASKS
from seqbench.results import RunRecord, load_results, read_result, write_result


def _records(folder: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted(folder.rglob("result.json"))]


def test_a_failing_job_is_recorded_and_the_grid_finishes(tmp_path):
    # A job that fails while running (an invalid configuration is refused before the grid starts):
    # a CUDA device on a machine without one is only found out by the job itself, as on a cluster.
    import torch

    if torch.cuda.is_available():
        pytest.skip("needs a machine without CUDA")
    result = run_cli("run", "-m", "task=parity", "device=cpu,cuda", "model=gru", *SMOKE,
                          f"hydra.sweep.dir={tmp_path / 'grid'}", check=False)
    assert result.returncode == 1 and "1 of 2 runs did not finish ok" in result.stderr
    statuses = sorted(r["status"] for r in _records(tmp_path / "grid"))
    assert statuses == ["failed", "ok"]
    listed = run_cli("leaderboard", str(tmp_path / "grid"), "--out", str(tmp_path / "lb")).stdout
    assert str(tmp_path / "lb" / "leaderboard.md") in listed.splitlines()  # --out lists the files written
    assert "device='cuda': CUDA is not available" in (tmp_path / "lb" / "leaderboard.md").read_text()
    assert (tmp_path / "lb" / "leaderboard.html").exists()
    assert not (tmp_path / "lb" / "overview.png").exists()  # a smoke board has no ranks, so no heatmap of them


@pytest.mark.slow
def test_killed_grid_resumes_with_every_run_exactly_once(tmp_path):
    sweep = tmp_path / "grid"
    args = ["run", "-m", "task=parity", "model=rnn_tanh,gru", "seed=0,1,2", "trainer=smoke",
            "trainer.steps=30", "trainer.eval_size=32", f"hydra.sweep.dir={sweep}"]
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

    resumed = run_cli(*args, "resume=true")
    assert resumed.stdout.count("skipped, ok result already in") == len(before)
    records, skipped, duplicates = load_results([sweep])
    assert not skipped and not duplicates and len(records) == 6
    assert sorted((r["model"], r["seed"]) for r in records) == sorted(
        (m, s) for m in ("rnn_tanh", "gru") for s in (0, 1, 2))  # each run exactly once
    for path, created in before.items():
        assert read_result(path)["created"] == created  # finished runs were not redone


RERUN = """
import json, sys
from seqbench.experiment import run_experiment
for task, model, trainer, seed, out in json.loads(sys.argv[1]):
    run_experiment(task, model, trainer, seed=seed, out_dir=out)
"""
SMALL = {"steps": 6, "eval_every": 3, "eval_size": 32, "val_size": 32}


def _short(name: str) -> dict:
    """A task config at short lengths where the task tests long ones by default (the Chomsky family,
    whose test_ood reaches 500): determinism does not depend on the length."""
    knobs = TASKS.get(name)().describe()["knobs"]
    return {"name": name, **({"length": 8, "ood_length": 16} if "ood_grid" in knobs else {})}


def _left_out_of_the_demo() -> set[str]:
    """The tasks ``experiment=smoke`` (``make demo``) leaves out of its ``task=glob(*...)`` sweep."""
    import re

    sweep = (ROOT / "conf" / "experiment" / "smoke.yaml").read_text()
    found = re.search(r"task: glob\(\*(?:,exclude=\[([^]]*)\])?\)", sweep)
    return set(filter(None, (found.group(1) or "").split(","))) if found else set(TASKS.names())


@pytest.fixture(scope="session")
def fresh_runs(tmp_path_factory):
    """Every task that the demo leaves out, run once in a fresh process (gru, a small budget)."""

    def run_them() -> str:
        out = tmp_path_factory.mktemp("fresh")
        jobs = [[_short(n), {"name": "gru"}, SMALL, 0, str(out / n)] for n in sorted(_left_out_of_the_demo())
                if n in TASKS]
        subprocess.run([sys.executable, "-c", RERUN, json.dumps(jobs)], check=True, capture_output=True, timeout=600)
        return str(out)

    return Path(once_per_run(tmp_path_factory, "fresh_runs", run_them))


def _in_the_demo() -> list[str]:
    """The tasks ``make demo`` runs (``experiment=smoke``)."""
    return sorted(set(TASKS.names()) - _left_out_of_the_demo())


def _compare(ours: dict, theirs: dict) -> None:
    """Two records of one configuration and seed hold the same data fingerprints and numbers."""
    assert ours["status"] == theirs["status"] == "ok", (ours["error"], theirs["error"])
    assert ours["config_hash"] == theirs["config_hash"]  # the very same configuration
    for key in ("dataset_fingerprint", "metrics", "intervals", "by_length", "baselines"):
        assert ours[key] == theirs[key], key


def _demo_job_here(name: str, tmp_path_factory) -> dict:
    """The record of the demo's gru job of task ``name`` (``experiment=smoke``), run as a single
    run in this process, once per test run (:func:`conftest.once_per_run`)."""
    def run_it() -> dict:
        seed = yaml.safe_load((ROOT / "conf" / "experiment" / "smoke.yaml").read_text())["hydra"]["sweeper"][
            "params"]["seed"]  # the demo's seed, stated as the demo states it
        out = tmp_path_factory.mktemp(f"demo_job_{name}")
        run_cli("run", "experiment=smoke", f"task={name}", "model=gru", f"seed={seed}", f"hydra.run.dir={out}")
        return json.loads((out / "result.json").read_text())

    return once_per_run(tmp_path_factory, f"demo_job_{name}", run_it)


@pytest.mark.parametrize("name", _in_the_demo())
def test_the_demos_jobs_run_in_this_process(name, tmp_path_factory):
    """Each task of the demo, its gru job run again here (no ``demo`` fixture: this runs while
    ``make demo`` is still running in the background; the comparison below waits for it)."""
    assert _demo_job_here(name, tmp_path_factory)["status"] == "ok"


@pytest.mark.parametrize("name", _in_the_demo())
def test_the_demos_results_are_identical_in_this_process(name, demo, tmp_path_factory):
    """The same config and seed give the same data fingerprints and metrics in another process:
    the demo's gru jobs ran in joblib's worker processes, two at a time (``make demo``); the same
    jobs composed and run in this process (``test_the_demos_jobs_run_in_this_process``) agree."""
    gru = [r for r in demo.records if r["model"] == "gru"]
    theirs = {r["task"]: r for r in gru}
    assert len(theirs) == len(gru), "the demo ran a task x gru more than once"
    assert name in theirs, f"make demo did not run {name}"
    assert theirs[name]["trainer_params"]["threads"] >= 1
    _compare(_demo_job_here(name, tmp_path_factory), theirs[name])


@pytest.mark.parametrize("name", sorted(_left_out_of_the_demo() & set(TASKS.names())))
def test_results_are_identical_in_a_fresh_process(name, fresh_runs, tmp_path):
    """The tasks the demo leaves out (the Chomsky-hierarchy family): run in a fresh process
    (``fresh_runs``) and again here, from the same configuration, with the same numbers."""
    from seqbench.experiment import run_experiment

    theirs = json.loads((fresh_runs / name / "result.json").read_text())
    run_experiment(_short(name), {"name": "gru"}, SMALL, seed=theirs["seed"], out_dir=tmp_path)
    _compare(json.loads((tmp_path / "result.json").read_text()), theirs)


@pytest.mark.slow
def test_submitit_local_launcher_runs_a_grid(tmp_path):
    pytest.importorskip("hydra_plugins.hydra_submitit_launcher")
    # one job: each of submitit's jobs is a fresh process (seconds of imports); one shows the launcher works
    run_cli("run", "-m", "task=parity", "model=gru", *SMOKE, "hydra/launcher=submitit_local",
            "hydra.launcher.timeout_min=10", f"hydra.sweep.dir={tmp_path}")
    assert [r["status"] for r in _records(tmp_path)] == ["ok"]


WRITER = """
import sys, time
from seqbench.results import RunRecord, read_result, write_result
folder = sys.argv[1]
seed = read_result(folder + "/result.json").seed
metrics = {"test": {f"m{i}": i / 7 for i in range(5000)}}
while True:
    seed += 1
    print("start", seed, flush=True)
    write_result(folder, RunRecord(task="t", model="m", seed=seed, status="ok", metrics=metrics))
    print("done", seed, flush=True)
    time.sleep(0.003)
"""


def test_a_writer_killed_at_any_moment_leaves_the_complete_old_or_new_file(tmp_path):
    """kill -9 at random moments while a process rewrites result.json in a loop (a 5,000-metric
    record, so each write takes a while). After every kill the file is the complete record of
    the write in flight (it landed) or of the one before it (it did not): never torn, never gone.
    Each writer is seen to start writing before it is killed, and both outcomes occur."""
    metrics = {"test": {f"m{i}": i / 7 for i in range(5000)}}
    write_result(tmp_path, RunRecord(task="t", model="m", seed=0, status="ok", metrics=metrics))
    delays = random.Random(12)
    outcomes = {"old": 0, "new": 0}
    for _ in range(40):
        process = subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path)], stdout=subprocess.PIPE, text=True)
        first = process.stdout.readline().split()  # blocks until the writer starts its first write
        time.sleep(delays.uniform(0.0, 0.03))
        process.send_signal(signal.SIGKILL)
        process.wait()
        lines = [first] + [line.split() for line in process.stdout.read().splitlines()]
        process.stdout.close()
        assert first[0] == "start", lines
        started = max(int(n) for word, n in lines if word == "start")
        finished = any(word == "done" and int(n) == started for word, n in lines)
        record = read_result(tmp_path / "result.json")  # complete and valid, or this raises
        assert record.metrics == metrics and record.task == "t"
        assert record.seed in ((started,) if finished else (started - 1, started)), (record.seed, lines)
        outcomes["new" if record.seed == started else "old"] += 1
        if min(outcomes.values()) >= 2:
            break
    assert min(outcomes.values()) >= 2, outcomes  # kills landed both inside a write and after one
    records, skipped, _ = load_results([tmp_path])  # the killed writers' temporary files are never read
    assert len(records) == 1 and not skipped


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
    run_cli("run", "-m", "hparams_search=parity_lstm", "hydra.sweeper.n_trials=2", "trainer.steps=10",
                 "trainer.eval_every=5", "trainer.eval_size=32", f"hydra.sweep.dir={tmp_path}")
    records = _records(tmp_path)
    assert len(records) == 2 and all(r["status"] == "ok" for r in records)
    best = (tmp_path / "optimization_results.yaml").read_text()
    assert f"best_value: {max(r['metrics']['val']['accuracy'] for r in records)}" in best
