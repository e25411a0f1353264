"""The two stages of a grid with learning-rate selection (``hydra/sweeper=select``).

The grid's jobs are the cartesian product of its overrides, as for Hydra's basic sweeper.
Stage 1 runs every job with the *first* seed of the ``seed`` list, at every learning rate;
the selection (:func:`seqbench.boards.selection.choose`, on ``val``) then picks each cell's rate,
and stage 2 runs the other seeds at that rate only. A cell is a job's overrides without the
rate and the seed. Jobs are lists of ``key=value`` strings, as Hydra's launchers take them.

>>> jobs = [[f"model={m}", f"trainer.lr={lr}", f"seed={s}"] for m in ("gru", "lstm")
...         for lr in ("0.001", "0.01") for s in (0, 1)]
>>> first, rest = split_stages(jobs)
>>> [" ".join(j) for j in first[:2]], len(first), len(rest)
(['model=gru trainer.lr=0.001 seed=0', 'model=gru trainer.lr=0.01 seed=0'], 4, 4)
>>> [" ".join(j) for j in second_stage(rest, {cell_of(first[0]): "0.01", cell_of(first[2]): "0.001"})]
['model=gru trainer.lr=0.01 seed=1', 'model=lstm trainer.lr=0.001 seed=1']
>>> stage_sizes(jobs)  # 4 selection runs, then 1 more seed for each of 2 cells
(4, 2)
>>> _value(["++trainer.lr=0.01", "seed=0"], RATE_KEY), cell_of(["++trainer.lr=0.01", "seed=0", "task=sort"])
('0.01', ('task=sort',))
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

RATE_KEY = "trainer.lr"
SEED_KEY = "seed"

Job = Sequence[str]


def _value(job: Job, key: str) -> str | None:
    for override in job:
        name, _, value = override.partition("=")
        if name.lstrip("+~") == key:
            return value
    return None


def cell_of(job: Job) -> tuple[str, ...]:
    """The job's overrides without the learning rate and the seed: which cell it belongs to."""
    return tuple(o for o in job if o.partition("=")[0].lstrip("+~") not in (RATE_KEY, SEED_KEY))


def split_stages(jobs: Sequence[Job]) -> tuple[list[Job], list[Job]]:
    """(stage 1: the jobs with the first seed of the grid, every rate; the remaining jobs)."""
    seeds = list(dict.fromkeys(_value(job, SEED_KEY) for job in jobs))
    first = [job for job in jobs if _value(job, SEED_KEY) == seeds[0]] if jobs else []
    chosen = {id(job) for job in first}
    return first, [job for job in jobs if id(job) not in chosen]


def second_stage(rest: Sequence[Job], rates: dict[tuple[str, ...], str]) -> list[Job]:
    """The remaining jobs at their cell's selected rate (``rates``: cell -> the rate's override value)."""
    return [job for job in rest if rates.get(cell_of(job)) == _value(job, RATE_KEY)]


def stage_sizes(jobs: Sequence[Job]) -> tuple[int, int]:
    """How many jobs each stage runs, whatever rates are selected (one rate per cell in stage 2)."""
    first, rest = split_stages(jobs)
    per_cell: dict[tuple[str, ...], int] = {}
    for (cell, _rate), n in Counter((cell_of(job), _value(job, RATE_KEY)) for job in rest).items():
        per_cell[cell] = n  # the same for every rate of a cartesian grid
    return len(first), sum(per_cell.values())
