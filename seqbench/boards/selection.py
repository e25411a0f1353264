"""Learning-rate selection on ``val``: which runs of a cell a leaderboard compares.

A *cell* is one task configuration x one model configuration (its label and options). When a
cell's runs were trained at several learning rates, the rate whose runs score best on ``val``
(the task's primary metric, in its direction) is *selected*, and only the runs at that rate
stand for the cell in tables and claims. The score of a rate is its mean over the seeds that
every candidate rate has, so each rate is judged on the same seeds; a run that did not end
``ok`` counts as the worst possible score. Ties go to the smaller rate. ``test`` is never read.

The leaderboard grid (``hydra/sweeper=select``) runs one seed at every rate, selects with
:func:`select_rates` and runs the other seeds at the selected rate only; the leaderboard applies
the same function to the records, so the choice is re-derived from the result files and
shown beside the table, never trusted from a side file.

>>> from seqbench.core.record import RunRecord
>>> def run(lr, seed, acc):
...     return RunRecord(task="parity", model="lstm", seed=seed, status="ok", primary_metric="accuracy",
...                      higher_is_better=True, trainer_params={"lr": lr}, metrics={"val": {"accuracy": acc}})
>>> kept, choices = select_rates([run(0.001, 0, 0.7), run(0.01, 0, 0.9), run(0.01, 1, 0.8)])
>>> [(r.seed, r.trainer_params["lr"]) for r in kept], choices[0].chosen, choices[0].scores
([(0, 0.01), (1, 0.01)], 0.01, {0.001: 0.7, 0.01: 0.9})
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

from seqbench.boards.cells import distinct_runs, relabel
from seqbench.core.setup import SELECTED, setup_key

if TYPE_CHECKING:
    from seqbench.core.record import RunRecord

#: The trainer option that selection chooses.
SELECTED_OPTION = SELECTED


@dataclass(frozen=True)
class Choice:
    """The selected learning rate of one cell, and what it was chosen from."""

    task: str
    model: str  #: the model's label (a preset keeps its name)
    chosen: float
    scores: dict[float, float | None]  #: rate -> mean val primary metric over ``seeds`` (None: a run failed)
    seeds: tuple[int, ...]  #: the seeds every candidate rate has: what the scores average
    metric: str
    higher_is_better: bool

    def as_dict(self) -> dict[str, Any]:
        return {"task": self.task, "model": self.model, "lr": self.chosen, "metric": f"val/{self.metric}",
                "seeds": list(self.seeds), "candidates": {repr(k): v for k, v in self.scores.items()}}


def cell_key(record: RunRecord) -> str:
    """What makes two runs the same cell: their setup except the learning rate
    (:func:`seqbench.boards.cells.setup_key`)."""
    return setup_key(record)


def rate_of(record: RunRecord) -> float | None:
    value = (record.trainer_params or {}).get(SELECTED_OPTION)
    return None if value is None else float(value)


def _val_score(record: RunRecord) -> float | None:
    value = record.primary("val") if record.status == "ok" else None
    return None if value is None or not math.isfinite(value) else float(value)


def choose(runs: list[RunRecord]) -> Choice | None:
    """The selected rate of one cell's runs (None when they share one rate: nothing to choose)."""
    by_rate: dict[float, dict[int, RunRecord]] = {}
    for r in runs:
        if (rate := rate_of(r)) is not None:
            by_rate.setdefault(rate, {})[r.seed] = r
    if len(by_rate) < 2:
        return None
    shared = set.intersection(*(set(seeds) for seeds in by_rate.values()))
    scored = [r for r in runs if r.primary_metric and r.higher_is_better is not None]
    metric = scored[0].primary_metric if scored else "?"
    higher = bool(scored[0].higher_is_better) if scored else True
    scores: dict[float, float | None] = {}
    for rate, seeds in sorted(by_rate.items()):
        values = [_val_score(seeds[s]) for s in sorted(shared)]
        scores[rate] = None if not values or None in values else sum(values) / len(values)

    def rank(rate: float) -> tuple[bool, float, float]:  # sorts best first
        value = scores[rate]
        return value is None, 0.0 if value is None else (-value if higher else value), rate

    return Choice(runs[0].task, runs[0].model_label or runs[0].model, min(scores, key=rank), scores,
                  tuple(sorted(shared)), metric, higher)


def select_rates(records: Iterable[RunRecord]) -> tuple[list[RunRecord], list[Choice]]:
    """The runs a leaderboard compares (each cell's runs at its selected rate; cells trained at
    one rate untouched; order kept) and the choices made, sorted by task and model."""
    records = list(records)
    cells: dict[str, list[RunRecord]] = {}
    for r in records:
        if r.record_type == "run":
            cells.setdefault(cell_key(r), []).append(r)
    dropped: set[int] = set()
    choices = []
    for runs in cells.values():
        if (choice := choose(runs)) is None:
            continue
        choices.append(choice)
        dropped.update(id(r) for r in runs if rate_of(r) != choice.chosen)
    kept = [r for r in records if id(r) not in dropped]
    return kept, sorted(choices, key=lambda c: (c.task, c.model))


class Compared(NamedTuple):
    """What a board compares: the runs at each cell's selected rate, and how they were chosen."""

    records: list[RunRecord]  #: each cell's runs at its selected learning rate, relabelled by setup
    every_run: list[RunRecord]  #: every distinct run, at every learning rate tried (relabelled alike)
    choices: list[Choice]  #: the learning rate chosen per cell, where several were tried
    repeats: int  #: records dropped as repeats of a run already counted


def compared_runs(records: Iterable[RunRecord]) -> Compared:
    """Repeats dropped, rows labelled by setup, each cell at its learning rate selected on val."""
    distinct, repeats = distinct_runs(records)
    every_run = relabel(distinct)
    chosen, choices = select_rates(every_run)
    return Compared(chosen, every_run, choices, repeats)
