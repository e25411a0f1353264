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

import argparse
import sys
from typing import Any

import torch

from seqbench import make_model, make_task
from seqbench.engine.optim import Adam
from timing import ratio_figure, seconds_per_call, show

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
    parser = argparse.ArgumentParser(prog="bench/optimizer.py", description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--json", help="also write the figure here")
    args = parser.parse_args(argv)
    result = optimizer_speedup(args.repeats, args.threads)
    return show(optimizer_table(result), result, args.json)


if __name__ == "__main__":
    sys.exit(main())
