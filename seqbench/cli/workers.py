"""Clean stops: a signal to ``seqbench run``, or its death, ends the jobs it started.

A launcher's workers (joblib's loky processes, submitit's local jobs) are children of the
``seqbench run`` process. While a run or sweep is going, SIGTERM and SIGHUP (a closed terminal
or ssh session) are turned into the same KeyboardInterrupt as Ctrl-C; on the way out every
process below this one gets SIGTERM, then SIGKILL if it is still there after a grace period.
A run started under ``nohup`` (SIGHUP ignored) keeps ignoring SIGHUP.

A ``kill -9`` of ``seqbench run`` leaves it no way out, so each worker watches it: the first
job a worker runs starts a daemon thread (:func:`watch_launcher`) that checks twice a second
that the launching process is still there, and ends the worker (and anything it started) when
it is not. Finished jobs' result files are complete (they are written atomically; a job cut
short leaves at most an ignored temporary file), so ``resume=true`` goes on from there.

>>> with stop_children_on_signal():
...     pass
>>> children(os.getpid()) == [] or isinstance(children(os.getpid())[0], int)
True
>>> parse_identity(launcher_identity())[0] == os.getpid()
True
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

GRACE_SECONDS = 3.0
#: How often a worker checks that ``seqbench run`` is still there.
POLL_SECONDS = 0.5
#: Set by ``seqbench run`` for its workers: :func:`launcher_identity` of the launching process.
LAUNCHER_VARIABLE = "SEQBENCH_LAUNCHER"
#: The exit status of a worker that stopped because ``seqbench run`` was gone.
ORPHAN_EXIT = 1


def children(pid: int) -> list[int]:
    """Every process below ``pid`` (children, grandchildren...), read from ``/proc``; [] elsewhere."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2:].split()  # after "pid (comm) "
        parents[int(entry.name)] = int(fields[1])
    found, frontier = [], [pid]
    while frontier:
        parent = frontier.pop()
        kids = [p for p, pp in parents.items() if pp == parent]
        found.extend(kids)
        frontier.extend(kids)
    return found


def end_children(grace: float = GRACE_SECONDS) -> None:
    """SIGTERM every process below this one; SIGKILL those still alive after ``grace`` seconds."""
    pids = children(os.getpid())
    for pid in pids:
        _send(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(_alive(pid) for pid in pids):
        time.sleep(0.05)
    for pid in children(os.getpid()) + pids:
        if _alive(pid):
            _send(pid, signal.SIGKILL)


def _send(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _alive(pid: int) -> bool:
    try:
        os.waitpid(pid, os.WNOHANG)  # reap our own zombies
    except ChildProcessError:
        pass
    try:
        state = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return state[state.rfind(")") + 2:].split()[0] != "Z"


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def _stop_signals() -> list[signal.Signals]:
    """The signals turned into KeyboardInterrupt: SIGTERM, and SIGHUP where the platform has it."""
    return [signal.SIGTERM] + ([signal.SIGHUP] if hasattr(signal, "SIGHUP") else [])


@contextmanager
def stop_children_on_signal() -> Iterator[None]:
    """Inside: SIGTERM and SIGHUP raise KeyboardInterrupt; an interrupt ends every child process first.

    A signal that is ignored on the way in (SIGHUP under ``nohup``) stays ignored.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.getsignal(sig) for sig in [*_stop_signals(), signal.SIGINT]}
    for sig in _stop_signals():
        if previous[sig] is not signal.SIG_IGN:
            signal.signal(sig, _interrupt)
    try:
        yield
    except KeyboardInterrupt:
        for sig in previous:  # a second signal must not cut the clean-up short
            signal.signal(sig, signal.SIG_IGN)
        end_children()
        raise
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


# -- workers watch their launcher ----------------------------------------------------------------

def _start_time(pid: int) -> str | None:
    """When process ``pid`` started (clock ticks since boot, from ``/proc``); None when it is gone,
    a zombie, or there is no ``/proc``. With the pid, it names one process (pids are reused)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rfind(")") + 2:].split()  # fields 3.. of proc(5): state is [0], starttime [19]
    return None if fields[0] in ("Z", "X") else fields[19]


def _boot_id() -> str | None:
    """This machine's boot id (Linux), or None: two processes with the same one share a kernel."""
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip() or None
    except OSError:
        return None


def launcher_identity(pid: int | None = None) -> str:
    """``pid:start time:boot id`` of the process ``pid`` (this one by default), for its workers'
    environment (:data:`LAUNCHER_VARIABLE`); the last two are empty where there is no ``/proc``."""
    pid = os.getpid() if pid is None else pid
    return f"{pid}:{_start_time(pid) or ''}:{_boot_id() or ''}"


def parse_identity(text: str) -> tuple[int, str, str] | None:
    """The pid, start time and boot id in a :func:`launcher_identity`; None when malformed.

    >>> parse_identity("12:345:ab-cd"), parse_identity("12::"), parse_identity("x:1:2")
    ((12, '345', 'ab-cd'), (12, '', ''), None)
    """
    parts = text.split(":")
    if len(parts) != 3 or not parts[0].isdigit():
        return None
    return int(parts[0]), parts[1], parts[2]


def launcher_check(identity: tuple[int, str, str]) -> Callable[[], bool] | None:
    """A test that the launcher named by ``identity`` is still there, or None when this process
    has nothing to watch: it is the launcher itself (the basic launcher runs jobs in-process),
    or it runs on another machine (a cluster job that inherited the environment).

    On Linux the launcher is looked up by pid and start time (a reused pid is another process),
    so a worker that is not its direct child is covered too; elsewhere a direct child watches
    for a change of parent (it is re-parented when its parent dies).
    """
    pid, start, boot = identity
    if pid == os.getpid():
        return None
    here = _boot_id()
    if boot or here:
        if boot != here or not start:
            return None
        return lambda: _start_time(pid) == start
    if os.getppid() != pid:
        return None
    return lambda: os.getppid() == pid


_watching: list[int] = []  # the pid of the process whose watcher runs (a forked child has none)


def watch_launcher() -> None:
    """In a launcher's worker: end this process soon after ``seqbench run`` is gone (``kill -9``).

    Starts, once per process, a daemon thread that runs the check of :func:`launcher_check`
    every :data:`POLL_SECONDS`; nothing happens outside a worker of ``seqbench run``.
    """
    identity = parse_identity(os.environ.get(LAUNCHER_VARIABLE, ""))
    if identity is None or _watching == [os.getpid()]:
        return
    alive = launcher_check(identity)
    if alive is None:
        return
    _watching[:] = [os.getpid()]
    threading.Thread(target=_watch, args=(alive,), name="seqbench-launcher-watch", daemon=True).start()


def _watch(alive: Callable[[], bool]) -> None:
    """Poll ``alive`` until it fails, then end this worker."""
    while alive():
        time.sleep(POLL_SECONDS)
    _orphaned()


def _orphaned() -> None:
    """End this worker, whose launcher is gone: first what it started, then itself, at once.

    Nothing is printed (the terminal or pipe it would go to may be gone, or full with no reader).
    """
    end_children()
    os._exit(ORPHAN_EXIT)
