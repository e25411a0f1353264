"""Shared fixtures: tiny budgets, and the command line in this process or in a new one.

Most tests call the command in this process (:func:`run_cli`: ``seqbench.cli.main``, what the
``seqbench`` script runs, with its output captured), which saves the ~2 s of imports a new
process pays. A few tests need a real process and use :func:`seqbench_cli`: a kill or a signal,
plugins found on a fresh ``sys.path``, the installed script, ``make demo``.

The suite runs on every core (pytest-xdist, ``-n auto`` in pyproject's addopts); tests are
independent of order and of each other, and write only below their own ``tmp_path``. Pass
``-n 0`` to run it in one process (``--pdb``, ``-s``).
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SMOKE = ["trainer=smoke", "trainer.steps=6", "trainer.eval_every=3", "trainer.eval_size=32", "trainer.val_size=32"]

if os.environ.get("PYTEST_XDIST_WORKER"):  # one torch thread per worker: the workers share the cores
    import torch

    torch.set_num_threads(1)


def builtin_names(registry) -> list[str]:
    """The names ``registry`` (``TASKS`` or ``MODELS``) holds from seqbench's own distribution.

    Tests that pin what the built-ins do (golden fingerprints, the committed leaderboard, the
    model x task matrix) select these, so an installed third-party plugin cannot break them;
    plugins are covered by the conformance checks, which run on every registered name.
    """
    from seqbench.core.registry import BUILTIN_DIST

    return [name for name in registry.names() if registry.source(name) == BUILTIN_DIST]


@dataclass(frozen=True)
class Result:
    """What a ``seqbench`` command did: its exit status and what it printed."""

    returncode: int
    stdout: str
    stderr: str


def _failed(args: tuple[str, ...], result: Result) -> AssertionError:
    return AssertionError(f"seqbench {' '.join(args)} exited {result.returncode}\n"
                          f"stdout:\n{result.stdout[-3000:]}\nstderr:\n{result.stderr[-3000:]}")


def run_cli(*args: str, cwd: Path | None = None, check: bool = True) -> Result:
    """Run ``seqbench ARGS`` in this process (``seqbench.cli.main``), the way the script does.

    Captures what the command prints to ``sys.stdout`` and ``sys.stderr`` (launcher worker
    processes print to their own streams). ``cwd`` is entered for the call and left after it.
    """
    from hydra.core.global_hydra import GlobalHydra

    from seqbench.cli import main

    out, err = io.StringIO(), io.StringIO()
    here = os.getcwd()
    full_error = os.environ.pop("HYDRA_FULL_ERROR", None)  # as a user's shell has it
    GlobalHydra.instance().clear()
    try:
        if cwd is not None:
            os.chdir(cwd)
        with redirect_stdout(out), redirect_stderr(err):
            try:
                code = main(list(args))
            except SystemExit as exc:  # argparse's --help and usage errors
                code = exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 1
    finally:
        os.chdir(here)
        GlobalHydra.instance().clear()
        if full_error is not None:
            os.environ["HYDRA_FULL_ERROR"] = full_error
    result = Result(int(code or 0), out.getvalue(), err.getvalue())
    if check and result.returncode != 0:
        raise _failed(args, result)
    return result


def seqbench_cli(*args: str, cwd: Path | None = None, env: dict | None = None, check: bool = True,
                 timeout: float = 600) -> Result:
    """Run ``seqbench ARGS`` as a new process of the installed script, the way a user does."""
    full_env = {**os.environ, **(env or {})}
    full_env.pop("HYDRA_FULL_ERROR", None)
    done = subprocess.run([str(Path(sys.executable).parent / "seqbench"), *args], cwd=cwd, env=full_env,
                          capture_output=True, text=True, timeout=timeout)
    result = Result(done.returncode, done.stdout, done.stderr)
    if check and result.returncode != 0:
        raise _failed(args, result)
    return result


_SESSION = """
import io, json, sys
from contextlib import redirect_stderr, redirect_stdout
from hydra.core.global_hydra import GlobalHydra
from seqbench.cli import main
MARK = "@@seqbench-session@@"
results = []
for argv in json.loads(sys.argv[1]):
    out, err = io.StringIO(), io.StringIO()
    GlobalHydra.instance().clear()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 1
    results.append([int(code or 0), out.getvalue(), err.getvalue()])
