"""Mamba's selective scan: the hand-written backward pass / autograd's loop, one training step.

Forward and backward of :func:`seqbench.models.selective_scan.selective_scan` against
:func:`~seqbench.models.selective_scan.reference_scan` (the same recurrence, differentiated by
autograd step by step), on the Chomsky board's Mamba (``param_budget=25000``: width 52, inner
104, state 16) and batch of 128 strings of the mean training length, 20; eigenvalues in
[0, 1] and in [-1, 1], on the CPU (one thread by default) whatever ``bench/run.py --device``
says: the figure is about the CPU path. A ratio of two measurements in this process, sides
alternating (``timing.ratio_figure``). ``python bench/selective_scan.py`` prints the table alone.
"""

from __future__ import annotations

import sys
from typing import Any

import torch

from seqbench.models.selective_scan import reference_scan, selective_scan
from timing import ratio_figure, ratio_script, seconds_per_call


def _inputs(batch: int, steps: int, inner: int, size: int) -> list[torch.Tensor]:
    gen = torch.Generator().manual_seed(0)
    dt = (torch.rand(batch, steps, inner, generator=gen) * 0.1).requires_grad_()
    rest = [torch.randn(batch, steps, n, generator=gen).requires_grad_() for n in (inner, size, size)]
    A = -torch.arange(1, size + 1, dtype=torch.float32).repeat(inner, 1).requires_grad_()  # S4D-real
    return [dt, *rest, A]


def _step(scan, tensors: list[torch.Tensor], m: float, tokens: int, min_seconds: float):
    def run() -> None:
        y, h = scan(*tensors, m)
        (y.sum() + h.sum()).backward()
    return lambda: tokens / seconds_per_call(run, min_seconds)


def selective_scan_speedup(repeats: int, threads: int, batch: int = 128, steps: int = 20, inner: int = 104,
                           size: int = 16, min_seconds: float = 0.2) -> dict[str, Any]:
    """Tokens/s of ``selective_scan`` / ``reference_scan``, forward and backward, per eigenvalue range."""
    torch.set_num_threads(threads)
    tensors = _inputs(batch, steps, inner, size)
    rows = {}
    for m in (0.0, -1.0):
        rows[f"eigenvalue_min={m:g}"] = ratio_figure(_step(selective_scan, tensors, m, batch * steps, min_seconds),
                                                     _step(reference_scan, tensors, m, batch * steps, min_seconds),
                                                     repeats)
    return {"sizes": {"batch": batch, "steps": steps, "inner": inner, "state": size}, "threads": threads,
            "ranges": rows}


def selective_scan_table(f: dict[str, Any] | None) -> list[str]:
    """Markdown rows: one per eigenvalue range."""
    if not f:
        return []
    s = f["sizes"]
    rows = ["", f"Mamba's selective scan, forward + backward: batch {s['batch']}, {s['steps']} steps, inner width "
                f"{s['inner']}, state {s['state']}, {f['threads']} thread(s)", "",
            "| eigenvalues | hand-written tokens/s | autograd tokens/s | hand-written / autograd (median, min, max) |",
            "|---|---|---|---|"]
    for name, r in f["ranges"].items():
        rows.append(f"| {name} | {r['a']['median']:,.0f} | {r['b']['median']:,.0f} | "
                    f"{r['median']:.2f} ({r['min']:.2f}, {r['max']:.2f}) |")
    return rows


def main(argv: list[str] | None = None) -> int:
    return ratio_script("bench/selective_scan.py", __doc__, selective_scan_speedup, selective_scan_table, argv)


if __name__ == "__main__":
    sys.exit(main())
