"""The modern recurrent families: tokens/s of the parallel scan / the sequential reference, and / torch's LSTM.

For each family (``mingru``, ``minlstm``, ``lru``, ``mamba``, ``mlstm``; ``slstm`` has one path,
the recurrence, and is only compared with the LSTM) and each length, forward and backward of one
core (:class:`seqbench.models.modern_core.ModernCore`, one block, ``hidden`` wide, reading
``inputs`` features) on a batch of ``batch`` full-length sequences:

- ``parallel_vs_sequential``: ``scan="parallel"`` / ``scan="sequential"``, the same weights;
- ``vs_lstm``: the family's default path / torch's fused ``nn.LSTM`` whose hidden size gives
  the parameter count closest to the family's core (equal parameters, the LRA rule).

Each is a ratio of two measurements in this process, sides alternating (``timing.ratio_figure``).
``python bench/modern.py [--lengths 40,500] [--repeats 3] [--device cuda]`` prints the table alone.
"""

from __future__ import annotations

import argparse
import copy
import sys
from typing import Any

import torch
from torch import nn

from seqbench.core.budget import choose_hidden_size
from seqbench.models.modern_core import ModernCell
from timing import ratio_figure, seconds_per_call, show

SCANNED = ("mingru", "minlstm", "lru", "mamba", "mlstm")
FAMILIES = SCANNED + ("slstm",)


def _parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def _step(core: nn.Module, x: torch.Tensor):
    def run() -> None:
        core.zero_grad(set_to_none=True)
        out, _ = core(x)
        out.sum().backward()
    return run


def modern_scans(lengths: tuple[int, ...], repeats: int, threads: int, device: str = "cpu", batch: int = 16,
                 hidden: int = 64, inputs: int = 32, min_seconds: float = 0.2) -> dict[str, Any]:
    """Per family and length: parallel / sequential and default path / nn.LSTM at equal parameters."""
    torch.set_num_threads(threads)
    rows: dict[str, Any] = {}
    for family in FAMILIES:
        torch.manual_seed(0)
        options = (("scan", "parallel"),) if family in SCANNED else ()
        core = ModernCell(family, options)(inputs, hidden).to(device)
        sequential = None
        if family in SCANNED:
            sequential = copy.deepcopy(core)
            for module in sequential.modules():
                if hasattr(module, "scan"):
                    module.scan = "sequential"
        params = _parameters(core)
        lstm_hidden, lstm_params = choose_hidden_size(lambda h: _parameters(nn.LSTM(inputs, h)), params)
        lstm = nn.LSTM(inputs, lstm_hidden, batch_first=True).to(device)
        rows[family] = {"parameters": params, "lstm_hidden": lstm_hidden, "lstm_parameters": lstm_params,
                        "lengths": {}}
        for length in lengths:
            x = torch.randn(batch, length, inputs, generator=torch.Generator().manual_seed(0)).to(device)

            def rate(module: nn.Module):
                return lambda: batch * length / seconds_per_call(_step(module, x), min_seconds, device=device)

            entry: dict[str, Any] = {}
            if sequential is not None:
                figure = ratio_figure(rate(core), rate(sequential), repeats)
                entry["parallel_vs_sequential"] = figure
            figure = ratio_figure(rate(core), rate(lstm), repeats)
            entry["vs_lstm"] = figure
            rows[family]["lengths"][str(length)] = entry
            print(f"[bench] modern_scans {family} length {length} done", file=sys.stderr, flush=True)
    return {"families": rows, "sizes": {"batch": batch, "hidden": hidden, "inputs": inputs, "layers": 1},
            "lengths": list(lengths), "threads": threads, "device": device}


def modern_table(m: dict[str, Any] | None) -> list[str]:
    """Markdown rows: one per family and length."""
    if not m:
        return []
    s = m["sizes"]
    rows = ["", f"modern recurrent families: one block, hidden {s['hidden']}, {s['inputs']} input features, "
                f"batch {s['batch']}, forward + backward, {m['threads']} thread(s), {m['device']}", "",
            "| family | length | parallel tokens/s | sequential tokens/s | parallel / sequential (median, min, max) "
            "| LSTM tokens/s (hidden, params) | family / LSTM (median) |",
            "|---|---|---|---|---|---|---|"]
    for family, f in m["families"].items():
        for length, e in f["lengths"].items():
            vs = e["vs_lstm"]
            lstm = f"{vs['b']['median']:,.0f} ({f['lstm_hidden']}, {f['lstm_parameters']:,} vs {f['parameters']:,})"
            if "parallel_vs_sequential" in e:
                p = e["parallel_vs_sequential"]
                rows.append(f"| {family} | {length} | {p['a']['median']:,.0f} | {p['b']['median']:,.0f} | "
                            f"{p['median']:.2f} ({p['min']:.2f}, {p['max']:.2f}) | {lstm} | {vs['median']:.3f} |")
            else:
                rows.append(f"| {family} | {length} | (one path) {vs['a']['median']:,.0f} | | | {lstm} | "
                            f"{vs['median']:.3f} |")
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench/modern.py", description=__doc__.splitlines()[0])
    parser.add_argument("--lengths", default="40,500")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--json", help="write the figure to this file")
    args = parser.parse_args(argv)
    result = modern_scans(tuple(int(n) for n in args.lengths.split(",")), args.repeats, args.threads,
                          args.device, batch=args.batch)
    return show(modern_table(result), result, args.json)


if __name__ == "__main__":
    sys.exit(main())
