"""Memory: the peak resident memory of the current job, and what this machine has.

**Peak of a job.** Linux keeps a process's peak resident set size (``VmHWM`` in ``/proc/self/status``) and lets
the process reset it by writing ``5`` to ``/proc/self/clear_refs``; seqbench resets it when a
job starts, so a job's peak is its own even when a launcher reuses worker processes. Where
that is not possible the peak covers the whole process, and the record says so.

>>> scope = reset_peak()
>>> peak_rss_mb() > 0
True

**Before building.** :func:`machine_memory` reads what this machine (or its cgroup) has, and
:func:`check_dense_fits` refuses, from a calculation, a fully connected first layer whose
training state cannot fit (the ``mlp`` calls it before allocating anything; the lecture's
feature calculator, :mod:`seqbench.analysis.features`, reuses the same numbers):

>>> format_bytes(ADAM_COPIES * BYTES["fp32"] * (784 * 128 + 128))  # a 784 -> 128 layer, trained with Adam
'1.6 MB'
"""

from __future__ import annotations

import os
import resource
import sys
from pathlib import Path

from seqbench.core.errors import NotApplicableError

#: Bytes per stored number.
BYTES = {"fp32": 4, "bf16": 2}
#: Copies of every weight that training with Adam keeps in fp32: weights, gradients, 2 moments.
ADAM_COPIES = 4


def reset_peak() -> str:
    """Start measuring a new peak; returns its scope, ``"job"`` or ``"process"``."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return "job"
    except OSError:
        return "process"


def peak_rss_mb() -> float:
    """The peak resident memory in MiB since :func:`reset_peak` (or since the process began)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB -> MiB
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024  # bytes on macOS, kB on Linux


def machine_memory() -> dict[str, int | None]:
    """Total and available memory of this machine in bytes (a cgroup limit lowers both).

    Reads ``/proc/meminfo`` (Linux) and falls back to ``os.sysconf``; ``None`` where unknown.
    """
    total = available = None
    try:
        info = dict(line.split(":", 1) for line in Path("/proc/meminfo").read_text().splitlines() if ":" in line)
        total = int(info["MemTotal"].split()[0]) * 1024
        available = int(info.get("MemAvailable", info["MemFree"]).split()[0]) * 1024
    except (OSError, KeyError, ValueError):
        try:
            page = os.sysconf("SC_PAGE_SIZE")
            total = os.sysconf("SC_PHYS_PAGES") * page
            available = os.sysconf("SC_AVPHYS_PAGES") * page
        except (ValueError, OSError, AttributeError):
            pass
    limit = _cgroup_limit()
    if limit is not None:
        used, cap = limit
        total = cap if total is None else min(total, cap)
        available = cap - used if available is None else min(available, cap - used)
    return {"total": total, "available": available}


def _cgroup_limit() -> tuple[int, int] | None:
    """(used, limit) bytes of this process's cgroup v2 memory limit, when one is set."""
    folder = Path("/sys/fs/cgroup")
    try:
        limit = (folder / "memory.max").read_text().strip()
        used = int((folder / "memory.current").read_text().strip())
    except (OSError, ValueError):
        return None
    return None if limit == "max" else (used, int(limit))


def format_bytes(n: float) -> str:
    """Bytes in decimal units.

    >>> format_bytes(24883200000), format_bytes(1607680)
    ('24.9 GB', '1.6 MB')
    """
    for unit, scale in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= scale:
            return f"{n / scale:,.1f} {unit}"
    return f"{n:,.0f} B"


def check_dense_fits(features: int, hidden: int, available: int | None = None) -> None:
    """Refuse (NotApplicableError) a fully connected first layer whose training state cannot fit.

    The layer ``nn.Linear(features, hidden)`` has ``(features + 1) x hidden`` parameters;
    training it with Adam keeps :data:`ADAM_COPIES` fp32 copies of each (weights, gradients,
    two moments). ``available`` defaults to this machine's available memory.

    >>> check_dense_fits(784, 128, available=24 * 10**9)  # fits: nothing happens
    >>> check_dense_fits(6220800, 1000, available=16 * 2**30)
    Traceback (most recent call last):
    ...
    seqbench.core.errors.NotApplicableError: does not fit in memory: a fully connected first layer of 6220800 x 1000 ...
    """
    if available is None:
        available = machine_memory()["available"]
    parameters = (features + 1) * hidden
    need = ADAM_COPIES * BYTES["fp32"] * parameters
    if available is not None and need > available:
        raise NotApplicableError(
            f"does not fit in memory: a fully connected first layer of {features} x {hidden} has "
            f"{parameters:,} parameters; training it with Adam needs "
            f"{format_bytes(need)} (fp32 weights, gradients, 2 moments) but this machine has "
            f"{format_bytes(available)} available")
