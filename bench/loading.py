"""Reading many records: seconds and peak memory of ``load_results`` and ``seqbench leaderboard``.

Builds a tree of ``--records`` result files by copying the real runs of ``leaderboards/main/raw``
round-robin, each copy a different run (its own seed and configuration hash), then measures, each
in a fresh Python process (so one measurement's memory does not count against the next):

- ``load_results``: :func:`seqbench.core.record.load_results` over the tree;
- ``leaderboard``: ``seqbench leaderboard TREE`` end to end (reading, tables, markdown to /dev/null).

Each line gives the seconds of the call and the process's peak resident memory (imports included),
with the memory after imports beside it. Not a ratio and not asserted anywhere (the test suite
runs it on 12 records); the target of issue 21 is 5,000 records read in under 3 s and 300 MB.

    python bench/loading.py [--records 5000] [--keep DIR] [--json FILE] [--profile]

On the 2-core development machine (load about 2; CPU seconds, peak RSS), 5,000 records:

| | load_results | seqbench leaderboard |
|---|---|---|
| before (a character loop measured nesting; one schema check per field per record) | 13.3 s, 188 MiB | 24.9 s, 517 MiB |
| after (nesting bounded on the parsed values; every field checked in bulk) | 3.6 s, 207 MiB | 14.6 s, 518 MiB |
| orjson parses, json only diagnoses what orjson refuses (load 5.7, CPU seconds) | 2.8 s, 180 MiB | 13.2 s, 316 MiB |

Of the 3.6 s, ``json.loads`` took about 2 s; orjson parses the same texts in 0.8 s (CPU, in one
process) and shares the keys it has seen, 28 MiB less. The rest of ``seqbench leaderboard`` is the tables
and the task facts of records without them (which import torch: most of the memory beyond the
records' own 190 MiB).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "leaderboards" / "main" / "raw"
MEASURES = ("load_results", "leaderboard")

CHILD = """
import contextlib, io, json, os, sys, time
sys.path.insert(0, {root!r})
from seqbench.core.memory import peak_rss_mb
from seqbench.core.record import load_results
from seqbench.cli import main
before = peak_rss_mb()
start, cpu = time.perf_counter(), time.process_time()
if {what!r} == "load_results":
    loaded = load_results([{tree!r}])
    count = len(loaded.records)
else:
    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
        count = main(["leaderboard", {tree!r}])
print(json.dumps({{"seconds": time.perf_counter() - start, "cpu_seconds": time.process_time() - cpu, "peak_rss_mb": peak_rss_mb(),
                  "imports_rss_mb": before, "result": count}}))
"""


def build_tree(out: Path, records: int, source: Path = SOURCE) -> Path:
    """``out/run_NNNNN/result.json`` for ``records`` copies of the records in ``source``, each a distinct run."""
    originals = sorted(source.rglob("result.json"))
    if not originals:
        raise SystemExit(f"no result.json below {source}")
    texts = [json.loads(path.read_text(encoding="utf-8")) for path in originals]
    for i in range(records):
        data = dict(texts[i % len(texts)])
        data["seed"] = i
        data["config_hash"] = f"{data.get('config_hash') or 'legacy'}-copy{i:05d}"
        folder = out / f"run_{i:05d}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "result.json").write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return out


def measure(what: str, tree: Path) -> dict:
    """Run one measurement in a fresh interpreter; its seconds, peak and after-import memory in MiB."""
    code = CHILD.format(root=str(ROOT), what=what, tree=str(tree))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def profile(tree: Path, top: int = 25) -> None:
    """Print cProfile's ``top`` functions by cumulative time of one ``load_results`` over the tree."""
    import cProfile
    import pstats

    sys.path.insert(0, str(ROOT))
    from seqbench.core.record import load_results

    profiler = cProfile.Profile()
    profiler.runcall(load_results, [tree])
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(top)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench/loading.py", description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=5000, help="result files in the tree (default 5000)")
    parser.add_argument("--keep", type=Path, help="build the tree here and keep it (default: a temporary folder)")
    parser.add_argument("--json", type=Path, help="write the figures to this JSON file")
    parser.add_argument("--profile", action="store_true", help="also print a cProfile of load_results")
    args = parser.parse_args(argv)
    work = args.keep or Path(tempfile.mkdtemp(prefix="seqbench-loading-"))
    try:
        tree = build_tree(work / "tree", args.records)
        figures = {what: measure(what, tree) for what in MEASURES}
        for what, f in figures.items():
            print(f"{what:13} {args.records:,} records: {f['seconds']:.2f} s ({f['cpu_seconds']:.2f} s CPU), peak {f['peak_rss_mb']:.0f} MiB "
                  f"(after imports {f['imports_rss_mb']:.0f} MiB)")
        if args.profile:
            profile(tree)
        if args.json:
            args.json.write_text(json.dumps({"records": args.records, **figures}, indent=2) + "\n")
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
