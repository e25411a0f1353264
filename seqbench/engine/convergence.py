"""When a run has converged, and how fast it learnt: the trainer's stopping rule and sample efficiency.

:class:`Plateau` watches the validation primary metric at every evaluation. A run stops, and
counts as *converged*, when the metric has not improved by more than ``min_delta`` for
``patience`` evaluations in a row, or when it reaches the ``target`` (a ceiling such as
accuracy 1.0). ``min_delta`` is on the metric's own scale: absolute for accuracies and
cross-entropy, a share of the best value so far for metrics the registry declares relative (mse,
perplexity), so that on ``adding`` (mse near 1e-4) an improvement can still exceed it.

With ``min_step`` the patience rule stops no run before that step unless some evaluation reached the
metric's ``ceiling`` (accuracy 1; an evaluation, not the best level, which moves by more than
``min_delta`` only: 0.995 then 1.0 has reached it): a run still on its start-up plateau (at chance,
where its task's other seeds began learning at step 800 to 1,100) is not converged. A run that the rule without
``min_step`` stopped at a step at or past ``min_step`` (or at the ceiling) stops there with it too, the
same run to the last bit: :func:`replayed_stop` replays the rule over a recorded curve, and
:func:`seqbench.runs.replacement.adoptable` keeps a record only where the replay stops it where it stopped.

With ``smooth`` above 1 the rule reads the mean of the last ``smooth`` evaluations instead of each
one alone: a model whose val score jitters around chance sets new records by noise, and each
record restarts its patience; the mean jitters less, so such a run stops when its curve stopped
rising, while a real rise (a jump from chance to solved) moves the mean as well.

A run that hits the step cap is *not* converged; it is *budget-limited*
(:func:`still_improving`) when its last ``window`` evaluations still improved on everything
before them by more than ``min_delta``: more steps would likely have changed its score. The
rule reads the learning curve only, so a board can apply it to records written before it.

:func:`steps_to` measures sample efficiency from the learning curve: for each fraction f, the
first step at which the run had made f of its total improvement (from the first evaluation to
the best one), the same definition for metrics where higher or lower is better.

>>> watch = Plateau(higher_is_better=True, patience=2, min_delta=0.01)
>>> [watch.update(step, value) for step, value in [(100, 0.50), (200, 0.80), (300, 0.805), (400, 0.80)]]
[False, False, False, True]
>>> watch.converged, watch.reason
(True, 'no improvement above 0.01 in 2 evaluations after step 200')
>>> jitter = [0.50, 0.53, 0.49, 0.55, 0.50, 0.52, 0.57, 0.50, 0.49]  # chance, with noise
>>> def stop_step(smooth):
...     watch = Plateau(True, patience=3, min_delta=0.01, smooth=smooth)
...     return next((i for i, v in enumerate(jitter) if watch.update(i, v)), None)
>>> stop_step(1), stop_step(3)  # each record of noise restarts patience; their mean stops rising at once
(None, 4)
>>> late = Plateau(True, patience=2, min_delta=0.01, min_step=500, ceiling=1.0)  # chance, then it learns
>>> [late.update(step, value) for step, value in [(100, 0.5), (200, 0.5), (300, 0.5), (400, 0.5), (500, 0.5)]]
[False, False, False, False, True]
>>> solved = Plateau(True, patience=2, min_delta=0.01, min_step=500, ceiling=1.0)  # at the ceiling: done
>>> [solved.update(step, value) for step, value in [(100, 0.995), (200, 1.0), (300, 1.0)]]  # best stays 0.995
[False, False, True]
>>> mse = Plateau(higher_is_better=False, patience=2, min_delta=0.01, relative=True)  # 1 % of the best
>>> [mse.update(step, value) for step, value in [(100, 1e-3), (200, 5e-4), (300, 2e-4), (400, 1.99e-4)]]
[False, False, False, False]
>>> history = [{"step": 100, "val_accuracy": 0.5}, {"step": 200, "val_accuracy": 0.9}, {"step": 300, "val_accuracy": 1.0}]
>>> steps_to(history, "accuracy", higher_is_better=True)
{'0.5': 200, '0.9': 300, '0.99': 300}
>>> still_improving(history, "accuracy", True, window=1, min_delta=0.001)
True
"""

