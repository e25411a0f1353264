"""Integrity on the command line (issue 11): one job one folder, one-line errors before any
work, resources checked before they are spent, clean stops, ordinary file permissions.

Most tests call ``seqbench.cli.main`` in-process; the signal tests start real processes.
"""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from seqbench.cli import main
from seqbench.cli.overrides import MAX_DIRNAME_BYTES, job_dirname
from seqbench.cli.workers import children

from conftest import SMOKE, with_default_signals

TEXT = "the quick brown fox jumps over the lazy dog. " * 100


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_one_line_error(code: int, err: str, *fragments: str) -> None:
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("seqbench: error: "), err
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])


# -- 1. one job, one folder ------------------------------------------------------------------

HOSTILE_NAMES = [
    "task.path=../../etc/passwd", "task.path=/abs/olute", "task.path=a b  c", "task.path=ü/日本語/🙂",
    "task.path=" + "x" * 1000, "task.path=" + "é" * 300, "task.path=%2F", "task.path=%252F", "..", ".", "-rf",
    ".hidden", "", "a=b,c=d", "a=b%2Cc=d", "task.path=" + "x" * 300 + "1", "task.path=" + "x" * 300 + "2",
]


def test_job_folder_names_are_single_safe_distinct_components():
    names = [job_dirname(value) for value in HOSTILE_NAMES]
    for value, name in zip(HOSTILE_NAMES, names):
        assert "/" not in name and "\0" not in name and name not in (".", "..", ""), (value, name)
        assert not name.startswith((".", "-")), name
        assert len(name.encode("utf-8")) <= MAX_DIRNAME_BYTES, (value, len(name))
    assert len(set(names)) == len(names)  # different overrides never share a folder
    assert job_dirname("model=lstm,task=parity") == "model=lstm,task=parity"  # readable when plain


def _text_files(root: Path) -> Path:
    (root / "a b").mkdir(parents=True)
    (root / "sub").mkdir()
    (root / "a b" / "ü x.txt").write_text(TEXT, encoding="utf-8")
    (root / "plain.txt").write_text(TEXT)
    (root / "sub" / "plain.txt").write_text(TEXT)
    (root / ("L" * 240 + ".txt")).write_text(TEXT)
    return root / "sub"


