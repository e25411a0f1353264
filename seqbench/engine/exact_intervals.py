"""Intervals that never claim more certainty than the data can give.

A percentile bootstrap of a split whose examples all scored alike is a single point: every
resample of an all-correct split is all-correct, so it reports [1, 1], and with one example it
reports that example. Such an interval says "certain" where the data say little. This module
is the guard every interval passes through, at run time (:mod:`seqbench.engine.intervals`) and when a
board reads a record written before it existed:

* a *proportion* (a metric with a ceiling of 1: accuracies, macro F1, and ``length_mean`` of
  one) on a split of fewer than :data:`MIN_BOOTSTRAP` examples, or whose bootstrap has no width,
  gets the exact Clopper-Pearson interval for its value over the split's examples (widened to
  contain the bootstrap's, where it has one);
* any other metric whose bootstrap has no width on so small a split (one example) gets no
  interval (``nan``): the tables print the value alone and the claims treat it as unknown, never
  as certain. On a large split its bootstrap stands even at zero width: a model's excess over
  itself is exactly 0 on every resample.

>>> [round(v, 3) for v in exact_proportion(1.0, 1)]  # one example, right: not [1, 1]
[0.025, 1.0]
>>> [round(v, 4) for v in guard("accuracy", 1.0, [1.0, 1.0], 2000)]
[0.9982, 1.0]
>>> guard("mse", 0.5, [0.5, 0.5], 1), guard("accuracy", 0.75, [0.69, 0.81], 200)
([nan, nan], [0.69, 0.81])
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from seqbench.core.spec import metric_spec

if TYPE_CHECKING:
    from seqbench.core.record import RunRecord

LEVEL = 0.95
MIN_BOOTSTRAP = 20  #: fewer examples than this: the bootstrap is not trusted
ZERO_WIDTH = 1e-12


def is_proportion(metric: str, primary: str | None = None) -> bool:
    """Whether ``metric`` is a share of successes in [0, 1] (``length_mean`` follows ``primary``).

    >>> is_proportion("accuracy"), is_proportion("content_accuracy"), is_proportion("length_mean", "mse")
    (True, True, False)
    """
    spec = metric_spec(metric, primary)
    return spec.ceiling == 1.0 if spec is not None else metric.endswith("accuracy") and not metric.startswith("excess_")


def clip_to_range(metric: str, primary: str | None, bounds: tuple[float, float, float]) -> tuple[float, float, float]:
    """(mean, low, high) with the interval kept inside the values ``metric`` can take (its registry
    floor and ceiling: [0, 1] for a proportion, >= 0 for an mse).

    >>> clip_to_range("accuracy", None, (1.0, 0.999, 1.001)), clip_to_range("mse", None, (0.1, -0.1, 0.3))
    ((1.0, 0.999, 1.0), (0.1, 0.0, 0.3))
    """
    mean, low, high = bounds
    spec = metric_spec(metric, primary)
    if spec is None:
        return bounds
    if spec.floor is not None and low == low:
        low = max(low, spec.floor)
    if spec.ceiling is not None and high == high:
        high = min(high, spec.ceiling)
    return mean, low, high


def exact_proportion(value: float, n: int, level: float = LEVEL) -> list[float]:
    """The Clopper-Pearson interval of a share ``value`` of ``n`` examples (``value * n``
    successes; a token-level share counts its examples, the conservative choice)."""
    from scipy.special import betaincinv

    successes, tail = min(max(value, 0.0), 1.0) * n, (1 - level) / 2
    low = 0.0 if successes <= 0 else float(betaincinv(successes, n - successes + 1, tail))
    high = 1.0 if successes >= n else float(betaincinv(successes + 1, n - successes, 1 - tail))
    return [low, high]


def guard(metric: str, value: float | None, interval: list[float | None] | None, n: int | None,
          primary: str | None = None) -> list[float]:
    """``interval`` where it can be trusted; the exact interval of a proportion or ``nan`` otherwise."""
    low, high = (interval or [None, None])[:2]
    bootstrap = [float(low), float(high)] if low is not None and high is not None else [math.nan, math.nan]
    usable = all(math.isfinite(v) for v in bootstrap) and bootstrap[1] - bootstrap[0] > ZERO_WIDTH
    if usable and (n is None or n >= MIN_BOOTSTRAP):
        return bootstrap
    if value is None or not math.isfinite(value) or not n or not is_proportion(metric, primary):
        small = n is not None and n < MIN_BOOTSTRAP
        return [math.nan, math.nan] if (small and not usable) or not all(map(math.isfinite, bootstrap)) else bootstrap
    exact = exact_proportion(value, n)
    return [min(exact[0], bootstrap[0]), max(exact[1], bootstrap[1])] if usable else exact


def split_size(record: RunRecord, split: str) -> int | None:
    """How many examples ``record`` scored on ``split``: recorded, or (older records) the sum of its
    per-length counts, else the trainer's size for that split (finite splits may be smaller)."""
    sizes = getattr(record, "split_sizes", None) or {}
    if sizes.get(split):
        return int(sizes[split])
    counts = (record.by_length.get(split) or {}).get("counts") or {}
    if counts:
        return int(sum(counts.values()))
    trainer = record.trainer_params or {}
    return trainer.get("val_size" if split == "val" else "eval_size")


def record_interval(record: RunRecord, split: str, metric: str) -> list[float]:
    """The guarded 95 % interval of ``metric`` on ``split`` of one record (:func:`guard`)."""
    return guard(metric, record.metrics.get(split, {}).get(metric), record.intervals.get(split, {}).get(metric),
                 split_size(record, split), record.primary_metric)
