"""Across seeds: one value per model with an interval that reflects seeds and examples; ties.

A model's score on a task is the mean over its seeds. Its interval comes from a two-level
bootstrap: resample the seeds (with replacement), and for each drawn seed draw its score
from that run's own sampling distribution over evaluation examples (a normal distribution
matching the run's 95 % interval); the percentile interval of the means covers both sources
of variation. With one seed it is that run's interval; runs without intervals (older
records) contribute their value only.

Models are *tied* when their intervals overlap: a table marks every model tied with the best
instead of bolding one, and a rank counts only the models that are better beyond doubt
(:func:`interval_ranks`).

>>> mean, low, high = seed_interval([0.90, 0.94, 0.92], [0.88, 0.92, 0.90], [0.92, 0.96, 0.94])
>>> round(mean, 3), round(low, 3) < 0.91, round(high, 3) > 0.93
(0.92, True, True)
>>> interval_ranks([0.9, 0.89, 0.5], [0.85, 0.84, 0.45], [0.95, 0.94, 0.55], higher_is_better=True).tolist()
[1.0, 1.0, 3.0]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

RESAMPLES = 2000
Z95 = 1.959963984540054


def seed_interval(values: Sequence[float], lows: Sequence[float | None] | None = None,
                  highs: Sequence[float | None] | None = None, resamples: int = RESAMPLES,
                  seed: int = 0) -> tuple[float, float, float]:
    """(mean over seeds, low, high) of the two-level bootstrap described above."""
    v = np.asarray(values, dtype=float)
    n = len(v)
    if n == 0:
        return float("nan"), float("nan"), float("nan")
    if n == 1:  # one seed: its own interval over examples, or none when the record has none
        known = lows is not None and highs is not None and lows[0] is not None and highs[0] is not None
        return (float(v[0]), float(lows[0]), float(highs[0])) if known else (float(v[0]), float("nan"), float("nan"))
    se = np.zeros(n)
    if lows is not None and highs is not None:
        for i, (lo, hi) in enumerate(zip(lows, highs)):
            if lo is not None and hi is not None and np.isfinite(lo) and np.isfinite(hi):
                se[i] = max(hi - lo, 0.0) / (2 * Z95)
    rng = np.random.default_rng([seed, n])
    picks = rng.integers(0, n, size=(resamples, n))  # which seeds each resample draws
    draws = v[picks] + se[picks] * rng.standard_normal((resamples, n))
    means = draws.mean(1)
    low, high = np.percentile(means, [2.5, 97.5])
    return float(v.mean()), float(min(low, v.mean())), float(max(high, v.mean()))


def overlap(a: tuple[float, float], b: tuple[float, float]) -> bool:
    """Whether two intervals share a point."""
    return a[0] <= b[1] and b[0] <= a[1]


def _bounds(means, lows, highs) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Arrays of means and bounds; a value without an interval is unknown: (-inf, inf), tied with all."""
    m, lo, hi = (np.asarray(x, dtype=float) for x in (means, lows, highs))
    known = np.isfinite(lo) & np.isfinite(hi)
    lo, hi = np.where(known, lo, -np.inf), np.where(known, hi, np.inf)
    return m, lo, hi


def tied_with_best(means: Sequence[float], lows: Sequence[float], highs: Sequence[float],
                   higher_is_better: bool) -> np.ndarray:
    """True for the best model and every model whose interval overlaps the best's (non-finite: never)."""
    m, lo, hi = _bounds(means, lows, highs)
    finite = np.isfinite(m)
    out = np.zeros(len(m), dtype=bool)
    if not finite.any():
        return out
    candidates = np.where(finite, m, -np.inf if higher_is_better else np.inf)
    best = int(np.argmax(candidates) if higher_is_better else np.argmin(candidates))
    for i in np.flatnonzero(finite):
        out[i] = overlap((lo[i], hi[i]), (lo[best], hi[best]))
    return out


def interval_ranks(means: Sequence[float], lows: Sequence[float], highs: Sequence[float],
                   higher_is_better: bool) -> np.ndarray:
    """1 + the number of models better beyond doubt (whole interval better); NaN where missing."""
    m, lo, hi = _bounds(means, lows, highs)
    ranks = np.full(len(m), np.nan)
    for i in range(len(m)):
        if not np.isfinite(m[i]):
            continue
        if higher_is_better:
            better = np.isfinite(lo) & (lo > hi[i])
        else:
            better = np.isfinite(hi) & (hi < lo[i])
        ranks[i] = 1.0 + float(better.sum())
    return ranks
