"""Clean stops: SIGINT or SIGTERM to ``seqbench run`` ends the jobs it started.

A launcher's workers (joblib's loky processes, submitit's local jobs) are children of the
``seqbench run`` process. While a run or sweep is going, SIGTERM is turned into the same
KeyboardInterrupt as Ctrl-C; on the way out every process below this one gets SIGTERM, then
SIGKILL if it is still there after a grace period. Finished jobs' result files are complete
(they are written atomically), so ``resume=true`` goes on from there.

>>> with stop_children_on_signal():
...     pass
>>> children(os.getpid()) == [] or isinstance(children(os.getpid())[0], int)
True
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

GRACE_SECONDS = 3.0


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


@contextmanager
def stop_children_on_signal() -> Iterator[None]:
    """Inside: SIGTERM raises KeyboardInterrupt; an interrupt ends every child process first."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous_term = signal.signal(signal.SIGTERM, _interrupt)
    previous_int = signal.getsignal(signal.SIGINT)
    try:
        yield
    except KeyboardInterrupt:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second signal must not cut the clean-up short
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        end_children()
        raise
    finally:
        signal.signal(signal.SIGTERM, previous_term)
        signal.signal(signal.SIGINT, previous_int)
