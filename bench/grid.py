"""Grid figures through the real command line: ``joblib_speedup`` and ``peak_rss_mb``.

Each grid is one ``seqbench run -m ...`` subprocess, timed from start to exit (start-up,
Hydra, every job, result files): the wall time a user waits. The basic launcher runs the
jobs one after another, each with all cores; ``hydra/launcher=joblib hydra.launcher.n_jobs=2``
runs two at a time, each with its share of the cores.

A job's peak resident memory is read from its ``result.json`` (``peak_rss_mb``, measured by
the job itself); where a record lacks it, the figure falls back to the largest peak of any
``seqbench`` process the benchmark started (``getrusage(RUSAGE_CHILDREN)``), an upper bound.
"""

from __future__ import annotations

import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from timing import ratio_figure

FOUR_JOBS = ["task=parity,reverse", "model=lstm,gru", "seed=0", "trainer=smoke"]
SMOKE_GRID = ["experiment=smoke"]
JOBLIB = ["hydra/launcher=joblib", "hydra.launcher.n_jobs=2"]


def seqbench_command() -> list[str]:
    script = Path(sys.executable).with_name("seqbench")
    if script.exists():
        return [str(script)]
    found = shutil.which("seqbench")
    if found is None:
        raise RuntimeError("the seqbench command is not installed next to this Python or on PATH")
    return [found]


def run_grid(overrides: list[str], sweep_dir: Path) -> dict[str, Any]:
    """Run one grid; wall seconds, the jobs' statuses and their peak RSS."""
    command = seqbench_command() + ["run", "-m", *overrides, f"hydra.sweep.dir={sweep_dir}"]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    records = [json.loads(p.read_text()) for p in sorted(sweep_dir.rglob("result.json"))]
    if not records:
        raise RuntimeError(f"grid {' '.join(overrides)} wrote no result.json (exit {done.returncode}):\n"
                           f"{done.stderr[-2000:]}")
    return {
        "seconds": seconds, "exit_code": done.returncode, "jobs": len(records),
        "statuses": {r["status"]: sum(x["status"] == r["status"] for x in records) for r in records},
        "peaks": {f"{r['task']} x {r['model']}": r.get("peak_rss_mb") for r in records},
    }


def joblib_speedup(repeats: int, extra: list[str]) -> dict[str, Any]:
    """Wall time of the 4-job grid with the basic launcher / with joblib and 2 workers.

    ``extra`` overrides are added to both grids (``trainer.steps=...`` for longer jobs).
    """
    runs: dict[str, list[dict[str, Any]]] = {"basic": [], "joblib": []}
    with tempfile.TemporaryDirectory(prefix="seqbench-bench-") as tmp:
        counter = iter(range(10_000))

        def timed(launcher: str) -> float:
            overrides = FOUR_JOBS + extra + (JOBLIB if launcher == "joblib" else [])
            run = run_grid(overrides, Path(tmp) / f"{launcher}-{next(counter)}")
            runs[launcher].append(run)
            return 1.0 / run["seconds"]  # a rate, so that rate(joblib) / rate(basic) = t_basic / t_joblib

        figure = ratio_figure(lambda: timed("joblib"), lambda: timed("basic"), repeats)
    return {**{k: figure[k] for k in ("median", "min", "max", "repeats", "values")},
            "basic_seconds": [round(r["seconds"], 2) for r in runs["basic"]],
            "joblib_seconds": [round(r["seconds"], 2) for r in runs["joblib"]],
            "grid": " ".join(FOUR_JOBS + extra), "runs": runs}


def peak_rss(grid_runs: list[dict[str, Any]], grid: str) -> dict[str, Any]:
    """The largest job's peak RSS over the given grid runs (MiB)."""
    peaks = {}
    for run in grid_runs:
        for job, value in run["peaks"].items():
            if value is not None:
                peaks[job] = max(value, peaks.get(job, 0.0))
    if peaks:
        job = max(peaks, key=peaks.get)
        return {"value": peaks[job], "job": job, "source": "result.json peak_rss_mb", "grid": grid,
                "jobs": len(peaks)}
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # kB -> MiB on Linux
    return {"value": children, "job": None, "grid": grid,
            "source": "getrusage(RUSAGE_CHILDREN): the largest seqbench process, an upper bound"}


def smoke_grid_peak(extra: list[str]) -> dict[str, Any]:
    """Run the README's smoke grid (``experiment=smoke``, joblib, 2 workers) for its peak RSS."""
    with tempfile.TemporaryDirectory(prefix="seqbench-bench-") as tmp:
        run = run_grid(SMOKE_GRID + JOBLIB + extra, Path(tmp) / "smoke")
    result = peak_rss([run], "experiment=smoke " + " ".join(JOBLIB + extra))
    result.update(seconds=run["seconds"], statuses=run["statuses"])
    return result


def anatomy(task: str = "reverse", model: str = "lstm") -> dict[str, float]:
    """Seconds of each part of a fresh grid process: imports, lazy imports, a job, the job again."""
    script = Path(__file__).with_name("anatomy.py")
    done = subprocess.run([sys.executable, str(script), task, model], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"bench/anatomy.py failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


SPIN = "import time; s = time.perf_counter(); x = sum(range({n})); print(time.perf_counter() - s)"


def parallel_capacity(n: int = 30_000_000) -> dict[str, float]:
    """How much two processes gain from running side by side here (2.0: two idle cores).

    Two pure-Python busy loops, first one after the other, then both at once: the figure is
    the serial wall time over the parallel wall time. Other people's jobs on the machine
    lower it; it bounds what any two-worker launcher can gain at the moment.
    """
    command = [sys.executable, "-c", SPIN.format(n=n)]
    started = time.perf_counter()
    for _ in range(2):
        subprocess.run(command, capture_output=True, check=True)
    serial = time.perf_counter() - started
    started = time.perf_counter()
    running = [subprocess.Popen(command, stdout=subprocess.DEVNULL) for _ in range(2)]
    for process in running:
        process.wait()
    parallel = time.perf_counter() - started
    return {"value": serial / parallel, "serial_seconds": serial, "parallel_seconds": parallel}
