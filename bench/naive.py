"""Straightforward per-example references of the built-in tasks' generators.

Each reference draws the same distribution as its task's vectorised ``generate``, one example
at a time: scalar draws and Python lists for sequences, numpy on one image at a time for
images. Only the final padding into arrays uses numpy. They measure what vectorising bought
(``generation_vs_naive``) and are checked against the task's own batches for layout
(``tests/test_bench.py``). A task without an entry here is reported as "no reference".

The references live in ``naive_sequences``, ``naive_language`` and ``naive_images``; importing
this module registers them all.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from seqbench.core.batch import Batch
from seqbench.core.spec import EOS

Reference = Callable[[object, np.random.Generator, int, str], Batch]
REFERENCES: dict[str, Reference] = {}


def reference(*names: str) -> Callable[[Reference], Reference]:
    """Register a reference for one or more task names."""
    def register(fn: Reference) -> Reference:
        for name in names:
            REFERENCES[name] = fn
        return fn
    return register


def pad(rows: list[list], width: int | None = None, fill=0) -> np.ndarray:
    """Rows of different lengths -> one (n, width) array, padded with ``fill`` (in Python)."""
    width = max(len(r) for r in rows) if width is None else width
    return np.array([list(r) + [fill] * (width - len(r)) for r in rows])


def mask_of(lengths: list[int], width: int | None = None) -> np.ndarray:
    return pad([[True] * length for length in lengths], width, False)


def with_eos(rows: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    """Targets with EOS appended, and their mask (EOS included)."""
    targets = pad([r + [EOS] for r in rows])
    return targets, mask_of([len(r) + 1 for r in rows], targets.shape[1])


def draw_length(task, rng: np.random.Generator, split: str) -> int:
    low, high = task.lengths_for(split)
    return int(rng.integers(low, high + 1))


def draw_index(probabilities: list[float], u: float) -> int:
    """Inverse-CDF draw of one index for a uniform ``u`` (the last index takes any remainder)."""
    total = 0.0
    for index, p in enumerate(probabilities[:-1]):
        total += p
        if u < total:
            return index
    return len(probabilities) - 1


import naive_images  # noqa: E402,F401  (registers)
import naive_language  # noqa: E402,F401
import naive_sequences  # noqa: E402,F401