from __future__ import annotations

import math

#: Evaluations at the end of a capped run that must show no improvement for it to count as
#: finished (the trainer's ``patience`` where it has one).
DEFAULT_WINDOW = 5

FRACTIONS = (0.5, 0.9, 0.99)


class Plateau:
    """The stopping rule: ``update(step, value)`` after each evaluation returns True to stop."""

    def __init__(self, higher_is_better: bool, patience: int | None = None, min_delta: float = 0.0,
                 target: float | None = None, relative: bool = False, smooth: int = 1, min_step: int = 0,
                 ceiling: float | None = None) -> None:
        self.higher, self.patience, self.min_delta, self.target = higher_is_better, patience, min_delta, target
        self.min_step, self.ceiling = min_step, ceiling  #: no patience stop before min_step, unless at the ceiling
        self.relative = relative  #: min_delta is a share of the best value so far
        self.smooth = smooth  #: improvements are judged on the mean of the last ``smooth`` evaluations
        self.seen: list[float] = []  #: every finite value so far (resume refills it from the history)
        self.best: float | None = None
        self.best_step = 0
        self.waited = 0
        self.converged = False
        self.reason = ""

    @property
    def at_ceiling(self) -> bool:
        """Whether some evaluation so far reached the metric's ceiling (accuracy 1)."""
        return self.ceiling is not None and any(not self._better(self.ceiling, v) for v in self.seen)

    def _better(self, value: float, than: float, margin: float = 0.0) -> bool:
        return value > than + margin if self.higher else value < than - margin

    def update(self, step: int, value: float) -> bool:
        if math.isfinite(value):  # as still_improving reads a curve: non-finite values left out
            self.seen.append(value)
        recent = self.seen[-self.smooth:]
        level = sum(recent) / len(recent) if recent else value  # the value itself when smooth is 1
        if self.best is None or self._better(level, self.best, threshold(self.min_delta, self.best, self.relative)):
            self.best, self.best_step, self.waited = level, step, 0
        else:
            self.waited += 1
        if self.target is not None and not self._better(self.target, value):
            self.converged, self.reason = True, f"reached the target {self.target:g} at step {step}"
        elif self.patience is not None and self.waited >= self.patience and (step >= self.min_step or self.at_ceiling):
            self.converged = True
            what = f"{self.min_delta:g} of the best" if self.relative else f"{self.min_delta:g}"
            mean = f" (the mean of the last {self.smooth})" if self.smooth > 1 else ""
            self.reason = (f"no improvement above {what} in {self.patience} evaluations{mean} "
                           f"after step {self.best_step}")
        return self.converged


def plateau_for(trainer: dict, primary: str, higher_is_better: bool) -> Plateau:
    """The stopping rule of a run with these trainer options (``trainer_params``) on metric ``primary``:
    what the trainer builds, and what :func:`replayed_stop` replays over a recorded curve."""
    from seqbench.core.spec import metric_spec

    spec = metric_spec(primary)
    target = trainer.get("target")
    if target is None and trainer.get("stop_at_ceiling"):
        target = spec.ceiling if spec else None
    return Plateau(higher_is_better, trainer.get("patience"), trainer.get("min_delta", 0.0), target,
                   relative=bool(spec and spec.relative), smooth=trainer.get("smooth", 1),
                   min_step=trainer.get("min_steps", 0), ceiling=spec.ceiling if spec else None)


def replayed_stop(history: list[dict], trainer: dict, primary: str, higher_is_better: bool) -> int | None:
    """The step at which the rule of ``trainer`` stops a run whose val curve is ``history``, or None
    (it does not stop within it). The rule reads the curve only, so a run that went the same way up
    to there is stopped there: the test :func:`seqbench.runs.replacement.adoptable` applies.

    >>> curve = [{"step": s, "val_accuracy": v} for s, v in [(100, 0.5), (200, 0.5), (300, 0.5), (400, 0.9)]]
    >>> rule = {"patience": 2, "min_delta": 0.01}
    >>> replayed_stop(curve, rule, "accuracy", True), replayed_stop(curve, {**rule, "min_steps": 400}, "accuracy", True)
    (300, None)
    """
    watch = plateau_for(trainer, primary, higher_is_better)
    for row in history:
        value = row.get(f"val_{primary}")
        if watch.update(row["step"], math.nan if value is None else float(value)):
            return row["step"]
    return None


