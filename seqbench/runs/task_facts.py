"""What a board shows of a task, taken from the run record: a board renders from its records alone.

A run stores its task's facts in its record (:func:`facts_of`, written by
:func:`seqbench.runs.experiment.build_record`): the description, version, level, what ``test_ood``
shifts, the knobs with their values, defaults and meaning, and one rendered test example. The page
and the markdown read them with :func:`facts_for`, so an old board shows the task as it was when it
ran, and building a page never opens a file a record names (a ``text_lm`` record's ``path`` is only
ever shown as text).

Records written before the facts existed (schema 3 and older) fall back to the task registry, built
with its *default* knobs only: the description and level come from the installed code and the knob
values from the record. They show no example: one drawn by today's code need not be what the run
saw (task versions change their data).

>>> from seqbench.core.registry import TASKS
>>> task = TASKS.get("parity")(length=6)
>>> facts = facts_of(task, task.sample(task.eval_rng("test"), 4, "test"))
>>> facts["version"] >= 1, facts["knobs"]["length"]["value"], facts["example"].startswith("input:")
(True, 6, True)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from seqbench.core.batch import Batch
    from seqbench.core.record import RunRecord
    from seqbench.core.task import Task

EXAMPLE_CHARACTERS = 600  #: an example line longer than this is cut (images, long texts)


EXAMPLE_LINES = 40  #: an example of more lines is cut (a large image)


def _clip(text: str) -> str:
    lines = text.splitlines()
    kept = [line if len(line) <= EXAMPLE_CHARACTERS else line[:EXAMPLE_CHARACTERS] + " …"
            for line in lines[:EXAMPLE_LINES]]
    return "\n".join(kept + ([f"… ({len(lines) - EXAMPLE_LINES} more lines)"] if len(lines) > EXAMPLE_LINES else []))


def facts_of(task: Task, example: Batch | None = None) -> dict[str, Any]:
    """The facts of a built task: description, version, level, ood_shift, knobs and, given a batch
    of its test split (``example``), its first example rendered."""
    described = task.describe()
    knobs = {name: {"value": task.params.get(name), **info} for name, info in described["knobs"].items()}
    shown = _clip(task.show(example)) if example is not None else None
    return {"description": described["description"], "version": described["version"],
            "level": described.get("level"), "ood_shift": task.spec.ood_shift, "knobs": knobs, "example": shown}


def facts_for(record: RunRecord) -> dict[str, Any]:
    """The facts of the task ``record`` ran: its own, or (older records) the registry's at default knobs."""
    if record.task_facts:
        return record.task_facts
    from seqbench.core.registry import TASKS

    params = record.task_params or {}
    try:
        facts = facts_of(TASKS.get(record.task)())  # default knobs only: never a file the record names
    except Exception as exc:  # noqa: BLE001 - a page is still written, saying why
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return {"description": f"(not available here: {reason})", "version": record.task_version, "level": None,
                "ood_shift": None, "knobs": {k: {"value": v} for k, v in params.items()}, "example": None}
    # the knobs the run had, in the task's order, with today's help: a knob added since is not shown,
    # so a later change of the task's code leaves an old board as it was
    knobs = {name: {**row, "value": params[name]} for name, row in facts["knobs"].items() if name in params}
    facts["knobs"] = knobs | {name: {"value": value} for name, value in params.items() if name not in knobs}
    facts["version"] = record.task_version if record.task_version is not None else facts["version"]
    return facts
