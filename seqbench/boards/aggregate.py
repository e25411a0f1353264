"""Across seeds: one value per model with an interval whose coverage is measured; ties and ranks.

A model's score on a task is the mean over its seeds. Every seed is scored on the same
evaluation examples, so the estimate carries two errors: the seeds' spread, which shrinks as
seeds are added, and the evaluation set's sampling error, which every seed shares and which does
not. The 95 % interval around the seed mean therefore has the half-width

    t(n - 1)^2 s^2 / n + z^2 e^2   (the squared half-width)

s^2: the variance of the n seed values (ddof 1), at Student's t with n - 1 degrees of freedom;
e^2: the runs' mean example-level variance (from each run's own interval), shared by the seeds
and so not divided by n, at the normal quantile z. Added in quadrature, the interval is the
t interval when the seeds dominate and the example interval when they agree. With one seed it is
that run's own interval; seeds without example intervals (older records) use s^2 / n alone.
``bench/coverage.py`` simulates cells with known truth (2 to 10 seeds, seed spread from none to
dominant, normal and bimodal seeds) and measures how often this interval contains it; the
results are in ``bench/README.md``.

A model is *better* than another only when the difference of their means is beyond doubt (its
interval, sqrt(h_a^2 + h_b^2) wide on each side from the two cells' half-widths, excludes zero)
and larger than the metric's equivalence margin (:func:`seqbench.core.spec.metric_margin`); otherwise they
are *tied*. Tables mark every model tied with the best, and a rank counts only the models
better than this one (:func:`interval_ranks`).

>>> mean, low, high = seed_interval([0.90, 0.94, 0.92], [0.88, 0.92, 0.90], [0.92, 0.96, 0.94])
>>> round(mean, 3), round(low, 3), round(high, 3)
(0.92, 0.866, 0.974)
>>> interval_ranks([0.9, 0.89, 0.5], [0.85, 0.84, 0.45], [0.95, 0.94, 0.55], higher_is_better=True).tolist()
[1.0, 1.0, 3.0]
>>> interval_ranks([1.0, 0.99994], [0.999, 0.9999], [1.0, 1.0], True, margins=0.005).tolist()  # within the margin
[1.0, 1.0]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

Z95 = 1.959963984540054
LEVEL = 0.95


def t_quantile(df: np.ndarray | float, level: float = LEVEL) -> np.ndarray:
    """The two-sided ``level`` quantile of Student's t with ``df`` degrees of freedom (inf: normal)."""
    from scipy.special import stdtrit

    return stdtrit(np.asarray(df, dtype=float), 0.5 + level / 2)


def t_interval(seed_vars: np.ndarray | float, exam_vars: np.ndarray | float, n: np.ndarray | int,
               level: float = LEVEL) -> np.ndarray:
    """Half-widths of the seed-mean interval above, vectorised over cells: the seeds' part at
    Student's t with n - 1 degrees of freedom, the shared evaluation set's at the normal quantile,
    added in quadrature."""
    n = np.asarray(n, dtype=float)
    seeds = t_quantile(n - 1, level) ** 2 * np.asarray(seed_vars, dtype=float) / n
    return np.sqrt(seeds + t_quantile(np.inf, level) ** 2 * np.asarray(exam_vars, dtype=float))


