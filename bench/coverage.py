"""How often the cell interval contains the truth: a simulation with known truth.

Each simulated cell has a true score ``mu`` (the model's expected score over seeds, on the task's
population of examples). ``n`` seeds draw seed effects (normal with spread ``seed_sd``, or bimodal:
a third of the seeds collapse to a low score, as `sentiment` x `rnn_sigmoid` did: 0.973 / 0.503 /
0.509); every seed is scored on one shared evaluation set whose sampling error ``e ~ N(0, exam_sd)``
all seeds share; each run reports its value with its own 95 % interval over examples. The interval
under test is :func:`seqbench.boards.aggregate.seed_interval`, exactly as the leaderboard computes it from
records. Coverage is the share of cells whose interval contains ``mu``.

    python bench/coverage.py [--cells 4000] [--json FILE]

The results, and the decision on seed counts they support, are in ``bench/README.md``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from seqbench.boards.aggregate import Z95, seed_interval  # noqa: E402

MU = 0.8
EXAM_SD = 0.005  #: the example-level standard error of one run (2,000 examples at accuracy 0.8: 0.009)
SEEDS = (2, 3, 5, 10)
SPREADS = {"none": 0.0, "small": 0.5, "equal": 1.0, "dominant": 10.0}  #: seed spread / exam spread
DISTRIBUTIONS = ("normal", "bimodal")
COLLAPSE = 0.3  #: a collapsed seed's drop in the bimodal case (0.973 -> ~0.5 in the sentiment example)


def simulate(n: int, spread: float, distribution: str, cells: int, seed: int = 0) -> float:
    """The coverage of ``cells`` simulated cells of ``n`` seeds (seed sd = ``spread`` x EXAM_SD)."""
    rng = np.random.default_rng([seed, n, int(spread * 100), DISTRIBUTIONS.index(distribution)])
    seed_sd = spread * EXAM_SD
    if distribution == "normal":
        effects, truth = rng.normal(0.0, seed_sd, size=(cells, n)), MU
    else:  # each seed collapses with probability 1/3; the truth is the mixture's mean
        collapsed = rng.random((cells, n)) < 1 / 3
        effects = rng.normal(0.0, seed_sd, size=(cells, n)) - COLLAPSE * collapsed
        truth = MU - COLLAPSE / 3
    values = MU + effects + rng.normal(0.0, EXAM_SD, size=(cells, 1))  # the exam's error, shared
    half = Z95 * EXAM_SD  # each run's own interval over examples
    hits = 0
    for row in values:
        _, low, high = seed_interval(row.tolist(), (row - half).tolist(), (row + half).tolist())
        hits += low <= truth <= high
    return hits / cells


def study(cells: int = 4000) -> list[dict]:
    """Coverage for every case: seeds x spread x distribution."""
    return [{"seeds": n, "spread": name, "distribution": dist, "coverage": simulate(n, spread, dist, cells)}
            for dist in DISTRIBUTIONS for name, spread in SPREADS.items() for n in SEEDS]


def table(rows: list[dict]) -> str:
    """Coverage as a markdown table: one row per distribution and spread, one column per seed count."""
    lines = ["| seeds | spread (seed sd / exam sd) | " + " | ".join(f"n = {n}" for n in SEEDS) + " |",
             "|---|---|" + "---|" * len(SEEDS)]
    for dist in DISTRIBUTIONS:
        for name, spread in SPREADS.items():
            got = {r["seeds"]: r["coverage"] for r in rows if r["distribution"] == dist and r["spread"] == name}
            lines.append(f"| {dist} | {name} ({spread:g}) | " + " | ".join(f"{got[n]:.3f}" for n in SEEDS) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=4000, help="simulated cells per case")
    parser.add_argument("--json", help="also write the rows here")
    args = parser.parse_args(argv)
    rows = study(args.cells)
    print(table(rows))
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
