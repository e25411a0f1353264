"""Resuming never replaces a result made under another configuration.

``resume=true`` skips a job whose folder holds an ``ok`` record of the same configuration (the
same identity, :attr:`seqbench.runs.plan.Plan.identity`) and trains the others. Before this check, a
job whose folder held an ``ok`` record of *another* configuration was trained again and its record
replaced: a sitting of a board run after a trainer default changed (or into the wrong board's
folder) would have overwritten committed results one by one. Now the preflight refuses such a
grid before anything runs, naming each folder and the settings that differ (:func:`replaced_by`),
and a job that gets past it (a sweeper the preflight does not plan) leaves the record as it is.

What is not a replacement, and runs as before: a failed, diverged or unreadable record (redone),
and a larger ``trainer.steps`` and nothing else (a budget-limited run continues from its saved
state, :func:`seqbench.engine.training_state.continues`; one that converged before the old cap
trains to the same result). Nor is a larger ``trainer.min_steps`` and nothing else: a run that the
new rule, replayed over its recorded val curve, stops where it stopped (past the new minimum, or
with an evaluation at the metric's ceiling) is exactly the run the stricter rule gives, so its
record is kept and relabelled (:func:`adoptable`, :func:`adopt`); any other is trained again.

>>> from seqbench.core.record import RunRecord
>>> from seqbench.runs.plan import validate_experiment
>>> plan = validate_experiment({"name": "parity", "length": 4}, {"name": "gru"}, {"steps": 5, "lr": 0.01})
>>> old = RunRecord(task="parity", model="gru", seed=0, model_label="gru", task_version=plan.task.version,
...                 task_params=dict(plan.task.params), model_params=dict(plan.model_options),
...                 trainer_params={**plan.trainer.as_dict(), "lr": 0.001}, device="cpu")
>>> differences(old, plan)
[('trainer.lr', 0.001, 0.01)]
>>> describe(differences(old, plan))
'trainer.lr: recorded 0.001, planned 0.01'
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from seqbench.core.record import RESULT_FILE, RunRecord, read_result
from seqbench.core.setup import LATER_DEFAULTS, device_class
from seqbench.runs.plan import Plan


def replaced_by(out_dir: str | Path, plan: Plan) -> str | None:
    """Why running ``plan`` with ``resume=true`` in ``out_dir`` would replace the ``ok`` record there
    (the settings that differ, :func:`describe`), or None: no readable ``ok`` record, the record is
    this plan's, or the plan only raises its step cap or its ``min_steps``."""
    found = _other_ok_record(out_dir, plan)
    if found is None:
        return None
    previous, changed = found
    if _only_raises(changed, "trainer.steps") or _only_raises(changed, "trainer.min_steps"):
        return None
    return describe(changed) if changed else (
        f"identity: recorded {previous.config_hash}, planned {plan.identity} (the task's data, save_model or the logger)")


def _other_ok_record(out_dir: str | Path, plan: Plan) -> tuple[RunRecord, list[tuple[str, Any, Any]]] | None:
    """The readable ``ok`` record in ``out_dir`` made under another identity than ``plan``'s, with the
    settings that differ (:func:`differences`); None when there is none (an unreadable record is redone)."""
    path = Path(out_dir) / RESULT_FILE
    if not path.is_file():
        return None
    try:
        previous = read_result(path)
    except (ValueError, RecursionError):
        return None
    if previous.status != "ok" or previous.config_hash == plan.identity:
        return None
    return previous, differences(previous, plan)


def _only_raises(changed: list[tuple[str, Any, Any]], key: str) -> bool:
    """Whether the one setting that differs is ``key``, raised (a whole number, planned above recorded)."""
    return [k for k, _, _ in changed] == [key] and _larger(changed[0][2], changed[0][1])