sys.stdout.write(chr(10) + MARK + json.dumps(results))
"""


def cli_session(*commands: list[str], env: dict | None = None, cwd: Path | None = None,
                timeout: float = 600) -> list[Result]:
    """Run several ``seqbench`` commands one after another in one new Python process.

    For what must start from a fresh interpreter (plugins found through ``PYTHONPATH``)
    without paying its start-up once per command. Returns one :class:`Result` per command.
    """
    full_env = {**os.environ, **(env or {})}
    full_env.pop("HYDRA_FULL_ERROR", None)
    done = subprocess.run([sys.executable, "-c", _SESSION, json.dumps([list(c) for c in commands])], cwd=cwd,
                          env=full_env, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise AssertionError(f"the command session crashed (exit {done.returncode}):\n{done.stderr[-3000:]}")
    return [Result(*r) for r in json.loads(done.stdout.rsplit("@@seqbench-session@@", 1)[1])]


@pytest.fixture
def cli():
    return run_cli


@dataclass(frozen=True)
class Demo:
    """What ``make demo`` did: the command's result, its grid folder and the records in it."""

    result: Result
    folder: Path
    records: tuple[dict, ...]


def once_per_run(tmp_path_factory, name: str, produce):
    """``produce()`` (JSON data) computed once per test run, even when several workers ask.

    The first worker to ask computes it under a lock in the run's shared temporary folder and
    leaves the result there; the others wait for the lock and read it. In one process it is
    simply computed.
    """
    own = tmp_path_factory.getbasetemp()
    # a worker's folder is pytest-N/popen-gwK/; a pytest started by a test inherits the variable
    # but not the layout, and its parent folder would be shared with every earlier run
    if not os.environ.get("PYTEST_XDIST_WORKER") or not own.name.startswith("popen-gw"):
        return produce()
    import fcntl

    shared = own.parent  # pytest-N/, the parent of every worker's folder
    done = shared / f"{name}.json"
    with open(shared / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            done.write_text(json.dumps(produce()))
    return json.loads(done.read_text())


def _demo_command(folder: Path) -> tuple[list[str], dict[str, str]]:
    """``make demo`` into ``folder``, with the environment a user's shell gives it."""
    venv_bin = Path(sys.executable).parent
    env = {"PATH": f"{venv_bin}:/usr/local/bin:/usr/bin:/bin", "HOME": str(Path.home()),
           # the machine's choice of OpenBLAS kernels (OPENBLAS_CORETYPE...), which a user's shell on it has too:
           # without it OpenBLAS picks other kernels than this process's, and LAPACK's last bits differ
           **{k: v for k, v in os.environ.items() if k.startswith("OPENBLAS_")}}
    command = ["make", "-o", ".venv/.installed", "demo", f"DEMO_DIR={folder}"]
    if not Path(sys.executable).resolve().is_relative_to((ROOT / ".venv").resolve()):
        command.append(f"BIN={venv_bin}")  # running outside the Makefile's venv: use this interpreter's
    return command, env


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session):
    """On a parallel run of the whole suite, start ``make demo`` in the background at once.

    The run's main process (which only hands out tests) starts it before the workers exist, in a
    folder of its own that :func:`pytest_configure_node` names to each worker (removed when the run
    ends); the workers run other tests meanwhile, and the ``demo`` fixture waits for its result.
    """
    config = session.config
    if os.environ.get("PYTEST_XDIST_WORKER") or not config.getoption("numprocesses", None):
        return
    if config.args_source != pytest.Config.ArgsSource.TESTPATHS:  # a chosen subset: make it on demand
        return
    if config.getoption("markexpr", "") not in ("", "slow"):  # make test (-m "not slow") has no demo tests
        return
    import tempfile
    import threading

    shared = Path(tempfile.mkdtemp(prefix="seqbench-demo-"))
    folder = shared / "demo" / "smoke"
    folder.parent.mkdir()
    command, env = _demo_command(folder)
    out, err = open(shared / "demo.out", "w"), open(shared / "demo.err", "w")
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=err, text=True,
                               start_new_session=True)

    def record_when_done() -> None:
        code = process.wait()
        out.close()
        err.close()
        done = {"result": [code, (shared / "demo.out").read_text(), (shared / "demo.err").read_text()],
                "folder": str(folder)}
        (shared / "demo.json.tmp").write_text(json.dumps(done))
        (shared / "demo.json.tmp").replace(shared / "demo.json")

    waiter = threading.Thread(target=record_when_done, daemon=True)
    waiter.start()
    config.stash[_BACKGROUND] = (process, waiter, shared)