def steps_to(history: list[dict], primary: str, higher_is_better: bool,
             fractions: tuple[float, ...] = FRACTIONS) -> dict[str, int]:
    """Fraction -> first step with that share of the run's improvement in ``val_<primary>``.

    Empty when the curve has fewer than two evaluations or never improved.
    """
    points = [(row["step"], row[f"val_{primary}"]) for row in history if row.get(f"val_{primary}") is not None]
    if len(points) < 2:
        return {}
    first = points[0][1]
    best = max(v for _, v in points) if higher_is_better else min(v for _, v in points)
    total = (best - first) if higher_is_better else (first - best)
    if total <= 0:
        return {}
    out = {}
    for fraction in fractions:
        for step, value in points:
            gained = (value - first) if higher_is_better else (first - value)
            if gained >= fraction * total - 1e-12:
                out[f"{fraction:g}"] = int(step)
                break
    return out


def threshold(min_delta: float, best: float, relative: bool) -> float:
    """The improvement over ``best`` that counts: ``min_delta``, or that share of ``|best|``."""
    return min_delta * abs(best) if relative else min_delta


def smoothed(values: list[float], smooth: int = 1) -> list[float]:
    """The trailing mean of the last ``smooth`` values at each point (the plateau rule's view of a curve).

    >>> smoothed([0.5, 0.6, 0.4, 0.9], 2)
    [0.5, 0.55, 0.5, 0.65]
    """
    out = []
    for i in range(len(values)):
        recent = values[max(0, i + 1 - smooth): i + 1]
        out.append(sum(recent) / len(recent))
    return out


def still_improving(history: list[dict], primary: str, higher_is_better: bool, window: int | None = None,
                    min_delta: float = 0.0, relative: bool = False, smooth: int = 1) -> bool:
    """Whether the last ``window`` evaluations of ``val_<primary>`` (each the mean of the last ``smooth``,
    as the plateau rule reads them) improved on every earlier one by more than the plateau threshold
    (a run stopped there was limited by its budget)."""
    window = window or DEFAULT_WINDOW
    values = [h.get(f"val_{primary}") for h in history]
    values = smoothed([v for v in values if v is not None and math.isfinite(v)], smooth)
    if len(values) < 2:
        return False
    split = max(1, len(values) - window)  # a curve shorter than the window: everything after its first point
    before, last = values[:split], values[split:]
    best_before = max(before) if higher_is_better else min(before)
    best_last = max(last) if higher_is_better else min(last)
    gap = best_last - best_before if higher_is_better else best_before - best_last
    return gap > threshold(min_delta, best_before, relative)


def budget_limited(record) -> bool:
    """Whether a run record stopped while still improving: at its step cap, or (records written
    before the plateau threshold was on the metric's scale) stopped by an absolute ``min_delta``
    that a metric near zero could not exceed. Judged by :func:`still_improving` over the trainer's
    ``patience`` evaluations with its ``min_delta`` on the metric's scale. Records that say so
    (``budget_limited`` set) are believed."""
    if getattr(record, "budget_limited", None) is not None:
        return bool(record.budget_limited)
    trainer = record.trainer_params or {}
    if record.status != "ok" or not record.history or not record.primary_metric:
        return False
    from seqbench.core.spec import metric_spec

    spec = metric_spec(record.primary_metric)
    relative = bool(spec and spec.relative)
    capped = trainer.get("steps") is not None and record.steps >= trainer["steps"]
    if record.converged and not (relative and trainer.get("patience")):
        return False  # stopped by a rule on the metric's own scale (or the target): it did converge
    if not record.converged and not capped:
        return False
    higher = spec.higher_is_better if spec else bool(record.higher_is_better)
    return still_improving(record.history, record.primary_metric, higher, trainer.get("patience"),
                           trainer.get("min_delta") or 0.0, relative, trainer.get("smooth") or 1)


def converged(record) -> bool | None:
    """Whether a run converged, as a board counts it: stopped by its plateau rule or target and not
    :func:`budget_limited` (None where the record does not say)."""
    if record.converged is None:
        return None
    return bool(record.converged) and not budget_limited(record)