def adoptable(out_dir: str | Path, plan: Plan) -> RunRecord | None:
    """The ``ok`` record in ``out_dir`` when it is the very run ``plan`` gives: it differs from the plan
    only by a larger ``trainer.min_steps``, and the plan's stopping rule, replayed over the record's
    val curve (:func:`~seqbench.engine.convergence.replayed_stop`), stops it where it stopped (or, for
    a run that reached its cap, not before). Up to that step the two runs are the same computation,
    so the record is the plan's to the last bit; None otherwise (train it)."""
    from seqbench.engine.convergence import replayed_stop

    found = _other_ok_record(out_dir, plan)
    if found is None or not found[0].primary_metric or not _only_raises(found[1], "trainer.min_steps"):
        return None
    previous = found[0]
    stopped_at = previous.steps if previous.converged else None  # None: it ran to its cap
    if stopped_at is None and previous.steps != plan.trainer.steps:
        return None
    replay = replayed_stop(previous.history, plan.trainer.as_dict(), previous.primary_metric,
                           bool(previous.higher_is_better))
    return previous if replay == stopped_at else None


def adopt(out_dir: str | Path, previous: RunRecord, plan: Plan) -> RunRecord:
    """Relabel ``previous`` (:func:`adoptable`) as the run of ``plan``: its trainer options and identity
    become the plan's, ``adopted`` keeps the identity it had and why; every number stays as it was."""
    from seqbench.core.record import write_result

    minimum = plan.trainer.min_steps
    why = (f"stopped at step {previous.steps}, at or past trainer.min_steps={minimum}" if previous.steps >= minimum
           else f"stopped at step {previous.steps} with val at the metric's ceiling, where the rule with "
                f"trainer.min_steps={minimum} stops it too")
    first = previous.adopted or {}  # relabelled twice: keep the identity it was trained under
    previous.adopted = {"config_hash": first.get("config_hash", previous.config_hash),
                        "min_steps": first.get("min_steps", (previous.trainer_params or {}).get(
                            "min_steps", LATER_DEFAULTS["min_steps"])),
                        "why": f"{why}: the same run under the new rule"}
    previous.trainer_params = {**(previous.trainer_params or {}), "min_steps": minimum}
    previous.config_hash = plan.identity
    write_result(out_dir, previous)
    return previous


def differences(recorded: RunRecord, plan: Plan) -> list[tuple[str, Any, Any]]:
    """The settings in which a record's configuration and a plan differ: (key, recorded, planned).

    A trainer option added after the record was written counts at the value that behaves as its
    run did (:data:`~seqbench.core.setup.LATER_DEFAULTS`); with a ``param_budget`` the hidden size
    is the one built for the budget, not a setting; devices compare by class (``cuda:0 (NVIDIA
    H100)`` is ``cuda``)."""
    pairs: list[tuple[str, Any, Any]] = [
        ("task", recorded.task, plan.task.name), ("task_version", recorded.task_version, plan.task.version),
        ("model", recorded.model, plan.definition.name), ("model label", recorded.model_label, plan.label),
        ("seed", recorded.seed, plan.seed), ("device", device_class(recorded.device), device_class(plan.device)),
    ]
    model_old, model_new = dict(recorded.model_params or {}), dict(plan.model_options)
    if model_new.get("param_budget") is not None:  # the hidden size a run builds for its budget
        model_old.pop("hidden_size", None), model_new.pop("hidden_size", None)
    groups = (("task", dict(recorded.task_params or {}), dict(plan.task.params)), ("model", model_old, model_new),
              ("trainer", {**LATER_DEFAULTS, **(recorded.trainer_params or {})},
               {**LATER_DEFAULTS, **plan.trainer.as_dict()}))
    for group, old, new in groups:
        pairs += [(f"{group}.{key}", old.get(key), new.get(key)) for key in sorted(set(old) | set(new), key=str)]
    return [(key, old, new) for key, old, new in pairs if _normal(old) != _normal(new)]


def describe(changed: list[tuple[str, Any, Any]]) -> str:
    """``KEY: recorded A, planned B`` for each difference, joined by commas."""
    return ", ".join(f"{key}: recorded {old!r}, planned {new!r}" for key, old, new in changed)


def _normal(value: Any) -> Any:
    """A value as a record stores it (JSON: tuples are lists, other objects their text)."""
    return json.loads(json.dumps(value, default=str))


def _larger(new: Any, old: Any) -> bool:
    return isinstance(new, int) and isinstance(old, int) and new > old
