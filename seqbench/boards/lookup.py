"""A board's result records, looked up the way claims name them (:mod:`seqbench.boards.claims`).

:class:`Board` selects runs by task, model label and task knobs, resolves a score
``SPLIT/METRIC`` (``primary``: the task's primary metric) and a baseline on the same examples,
and explains a name it does not know in one line with the closest valid one. :class:`Est` is
one cell's score over its ok seeds: the mean with the interval of
:func:`seqbench.boards.aggregate.seed_interval` (seeds and, inside, each run's own interval over
examples), and the per-seed values.

>>> from seqbench.core.record import RunRecord
>>> runs = [RunRecord(task="parity", model="lstm", seed=s, status="ok", primary_metric="accuracy",
...                   metrics={"test": {"accuracy": 0.9 + s / 100}}, task_params={"length": 8}) for s in range(2)]
>>> est = Board(runs).estimate({"id": "a", "where": {"length": 8}}, "parity", "lstm")
>>> str(est), est.pick("best_seed")
('lstm 0.905 [0.841, 0.969] seeds (0.900, 0.910)', [0.91])
>>> Board(runs).estimate({"id": "a", "score": "test/acuracy"}, "parity", "lstm")
Traceback (most recent call last):
...
seqbench.core.errors.SeqbenchError: claim 'a': score 'test/acuracy': no metric 'acuracy' on parity/test (accuracy); did you mean 'accuracy'?
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from seqbench.boards.aggregate import Margin, better, seed_interval
from seqbench.core.errors import SeqbenchError, closest
from seqbench.engine.exact_intervals import clip_to_range, record_interval
from seqbench.core.record import SPLITS, RunRecord  # noqa: F401 (SPLITS re-exported)
from seqbench.core.spec import metric_margin, metric_spec



class Est:
    """A cell's score over its ok seeds: ``mean [low, high]`` (seeds and examples), per-seed values."""

    def __init__(self, label: str, values: list[float], lows: list, highs: list, higher: bool,
                 as_if_seeds: int | None = None):
        self.label, self.values, self.higher, self.n = label, values, higher, len(values)
        self.margin: Margin = 0.0  #: the metric's equivalence margin (set by Board.estimate)
        self.mean, self.low, self.high = (seed_interval(values, lows, highs, as_if_seeds=as_if_seeds) if values
                                          else (math.nan,) * 3)
        if self.values and not (math.isfinite(self.low) and math.isfinite(self.high)):
            self.low, self.high = -math.inf, math.inf  # no interval: unknown, so nothing holds beyond doubt

    def pick(self, of: str) -> list[float]:
        """The numbers ``of`` names (``interval``: both bounds; at_least/at_most resolve it themselves)."""
        if of in ("every_seed", "some_seed"):
            return list(self.values)
        if of == "best_seed":
            return [max(self.values) if self.higher else min(self.values)] if self.values else [math.nan]
        if of == "interval":
            return [self.low, self.high]
        return [{"mean": self.mean, "low": self.low, "high": self.high}[of]]

    def __str__(self) -> str:
        if not self.values:
            return f"{self.label} n/a (no ok run)"
        known = math.isfinite(self.low) and math.isfinite(self.high)
        band = f" [{num(self.low)}, {num(self.high)}]" if known and self.high > self.low else "" if known else " [no interval]"
        seeds = f" seeds ({', '.join(map(num, self.values))})" if self.n > 1 else " 1 seed"
        return f"{self.label} {num(self.mean)}{band}{seeds}"


