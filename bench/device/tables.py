"""Markdown rows of the GPU host's grids (bench/device/*.sh), computed from their results.csv.

``python bench/device/tables.py bench/results/2026-12-04-h200-parity.csv`` prints one row per task
and model: parameters, test_ood accuracy per seed, their maximum (the paper's statistic) and mean,
the steps each run trained, and whether it converged (``limit``: stopped at the cap while still
improving). ``tests/test_device_results.py`` checks that the docs show exactly these rows.
"""

from __future__ import annotations

import csv
import statistics
import sys
from collections import defaultdict
from pathlib import Path

HEADER = ("| task | model | parameters | test_ood accuracy by seed | max | mean | steps | converged |\n"
          "|---|---|---|---|---|---|---|---|")


def rows(path: str | Path) -> list[str]:
    """One markdown row per (task, model label), seeds in order."""
    cells: dict[tuple[str, str], list[dict]] = defaultdict(list)
    with open(path, newline="") as handle:
        for record in csv.DictReader(handle):
            cells[(record["task"], record["model_label"])].append(record)
    out = []
    for (task, model), runs in sorted(cells.items()):
        runs.sort(key=lambda r: int(r["seed"]))
        ood = [float(r["test_ood/accuracy"]) for r in runs]
        stops = ["limit" if r["budget_limited"] == "True" else "yes" if r["converged"] == "True" else "no"
                 for r in runs]
        out.append(f"| {task} | {model} | {int(runs[0]['n_params']):,} | {', '.join(f'{x:.3f}' for x in ood)} | "
                   f"{max(ood):.3f} | {statistics.mean(ood):.3f} | {', '.join(r['steps'] for r in runs)} | "
                   f"{', '.join(stops)} |")
    return out


if __name__ == "__main__":
    print(HEADER)
    print("\n".join(rows(sys.argv[1])))