def seed_interval(values: Sequence[float], lows: Sequence[float | None] | None = None,
                  highs: Sequence[float | None] | None = None, level: float = LEVEL,
                  as_if_seeds: int | None = None) -> tuple[float, float, float]:
    """(mean over seeds, low, high): the Student-t interval described above.

    ``as_if_seeds``: a projection, not an interval: the width the cell would have with that many
    seeds (where it has fewer) of the same mean and spread, t(N - 1) s / sqrt(N) for the seeds'
    part. ``seqbench claims --as-if-seeds`` uses it to find the claims whose verdict rests on
    how few seeds a cell has. Three seeds 0.90, 0.92, 0.94 without example intervals: 0.92 +- 0.050,
    as if 5: 0.92 +- 0.025.

    >>> [round(b, 3) for b in seed_interval([0.90, 0.92, 0.94])[1:]], [round(b, 3) for b in seed_interval([0.90, 0.92, 0.94], as_if_seeds=5)[1:]]
    ([0.87, 0.97], [0.895, 0.945])
    """
    v = np.asarray(values, dtype=float)
    n = len(v)
    if n == 0:
        return float("nan"), float("nan"), float("nan")
    bands = [(lo, hi) for lo, hi in zip(lows or [None] * n, highs or [None] * n)
             if lo is not None and hi is not None and np.isfinite(lo) and np.isfinite(hi)]
    if n == 1:  # one seed: its own interval over examples, or none when the record has none
        return (float(v[0]), *map(float, bands[0])) if bands else (float(v[0]), float("nan"), float("nan"))
    exam_var = float(np.mean([((hi - lo) / (2 * Z95)) ** 2 for lo, hi in bands])) if bands else 0.0
    seed_var = float(v.var(ddof=1))
    if seed_var == 0 and exam_var == 0:  # identical seeds and nothing known of the examples: unknown
        return float(v.mean()), float("nan"), float("nan")
    half = float(t_interval(seed_var, exam_var, max(n, as_if_seeds or n), level))
    return float(v.mean()), float(v.mean() - half), float(v.mean() + half)


def overlap(a: tuple[float, float], b: tuple[float, float]) -> bool:
    """Whether two intervals share a point."""
    return a[0] <= b[1] and b[0] <= a[1]


Margin = float | tuple[float, bool]  #: an absolute margin, or (margin, relative)


def _margin(margin: Margin, a: float, b: float) -> float:
    value, relative = margin if isinstance(margin, tuple) else (margin, False)
    return value * max(abs(a), abs(b)) if relative else value


def better(a: tuple[float, float, float], b: tuple[float, float, float], higher_is_better: bool,
           margin: Margin = 0.0) -> bool:
    """Whether ``a`` (mean, low, high) is better than ``b``: the difference of the means exceeds the
    equivalence ``margin`` and its interval (the facing half-widths added in quadrature) excludes
    zero. A cell without an interval is better than nothing and worse than nothing.

    >>> better((0.9, 0.88, 0.92), (0.5, 0.4, 0.6), True), better((1.0, 0.999, 1.0), (0.99994, 0.9999, 1.0), True)
    (True, False)
    >>> better((0.10, 0.09, 0.11), (0.104, 0.1035, 0.1045), False, (0.05, True))  # 4 % apart: within 5 %
    False
    """
    if not all(np.isfinite(v) for v in (*a, *b)):
        return False
    gap = a[0] - b[0] if higher_is_better else b[0] - a[0]
    if gap <= _margin(margin, a[0], b[0]):
        return False
    mine, theirs = (a[0] - a[1], b[2] - b[0]) if higher_is_better else (a[2] - a[0], b[0] - b[1])
    return gap > float(np.hypot(max(mine, 0.0), max(theirs, 0.0)))


def tied_with_best(means: Sequence[float], lows: Sequence[float], highs: Sequence[float],
                   higher_is_better: bool, margins: Margin = 0.0) -> np.ndarray:
    """True for the best model and every model the best is not :func:`better` than (non-finite: never)."""
    m, lo, hi = (np.asarray(x, dtype=float) for x in (means, lows, highs))
    finite = np.isfinite(m)
    out = np.zeros(len(m), dtype=bool)
    if not finite.any():
        return out
    candidates = np.where(finite, m, -np.inf if higher_is_better else np.inf)
    best = int(np.argmax(candidates) if higher_is_better else np.argmin(candidates))
    for i in np.flatnonzero(finite):
        out[i] = i == best or not better((m[best], lo[best], hi[best]), (m[i], lo[i], hi[i]), higher_is_better,
                                         margins)
    return out