_BACKGROUND = pytest.StashKey[tuple]()
_DEMO_FOLDER = "seqbench_demo"  # the key of workerinput that names the background demo's folder


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node):
    """(pytest-xdist, in the main process) Each worker is told the folder of the background ``make demo``."""
    if _BACKGROUND in node.config.stash:
        node.workerinput[_DEMO_FOLDER] = str(node.config.stash[_BACKGROUND][2])


@pytest.hookimpl(trylast=True)  # after pytest-xdist has shut its workers down
def pytest_sessionfinish(session):
    """A background ``make demo`` that is still running (an interrupted run) is stopped, and its
    folder removed: every worker has finished by now."""
    process, waiter, shared = session.config.stash.get(_BACKGROUND, (None, None, None))
    if process is not None and process.poll() is None:
        import signal

        os.killpg(process.pid, signal.SIGTERM)
    if waiter is not None:
        waiter.join(timeout=60)
    if shared is not None:
        import shutil

        shutil.rmtree(shared, ignore_errors=True)


@pytest.fixture(scope="session")
def demo(pytestconfig, tmp_path_factory) -> Demo:
    """``make demo``, the README's main job, run once per test run into a temporary folder.

    Its grid (the smoke experiment's tasks x rnn_tanh, lstm, gru under the joblib launcher) is
    the suite's joblib grid: several tests check its records. On a parallel run of the whole
    suite it was started in the background when the run began (:func:`pytest_sessionstart`)
    and its tests are collected last; otherwise the first test that needs it runs it. The
    environment already exists, so ``make`` is told not to install (``-o STAMP``).
    """
    background = getattr(pytestconfig, "workerinput", {}).get(_DEMO_FOLDER)  # xdist's data for a worker
    if background is not None:
        shared = Path(background)
        deadline = time.monotonic() + 1200
        while not (shared / "demo.json").exists():
            assert time.monotonic() < deadline, "make demo (started in the background) did not finish in 20 minutes"
            time.sleep(0.2)
        made = json.loads((shared / "demo.json").read_text())
    else:
        def make_demo() -> dict:
            folder = tmp_path_factory.mktemp("demo") / "smoke"
            command, env = _demo_command(folder)
            done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1200)
            return {"result": [done.returncode, done.stdout, done.stderr], "folder": str(folder)}

        made = once_per_run(tmp_path_factory, "demo", make_demo)
    folder = Path(made["folder"])
    records = tuple(json.loads(p.read_text()) for p in sorted(folder.rglob("result.json"))
                    if "leaderboard" not in p.relative_to(folder).parts)
    return Demo(Result(*made["result"]), folder, records)


@pytest.hookimpl(tryfirst=True)  # before pytest's own -m filter deselects by marker
def pytest_collection_modifyitems(config, items):
    """The tests of ``make demo``'s grid (they wait for a real grid) and of the page in Chromium
    are slow. The demo's are collected last and the other slow tests first (a stable sort): with
    ``--dist worksteal`` the workers start on the long tests while the demo runs in the
    background, and take quick tests from each other's queues until all are done."""
    for item in items:  # a real grid (make demo) or a real browser (Chromium) is slow
        if {"demo", "browser"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)
    items.sort(key=lambda item: ("demo" in getattr(item, "fixturenames", ()),
                                 item.get_closest_marker("slow") is None))


#: exec the command with SIGINT, SIGTERM and SIGHUP at their default action
_DEFAULT_SIGNALS = ("import os, signal, sys\n"
                    "for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):\n"
                    "    signal.signal(s, signal.SIG_DFL)\n"
                    "os.execv(sys.argv[1], sys.argv[1:])\n")


def with_default_signals(args: list[str]) -> list[str]:
    """``args`` started as a terminal starts it: with SIGINT, SIGTERM and SIGHUP at their default
    action. A suite run in the background (``&`` in a script ignores SIGINT) or under ``nohup``
    (SIGHUP) passes those ignored signals down, and a command started with a signal ignored keeps
    ignoring it, by design (:func:`seqbench.cli.workers.stop_children_on_signal`); tests that send
    such a signal must not depend on how the suite itself was started."""
    return [sys.executable, "-c", _DEFAULT_SIGNALS, *args]
