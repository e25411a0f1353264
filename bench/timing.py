"""Timing helpers: every figure is a ratio of two measurements taken in the same process.

A figure runs its two sides back to back, ``repeats`` times, swapping which side goes first
on every repeat so that a slow drift of the machine (other jobs starting or ending) weighs
on both alike; it reports the median ratio with the smallest and largest.

>>> stats([3.0, 1.0, 2.0])["median"]
2.0
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from typing import Any, Callable

import torch


def stats(values: list[float]) -> dict[str, Any]:
    """Median, min and max of repeated measurements (and the values themselves)."""
    return {"median": statistics.median(values), "min": min(values), "max": max(values),
            "repeats": len(values), "values": [round(v, 6) for v in values]}


def ratio_figure(a: Callable[[], float], b: Callable[[], float], repeats: int) -> dict[str, Any]:
    """Call the throughput measurements ``a`` and ``b`` alternately; stats of ``a / b``.

    Returns the ratio's stats, the stats of each side's throughput (``a``, ``b``), and
    ``best``: the best throughput of ``a`` over the best of ``b``, a second estimate that other
    jobs on the machine (which only ever slow a side down) disturb less.
    """
    ratios, side_a, side_b = [], [], []
    for repeat in range(repeats):
        if repeat % 2 == 0:
            x = a()
            y = b()
        else:
            y = b()
            x = a()
        side_a.append(x)
        side_b.append(y)
        ratios.append(x / y)
    return {**stats(ratios), "best": max(side_a) / max(side_b), "a": stats(side_a), "b": stats(side_b)}


def seconds_per_call(fn: Callable[[], Any], min_seconds: float = 0.05, max_calls: int = 10_000,
                     device: str = "cpu") -> float:
    """Mean wall time of one call of ``fn``, calling it until ``min_seconds`` have passed.

    One untimed call first (warm-up: caches, allocator). On CUDA the device is synchronised
    before reading the clock.
    """
    fn()
    sync(device)
    calls, started = 0, time.perf_counter()
    while True:
        fn()
        calls += 1
        sync(device)
        elapsed = time.perf_counter() - started
        if elapsed >= min_seconds or calls >= max_calls:
            return elapsed / calls


def sync(device: str) -> None:
    if str(device).startswith("cuda"):
        torch.cuda.synchronize()


def ratio_script(prog: str, doc: str, measure: Callable[[int, int], dict[str, Any]],
                 table: Callable[[dict[str, Any]], list[str]], argv: list[str] | None, repeats: int = 5) -> int:
    """A standalone ratio figure's command line: ``--repeats``, ``--threads`` (default 1), ``--json``;
    ``measure(repeats, threads)`` makes the figure, ``table`` its rows, :func:`show` ends it."""
    parser = argparse.ArgumentParser(prog=prog, description=doc.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=repeats)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--json", help="also write the figure here")
    args = parser.parse_args(argv)
    result = measure(args.repeats, args.threads)
    return show(table(result), result, args.json)


def show(lines: list[str], figure: dict[str, Any], json_path: str | None) -> int:
    """A standalone figure script's ending: print its table, write the figure as JSON where asked."""
    print("\n".join(lines))
    if json_path:
        with open(json_path, "w") as handle:
            json.dump(figure, handle, indent=2)
    return 0
