"""Where a board's claims need more seeds than its cells have: the coverage study's rule, applied.

The coverage study (``docs/protocol.md``, ``bench/coverage.py``) measured how often a cell's
interval holds the truth: 95 % at any seed count when the seeds spread normally, but only 43 to
89 % at 3 seeds, 86 to 88 % at 5 and 91 to 94 % at 10 when they split into modes. From it, two
questions about a board's ``claims.yaml``, each answered from the records:

- :func:`seed_dependent`: which claims would change verdict if every cell's interval were as
  narrow as N seeds of the same mean and spread make it (a tie, or "at the baseline", that only
  a 3-seed interval's width allows). Those claims need the N seeds before a board states them.
- :func:`split_cells`: which cells that a claim reads through its interval or its mean have seeds
  that split into modes (two of them, sorted, more than ``gap`` apart on the score the claim
  reads). Their intervals need 10 seeds to mean 95 %, whatever the projection says.

>>> import tempfile, yaml
>>> from seqbench.core.record import RunRecord, write_result
>>> folder = Path(tempfile.mkdtemp())
>>> for model, values in [("lstm", [0.78, 0.80, 0.82]), ("gru", [0.73, 0.75, 0.77]), ("lru", [0.52, 0.55, 0.93])]:
...     for seed, value in enumerate(values):
...         _ = write_result(folder / "raw" / f"{model}{seed}", RunRecord(task="parity", model=model, seed=seed,
...             status="ok", primary_metric="accuracy", metrics={"test": {"accuracy": value}}))
>>> _ = (folder / "claims.yaml").write_text(yaml.safe_dump({"claims": [
...     {"id": "tie", "kind": "tied", "task": "parity", "model": "lstm", "than": "gru"},
...     {"id": "lru-mean", "kind": "at_most", "task": "parity", "model": "lru", "of": "mean", "value": 0.7}]}))
>>> [(now.id, now.passed, projected.passed) for now, projected in seed_dependent(folder, 5)]
[('tie', True, False)]
>>> [(c.task, c.model, c.n, round(c.gap, 2), c.claims) for c in split_cells(folder)]
[('parity', 'lru', 3, 0.38, ['lru-mean'])]
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from seqbench.boards.claims import Outcome, _lengths, check_board, load_claims
from seqbench.boards.lookup import Board
from seqbench.core.errors import SeqbenchError
from seqbench.core.record import load_results

QUOTES = ("equals", "baseline_equals")  #: kinds that quote numbers rather than judge them
#: kinds that always read a cell through its interval (``of`` is not theirs to set)
COMPARED = ("better", "tied", "not_better", "near_baseline", "reaches_floor")
#: kinds that read a cell through its interval or mean when ``of`` is one of :data:`THROUGH`
#: (``at_least``/``at_most`` default to the interval, ``equals`` to the mean)
OF_KINDS = ("at_least", "at_most", "equals")
THROUGH = ("interval", "low", "high", "mean")  #: the ``of`` values that read the interval or the mean
SPLIT_GAP = 0.1  #: two seeds further apart than this, with none between, split a cell into modes (accuracies)
MODE_SEEDS = 10  #: the seeds a split cell needs for its interval to cover 95 % (the coverage study)


def seed_dependent(folder: str | Path, seeds: int, claims_file: str | Path | None = None) -> list[tuple[Outcome, Outcome]]:
    """The claims whose verdict rests on how few seeds their cells have: (as judged, as projected)
    for each claim whose verdict changes when every cell with fewer than ``seeds`` seeds has the
    interval ``seeds`` seeds of the same mean and spread would give it. A "better" that holds at 3
    seeds holds at more if the mean and spread stay; claims that read no cell interval (best seed,
    every seed, counts) never change; quotes (:data:`QUOTES`) are left out, as a quoted interval
    changes with every seed added and is checked as quoted. Not projected: ``ranks`` (it reads the
    overview's resampled ranks), cells of one seed (their own interval over examples) and cells
    whose seeds are identical with no interval over examples (no interval at all). Both ways are
    listed: a pass the projection undoes (a tie) and a fail it would turn (a "better" that more
    seeds would show). A projection, not a measurement: the seeds themselves settle each claim listed."""
    if not isinstance(seeds, int) or isinstance(seeds, bool) or seeds < 2:
        raise SeqbenchError(f"seeds {seeds!r}: must be a whole number of at least 2 (a cell's spread needs 2 seeds)")
    now = check_board(folder, claims_file)
    projected = check_board(folder, claims_file, as_if_seeds=seeds)
    return [(a, b) for a, b in zip(now, projected) if a.passed != b.passed and a.kind not in QUOTES]


@dataclass
class SplitCell:
    """A cell whose seeds split into modes on a score a claim reads through its interval or mean."""

    task: str
    model: str
    n: int  #: its ok seeds
    gap: float  #: the widest gap between two of its seeds, sorted, on the scores the claims read
    claims: list[str]  #: the ids of the claims that read it
    setup: str = ""  #: the claims' ``from`` and ``where`` ("" for the whole board): cells of other setups are others


def split_cells(folder: str | Path, gap: float = SPLIT_GAP, claims_file: str | Path | None = None) -> list[SplitCell]:
    """Every cell that a claim of ``folder`` reads through its interval or mean (:data:`COMPARED`,
    or :data:`OF_KINDS` with ``of`` in :data:`THROUGH`; ``equals`` of a record field reads no score)
    whose seeds, sorted, have two neighbours more than ``gap`` apart on the score that claim reads
    (at its ``length``, where it names one; a ``reaches_floor`` reads ``test/excess_<primary>``):
    sorted by task, model and setup. ``gap`` is on the score's own scale: 0.1 suits accuracies; pass
    another for a loss or a perplexity. ``ranks`` and ``separates`` read every model of a task
    through the tables and are not followed. A board whose claims read such a cell owes it
    :data:`MODE_SEEDS` seeds."""
    folder = Path(folder)
    board = Board(load_results([folder]).records, folder)
    found: dict[tuple[str, str, str], SplitCell] = {}
    for claim in load_claims(claims_file or folder / "claims.yaml"):
        kind = claim.get("kind")
        default_of = "mean" if kind == "equals" else "interval"
        if not (kind in COMPARED or kind in OF_KINDS and claim.get("of", default_of) in THROUGH) or "field" in claim:
            continue
        within = board.within(claim)
        setup = " ".join(f"{key} {claim[key]}" for key in ("from", "where") if key in claim)
        for task in within.tasks(claim):
            lengths = _lengths(within, claim, task) if isinstance(claim.get("length"), (list, dict)) else [claim.get("length")]
            models = within.models(claim, task) + (within.models(claim, task, "than") if "than" in claim else [])
            for model in dict.fromkeys(models):
                score = claim.get("score")
                if kind == "reaches_floor" and score is None:  # as claims.reaches_floor reads it
                    primary = next((r.primary_metric for r in within.runs(claim, task, ok=False) if r.primary_metric), "primary")
                    score = f"test/excess_{primary}"
                for length in lengths:
                    one = {**claim, "task": task} if length is None else {**claim, "task": task, "length": length}
                    values = sorted(within.estimate(one, task, model, score).values)
                    widest = max((b - a for a, b in zip(values, values[1:])), default=0.0)
                    if widest > gap:
                        cell = found.setdefault((task, model, setup), SplitCell(task, model, len(values), 0.0, [], setup))
                        cell.gap = max(cell.gap, widest)
                        if claim["id"] not in cell.claims:
                            cell.claims.append(str(claim["id"]))
    return [found[key] for key in sorted(found)]
