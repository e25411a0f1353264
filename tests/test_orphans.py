"""No orphans (issue 21.6): a grid's workers never outlive ``seqbench run``.

A hang-up (a closed terminal or ssh session) ends the grid like SIGTERM does, and after a
``kill -9`` of the main process every worker notices within seconds and stops
(:mod:`seqbench.cli.workers`). The grid tests start real processes and only ever wait with a
generous deadline: they assert that something happens, never how fast.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from seqbench.cli import workers
from seqbench.cli.workers import LAUNCHER_VARIABLE, children, launcher_check, launcher_identity, parse_identity
from conftest import with_default_signals
from seqbench.core.record import load_results

#: How long a test waits for something that should happen within seconds (the machine may be loaded).
DEADLINE = 60.0

needs_proc = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads processes from /proc")


def wait_for(condition: Callable[[], bool], seconds: float = DEADLINE) -> bool:
    """Poll ``condition`` until it holds or ``seconds`` have passed; whether it held."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


def alive(pid: int) -> bool:
    """Whether process ``pid`` exists and is not a zombie (one nobody reaped has stopped all the same)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return state[state.rfind(")") + 2:].split()[0] not in ("Z", "X")


def survivors(pids: list[int]) -> list[int]:
    return [pid for pid in pids if alive(pid)]


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


# -- a real joblib grid ----------------------------------------------------------------------------

def start_grid(folder: Path) -> tuple[subprocess.Popen, list[int]]:
    """A 2-worker joblib grid of long jobs, once both workers are running one; the process and
    everything below it. Its output goes to files (a pipe nobody reads could fill up and block)."""
    seqbench = str(Path(sys.executable).parent / "seqbench")
    args = [seqbench, "run", "-m", "task=parity", "model=gru", "seed=0,1,2,3", "trainer=smoke",
            "trainer.steps=100000", "trainer.eval_every=50000", "trainer.eval_size=32", "hydra/launcher=joblib",
            "hydra.launcher.n_jobs=2", f"hydra.sweep.dir={folder / 'grid'}"]
    with open(folder / "out.txt", "w") as out, open(folder / "err.txt", "w") as err:
        process = subprocess.Popen(with_default_signals(args), stdout=out, stderr=err, text=True,
                                   start_new_session=True)

    def loky_workers() -> list[int]:
        return [p for p in children(process.pid) if "loky" in cmdline(p)]

    def both_jobs_begun() -> bool:  # a job's folder exists once its worker has it
        grid = folder / "grid"
        return grid.is_dir() and len([p for p in grid.iterdir() if p.is_dir()]) >= 2

    started = wait_for(lambda: process.poll() is not None or (len(loky_workers()) >= 2 and both_jobs_begun()), 300)
    assert started and process.poll() is None, (folder / "err.txt").read_text()[-3000:]
    return process, children(process.pid)


def stop_group(process: subprocess.Popen) -> None:
    """Clean-up after a test: SIGKILL the grid's whole process group (its workers are in it), reap it."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()


@pytest.mark.slow  # a real grid, then a signal: seconds of waiting
@needs_proc
def test_a_hang_up_ends_a_joblib_grid_and_its_workers(tmp_path):
    process, everything = start_grid(tmp_path)
    try:
        os.kill(process.pid, signal.SIGHUP)  # the main process only, as a closed terminal's shell may do
        assert process.wait(timeout=DEADLINE * 2) == 130
        assert wait_for(lambda: not survivors(everything)), survivors(everything)
    finally:
        stop_group(process)
    assert "interrupted" in (tmp_path / "err.txt").read_text()


@pytest.mark.slow
@needs_proc
def test_workers_stop_by_themselves_after_a_kill_9_of_the_grid(tmp_path):
    process, everything = start_grid(tmp_path)
    try:
        process.kill()  # SIGKILL: no handler runs, nothing is cleaned up by the main process
        process.wait()
        assert wait_for(lambda: not survivors(everything)), [cmdline(p) for p in survivors(everything)]
    finally:
        stop_group(process)
    records, skipped, _ = load_results([tmp_path / "grid"])  # whatever was written is whole
    assert not skipped


# -- the watch itself, without a grid --------------------------------------------------------------

LAUNCHER = """
import os, subprocess, sys, time
from seqbench.cli.workers import LAUNCHER_VARIABLE, launcher_identity
env = dict(os.environ, **{LAUNCHER_VARIABLE: launcher_identity()})
worker = subprocess.Popen([sys.executable, "-c", sys.argv[1]], env=env, stdout=subprocess.PIPE, text=True)
print(worker.pid, worker.stdout.readline().strip(), flush=True)
time.sleep(3600)
"""

WORKER = """
from seqbench.cli.workers import watch_launcher
watch_launcher()
print("watching", flush=True)
while True:  # busy, like a worker in the middle of training
    pass
"""


@needs_proc
def test_a_worker_stops_when_its_launcher_is_killed():
    launcher = subprocess.Popen([sys.executable, "-c", LAUNCHER, WORKER], stdout=subprocess.PIPE, text=True)
    worker = None
    try:
        pid, word = launcher.stdout.readline().split()  # once the worker runs, its watcher has started
        worker = int(pid)
        assert word == "watching"
        launcher.kill()
        launcher.wait()
        assert wait_for(lambda: not alive(worker))
    finally:
        launcher.kill()
        launcher.wait()
        launcher.stdout.close()
        if worker is not None and alive(worker):
            os.kill(worker, signal.SIGKILL)


def test_a_worker_whose_launcher_lives_keeps_running():
    """The check holds while the launcher (this process's parent here) is there."""
    check = launcher_check(parse_identity(launcher_identity(os.getppid())))
    assert check is not None and check()


def test_nothing_is_watched_in_the_launcher_itself_or_on_another_machine(monkeypatch):
    assert launcher_check(parse_identity(launcher_identity())) is None  # the basic launcher runs jobs here
    parent = parse_identity(launcher_identity(os.getppid()))
    if parent[2]:  # Linux: a cluster job that inherited the variable on another machine
        assert launcher_check((parent[0], parent[1], "another-boot-id")) is None
    monkeypatch.delenv(LAUNCHER_VARIABLE, raising=False)
    workers.watch_launcher()  # no variable: not a worker of seqbench run, no thread
    assert not any(t.name == "seqbench-launcher-watch" for t in threading.enumerate())


# -- SIGHUP inside a run ---------------------------------------------------------------------------

in_main_thread = pytest.mark.skipif(threading.current_thread() is not threading.main_thread(),
                                    reason="signal handlers are set in the main thread only")


@in_main_thread
def test_a_hang_up_during_a_run_is_an_interrupt_that_ends_the_children(monkeypatch):
    ended = []
    monkeypatch.setattr(workers, "end_children", lambda: ended.append(True))  # not this test process's children
    # as in a terminal, whether or not the suite itself runs under nohup (which ignores SIGHUP)
    outer = signal.signal(signal.SIGHUP, signal.SIG_DFL)
    try:
        with pytest.raises(KeyboardInterrupt):
            with workers.stop_children_on_signal():
                signal.raise_signal(signal.SIGHUP)
                pytest.fail("SIGHUP was not turned into KeyboardInterrupt")
        assert ended == [True]
        assert signal.getsignal(signal.SIGHUP) == signal.SIG_DFL
    finally:
        signal.signal(signal.SIGHUP, outer)


@in_main_thread
def test_a_run_under_nohup_keeps_ignoring_hang_ups():
    before = signal.signal(signal.SIGHUP, signal.SIG_IGN)
    try:
        with workers.stop_children_on_signal():
            assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN
        assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGHUP, before)
