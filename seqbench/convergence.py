"""When a run has converged, and how fast it learnt: the trainer's stopping rule and sample efficiency.

:class:`Plateau` watches the validation primary metric at every evaluation. A run stops, and
counts as *converged*, when the metric has not improved by more than ``min_delta`` for
``patience`` evaluations in a row, or when it reaches the ``target`` (a ceiling such as
accuracy 1.0). A run that hits the step cap first is *not* converged.

:func:`steps_to` measures sample efficiency from the learning curve: for each fraction f, the
first step at which the run had made f of its total improvement (from the first evaluation to
the best one), the same definition for metrics where higher or lower is better.

>>> watch = Plateau(higher_is_better=True, patience=2, min_delta=0.01)
>>> [watch.update(step, value) for step, value in [(100, 0.50), (200, 0.80), (300, 0.805), (400, 0.80)]]
[False, False, False, True]
>>> watch.converged, watch.reason
(True, 'no improvement above 0.01 in 2 evaluations after step 200')
>>> history = [{"step": 100, "val_accuracy": 0.5}, {"step": 200, "val_accuracy": 0.9}, {"step": 300, "val_accuracy": 1.0}]
>>> steps_to(history, "accuracy", higher_is_better=True)
{'0.5': 200, '0.9': 300, '0.99': 300}
"""

from __future__ import annotations

FRACTIONS = (0.5, 0.9, 0.99)


class Plateau:
    """The stopping rule: ``update(step, value)`` after each evaluation returns True to stop."""

    def __init__(self, higher_is_better: bool, patience: int | None = None, min_delta: float = 0.0,
                 target: float | None = None) -> None:
        self.higher, self.patience, self.min_delta, self.target = higher_is_better, patience, min_delta, target
        self.best: float | None = None
        self.best_step = 0
        self.waited = 0
        self.converged = False
        self.reason = ""

    def _better(self, value: float, than: float, margin: float = 0.0) -> bool:
        return value > than + margin if self.higher else value < than - margin

    def update(self, step: int, value: float) -> bool:
        if self.best is None or self._better(value, self.best, self.min_delta):
            self.best, self.best_step, self.waited = value, step, 0
        else:
            self.waited += 1
        if self.target is not None and not self._better(self.target, value):
            self.converged, self.reason = True, f"reached the target {self.target:g} at step {step}"
        elif self.patience is not None and self.waited >= self.patience:
            self.converged = True
            self.reason = (f"no improvement above {self.min_delta:g} in {self.patience} evaluations "
                           f"after step {self.best_step}")
        return self.converged


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
