"""Resuming never replaces a result made under another configuration.

``resume=true`` skips a job whose folder holds an ``ok`` record of the same configuration (the
same identity, :attr:`seqbench.runs.plan.Plan.identity`) and trains the others. Before this check a
job whose folder held an ``ok`` record of *another* configuration was trained again and its
record replaced: a sitting of a board run with a changed trainer (or into the wrong board's folder)
would have overwritten committed results one by one. Now the preflight refuses such a grid before
anything runs, naming the folder and the settings that differ (:func:`replaced_by`).

Two cases are not a replacement: a failed or diverged record (redone, as before), and a
budget-limited run that the job continues to a larger step cap
(:func:`seqbench.engine.training_state.continues`).

>>> from seqbench.runs.plan import validate_experiment
>>> a = build_record(validate_experiment({"name": "parity", "length": 4}, {"name": "gru"}, {"steps": 5}))
>>> b = validate_experiment({"name": "parity", "length": 4}, {"name": "gru"}, {"steps": 5, "lr": 0.01})
>>> differences(a, build_record(b))
'trainer.lr: recorded 0.001, planned 0.01'
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from seqbench.core.record import RESULT_FILE, RunRecord, read_result
from seqbench.core.setup import LATER_DEFAULTS
from seqbench.engine.training_state import continues
from seqbench.runs.experiment import build_record
from seqbench.runs.plan import Plan


def replaced_by(out_dir: str | Path, plan: Plan) -> str | None:
    """Why running ``plan`` with ``resume=true`` in ``out_dir`` would replace the ``ok`` record there
    (the settings that differ, :func:`differences`), or None: no readable ``ok`` record,
    the record is this plan's, or ``plan`` continues it to a larger cap."""
    path = Path(out_dir) / RESULT_FILE
    if not path.is_file():
        return None
    try:
        previous = read_result(path)
    except (ValueError, RecursionError):  # an unreadable record is redone, as resume always did
        return None
    if previous.status != "ok" or previous.config_hash == plan.identity:
        return None
    planned = build_record(plan)
    if continues(previous, planned):
        return None
    return differences(previous, planned)


def differences(recorded: RunRecord, planned: RunRecord) -> str:
    """The settings in which two records' configurations differ, as ``KEY: recorded A, planned B``
    joined by commas (a trainer option added after a record was written counts at the value that
    behaves as the record's run did, :data:`~seqbench.core.setup.LATER_DEFAULTS`; with a
    ``param_budget`` the hidden size is the one built for it, not a setting)."""
    pairs: list[tuple[str, Any, Any]] = [
        ("task", recorded.task, planned.task), ("task_version", recorded.task_version, planned.task_version),
        ("model", recorded.model, planned.model), ("model label", recorded.model_label, planned.model_label),
        ("seed", recorded.seed, planned.seed), ("device", recorded.device, planned.device),
    ]
    groups = (("task", recorded.task_params, planned.task_params),
              ("model", recorded.model_params, planned.model_params),
              ("trainer", {**LATER_DEFAULTS, **(recorded.trainer_params or {})},
               {**LATER_DEFAULTS, **(planned.trainer_params or {})}))
    for group, old, new in groups:
        old, new = dict(old or {}), dict(new or {})
        if group == "model" and new.get("param_budget") is not None:  # the hidden size a run builds for its budget
            old.pop("hidden_size", None), new.pop("hidden_size", None)
        pairs += [(f"{group}.{key}", old.get(key), new.get(key)) for key in sorted(set(old) | set(new), key=str)]
    changed = [f"{key}: recorded {old!r}, planned {new!r}" for key, old, new in pairs if old != new]
    if changed:
        return ", ".join(changed)
    return (f"identity: recorded {recorded.config_hash}, planned {planned.config_hash} "
            "(the task's data, save_model or the logger)")
