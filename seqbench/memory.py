"""Peak resident memory of the current job.

Linux keeps a process's peak resident set size (``VmHWM`` in ``/proc/self/status``) and lets
the process reset it by writing ``5`` to ``/proc/self/clear_refs``; seqbench resets it when a
job starts, so a job's peak is its own even when a launcher reuses worker processes. Where
that is not possible the peak covers the whole process, and the record says so.

>>> scope = reset_peak()
>>> peak_rss_mb() > 0
True
"""

from __future__ import annotations

import resource
import sys
from pathlib import Path


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