def num(value: float) -> str:
    """A number as a table shows it: ``0.181``, ``0.00123``, ``25,182,980``.

    >>> num(0.18075), num(0.0012345), num(25182980.0), num(1.0)
    ('0.181', '0.00123', '25,182,980', '1.000')
    """
    if not math.isfinite(value):
        return "n/a"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.3f}" if value == 0 or abs(value) >= 0.01 else f"{value:#.3g}"


def apart(best: tuple[float, float, float], worst: tuple[float, float, float], higher: bool,
          margin: Margin = 0.0) -> bool:
    """Whether ``best`` (mean, low, high) is better than ``worst`` beyond doubt and beyond the
    metric's equivalence ``margin`` (:func:`seqbench.boards.aggregate.better`), so 1.000 against 0.99994
    is a tie. Undefined bounds (one seed without an interval): not apart.

    >>> apart((1.0, 0.999, 1.0), (0.99994, 0.99990, 0.99998), True, 0.005), apart((0.9, 0.88, 0.92), (0.5, 0.4, 0.6), True)
    (False, True)
    """
    return better(best, worst, higher, margin)


def problem(claim: dict, text: str, name: str | None = None, known: list[str] | None = None) -> SeqbenchError:
    """The one-line error for a claim: what is wrong, the valid names (up to 12), the closest one."""
    hint = closest(str(name), known) if name is not None and known else None
    listing = f" ({', '.join(known)})" if known is not None and len(known) <= 12 else ""
    return SeqbenchError(f"claim '{claim.get('id', '?')}': {text}{listing}" + (f"; did you mean '{hint}'?" if hint else ""))


def as_list(value: Any) -> list:
    """A YAML scalar or list as a list."""
    return list(value) if isinstance(value, (list, tuple)) else [value]


class Board:
    """The ok training runs of a board, and the lookups claims need (names checked with hints)."""

    def __init__(self, records: list[RunRecord], root: Path | None = None, as_if_seeds: int | None = None):
        from seqbench.boards.selection import compared_runs

        self.root = root  #: the board's folder (claims' ``from`` is relative to it)
        #: None, or N: every cell's interval as if it had at least N seeds of the same mean and
        #: spread (:func:`seqbench.boards.aggregate.seed_interval`; ``seqbench claims --as-if-seeds``)
        self.as_if_seeds = as_if_seeds
        self._every = list(records)
        compared = compared_runs(r for r in records if r.record_type == "run")
        #: every distinct training run, at every learning rate tried, labelled by setup (:mod:`seqbench.boards.cells`)
        self.all_records = compared.every_run
        #: the runs the tables compare: each cell at its rate selected on val (:mod:`seqbench.boards.selection`)
        self.records, self.choices = compared.records, compared.choices
        #: ``seqbench gradflow`` probes
        self.gradflow = [r for r in records if r.record_type == "gradflow"]
        self._within: dict[str, Board] = {}

    def within(self, claim: dict) -> Board:
        """The board restricted to the records below the claim's ``from`` folder (itself without one)."""
        where = claim.get("from")
        if where is None or self.root is None:
            return self
        if str(where) not in self._within:
            folder = (self.root / str(where)).resolve()
            if not folder.is_dir() or self.root.resolve() not in (folder, *folder.parents):
                raise problem(claim, f"from '{where}': not a folder of the board {self.root}")
            chosen = [r for r in self._every if r.source is not None and folder in Path(r.source).resolve().parents]
            self._within[str(where)] = Board(chosen, self.root, self.as_if_seeds)
        return self._within[str(where)]

    def pool(self, claim: dict) -> list[RunRecord]:
        """The records the claim reads: ``runs: selected`` (default) the runs the tables compare,
        ``all`` every training run at every rate tried, ``probes`` the ``seqbench gradflow`` probes."""
        return {"all": self.all_records, "probes": self.gradflow}.get(claim.get("runs"), self.records)

    def tasks(self, claim: dict) -> list[str]:
        known = sorted({r.task for r in self.pool(claim)})
        names = as_list(claim.get("task", "*"))
        names = known if names == ["*"] else names
        for name in names:
            if name not in known:
                raise problem(claim, f"task '{name}': not on this board", name, known)
        return names

    def models(self, claim: dict, task: str, key: str = "model", scored: bool = True) -> list[str]:
        known = sorted({r.model_label for r in self.pool(claim) if r.task == task})
        names = as_list(claim.get(key, "*"))
        if names == ["*"]:  # every model of the task; for scores, every model the task applies to
            names = sorted({r.model_label for r in self.pool(claim) if r.task == task
                            and (not scored or r.status != "not_applicable")})
        for name in names:
            if name not in known:
                raise problem(claim, f"{key} '{name}': not on task {task}", name, known)
        return names

    def runs(self, claim: dict, task: str, model: str | None = None, ok: bool = True,
             one_setup: bool = False) -> list[RunRecord]:
        """The claim's runs of ``task`` (and ``model``), narrowed by its ``where``; ``one_setup``:
        refuse runs that span several task setups (they are not seeds of one cell)."""
        where = claim.get("where") or {}
        chosen = [r for r in self.pool(claim) if r.task == task and (model is None or r.model_label == model)]
        for key, value in where.items():
            knobs = sorted({k for r in chosen for k in r.task_params})
            if key not in knobs:
                raise problem(claim, f"where '{key}': not a knob of {task}", key, knobs)
            chosen = [r for r in chosen if r.task_params.get(key) == value]
        if one_setup:
            _one_task_setup(claim, task, chosen)
        return [r for r in chosen if r.status == "ok"] if ok else chosen

    def column(self, claim: dict, task: str, score: str | None = None) -> tuple[str, str]:
        """(split, metric) of ``score`` (default the claim's) on ``task``, checked against the records."""
        score = score or claim.get("score", "test/primary")
        split, _, metric = str(score).partition("/") if "/" in str(score) else ("test", "", str(score))
        if split not in SPLITS:
            raise problem(claim, f"score '{score}': the split must be one of val, test, test_ood", split, list(SPLITS))
        runs = self.runs(claim, task, ok=False)
        if metric == "primary":
            metric = next((r.primary_metric for r in runs if r.primary_metric), metric)
        known = sorted({m for r in runs for m in r.metrics.get(split, {})})
        if metric not in known:
            raise problem(claim, f"score '{score}': no metric '{metric}' on {task}/{split}", metric, known)
        return split, metric

    def estimate(self, claim: dict, task: str, model: str, score: str | None = None) -> Est:
        """The cell's score over its ok seeds; with the claim's ``length``, the score at that one
        length of the split (each run's ``by_length`` value and its interval over that length's examples)."""
        split, metric = self.column(claim, task, score)
        runs = [r for r in self.runs(claim, task, model, one_setup=True)
                if r.metrics.get(split, {}).get(metric) is not None]
        higher = _higher(metric, runs or self.runs(claim, task, ok=False))
        if "length" in claim:
            values, lows, highs = self._at_length(claim, task, split, metric, runs)
            est = Est(model, values, lows, highs, higher, self.as_if_seeds)
        else:
            bands = [record_interval(r, split, metric) for r in runs]  # exact, or unknown (nan), never [v, v]
            est = Est(model, [r.metrics[split][metric] for r in runs], [b[0] for b in bands], [b[1] for b in bands],
                      higher, self.as_if_seeds)
        primary = next((r.primary_metric for r in runs if r.primary_metric), None)
        est.margin = metric_margin(metric, primary)
        est.mean, est.low, est.high = clip_to_range(metric, primary, (est.mean, est.low, est.high))
        return est

    def _at_length(self, claim: dict, task: str, split: str, metric: str,
                   runs: list[RunRecord]) -> tuple[list[float], list[float], list[float]]:
        """Each run's score at the claim's ``length`` of ``split`` with its interval, from ``by_length``."""
        length = str(claim["length"])
        values, lows, highs = [], [], []
        for r in runs:
            curve = length_curve(r, split)
            if curve.get("metric") != metric:
                raise problem(claim, f"length {length}: {task} {r.model_label} seed {r.seed} has no {split} "
                                     f"{metric} by length (it has {curve.get('metric') or 'none'}); "
                                     f"score the primary metric")
            if length not in curve.get("values", {}):
                known = sorted(curve.get("values", {}), key=int)
                near = min(known, key=lambda k: abs(int(k) - int(length))) if known else None
                raise problem(claim, f"length {length}: not a length of {task}/{split} ({', '.join(known) or 'none'})"
                                     + (f"; did you mean {near}?" if near else ""))  # the nearest length, not the nearest spelling
            values.append(float(curve["values"][length]))
            low, high = (curve.get("intervals") or {}).get(length) or (math.nan, math.nan)
            lows.append(low), highs.append(high)
        return values, lows, highs

    def baseline(self, claim: dict, task: str) -> tuple[float, float, float, str]:
        """(value, low, high, label) of the claim's ``baseline`` on the claim's split, or its ``value``."""
        if "baseline" not in claim:
            value = float(claim["value"])
            return value, value, value, num(value)
        split, metric = self.column(claim, task)
        metric = claim.get("baseline_metric", metric)
        runs = self.runs(claim, task, ok=False, one_setup=True)
        names = sorted({b for r in runs for b in r.baselines.get(split, {})})
        name = claim["baseline"]
        if name not in names:
            raise problem(claim, f"baseline '{name}': not on {task}/{split}", name, names)
        scores = [r.baselines[split][name].get(metric) for r in runs if name in r.baselines.get(split, {})]
        scores = [s for s in scores if s is not None]
        if not scores:
            has = sorted({m for r in runs for m in r.baselines.get(split, {}).get(name, {})})
            raise problem(claim, f"baseline '{name}' has no '{metric}' on {task}/{split} (set baseline_metric)", metric, has)
        band = next((r.baseline_intervals.get(split, {}).get(name, {}).get(metric) for r in runs
                     if r.baseline_intervals.get(split, {}).get(name, {}).get(metric)), None)
        value = float(np.mean(scores))
        low, high = (band if band and None not in band else (value, value))
        return value, low, high, f"{name} {num(value)}" + (f" [{num(low)}, {num(high)}]" if high > low else "")


def length_curve(record: RunRecord, split: str) -> dict:
    """The run's scores by length on ``split`` (``{"metric", "values", "intervals", ...}``), or ``{}``."""
    return (record.by_length or {}).get(split) or {}


def _one_task_setup(claim: dict, task: str, runs: list[RunRecord]) -> None:
    """Refuse a claim whose runs of ``task`` span several task setups (knobs or versions): their
    scores are not seeds of one cell. Model setups are told apart by their labels already."""
    from seqbench.core.setup import task_setup

    setups = {task_setup(r): r for r in runs}
    if len(setups) > 1:
        from seqbench.boards.tables import results_frame

        labels = sorted(set(results_frame(list(setups.values()))["task_label"]))
        raise problem(claim, f"task '{task}' has {len(setups)} setups on this board ({'; '.join(labels)}): "
                             f"choose one with where")


def field_value(record: RunRecord, path: str) -> Any:
    """A record field, or a key inside one: ``n_params``, ``trainer_params.lr``, ``versions.torch``.
    ``converged`` and ``budget_limited`` are read as the board counts them
    (:func:`seqbench.engine.convergence.converged`: not where a run stopped while still improving)."""
    from seqbench.engine.convergence import budget_limited, converged

    if path in ("converged", "budget_limited"):
        return {"converged": converged, "budget_limited": budget_limited}[path](record)
    value: Any = record.get(path.split(".")[0])
    for key in path.split(".")[1:]:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def _higher(metric: str, runs: list[RunRecord]) -> bool:
    """Whether higher is better for ``metric`` (:func:`seqbench.core.spec.metric_spec`: length_mean and
    excess_ follow the metric they come from); unknown metrics follow the records."""
    primary = next((r.primary_metric for r in runs if r.primary_metric), None)
    spec = metric_spec(metric, primary)
    if spec is not None and (spec.follows != "primary" or primary):
        return spec.higher_is_better
    if metric.endswith("accuracy"):
        return True
    return next((bool(r.higher_is_better) for r in runs if r.higher_is_better is not None), True)
