"""Adam's update after each backward pass: seqbench's / torch's default on CPU.

seqbench's :class:`~seqbench.engine.optim.Adam` runs torch's foreach kernels on every device;
``torch.optim.Adam`` takes a per-tensor Python loop on CPU (norm clipping, by contrast, already
takes the foreach kernels there). Both produce the same parameters bit for bit
(``tests/test_train.py``); this figure is what the kernels save: Adam updates per second, ours /
torch's default, on the main board's models at their budget (20,000 parameters; the LSTM has 7
parameter tensors, minGRU 13, Mamba 18), one thread. A ratio of two measurements in this process,
sides alternating (``timing.ratio_figure``). ``python bench/optimizer.py`` prints the table alone.
"""

from __future__ import annotations

import sys
from typing import Any

import torch

from seqbench import make_model, make_task
from seqbench.engine.optim import Adam
from timing import ratio_figure, ratio_script, seconds_per_call

FAMILIES = ("lstm", "mingru", "mamba")


def _update(optimizer: Any, min_seconds: float):
    return lambda: 1.0 / seconds_per_call(optimizer.step, min_seconds)


def optimizer_speedup(repeats: int, threads: int, budget: int = 20_000, min_seconds: float = 0.2,
                      families: tuple[str, ...] = FAMILIES) -> dict[str, Any]:
    """Updates/s of our Adam over torch's CPU default, per model family (sentiment's heads)."""
    torch.set_num_threads(threads)
    spec = make_task("sentiment").spec
    rows = {}
    for family in families:
        torch.manual_seed(0)
        params = [p for p in make_model(family, spec, param_budget=budget).parameters() if p.requires_grad]
        for p in params:
            p.grad = torch.randn_like(p) * 1e-3
        ours = _update(Adam(params, lr=1e-3), min_seconds)
        theirs = _update(torch.optim.Adam(params, lr=1e-3), min_seconds)
        rows[family] = {"tensors": len(params), "parameters": sum(p.numel() for p in params),
                        **ratio_figure(ours, theirs, repeats)}
    return {"budget": budget, "threads": threads, "families": rows}


def optimizer_table(f: dict[str, Any] | None) -> list[str]:
    """Markdown rows: one per model family."""
    if not f:
        return []
    rows = ["", f"Adam, one update: seqbench (foreach kernels) / torch's CPU default (per-tensor loop), "
                f"{f['budget']:,}-parameter models, {f['threads']} thread(s)", "",
            "| model | tensors | seqbench updates/s | torch updates/s | seqbench / torch (median, min, max) |",
            "|---|---|---|---|---|"]
    for name, r in f["families"].items():
        rows.append(f"| {name} | {r['tensors']} | {r['a']['median']:,.0f} | {r['b']['median']:,.0f} | "
                    f"{r['median']:.2f} ({r['min']:.2f}, {r['max']:.2f}) |")
    return rows


def main(argv: list[str] | None = None) -> int:
    return ratio_script("bench/optimizer.py", __doc__, optimizer_speedup, optimizer_table, argv)


if __name__ == "__main__":
    sys.exit(main())
