"""95 % intervals for every metric of a run: a bootstrap over the evaluation examples.

One matrix of resampling weights (R resamples x B examples, each row a multinomial draw of
B examples) serves every metric of a split, so the intervals of different metrics, of each
input length, of ``length_mean`` and of a model's excess over a reference predictor scored on
the same examples are all paired: each resample is one alternative evaluation set. The
interval is the percentile interval of the R values, passed through
:func:`seqbench.engine.exact_intervals.guard` (a split too small or too uniform for a bootstrap gets
an exact interval, or none). Resampling uses a fixed seed, so the same records always give the
same interval.

>>> import numpy as np
>>> records = {"hits": np.array([1, 1, 0, 1] * 50), "tokens": np.ones(200, dtype=int), "length": np.arange(200) % 2 + 1}
>>> estimate = split_estimates("accuracy", ("accuracy",), records)
>>> estimate.values["accuracy"], [round(v, 2) for v in estimate.intervals["accuracy"]]
(0.75, [0.69, 0.81])
>>> estimate.values["length_mean"], sorted(estimate.by_length["values"].items())
(0.75, [(1, 0.5), (2, 1.0)])
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from seqbench.engine.exact_intervals import guard
from seqbench.core.metrics import Records, value

RESAMPLES = 1000  #: bootstrap resamples per split
LEVEL = 0.95
SEED = 0
CHUNK = 100  #: resamples evaluated at once (bounds memory for token-level statistics)


def example_weights(n: int, resamples: int = RESAMPLES, seed: int = SEED) -> np.ndarray:
    """(resamples, n) multiplicities: row r counts how often each example is drawn in resample r."""
    rng = np.random.default_rng([seed, n])
    draws = rng.integers(0, n, size=(resamples, n))
    return np.stack([np.bincount(row, minlength=n) for row in draws]).astype(np.float64)


def interval(samples: np.ndarray, level: float = LEVEL) -> list[float]:
    """The percentile interval of bootstrap values (non-finite values dropped)."""
    finite = samples[np.isfinite(samples)]
    if not len(finite):
        return [float("nan"), float("nan")]
    tail = 100 * (1 - level) / 2
    low, high = np.percentile(finite, [tail, 100 - tail])
    return [float(low), float(high)]


def _resampled(name: str, records: Records, weights: np.ndarray) -> np.ndarray:
    """The metric under every resample, computed CHUNK rows at a time: (R,)."""
    return np.concatenate([np.atleast_1d(value(name, records, weights[i: i + CHUNK]))
                           for i in range(0, len(weights), CHUNK)])


def _subset(records: Records, rows: np.ndarray) -> Records:
    """The per-example records of some examples (token-level arrays are left out)."""
    return {key: array[rows] for key, array in records.items() if not key.startswith("token_")}


@dataclass
class SplitEstimate:
    """Point values and intervals of one split's metrics, per input length, and excess."""

    values: dict[str, float] = field(default_factory=dict)
    intervals: dict[str, list[float]] = field(default_factory=dict)
    by_length: dict[str, Any] | None = None


def split_estimates(primary: str, names: tuple[str, ...], records: Records,
                    reference: Records | None = None, resamples: int = RESAMPLES,
                    per_length: bool = True) -> SplitEstimate:
    """Values and 95 % intervals of ``names`` on one split's records.

    Where inputs have lengths it adds the ``primary`` metric per length (with intervals and
    example counts) and ``length_mean``, the uniform average over lengths (the
    Chomsky-hierarchy score). With ``reference`` (the records of a predictor that knows the
    source, scored on the same examples) it adds ``excess_<primary>``: the model's value
    minus the reference's, with a paired interval. ``per_length=False`` leaves out the
    per-length values and ``length_mean``.
    """
    n = len(next(iter(records.values())))
    weights = example_weights(n, resamples)
    out = SplitEstimate()
    for name in names:
        out.values[name] = value(name, records)
        out.intervals[name] = guard(name, out.values[name], interval(_resampled(name, records, weights)), n, primary)
    if reference is not None:
        key = f"excess_{primary}"
        out.values[key] = value(primary, records) - value(primary, reference)
        paired = interval(_resampled(primary, records, weights) - _resampled(primary, reference, weights))
        out.intervals[key] = guard(key, out.values[key], paired, n, primary)
    if per_length and "length" in records and primary != "macro_f1":
        lengths = records["length"]
        per_length, boots, bands, counts = {}, [], {}, {}
        for length in np.unique(lengths):
            rows = np.flatnonzero(lengths == length)
            part = _subset(records, rows)
            per_length[int(length)] = value(primary, part)
            sampled = _resampled(primary, part, weights[:, rows])
            bands[int(length)] = guard(primary, per_length[int(length)], interval(sampled), len(rows), primary)
            counts[int(length)] = int(len(rows))
            boots.append(sampled)
        out.by_length = {"metric": primary, "values": per_length, "intervals": bands, "counts": counts}
        out.values["length_mean"] = float(np.mean(list(per_length.values())))
        out.intervals["length_mean"] = guard("length_mean", out.values["length_mean"],
                                             interval(np.nanmean(np.stack(boots), axis=0)), n, primary)
    return out