@pytest.mark.slow
def test_hostile_override_values_give_each_job_one_folder_inside_the_sweep(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(_text_files(tmp_path / "data"))
    long = tmp_path / "data" / ("L" * 240 + ".txt")
    paths = ["'../a b/ü x.txt'", "../plain.txt", "plain.txt", f"'{long}'", f"'{tmp_path}/data/sub/../plain.txt'"]
    sweep = tmp_path / "sweep"
    code, out, err = run_cli(capsys, "run", "-m", "task=text_lm", f"task.path={','.join(paths)}", "task.length=16",
                             "model=gru", *SMOKE, f"hydra.sweep.dir={sweep}")
    assert code == 0, err
    results = sorted(tmp_path.rglob("result.json"))
    assert len(results) == len(paths)
    assert all(p.parent.parent == sweep for p in results)  # one level below the sweep folder, nowhere else
    assert all(len(p.parent.name.encode()) <= MAX_DIRNAME_BYTES for p in results)
    recorded = {json.loads(p.read_text())["task_params"]["path"] for p in results}
    assert len(recorded) == len(paths)


@pytest.mark.parametrize("extra", [
    ["seed=0,0"],  # the same job twice
    ["seed=0,1", "hydra.job.config.override_dirname.exclude_keys=[seed]"],  # the varying key left out
    ["seed=0,1", "hydra.sweep.subdir=same"],
    ["seed=3,4", "task.length=5", "hydra.sweep.subdir=${task.name}"],
])
def test_a_sweep_whose_jobs_share_a_folder_is_refused_before_any_job(tmp_path, capsys, extra):
    sweep = tmp_path / "sweep"
    code, out, err = run_cli(capsys, "run", "-m", *extra, *SMOKE, f"hydra.sweep.dir={sweep}")
    assert_one_line_error(code, err, "#0", "#1", "would both write to")
    assert not sweep.exists() and "ok" not in out


@pytest.mark.parametrize("subdir", ["..", ".", "/tmp", "../elsewhere", "a/../.."])
def test_a_job_folder_outside_the_sweep_folder_is_refused(tmp_path, capsys, subdir):
    code, out, err = run_cli(capsys, "run", "-m", "seed=0,1", f"hydra.sweep.subdir={subdir}", *SMOKE,
                             f"hydra.sweep.dir={tmp_path / 'sweep'}")
    assert_one_line_error(code, err, "is not a folder inside hydra.sweep.dir")
    assert not list(tmp_path.rglob("result.json"))


# -- 7. one-line errors, before any work -----------------------------------------------------

@pytest.mark.parametrize(("override", "fragments"), [
    ("trainer=banana", ["trainer=banana: unknown trainer 'banana'", "smoke"]),
    ("trainer=smokee", ["did you mean 'smoke'?"]),
    ("hydra/launcher=jobllib", ["did you mean 'joblib'?"]),
    ("experiment=smok", ["did you mean 'smoke'?"]),
    ("~task", ["task: missing", "task=NAME"]),
    ("~trainer", ["trainer: missing"]),
    ("task=", ["task=: empty value", "parity"]),
    ("task=[", ["'task=[': cannot be parsed", "override_grammar"]),
    ("seed=${oops", ["cannot be parsed"]),
    ("+foo=bar", ["+foo=bar: unknown key 'foo'", "seqbench reads only"]),
    ("+sed=3", ["did you mean 'seed'?"]),
    ("+task.foo=1", ["task.foo: unknown key"]),
    ("+trainer.stepz=1", ["trainer.stepz: unknown key", "steps"]),
    ("+model.foo=1", ["model.foo"]),
    ("+seed=3", ["without '+'"]),
    ("model=lstm,gru", ["seqbench run -m"]),
    ("device=tpu", ["device='tpu'"]),
    ("task.length=-3", ["task.length=-3: must be an integer in [1, 100000]"]),
    ("trainer.lr=fast", ["trainer.lr"]),
])
def test_configuration_errors_are_one_line_and_write_nothing(tmp_path, capsys, override, fragments):
    code, out, err = run_cli(capsys, "run", override, f"hydra.run.dir={tmp_path / 'run'}")  # never trains
    assert_one_line_error(code, err, *fragments)
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("seed", ["-1", "1.5", "abc", "2**32", "4294967296", "true", "null", "[1]", "1e3"])
def test_seeds_outside_0_to_2_32_minus_1_are_refused(tmp_path, capsys, seed):
    code, out, err = run_cli(capsys, "run", f"seed={seed}", *SMOKE, f"hydra.run.dir={tmp_path / 'run'}")
    assert_one_line_error(code, err, "must be an integer in [0, 4294967295]")
    assert not (tmp_path / "run").exists()


def test_the_largest_seed_runs(tmp_path, capsys):
    code, out, err = run_cli(capsys, "run", "seed=4294967295", "model=gru", *SMOKE, f"hydra.run.dir={tmp_path}")
    assert code == 0, err
    assert json.loads((tmp_path / "result.json").read_text())["seed"] == 2**32 - 1


@pytest.mark.parametrize("seed", ["-1", "1.5", "abc", "4294967296"])
def test_generate_refuses_bad_seeds(tmp_path, capsys, seed):
    code, out, err = run_cli(capsys, "generate", "parity", "--seed", seed, "--out", str(tmp_path / "d.jsonl"))
    assert_one_line_error(code, err, f"--seed={seed}: must be an integer in [0, 4294967295]")
    assert not list(tmp_path.iterdir())


def test_a_sweep_names_every_bad_job_before_the_first_starts(tmp_path, capsys):
    sweep = tmp_path / "sweep"
    code, out, err = run_cli(capsys, "run", "-m", "task.length=8,-3,200000", "seed=0,1", "model=gru", *SMOKE,
                             f"hydra.sweep.dir={sweep}")
    assert_one_line_error(code, err, "4 of 6 jobs have an invalid configuration", "task.length=-3 seed=0",
                          "task.length=200000 seed=1", "nothing was run")
    assert not sweep.exists()


def _as_if_made_under(path: Path, status: str = "ok", **trainer) -> None:
    """Rewrite the record at ``path`` as if a run with other trainer settings had written it."""
    data = json.loads(path.read_text())
    data["trainer_params"].update(trainer)
    data["config_hash"], data["status"] = "0123456789abcdef", status
    path.write_text(json.dumps(data))


def test_resume_refuses_to_replace_a_record_of_another_configuration(tmp_path, capsys):
    """A sitting with ``resume=true`` skips the records of its own configuration; a folder with an ok
    record of another one (a trainer changed since, the wrong board's folder) stops it before any job,
    and every record stays as it was."""
    sweep = tmp_path / "sweep"
    args = ["run", "-m", "task=parity", "model=rnn_tanh,gru", *SMOKE, f"hydra.sweep.dir={sweep}"]
    assert run_cli(capsys, *args)[0] == 0
    changed = next(sweep.glob("*model=gru*/result.json"))
    _as_if_made_under(changed, lr=0.5)
    before = {p: p.read_bytes() for p in sweep.rglob("result.json")}
    code, out, err = run_cli(capsys, *args, "resume=true")
    assert_one_line_error(code, err, "resume=true: 1 ok record made under another configuration "
                          "would be trained again and replaced; nothing was run", f"{changed.parent.name} (trainer.lr: recorded 0.5, "
                          "planned 0.001)", f"move those folders out of {sweep} or choose another hydra.sweep.dir")
    assert {p: p.read_bytes() for p in sweep.rglob("result.json")} == before
    run = tmp_path / "run"  # one run resumed in its own folder: the same rule
    assert run_cli(capsys, "run", "model=gru", *SMOKE, f"hydra.run.dir={run}")[0] == 0
    _as_if_made_under(run / "result.json", clip_value=3.0)
    code, out, err = run_cli(capsys, "run", "model=gru", *SMOKE, f"hydra.run.dir={run}", "resume=true")
    assert_one_line_error(code, err, f"{run} (trainer.clip_value: recorded 3.0, planned 1.0)",
                          "move its result.json away or choose another hydra.run.dir")


def test_a_job_past_the_preflight_keeps_a_record_of_another_configuration(tmp_path, capsys, monkeypatch):
    """A job the preflight did not plan (a sweeper it does not expand, a flag it leaves to Hydra)
    checks for itself: it leaves the record as it is and says so."""
    import seqbench.cli.preflight

    run = tmp_path / "run"
    assert run_cli(capsys, "run", "model=gru", *SMOKE, f"hydra.run.dir={run}")[0] == 0
    _as_if_made_under(run / "result.json", clip_value=3.0)
    before = (run / "result.json").read_bytes()
    monkeypatch.setattr(seqbench.cli.preflight, "preflight", lambda argv: None)
    code, out, err = run_cli(capsys, "run", "model=gru", *SMOKE, f"hydra.run.dir={run}", "resume=true")
    assert code == 1 and "1 of 1 runs did not finish ok (kept)" in err
    assert f"NOT RUN: the ok record in {run} was made under another configuration (trainer.clip_value: " in out
    assert (run / "result.json").read_bytes() == before


def test_resume_takes_a_larger_step_cap_and_refuses_a_smaller_one(tmp_path, capsys):
    """A larger trainer.steps in the same folder is not a replacement (a budget-limited run continues,
    a converged one trains to the same result), also with a param_budget, whose hidden size the run
    chooses; a smaller one is."""
    run = tmp_path / "run"
    args = ["run", "model=gru", "model.param_budget=600", *SMOKE, f"hydra.run.dir={run}"]
    assert run_cli(capsys, *args)[0] == 0
    code, out, err = run_cli(capsys, *args, "trainer.steps=4", "resume=true")
    assert_one_line_error(code, err, "resume=true: 1 ok record made under another configuration",
                          "(trainer.steps: recorded 6, planned 4)")
    code, out, err = run_cli(capsys, *args, "trainer.steps=9", "resume=true")
    assert code == 0, err
    assert json.loads((run / "result.json").read_text())["trainer_params"]["steps"] == 9


def test_resume_under_a_larger_min_steps_keeps_the_runs_it_does_not_change_and_retrains_the_others(tmp_path, capsys):
    """A run the plateau rule stopped at or past the new trainer.min_steps is the run the new rule
    gives: its record is kept, relabelled (identity, trainer_params, ``adopted``), every number as it
    was. A run stopped earlier is trained again under the minimum."""
    run = tmp_path / "run"  # a grid sets min_steps in its experiment, so its job folders keep their names
    args = ["run", "task=parity", "task.length=6", "model=gru", "model.hidden_size=4", "trainer.steps=60",
            "trainer.eval_every=5", "trainer.eval_size=32", "trainer.val_size=32", "trainer.patience=1",
            "trainer.min_delta=0.9", f"hydra.run.dir={run}"]
    assert run_cli(capsys, *args)[0] == 0
    path = run / "result.json"
    first = json.loads(path.read_text())
    assert first["steps"] == 10 and first["converged"]  # the rule fired at its second evaluation
    code, out, err = run_cli(capsys, *args, "trainer.min_steps=10", "resume=true")
    assert code == 0 and "kept, ok result already in" in out and "stopped at step 10" in out, err
    kept = json.loads(path.read_text())
    assert kept["trainer_params"]["min_steps"] == 10 and kept["config_hash"] != first["config_hash"]
    assert kept["adopted"]["config_hash"] == first["config_hash"] and kept["adopted"]["min_steps"] == 0
    assert {k: v for k, v in kept.items() if k not in ("trainer_params", "config_hash", "adopted")} == \
        {k: v for k, v in first.items() if k not in ("trainer_params", "config_hash", "adopted")}
    code, out, err = run_cli(capsys, *args, "trainer.min_steps=10", "resume=true")  # now its own record
    assert code == 0 and "skipped, ok result already in" in out, err
    code, out, err = run_cli(capsys, *args, "trainer.min_steps=30", "resume=true")
    assert code == 0 and "kept" not in out, err
    again = json.loads(path.read_text())
    assert again["steps"] >= 30 and again["trainer_params"]["min_steps"] == 30 and again.get("adopted") is None


def test_resume_redoes_a_failed_record_of_another_configuration(tmp_path, capsys):
    sweep = tmp_path / "sweep"
    args = ["run", "-m", "task=parity", "model=rnn_tanh,gru", *SMOKE, f"hydra.sweep.dir={sweep}"]
    assert run_cli(capsys, *args)[0] == 0
    changed = next(sweep.glob("*model=gru*/result.json"))
    _as_if_made_under(changed, status="failed", lr=0.5)
    code, out, err = run_cli(capsys, *args, "resume=true")
    assert code == 0 and out.count("skipped, ok result already in") == 1, err
    assert json.loads(changed.read_text())["status"] == "ok"


@pytest.mark.slow
def test_output_folders_that_are_files_or_unwritable_are_refused(tmp_path, capsys):
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    for key, value, fragment in [
        ("hydra.run.dir", a_file, "is a file, not a folder"),
        ("hydra.run.dir", a_file / "below", f"lies below {a_file}"),
        ("hydra.sweep.dir", a_file, "is a file, not a folder"),
        ("hydra.sweep.dir", a_file / "a" / "b", "lies below"),
        ("hydra.sweep.dir", "/proc/self/seqbench", "cannot write into"),
    ]:
        code, out, err = run_cli(capsys, "run", *(["-m", "seed=0,1"] if "sweep" in key else []), *SMOKE,
                                 f"{key}={value}")
        assert_one_line_error(code, err, f"{key}={value}", fragment)
    assert a_file.read_text() == "x" and not list(tmp_path.rglob("result.json"))


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_output_folder_is_refused(tmp_path, capsys):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    code, out, err = run_cli(capsys, "run", *SMOKE, f"hydra.run.dir={locked / 'run'}")
    assert_one_line_error(code, err, "cannot write into")


def test_generate_refuses_a_folder_as_output_file(tmp_path, capsys):
    (tmp_path / "d.jsonl").mkdir()
    code, out, err = run_cli(capsys, "generate", "parity", "--out", str(tmp_path / "d.jsonl"))
    assert_one_line_error(code, err, "is a folder")


# -- 8. resources ----------------------------------------------------------------------------

def test_a_run_that_cannot_fit_in_memory_is_refused_before_training_with_a_hint(tmp_path, capsys):
    code, out, err = run_cli(capsys, "run", "task.length=100000", "trainer.batch_size=65536", *SMOKE,
                             f"hydra.run.dir={tmp_path}")
    record = json.loads((tmp_path / "result.json").read_text())
    assert code == 1 and record["status"] == "failed" and record["steps"] == 0
    assert "does not fit in memory" in record["error"] and "trainer.batch_size=" in record["error"]
    assert "batch 65536 x 100000 steps" in record["error"]


def test_check_run_fits_names_the_knob_of_the_biggest_part():
    import torch

    from seqbench.runs.resources import ResourceError, check_run_fits
    from seqbench.core.spec import Classes, TaskSpec, Tokens

    spec = TaskSpec("many_to_one", Tokens(("<pad>", "0", "1")), Classes(2), "accuracy", lengths=(1, 10))
    model = torch.nn.Linear(1000, 1000)
    model.build_options = {"hidden_size": 1000}
    check_run_fits(model, spec, {"batch_size": 8}, available=10**9)
    with pytest.raises(ResourceError, match=r"training state 16\.0 MB .*try model\.hidden_size="):
        check_run_fits(model, spec, {"batch_size": 8, "eval_size": 1}, available=5 * 10**6)
    with pytest.raises(ResourceError, match=r"try trainer\.batch_size=\d+"):
        check_run_fits(model, spec, {"batch_size": 60_000, "eval_size": 1}, available=10**9)


def test_a_text_file_too_big_for_memory_gets_a_max_bytes_hint(tmp_path, capsys, monkeypatch):
    text = tmp_path / "big.txt"
    text.write_text(TEXT)
    monkeypatch.setattr("seqbench.runs.resources.machine_memory", lambda: {"total": 1000, "available": 1000})
    code, out, err = run_cli(capsys, "run", "task=text_lm", f"task.path={text}", *SMOKE,
                             f"hydra.run.dir={tmp_path / 'run'}")
    assert_one_line_error(code, err, "task.max_bytes", "of memory to read")
    assert "batch_size" not in err and not (tmp_path / "run").exists()


@pytest.mark.parametrize("message", ["DefaultCPUAllocator: can't allocate memory: you tried to allocate 1 GB",
                                     "[enforce fail at alloc_cpu.cpp:114] data. DefaultCPUAllocator: not enough memory"])
def test_cpu_allocator_failures_get_the_out_of_memory_hint(tmp_path, monkeypatch, message):
    from seqbench.runs.experiment import OOM_HINT, run_experiment

    def explode(*args, **kwargs):
        raise RuntimeError(message)

    monkeypatch.setattr("seqbench.runs.experiment.fit_config", explode)
    record = run_experiment({"name": "parity"}, {"name": "gru"}, {"steps": 2, "eval_size": 8}, out_dir=tmp_path)
    assert record.status == "failed" and OOM_HINT in record.error


# -- 9. clean stops and ordinary files -------------------------------------------------------

def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return state[state.rfind(")") + 2:].split()[0] != "Z"


@pytest.mark.slow  # a real grid, then a signal: seconds of waiting, so it runs while make demo does
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads processes from /proc")
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_to_a_joblib_grid_ends_its_workers(tmp_path, sig):
    seqbench = str(Path(sys.executable).parent / "seqbench")
    args = [seqbench, "run", "-m", "task=parity", "model=gru", "seed=0,1,2,3", "trainer=smoke", "trainer.steps=100000",
            "trainer.eval_every=50000", "trainer.eval_size=32", "hydra/launcher=joblib", "hydra.launcher.n_jobs=2",
            f"hydra.sweep.dir={tmp_path}"]
    process = subprocess.Popen(with_default_signals(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               start_new_session=True)
    try:
        deadline = time.monotonic() + 240
        workers: list[int] = []
        while time.monotonic() < deadline and len(workers) < 2 and process.poll() is None:
            time.sleep(0.5)  # wait for the loky workers to start training
            workers = [p for p in children(process.pid) if "loky" in _cmdline(p) or "joblib" in _cmdline(p)]
        assert len(workers) >= 2, "the grid's workers did not start"
        while time.monotonic() < deadline and len([p for p in tmp_path.iterdir() if p.is_dir()]) < 2:
            time.sleep(0.1)  # both workers have begun a job (its folder exists)
        time.sleep(0.5)
        everything = children(process.pid)
        os.kill(process.pid, sig)  # the main process only, as `kill PID` does
        out, err = process.communicate(timeout=240)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    assert process.returncode == 130 and "interrupted" in err
    # no orphaned worker or helper process: the last SIGKILLed ones may take a moment to go (polled, not timed)
    deadline = time.monotonic() + 60
    while [p for p in everything if _alive(p)] and time.monotonic() < deadline:
        time.sleep(0.2)
    assert [p for p in everything if _alive(p)] == []


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


@pytest.mark.parametrize(("mask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_exported_datasets_and_results_get_plain_open_permissions(tmp_path, capsys, mask, mode):
    old = os.umask(mask)
    try:
        for suffix in (".jsonl", ".npz"):
            assert main(["generate", "parity", "--n", "4", "--out", str(tmp_path / f"d{suffix}")]) == 0
        assert main(["run", "model=gru", *SMOKE, f"hydra.run.dir={tmp_path / 'run'}"]) == 0
    finally:
        os.umask(old)
    capsys.readouterr()
    for path in (tmp_path / "d.jsonl", tmp_path / "d.jsonl.card.json", tmp_path / "d.npz",
                 tmp_path / "run" / "result.json"):
        assert stat.S_IMODE(path.stat().st_mode) == mode, path


# -- 12.8 and 12.9: preset names, a compact progress view -------------------------------------

@pytest.mark.slow
def test_a_sweep_prints_one_line_per_job_and_a_short_summary(tmp_path, capsys):
    sweep = tmp_path / "sweep"
    args = ["run", "-m", "task=parity", "model=bilstm,stacked_lstm", *SMOKE, f"hydra.sweep.dir={sweep}"]
    code, out, err = run_cli(capsys, *args)
    assert code == 0, err
    lines = out.strip().splitlines()
    assert lines[0] == f"[seqbench] 2 jobs -> {sweep} (launcher: basic)"
    assert lines[1].startswith("[1/2] parity x bilstm seed 0: ok, test accuracy")
    assert lines[2].startswith("[2/2] parity x stacked_lstm seed 0: ok, test accuracy")
    assert "2 jobs finished" in out and "a smoke budget" in out and "not converged" in out
    assert "Launching" not in out + err and "#0 :" not in out + err  # Hydra's own banners stay quiet
    assert len(lines) < 15
    labels = sorted(json.loads(p.read_text())["model_label"] for p in sweep.rglob("result.json"))
    assert labels == ["bilstm", "stacked_lstm"]
    code, out, err = run_cli(capsys, *args, "resume=true")
    assert code == 0 and out.count("skipped, ok result already in") == 2


@pytest.mark.slow
def test_the_preflights_shared_config_cache_composes_what_hydra_composes():
    """The preflight composes a sweep's jobs from one cache (seqbench.cli.hydra_internals.share_repository)
    and merges each set of config-group choices once (compose_once_per_choice); every job must come
    out as Hydra composes it alone, whatever the jobs before it overrode: jobs of one choice set
    with different values, one that adds a key, one that changes a group, and back."""
    from hydra import initialize_config_module
    from hydra.core.global_hydra import GlobalHydra
    from hydra.types import RunMode
    from omegaconf import OmegaConf

    from seqbench.cli.hydra_internals import compose_once_per_choice, share_repository
    from seqbench.cli.run import register_configs

    register_configs()
    jobs = [["task=parity", "seed=1", "task.length=5", "+trainer.target=0.9"], ["task=parity", "seed=2"],
            ["task=reverse", "model=gru", "trainer.lr=0.01", "model.hidden_size=7"], ["task=parity", "seed=3"],
            ["model=bilstm", "task=sort"], ["task=parity", "seed=1", "trainer=converge", "trainer.lr=0.003"],
            ["task=parity", "seed=1", "trainer=converge", "trainer.lr=0.01"], ["task=parity", "seed=2"],
            ["model=mamba_signed", "task=sort", "model.state_size=4"], ["model=mamba_signed", "task=sort"],
            ["task=parity", "~trainer.clip"], ["task=parity", "++trainer.lr=0.02", "hydra/launcher=joblib"],
            ["task=parity", "model={hidden_size: 9}"], ["task=parity", "seed=5"]]
    made = []  # the defaults lists Hydra itself built in the shared run

    def compose_all(share: bool) -> list:
        GlobalHydra.instance().clear()
        try:
            with initialize_config_module(config_module="seqbench.conf", version_base="1.3"):
                loader = GlobalHydra.instance().config_loader()

                def compose() -> list:
                    master = loader.load_configuration("config", ["experiment=smoke"], run_mode=RunMode.MULTIRUN)
                    return [OmegaConf.to_container(loader.load_sweep_config(master, job), resolve=False)
                            for job in jobs]
                if not share:
                    return compose()
                share_repository(loader)
                from hydra._internal import config_loader_impl

                hydras_create = config_loader_impl.create_defaults_list

                def counted(*args: object, **kwargs: object) -> object:
                    made.append(1)
                    return hydras_create(*args, **kwargs)
                config_loader_impl.create_defaults_list = counted
                try:
                    with compose_once_per_choice(loader):
                        return compose()
                finally:
                    config_loader_impl.create_defaults_list = hydras_create
        finally:
            GlobalHydra.instance().clear()

    shared, hydras = compose_all(share=True), compose_all(share=False)
    for job, ours, theirs in zip(jobs, shared, hydras):
        assert ours == theirs, job
    assert shared[0]["trainer"]["target"] == 0.9 and shared[1]["trainer"]["target"] != 0.9  # job 0's stayed there
    assert shared[12]["model"]["hidden_size"] == 9 and shared[11]["trainer"]["lr"] == 0.02
    # one list per choice set (the master's; parity; reverse x gru; sort x bilstm; parity x converge;
    # sort x mamba_signed; parity x joblib), not one per job
    assert len(made) == 7 < len(jobs)
    assert shared[9]["model"]["state_size"] != 4 and shared[6]["trainer"]["lr"] == 0.01
