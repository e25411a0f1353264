"""Start-up cost of the ``seqbench`` command, as ratios to ``python -c "import torch"``.

``python bench/startup.py [--repeats N] [--json FILE]`` runs, interleaved, N times each:

- ``torch``: ``python -c "import torch"`` (the reference, about 2 s on the 2-core machine)
- ``help``: ``seqbench --help``
- ``tasks``: ``seqbench tasks``
- ``models``: ``seqbench models``

and prints the median wall time of each and its ratio to the reference's median. Targets
(issue 12): ``help`` < 0.25, ``tasks`` < 0.6. The commands run as ``python -c`` calls of
``seqbench.cli.main`` (exactly what the console script runs), so the figure does not depend on
where the script is installed. No figure is asserted by the tests (they check instead that
the fast commands import neither torch, Hydra nor matplotlib: ``tests/test_startup.py``).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time

COMMANDS: dict[str, list[str]] = {
    "torch": ["-c", "import torch"],
    "help": ["-c", "from seqbench.cli import entry; import sys; sys.argv = ['seqbench', '--help']; entry()"],
    "tasks": ["-c", "from seqbench.cli import entry; import sys; sys.argv = ['seqbench', 'tasks']; entry()"],
    "models": ["-c", "from seqbench.cli import entry; import sys; sys.argv = ['seqbench', 'models']; entry()"],
}
TARGETS = {"help": 0.25, "tasks": 0.6}


def wall(args: list[str]) -> float:
    """Seconds one ``python ARGS`` takes, start to exit (its output discarded)."""
    start = time.perf_counter()
    subprocess.run([sys.executable, *args], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def measure(repeats: int = 5) -> dict[str, dict[str, float]]:
    """Median, min and max seconds per command, and each median's ratio to ``torch``'s."""
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for name, args in COMMANDS.items():  # warm the file cache once, not counted
        wall(args)
    for _ in range(repeats):  # interleaved, so a busy moment hits every command alike
        for name, args in COMMANDS.items():
            times[name].append(wall(args))
    reference = statistics.median(times["torch"])
    return {name: {"median_s": round(statistics.median(t), 4), "min_s": round(min(t), 4), "max_s": round(max(t), 4),
                   "ratio_to_import_torch": round(statistics.median(t) / reference, 3)}
            for name, t in times.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python bench/startup.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5, help="runs of each command (default 5)")
    parser.add_argument("--json", help="also write the figures to this JSON file")
    args = parser.parse_args(argv)
    figures = measure(args.repeats)
    for name, f in figures.items():
        target = f"  (target < {TARGETS[name]})" if name in TARGETS else ""
        print(f"{name:7s} median {f['median_s']:.3f} s  [{f['min_s']:.3f}, {f['max_s']:.3f}]  "
              f"ratio {f['ratio_to_import_torch']:.3f}{target}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(figures, fh, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
