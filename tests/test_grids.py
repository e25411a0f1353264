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
from seqbench.core.record import RunRecord, load_results, read_result, write_result


def _records(folder: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted(folder.rglob("result.json"))]


@pytest.mark.slow
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
    deadline = time.monotonic() + 300
    while len(list(sweep.rglob("result.json"))) < 2 and time.monotonic() < deadline:
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
from seqbench.runs.experiment import run_experiment
for task, model, trainer, seed, out in json.loads(sys.argv[1]):
    run_experiment(task, model, trainer, seed=seed, out_dir=out)
"""
SMALL = {"steps": 6, "eval_every": 3, "eval_size": 32, "val_size": 32}


def _short(name: str) -> dict:
    """A task config at short lengths where the task tests long ones by default (the Chomsky family,
    whose test_ood reaches 500): determinism does not depend on the length."""
    knobs = TASKS.get(name)().describe()["knobs"]
    return {"name": name, **({"length": 8, "ood_length": 16} if "ood_grid" in knobs else {})}


def _swept_tasks(experiment: str) -> list[str]:
    """The tasks ``experiment=NAME`` sweeps: its sweeper's ``task`` param, resolved (a plain list, or
    the tasks chosen by tag: ``${seqbench.untagged:chomsky}``)."""
    from importlib import import_module

    from omegaconf import OmegaConf

    import_module("seqbench.cli.run")  # registers the resolvers seqbench.tagged and seqbench.untagged

    params = OmegaConf.load(ROOT / "conf" / "experiment" / f"{experiment}.yaml").hydra.sweeper.params
    return str(params.task).split(",")


def _left_out_of_the_demo() -> set[str]:
    """The tasks ``experiment=smoke`` (``make demo``) leaves out of its sweep (those tagged chomsky)."""
    return set(TASKS.load_all()[0]) - set(_swept_tasks("smoke"))


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
    return sorted(_swept_tasks("smoke"))


#: The hand-written list of the Chomsky-hierarchy tasks the experiment grids held before tags.
CHOMSKY_LIST = ("even_pairs,modular_arithmetic,parity_check,cycle_navigation,stack_manipulation,reverse_string,"
                "modular_arithmetic_brackets,solve_equation,duplicate_string,missing_duplicate_string,odds_first,"
                "binary_addition,binary_multiplication,compute_sqrt,bucket_sort")


@pytest.mark.slow
@pytest.mark.parametrize("experiment, replaced, narrowed", [
    ("chomsky", CHOMSKY_LIST, ["model=lstm", "seed=0", "trainer.lr=0.001"]),  # ${seqbench.tagged:chomsky}, select
    ("smoke", f"glob(*,exclude=[{CHOMSKY_LIST}])", ["model=lstm"]),  # ${seqbench.untagged:chomsky}
    ("leaderboard", f"glob(*,exclude=[{CHOMSKY_LIST}])", ["model=lstm", "seed=0", "trainer.lr=0.01"]),  # select
], ids=["chomsky", "smoke", "leaderboard_select"])
def test_a_grid_by_tag_expands_to_the_jobs_of_the_list_it_replaced(experiment, replaced, narrowed, tmp_path):
    """The experiments name their tasks by tag; the preflight (as ``seqbench run`` checks a grid, here
    with ``resume=true``) expands each to the very jobs, in the very folders, of the list it replaced,
    so a grid started before tags resumes with its finished runs found."""
    from seqbench.cli.preflight import preflight
    from seqbench.cli.run import register_configs

    register_configs()
    common = ["-m", f"experiment={experiment}", *narrowed, "resume=true", f"hydra.sweep.dir={tmp_path}"]
    by_tag = preflight(common)
    by_list = preflight([*common, f"hydra.sweeper.params.task='{replaced}'"])
    assert by_tag.n_jobs == by_list.n_jobs > 0
    assert sorted(by_tag.subdirs) == sorted(by_list.subdirs)
    assert any("task=parity_check" in d for d in by_tag.subdirs) == (experiment == "chomsky")


@pytest.mark.slow
def test_the_chomsky_board_resumes_every_committed_run_in_the_folder_its_grid_names(tmp_path):
    """The Chomsky board is run in sittings (``resume=true``): every run committed under
    ``leaderboards/chomsky_past_ceiling/raw`` sits in a folder ``experiment=chomsky`` names, made under
    the configuration the grid plans for it today, so a sitting finds it instead of training it again
    (the preflight refuses a sitting that would replace one); the seeds sitting 13 added, in the
    folders its ``seed=0,3,4,...`` sittings name. The first board's runs,
    ``chomsky_converged/raw``, were made by another trainer: a sitting into that folder is refused."""
    import shutil

    from seqbench.cli.preflight import preflight
    from seqbench.cli.run import register_configs
    from seqbench.core.errors import ConfigError

    register_configs()

    def copy(board: str) -> tuple[Path, set[str]]:  # the records only: the preflight probes its folder
        raw, folder = ROOT / "leaderboards" / board / "raw", tmp_path / board
        for record in raw.glob("*/result.json"):
            (folder / record.parent.name).mkdir(parents=True)
            shutil.copy(record, folder / record.parent.name)
        return folder, {p.parent.name for p in folder.glob("*/result.json")}

    def knobs(name: str) -> dict[str, str]:  # a run folder's name, "experiment=chomsky,model=lru,seed=3,..."
        return dict(part.split("=", 1) for part in name.split(","))

    def plan(folder: Path, names: set[str]):
        tasks = sorted({knobs(name)["task"] for name in names})
        models = sorted({knobs(name)["model"] for name in names})
        return preflight(["-m", "experiment=chomsky", f"task={','.join(tasks)}", f"model={','.join(models)}",
                          "resume=true", f"hydra.sweep.dir={folder}"]), len(tasks) * len(models)

    folder, committed = copy("chomsky_past_ceiling")
    assert committed
    first = {name for name in committed if int(knobs(name)["seed"]) < 3}
    board, cells = plan(folder, first)
    assert board.n_jobs == cells * (2 + 2)  # seed 0 at both rates, then seeds 1 and 2 at the chosen one
    assert first <= set(board.subdirs)
    more: dict[tuple[str, str], set[str]] = {}  # sitting 13's seeds: seed=0,3,4[,...,9] per cell
    for name in committed - first:
        more.setdefault((knobs(name)["task"], knobs(name)["model"]), set()).add(name)
    for (task, model), names in sorted(more.items()):
        seeds = ",".join(map(str, [0, *range(3, 1 + max(int(knobs(name)["seed"]) for name in names))]))
        extra = preflight(["-m", "experiment=chomsky", f"task={task}", f"model={model}", f"seed={seeds}",
                           "resume=true", f"hydra.sweep.dir={folder}"])
        assert names <= set(extra.subdirs), (task, model)
    folder, closed = copy("chomsky_converged")
    one_task = {name for name in closed if "task=parity_check," in name}
    with pytest.raises(ConfigError, match=r"ok records made under another configuration would be trained "
                                          r"again and replaced; nothing was run: .*trainer\.stop_at_ceiling: recorded True"):
        plan(folder, one_task)


def test_the_main_board_grid_trains_on_at_the_ceiling_at_five_seeds_and_four_rates():
    """experiment=leaderboard (issue 27's rebuild): the cap of 10,000 steps, runs at the val ceiling
    trained on and scored on their last evaluation there (as the Chomsky board), rates 3e-4 to 1e-2,
    5 seeds, one parameter budget."""
    from omegaconf import OmegaConf

    full = OmegaConf.load(ROOT / "conf" / "experiment" / "leaderboard.yaml")
    assert {"override /trainer": "converge"} in full.defaults and {"override /hydra/sweeper": "select"} in full.defaults
    assert (full.trainer.steps, full.trainer.stop_at_ceiling, full.trainer.checkpoint) == (10000, False, "latest_best")
    params = full.hydra.sweeper.params
    assert params["trainer.lr"] == "0.0003,0.001,0.003,0.01" and params.seed == "range(5)"
    assert full.model.param_budget == 20000


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


@pytest.mark.slow
@pytest.mark.parametrize("name", _in_the_demo())
def test_the_demos_jobs_run_in_this_process(name, tmp_path_factory):
    """Each task of the demo, its gru job run again here (no ``demo`` fixture: this runs while
    ``make demo`` is still running in the background; the comparison below waits for it)."""
    assert _demo_job_here(name, tmp_path_factory)["status"] == "ok"


@pytest.mark.slow
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


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(_left_out_of_the_demo() & set(TASKS.names())))
def test_results_are_identical_in_a_fresh_process(name, fresh_runs, tmp_path):
    """The tasks the demo leaves out (the Chomsky-hierarchy family): run in a fresh process
    (``fresh_runs``) and again here, from the same configuration, with the same numbers."""
    from seqbench.runs.experiment import run_experiment

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
from seqbench.core.record import RunRecord, read_result, write_result
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


def test_a_writer_killed_at_a_random_moment_leaves_the_complete_old_or_new_file(tmp_path):
    """kill -9 at random moments while a process rewrites result.json in a loop (a 5,000-metric
    record). After every kill the file is the complete record of the write in flight (it landed)
    or of the one before it (it did not): never torn, never gone. Where the kills land depends on
    the scheduler, so nothing is asserted about that: the step-by-step test below covers every
    moment of a write deterministically."""
    metrics = {"test": {f"m{i}": i / 7 for i in range(5000)}}
    write_result(tmp_path, RunRecord(task="t", model="m", seed=0, status="ok", metrics=metrics))
    delays = random.Random(12)
    for _ in range(8):
        process = subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path)], stdout=subprocess.PIPE, text=True)
        first = process.stdout.readline().split()  # blocks until the writer starts its first write
        time.sleep(delays.uniform(0.0, 0.03))  # only spreads the kills; any moment is a valid one
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
    records, skipped, _ = load_results([tmp_path])  # the killed writers' temporary files are never read
    assert len(records) == 1 and not skipped


KILL_AT_EVERY_STEP = r'''
"""Write result.json again and again, each time in a child killed (SIGKILL) at the next step of
the write: every line of seqbench.core.atomic it runs, and at each step with the temporary file open,
once more after writing a cut-off record into it (what a kill inside the write system call leaves).
One JSON line per kill: the step, how the child ended, and what result.json holds afterwards."""
import json, os, signal, sys
from pathlib import Path

import seqbench.core.atomic
from seqbench.core.record import RunRecord, read_result, write_result

folder, scratch = Path(sys.argv[1]), Path(sys.argv[2])
METRICS = {"test": {f"m{i}": i / 7 for i in range(1000)}}  # 20 kB: written past the buffer
TORN = b'{\n  "baselines": {},\n  "metrics": {\n    "test": {\n      "m0": 0.0,\n      "m1": 0.14'


def record(seed):
    return RunRecord(task="t", model="m", seed=seed, status="ok", metrics=METRICS)


def open_handle(frame):
    handle = frame.f_locals.get("handle")
    return handle if handle is not None and hasattr(handle, "raw") and not handle.closed else None


def tracer(on_step):
    """A trace function calling on_step(frame) before each line of seqbench.core.atomic runs."""
    def trace(frame, event, arg):
        if frame.f_code.co_filename != seqbench.core.atomic.__file__:
            return None
        if event == "line":
            on_step(frame)
        return trace
    return trace


def steps_of_a_write():
    """Each line a write runs, in order, the first time it is reached; and whether the file is open there."""
    steps = {}
    def note(frame):
        steps.setdefault((frame.f_code.co_name, frame.f_lineno), open_handle(frame) is not None)
    sys.settrace(tracer(note))
    write_result(scratch, record(0))
    sys.settrace(None)
    return list(steps.items())


def write_killed_at(step, torn, seed):
    """In a child: write record(seed), SIGKILLed when it reaches step; how the child ended."""
    def kill(frame):
        if (frame.f_code.co_name, frame.f_lineno) != step:
            return
        if torn:
            handle = open_handle(frame)
            handle.flush()
            handle.raw.write(TORN)
        os.kill(os.getpid(), signal.SIGKILL)
    pid = os.fork()
    if pid == 0:
        sys.settrace(tracer(kill))
        write_result(folder, record(seed))
        os._exit(0)  # the step was never reached
    _, status = os.waitpid(pid, 0)
    return "killed" if os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL else f"status {status}"


def what_is_there():
    try:
        found = read_result(folder / "result.json")
    except ValueError as exc:
        return {"error": str(exc)}
    return {"found": found.seed, "intact": found.metrics == METRICS and found.task == "t"}


write_result(folder, record(0))
points = [(step, torn) for step, file_open in steps_of_a_write() for torn in ([False, True] if file_open else [False])]
for seed, (step, torn) in enumerate(points, start=1):
    ended = write_killed_at(step, torn, seed)
    temporary = [p.name for p in folder.iterdir() if p.name != "result.json"]
    print(json.dumps({"step": step, "torn": torn, "attempted": seed, "ended": ended, "temporary": temporary,
                      **what_is_there()}), flush=True)
'''


@pytest.mark.skipif(not hasattr(os, "fork"), reason="kills forked writers")
def test_a_write_killed_at_every_step_leaves_the_complete_old_or_new_file(tmp_path):
    """A SIGKILL at each step of writing result.json (:mod:`seqbench.core.atomic`), torn data in the
    temporary file included, leaves the complete previous record up to the rename and the
    complete new one from then on: never a torn or missing file. Deterministic: the kills land
    on chosen lines (a trace function), not at moments the scheduler picks."""
    (tmp_path / "out").mkdir()
    done = subprocess.run([sys.executable, "-c", KILL_AT_EVERY_STEP, str(tmp_path / "out"), str(tmp_path / "scratch")],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    kills = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(kills) > 10 and any(k["torn"] for k in kills), kills
    before, outcomes = 0, []
    for kill in kills:
        assert kill["ended"] == "killed" and "error" not in kill and kill["intact"], kill
        assert kill["found"] in (before, kill["attempted"]), kill
        outcomes.append("new" if kill["found"] == kill["attempted"] else "old")
        before = kill["found"]
    assert "old" in outcomes and "new" in outcomes, outcomes
    assert outcomes == sorted(outcomes, key=["old", "new"].index), outcomes  # it changes at one step: the rename
    assert any(name.endswith(".tmp") for kill in kills for name in kill["temporary"])  # kills landed mid-write
    records, skipped, _ = load_results([tmp_path / "out"])  # the killed writers' temporary files are never read
    assert len(records) == 1 and not skipped


def test_cuda_jobs_spread_over_gpus(monkeypatch):
    import torch

    from seqbench.runs.experiment import resolve_device

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 4)
    assert [resolve_device("cuda", n) for n in range(6)] == ["cuda:0", "cuda:1", "cuda:2", "cuda:3",
                                                             "cuda:0", "cuda:1"]
    assert resolve_device("cuda:2", 5) == "cuda:2" and resolve_device("cpu", 3) == "cpu"


@pytest.mark.slow
def test_optuna_sweeper_tunes_on_val_and_records_every_trial(tmp_path):
    pytest.importorskip("hydra_plugins.hydra_optuna_sweeper")
    run_cli("run", "-m", "hparams_search=parity_lstm", "hydra.sweeper.n_trials=2", "trainer.steps=10",
                 "trainer.eval_every=5", "trainer.eval_size=32", f"hydra.sweep.dir={tmp_path}")
    records = _records(tmp_path)
    assert len(records) == 2 and all(r["status"] == "ok" for r in records)
    best = (tmp_path / "optimization_results.yaml").read_text()
    assert f"best_value: {max(r['metrics']['val']['accuracy'] for r in records)}" in best