def interval_ranks(means: Sequence[float], lows: Sequence[float], highs: Sequence[float],
                   higher_is_better: bool, margins: Margin = 0.0) -> np.ndarray:
    """1 + the number of models :func:`better` than this one; NaN where the value is missing."""
    m, lo, hi = (np.asarray(x, dtype=float) for x in (means, lows, highs))
    ranks = np.full(len(m), np.nan)
    cells = list(zip(m, lo, hi))
    for i in range(len(m)):
        if np.isfinite(m[i]):
            ranks[i] = 1.0 + sum(better(cells[j], cells[i], higher_is_better, margins)
                                 for j in range(len(m)) if j != i)
    return ranks


RANK_RESAMPLES = 1000
RANK_SEED = 0


def rank_bootstrap(seeds: dict[tuple[str, str], Sequence[float]], halves: dict[tuple[str, str], float],
                   tasks: Sequence[str], models: Sequence[str], higher: dict[str, bool], margins: dict[str, Margin],
                   resamples: int = RANK_RESAMPLES, seed: int = RANK_SEED) -> tuple[np.ndarray, np.ndarray]:
    """Mean ranks under resampling, for intervals and orderings beyond doubt.

    Each resample draws the tasks with replacement and, in each cell, its seeds with replacement;
    on each drawn task a model's rank is 1 + the number of models :func:`better` than it, judged
    on the resampled means with each cell's own interval half-width (``halves``; unknown: never
    better or worse) and the task's margin, exactly as the table ranks the observed means.
    Returns ``(R, M)`` mean ranks per resample and the ``(M, M)`` share of resamples in which
    model i's mean rank is strictly below model j's.

    >>> seeds = {("t1", "a"): [0.9, 0.91], ("t1", "b"): [0.5, 0.52], ("t2", "a"): [0.8, 0.8], ("t2", "b"): [0.6, 0.62]}
    >>> halves = {cell: 0.01 for cell in seeds}
    >>> ranks, ahead = rank_bootstrap(seeds, halves, ["t1", "t2"], ["a", "b"], {"t1": True, "t2": True},
    ...                               {"t1": 0.005, "t2": 0.005})
    >>> ranks.mean(0).tolist(), float(ahead[0, 1])
    ([1.0, 2.0], 1.0)
    """
    rng = np.random.default_rng([seed, len(tasks), len(models)])
    n_tasks, n_models = len(tasks), len(models)
    means = np.empty((resamples, n_tasks, n_models))
    half = np.empty((n_tasks, n_models))
    for t, task in enumerate(tasks):
        for m, model in enumerate(models):
            values = np.asarray(seeds[(task, model)], dtype=float)
            draws = rng.integers(0, len(values), size=(resamples, len(values)))
            means[:, t, m] = values[draws].mean(1)
            half[t, m] = halves[(task, model)] if np.isfinite(halves[(task, model)]) else np.inf
    ranks = np.empty((resamples, n_tasks, n_models))
    for t, task in enumerate(tasks):
        v = means[:, t, :] if higher[task] else -means[:, t, :]  # higher is better from here on
        value, relative = margins[task] if isinstance(margins[task], tuple) else (margins[task], False)
        scale = np.maximum(np.abs(means[:, t, :, None]), np.abs(means[:, t, None, :])) if relative else 1.0
        doubt = np.hypot(half[t, :, None], half[t, None, :])  # [j, i]
        gap = v[:, :, None] - v[:, None, :]  # [r, j, i]: how far j is ahead of i
        ranks[:, t, :] = 1.0 + ((gap > value * scale) & (gap > doubt)).sum(1)
    picks = rng.integers(0, n_tasks, size=(resamples, n_tasks))  # the tasks each resample draws
    mean_ranks = np.take_along_axis(ranks, picks[:, :, None], axis=1).mean(1)  # (R, M)
    ahead_share = (mean_ranks[:, :, None] < mean_ranks[:, None, :]).mean(0)
    return mean_ranks, ahead_share
