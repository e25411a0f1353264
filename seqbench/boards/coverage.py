"""What a board is missing: the installed tasks and models it has no runs of. A report, not a check.

A committed board is data: it holds the runs that were made when it was built. Tasks and models
added since (a new built-in, an installed plugin) are simply not on it until the grid is rerun;
:func:`board_gaps` says which, so a maintainer knows what a rebuild would add, and nothing fails
in the meantime.

>>> from seqbench.core.record import RunRecord
>>> gaps = board_gaps([RunRecord(task="parity", model="lstm", seed=0, status="ok")], ["parity", "copy"], ["lstm", "gru"])
>>> gaps
{'tasks': ['copy'], 'models': ['gru']}
>>> gaps_text(gaps)
'not on this board: tasks copy; models gru (rerun its grid to add them)'
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from seqbench.core.record import RunRecord


def board_gaps(records: Iterable[RunRecord], tasks: Iterable[str], models: Iterable[str]) -> dict[str, list[str]]:
    """The ``tasks`` and ``models`` (names, e.g. the registry's) that no record of the board ran."""
    records = list(records)
    ran_tasks = {r.task for r in records}
    ran_models = {r.model for r in records} | {r.model_label for r in records if r.model_label}
    return {"tasks": sorted(set(tasks) - ran_tasks), "models": sorted(set(models) - ran_models)}


def gaps_text(gaps: dict[str, list[str]]) -> str:
    """One line for a report."""
    parts = [f"{what} {', '.join(names)}" for what, names in gaps.items() if names]
    return f"not on this board: {'; '.join(parts)} (rerun its grid to add them)" if parts else "nothing missing"
