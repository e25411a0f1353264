"""Published results beside the board's own: each number with the source it was read from.

A board that reproduces a paper shows the paper's numbers next to its cells, never retyped into
prose. ``seqbench leaderboard --published FILE`` reads a CSV with one row per published number:

========== ==============================================================================
column     meaning
========== ==============================================================================
task       the board's task name (``parity_check``)
model      the board's model label the published architecture corresponds to (``lstm``)
published  the value, on the board's scale (a fraction for accuracies: 100 % is 1.0)
statistic  what the paper reports (``max over 10 seeds x 3 learning rates``)
source     where the number was read (paper, table, or the reprint that quotes it)
========== ==============================================================================

The table gives the board's best seed and its mean over seeds with the 95 % interval for the
board's score, and, with a threshold, whether the paper and the board reach the same verdict
(solved or not, by the best seed as the paper counts it).

>>> import io
>>> rows = read_published(io.StringIO("task,model,published,statistic,source\\n"
...                                   "t,a,1.0,max over seeds,Table 2\\n"))
>>> rows[["task", "model", "published"]].values.tolist()
[['t', 'a', 1.0]]
>>> read_published(io.StringIO("task,model,value\\nt,a,1\\n"))
Traceback (most recent call last):
...
seqbench.core.errors.ConfigError: published results: missing column(s) published, statistic, source (columns: task, model, published, statistic, source)
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO

import pandas as pd

from seqbench.boards.solved import reaches
from seqbench.boards.tables import _fmt, cell, estimate, score_column
from seqbench.core.errors import ConfigError

COLUMNS = ("task", "model", "published", "statistic", "source")


def read_published(source: str | os.PathLike | IO[str]) -> pd.DataFrame:
    """The published numbers of ``source`` (a CSV path or text stream), checked: every column of
    :data:`COLUMNS`, at least one row, a number in ``published``, no empty task, model or source and
    no task and model twice; a bad file is one line naming it."""
    import csv
    import io

    is_path = isinstance(source, (str, os.PathLike))
    name = str(source) if is_path else "published results"
    try:
        text = Path(source).read_text(encoding="utf-8") if is_path else source.read()
        rows = list(csv.reader(io.StringIO(text)))
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise ConfigError(f"{name}: {error}") from None
    header, body = (rows[0], rows[1:]) if rows else ([], [])
    for i, row in enumerate(body):
        if len(row) != len(header):
            raise ConfigError(f"{name}, row {i + 2}: {len(row)} fields, the header has {len(header)}")
    table = pd.DataFrame(body, columns=header, dtype=str)
    missing = [c for c in COLUMNS if c not in table]
    if missing:
        raise ConfigError(f"{name}: missing column(s) {', '.join(missing)} (columns: {', '.join(COLUMNS)})")
    if not len(table):
        raise ConfigError(f"{name}: no rows (one row per published number: {', '.join(COLUMNS)})")
    numbers = pd.to_numeric(table["published"], errors="coerce")
    for i, (raw, number) in enumerate(zip(table["published"], numbers)):
        if pd.isna(number):
            raise ConfigError(f"{name}, row {i + 2}: published={raw!r}: must be a number")
    for column in ("task", "model", "source"):
        empty = table[column].str.strip() == ""
        if empty.any():
            raise ConfigError(f"{name}, row {int(empty.idxmax()) + 2}: {column} is empty")
    twice = table.duplicated(["task", "model"])
    if twice.any():
        row = int(twice.idxmax())
        raise ConfigError(f"{name}, row {row + 2}: task {table['task'][row]!r} x model {table['model'][row]!r} "
                          "appears twice (one published number per cell)")
    return table.assign(published=numbers.astype(float))[list(COLUMNS)]


def published_table(frame: pd.DataFrame, published: pd.DataFrame, score: str,
                    threshold: float | None = None) -> pd.DataFrame:
    """One row per published number: the paper's value and the board's best seed and mean
    [interval] on ``score`` for the same task and model (empty where the board has no such cell)."""
    rows = []
    for item in published.itertuples(index=False):
        cell_runs = frame[(frame["task_label"] == item.task) & (frame["model_label"] == item.model)]
        runs = cell_runs[cell_runs["status"] == "ok"]
        primary = runs["primary_metric"].dropna()
        column = score_column(score, primary.iloc[0]) if len(primary) else None
        values = runs[column].dropna().astype(float) if column in runs else pd.Series(dtype=float)
        direction = runs["higher_is_better"].dropna()
        higher = bool(direction.iloc[0]) if len(direction) else True
        best = (values.max() if higher else values.min()) if len(values) else None
        missing = "no ok run" if len(cell_runs) else "not run"
        row = {"task": item.task, "model": item.model, "published": _fmt(item.published),
               "statistic": item.statistic, "ours: best seed": _fmt(best) if best is not None else missing,
               "ours: mean [95 % interval]": cell(*estimate(runs, column)) if len(values) else "",
               "seeds": len(values) or ""}
        if threshold is not None:
            row[f"same verdict at {threshold:g}"] = "" if best is None else \
                "yes" if reaches(item.published, threshold, higher) == reaches(best, threshold, higher) else "no"
        row["source"] = item.source
        rows.append(row)
    return pd.DataFrame(rows)


PUBLISHED_NOTE = ("Published: each number as its source prints it (on this board's scale), beside this board's "
                  "best seed and its mean over seeds for the same task and model. A verdict is the same when the "
                  "published number and our best seed are both at or beyond the threshold, or both short of it.")
