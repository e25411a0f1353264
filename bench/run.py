"""seqbench's benchmark runner: ``python bench/run.py [--quick | --smoke] [--json FILE]``.

Prints a table of figures and writes them as JSON. Every figure is a ratio of two
measurements taken in this process (or, for the grids, by subprocesses it starts), repeated
with the order of the two sides alternating; the median is reported with min and max.

- trainer_vs_bare: seqbench's ``fit`` tokens/s / a minimal hand-written loop's (training.py)
- generation_vs_naive: vectorised generator / per-example reference, every task (generation.py)
- sigmoid_vs_fused: seqbench's sigmoid RNN / torch's nn.RNN (tanh), forward + backward
- joblib_speedup: wall time of a 4-job grid, basic launcher / joblib with 2 workers (grid.py)
- peak_rss_mb: the largest job's peak resident memory in the smoke grid
- scaling: seconds per training step against sequence length and batch size
- evaluation_cost: building the shared evaluation sets (first time, cached) and the final scoring
  with intervals, as shares of a leaderboard run's training (evaluation.py)
- gpu (``--device cuda``): cuDNN LSTM and GRU tokens/s and mixed precision / fp32
- modern_scans: the modern recurrent families' parallel scan / their sequential reference, and /
  torch's fused LSTM at equal parameters, at lengths 40 and 500 (modern.py)
- optimizer_update: Adam, one update, seqbench's foreach kernels / torch's per-tensor loop on
  CPU, at the main board's model size (optimizer.py)
- selective_scan: Mamba's selective scan with its hand-written backward pass / autograd's loop,
  one training step at the Chomsky board's size (selective_scan.py)

Modes: the default is the full measurement (a few minutes), ``--quick`` keeps every figure
but fewer repeats and smaller grids (CI runs it: under 3 minutes), ``--smoke`` is the
smallest run that still produces every figure (the test suite runs it). No figure's value
is asserted anywhere: the targets are printed next to them.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

import torch

import evaluation
import generation
import grid
import modern
import optimizer
import selective_scan
import training

MODES: dict[str, dict[str, Any]] = {
    "full": dict(repeats=7, fit_repeats=15, fit_steps=10, gen_examples=1024, gen_repeats=5, share_steps=5,
                 lengths=(25, 50, 100), batches=(32, 64, 128), scaling_steps=5, grid_repeats=3,
                 grid_extra=[], rss_grid="smoke", long_grid=["trainer.steps=600"], anatomy=True,
                 spin=30_000_000, gpu_steps=50, evaluation={},
                 modern=dict(lengths=(40, 500), repeats=3, batch=16, min_seconds=0.2),
                 scan=dict(repeats=5, min_seconds=0.2), update=dict(repeats=5, min_seconds=0.2)),
    "quick": dict(repeats=3, fit_repeats=5, fit_steps=4, gen_examples=1024, gen_repeats=3, share_steps=2,
                  lengths=(25, 50, 100), batches=(32, 64, 128), scaling_steps=2, grid_repeats=1,
                  grid_extra=[], rss_grid="four", long_grid=None, anatomy=False, spin=30_000_000,
                  gpu_steps=20, evaluation=dict(tasks=("parity", "reverse", "pos_tagging")),
                  modern=dict(lengths=(40, 500), repeats=1, batch=16, min_seconds=0.05),
                  scan=dict(repeats=1, min_seconds=0.05), update=dict(repeats=1, min_seconds=0.05)),
    "smoke": dict(repeats=1, fit_repeats=1, fit_steps=2, gen_examples=64, gen_repeats=1, share_steps=1,
                  lengths=(5, 10, 20), batches=(8, 16, 32), scaling_steps=1, grid_repeats=1,
                  grid_extra=["trainer.steps=4", "trainer.eval_every=2", "trainer.eval_size=16", "trainer.val_size=16"],
                  rss_grid="four", long_grid=None, anatomy=False, spin=3_000_000,
                  gpu_steps=5, evaluation=dict(steps=4, tasks=("parity",), test_size=64, val_size=16),
                  gen_seconds=0.005, modern=dict(lengths=(5, 10), repeats=1, batch=2, min_seconds=0.005),
                  scan=dict(repeats=1, min_seconds=0.005, batch=2, steps=5),
                  update=dict(repeats=1, min_seconds=0.005, budget=2000, families=("lstm", "mingru"))),
}

#: figure -> (where the compared value is, the target, ">=" or "<")
TARGETS = {
    "trainer_vs_bare": ("median", 0.95, ">="),
    "generation_vs_naive": ("median_over_tasks", 10.0, ">="),
    "generation_share_of_step": ("max_share_of_step", 0.05, "<"),
    "sigmoid_vs_fused": ("median", 0.9, ">="),
    "joblib_speedup": ("median", 1.6, ">="),
}
FIGURES = ("trainer_vs_bare", "generation_vs_naive", "sigmoid_vs_fused", "joblib_speedup", "peak_rss_mb",
           "scaling", "evaluation_cost", "gpu", "modern_scans", "selective_scan",
           "optimizer_update")


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench/run.py", description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true", help="fewer repeats (CI): under 3 minutes")
    mode.add_argument("--smoke", action="store_true", help="the smallest run with every figure (tests)")
    parser.add_argument("--json", type=Path, help="write the figures to this JSON file")
    parser.add_argument("--device", default="cpu", help="cpu or cuda (adds the GPU figures)")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch threads for the in-process figures, both sides alike (default 1)")
    parser.add_argument("--only", default=",".join(FIGURES),
                        help=f"comma-separated subset of {','.join(FIGURES)}")
    return parser.parse_args(argv)


def machine() -> dict[str, Any]:
    info = {"platform": platform.platform(), "processor": platform.processor() or platform.machine(),
            "cpu_count": os.cpu_count(), "python": platform.python_version(), "torch": torch.__version__}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return info


def measure(args: argparse.Namespace) -> dict[str, Any]:
    mode = "smoke" if args.smoke else "quick" if args.quick else "full"
    m = MODES[mode]
    only = set(args.only.split(","))
    unknown = only - set(FIGURES)
    if unknown:
        raise SystemExit(f"--only: unknown figure(s) {', '.join(sorted(unknown))}; choose from {', '.join(FIGURES)}")
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        raise SystemExit(f"--device {args.device}: CUDA is not available on this machine")
    torch.set_num_threads(args.threads)  # fit sets its own (the same) count; everything else uses this
    out: dict[str, Any] = {
        "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "command": " ".join(["python", "bench/run.py", *sys.argv[1:]]),
        "mode": mode, "device": args.device, "threads": args.threads, "machine": machine(),
        "loadavg": {"start": os.getloadavg()}, "seconds": {}, "figures": {f: None for f in FIGURES},
        "details": {},
    }
    grids = {"joblib_speedup", "peak_rss_mb"} & only  # the grid figures share their grid runs
    steps: list[tuple[str, bool, Any]] = [  # (name, wanted, measurement)
        ("trainer_vs_bare", "trainer_vs_bare" in only,
         lambda: training.trainer_vs_bare(m["fit_steps"], m["fit_repeats"], args.threads, args.device)),
        ("generation_vs_naive", "generation_vs_naive" in only,
         lambda: generation.generation_figures(m["gen_examples"], m["gen_repeats"], m["share_steps"], args.device,
                                               m.get("gen_seconds", 0.05))),
        ("sigmoid_vs_fused", "sigmoid_vs_fused" in only,
         lambda: training.sigmoid_vs_fused(m["repeats"], args.threads, args.device)),
        ("scaling", "scaling" in only,
         lambda: training.scaling(m["lengths"], m["batches"], m["scaling_steps"], args.threads, args.device)),
        ("evaluation_cost", "evaluation_cost" in only, lambda: evaluation.evaluation_cost(**m["evaluation"])),
        ("joblib_speedup", bool(grids), lambda: grid.joblib_speedup(m["grid_repeats"], m["grid_extra"])),
        ("parallel_capacity", bool(grids), lambda: grid.parallel_capacity(m["spin"])),
        ("grid_anatomy", bool(grids) and m["anatomy"], grid.anatomy),
        ("joblib_speedup_long_jobs", bool(grids) and bool(m["long_grid"]),
         lambda: grid.joblib_speedup(1, m["long_grid"])),
        ("gpu", args.device.startswith("cuda") and "gpu" in only,
         lambda: training.gpu_figures(m["gpu_steps"], m["repeats"])),
        ("modern_scans", "modern_scans" in only,
         lambda: modern.modern_scans(m["modern"]["lengths"], m["modern"]["repeats"], args.threads, args.device,
                                     batch=m["modern"]["batch"], min_seconds=m["modern"]["min_seconds"])),
        ("selective_scan", "selective_scan" in only,
         lambda: selective_scan.selective_scan_speedup(threads=args.threads, **m["scan"])),
        ("optimizer_update", "optimizer_update" in only,
         lambda: optimizer.optimizer_speedup(threads=args.threads, **m["update"])),
    ]
    for name, wanted, run in steps:
        if not wanted:
            continue
        started = time.perf_counter()
        out["loadavg"][name] = os.getloadavg()
        print(f"[bench] {name} ...", file=sys.stderr, flush=True)
        (out["figures"] if name in FIGURES else out["details"])[name] = run()
        out["seconds"][name] = round(time.perf_counter() - started, 1)
    if "peak_rss_mb" in only:
        started = time.perf_counter()
        if m["rss_grid"] == "smoke":
            print("[bench] peak_rss_mb (the smoke grid) ...", file=sys.stderr, flush=True)
            out["figures"]["peak_rss_mb"] = grid.smoke_grid_peak(m["grid_extra"])
        else:
            runs = out["figures"]["joblib_speedup"]["runs"]
            out["figures"]["peak_rss_mb"] = grid.peak_rss(runs["basic"] + runs["joblib"],
                                                          " ".join(grid.FOUR_JOBS + m["grid_extra"]))
        out["seconds"]["peak_rss_mb"] = round(time.perf_counter() - started, 1)
    out["loadavg"]["end"] = os.getloadavg()
    out["targets"] = check_targets(out["figures"])
    return out


def check_targets(figures: dict[str, Any]) -> dict[str, Any]:
    result = {}
    for name, (key, target, how) in TARGETS.items():
        figure = figures.get(name.replace("_share_of_step", "_vs_naive"))
        value = None if figure is None else figure.get(key)
        met = None if value is None else (value >= target if how == ">=" else value < target)
        result[name] = {"value": value, "target": f"{how} {target}", "met": met}
    return result


def table(out: dict[str, Any]) -> str:
    """The figures as markdown tables (what bench/README.md keeps)."""
    f = out["figures"]
    lines = [f"date {out['date']}, mode {out['mode']}, device {out['device']}, threads {out['threads']}, "
             f"load average at start {fmt_load(out['loadavg']['start'])}, at end {fmt_load(out['loadavg']['end'])}",
             "", "| figure | median | min | max | target | met |", "|---|---|---|---|---|---|"]
    for name in ("trainer_vs_bare", "sigmoid_vs_fused", "joblib_speedup"):
        if f.get(name):
            t = out["targets"][name]
            lines.append(f"| {name} | {f[name]['median']:.3f} | {f[name]['min']:.3f} | {f[name]['max']:.3f} "
                         f"| {t['target']} | {yes(t['met'])} |")
    if f.get("generation_vs_naive"):
        g, t = f["generation_vs_naive"], out["targets"]
        lines.append(f"| generation_vs_naive (median over {g['tasks_with_reference']} tasks) "
                     f"| {num(g['median_over_tasks'])} | | | {t['generation_vs_naive']['target']} "
                     f"| {yes(t['generation_vs_naive']['met'])} |")
        lines.append(f"| generation share of a step (largest) | {pct(g['max_share_of_step'])} | | "
                     f"| < 5 % | {yes(t['generation_share_of_step']['met'])} |")
    if f.get("peak_rss_mb"):
        p = f["peak_rss_mb"]
        lines.append(f"| peak_rss_mb ({p['job']}) | {p['value']:.0f} | | | | |")
    lines += generation_table(f.get("generation_vs_naive")) + detail_table(f, out.get("details", {}))
    lines += scaling_table(f.get("scaling")) + anatomy_table(out.get("details", {}).get("grid_anatomy"))
    lines += evaluation.evaluation_table(f.get("evaluation_cost"))
    lines += gpu_table(f.get("gpu"))
    lines += modern.modern_table(f.get("modern_scans"))
    lines += selective_scan.selective_scan_table(f.get("selective_scan"))
    lines += optimizer.optimizer_table(f.get("optimizer_update"))
    return "\n".join(lines)


def generation_table(g: dict[str, Any] | None) -> list[str]:
    if not g:
        return []
    rows = ["", f"generation, {g['examples']} training examples per draw; share: one batch of 64 / one "
                "training step of the default lstm",
            "", "| task | kind | vectorised ex/s | naive ex/s | ratio (median) | min | max | share of step |",
            "|---|---|---|---|---|---|---|---|"]
    for name, e in g["tasks"].items():
        if "error" in e:
            rows.append(f"| {name} | | | | error: {e['error'][:60]} | | | |")
            continue
        share = pct(e.get("share_of_step")) if "share_of_step" in e else e.get("share_error", "")[:40]
        if isinstance(e["ratio"], dict):
            r = e["ratio"]
            rows.append(f"| {name} | {e['kind']} | {e['vectorised_examples_per_s']:,.0f} | "
                        f"{e['naive_examples_per_s']:,.0f} | {r['median']:.1f} | {r['min']:.1f} | {r['max']:.1f} "
                        f"| {share} |")
        else:
            rows.append(f"| {name} | {e['kind']} | | | no reference | | | {share} |")
    return rows


def detail_table(f: dict[str, Any], details: dict[str, Any]) -> list[str]:
    rows = ["", "| detail | value |", "|---|---|"]
    if f.get("trainer_vs_bare"):
        t = f["trainer_vs_bare"]
        rows += [f"| fit tokens/s (median) | {t['fit_tokens_per_s']['median']:,.0f} |",
                 f"| bare loop tokens/s (median) | {t['bare_tokens_per_s']['median']:,.0f} |",
                 f"| fit / bare, best run of each | {t['best']:.3f} |",
                 f"| same final parameters | {yes(t['same_final_parameters'])} |"]
    if f.get("sigmoid_vs_fused"):
        s = f["sigmoid_vs_fused"]
        rows += [f"| sigmoid tokens/s, fused tanh tokens/s | {s['sigmoid_tokens_per_s']['median']:,.0f}, "
                 f"{s['fused_tanh_tokens_per_s']['median']:,.0f} |",
                 f"| sigmoid / tanh, best run of each | {s['best']:.3f} |",
                 f"| sigmoid / tanh, lengths 1..50 (tanh packed) | {s['variable_lengths_ratio']['median']:.3f} |",
                 f"| plain autograd sigmoid loop / tanh | {s['plain_autograd_loop_ratio']['median']:.3f} |"]
    if f.get("joblib_speedup"):
        j = f["joblib_speedup"]
        rows += [f"| 4-job grid seconds, basic | {', '.join(f'{s:.1f}' for s in j['basic_seconds'])} |",
                 f"| 4-job grid seconds, joblib 2 workers | {', '.join(f'{s:.1f}' for s in j['joblib_seconds'])} |"]
    if details.get("parallel_capacity"):
        c = details["parallel_capacity"]
        rows += [f"| two busy loops side by side vs one after the other (2.0 = two idle cores) | {c['value']:.2f} |"]
    if details.get("joblib_speedup_long_jobs"):
        j = details["joblib_speedup_long_jobs"]
        rows += [f"| joblib speedup, same grid with {j['grid'].split()[-1]} | {j['median']:.3f} "
                 f"(basic {j['basic_seconds'][0]:.1f} s, joblib {j['joblib_seconds'][0]:.1f} s) |"]
    return rows if len(rows) > 3 else []


def scaling_table(s: dict[str, Any] | None) -> list[str]:
    if not s:
        return []
    rows = ["", "cost of one training step (reverse, lstm 128)", "",
            "| varied | length | batch | ms per step | tokens/s |", "|---|---|---|---|---|"]
    rows += [f"| {p['axis']} | {p['length']} | {p['batch']} | {p['ms_per_step']:.1f} | {p['tokens_per_s']:,.0f} |"
             for p in s["points"]]
    return rows


def anatomy_table(a: dict[str, float] | None) -> list[str]:
    if not a:
        return []
    rows = ["", "anatomy of one grid process (bench/anatomy.py, a fresh interpreter)", "",
            "| part | seconds |", "|---|---|"]
    return rows + [f"| {part} | {seconds:.2f} |" for part, seconds in a.items()]


def gpu_table(g: dict[str, Any] | None) -> list[str]:
    if not g:
        return []
    rows = ["", f"GPU: {g['gpu']} (cuDNN {g['cudnn']})", "",
            "| model | fp32 tokens/s | AMP tokens/s | AMP / fp32 (median, min, max) |", "|---|---|---|---|"]
    for name in ("lstm", "gru"):
        r = g[f"{name}_amp_vs_fp32"]
        rows.append(f"| {name} | {g[f'{name}_tokens_per_s']['median']:,.0f} | "
                    f"{g[f'{name}_amp_tokens_per_s']['median']:,.0f} | {r['median']:.2f} ({r['min']:.2f}, {r['max']:.2f}) |")
    return rows


def fmt_load(load) -> str:
    return ", ".join(f"{x:.2f}" for x in load)


def yes(value) -> str:
    return "n/a" if value is None else "yes" if value else "no"


def num(value) -> str:
    return "n/a" if value is None else f"{value:.1f}"


def pct(value) -> str:
    return "n/a" if value is None else f"{100 * value:.2f} %"


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    out = measure(args)
    print(table(out))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(out, indent=2, default=str) + "\n")
        print(f"\nwrote {args.json}", file=sys.stderr)
    missing = missing_figures(out, args)
    if missing:  # `make bench` (which CI runs) fails when a figure could not be measured
        print(f"bench/run.py: error: no value for {', '.join(missing)}", file=sys.stderr)
        return 1
    return 0


def missing_figures(out: dict[str, Any], args: argparse.Namespace) -> list[str]:
    """The requested figures that came out empty (``gpu`` only counts with ``--device cuda``)."""
    wanted = [f for f in args.only.split(",") if f != "gpu" or args.device.startswith("cuda")]
    return [f for f in wanted if not out["figures"].get(f)]


if __name__ == "__main__":
    sys.exit(main())
