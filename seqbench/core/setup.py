"""A run's setup: everything that changes what it measures, and how runs are named by it.

Runs whose records have the same :func:`setup_key` are seeds of one cell; a board compares
cells. The training state asks it too (a resumed run must continue the same setup), which is
why it lives in the core and not with the boards.

>>> from seqbench.core.record import RunRecord
>>> a = RunRecord(task="parity", model="gru", seed=0, trainer_params={"lr": 0.01, "threads": 1})
>>> b = RunRecord(task="parity", model="gru", seed=1, trainer_params={"lr": 0.003, "threads": 2})
>>> setup_key(a) == setup_key(b), setup_key(a, with_rate=True) == setup_key(b, with_rate=True)
(True, False)
>>> setup_key(a) == setup_key(RunRecord(task="parity", model="gru", seed=2, trainer_params={"lr": 0.01, "smooth": 1}))
True
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from seqbench.core.record import RunRecord

#: Trainer options that change how a run computes, not what it measures.
NOT_MEASURING = frozenset({"threads", "eval_batch_size"})
#: The trainer option chosen per cell on val (:mod:`seqbench.boards.selection`), not part of a setup.
SELECTED = "lr"
#: Trainer options added after records were written, at the value that behaves as those records did:
#: a record at that value is the same setup as one that predates the option.
LATER_DEFAULTS = {"smooth": 1, "checkpoint": "best", "min_steps": 0}


def at_later_default(key: str, value: Any) -> bool:
    """Whether trainer option ``key`` is an option added later (:data:`LATER_DEFAULTS`) at the value
    that behaves as the records written before it did: a run's identity, its setup and the board's
    budget line leave it out.

    >>> at_later_default("smooth", 1), at_later_default("smooth", 3), at_later_default("steps", 1)
    (True, False, False)
    """
    return key in LATER_DEFAULTS and value == LATER_DEFAULTS[key]


def device_class(device: str | None) -> str:
    """``cpu`` or ``cuda``: the kind of device a run used, without its index or model name.

    >>> device_class("cuda (NVIDIA H100 80GB HBM3)"), device_class("cuda:1"), device_class(None)
    ('cuda', 'cuda', 'cpu')
    """
    return (device or "cpu").split()[0].split(":")[0]


def trainer_setup(record: RunRecord, with_rate: bool = False) -> dict[str, Any]:
    """The record's trainer options that change what it measures (the learning rate only when asked)."""
    skip = NOT_MEASURING if with_rate else NOT_MEASURING | {SELECTED}
    return {k: v for k, v in (record.trainer_params or {}).items()
            if k not in skip and not at_later_default(k, v)}


def task_setup(record: RunRecord) -> str:
    """What identifies the task a record ran: name, version and knobs."""
    return json.dumps([record.task, record.task_version, record.task_params], sort_keys=True, default=str)


def setup_key(record: RunRecord, with_rate: bool = False) -> str:
    """Everything that changes what ``record`` measures, except its seed (and its learning rate,
    unless ``with_rate``): records with equal keys are seeds of one cell."""
    return json.dumps([record.record_type, task_setup(record), record.model, record.model_label,
                       record.model_params, trainer_setup(record, with_rate), device_class(record.device)],
                      sort_keys=True, default=str)


def run_label(name: str, params: dict[str, Any], varying: list[str]) -> str:
    """``name (key=value, ...)`` for the keys that vary between the runs being compared."""
    shown = [f"{k}={params.get(k)}" for k in varying]
    return f"{name} ({', '.join(shown)})" if shown else name


def varying_keys(pairs: list[tuple[str, dict[str, Any]]]) -> dict[str, list[str]]:
    """For each name of (name, params) pairs, the parameter keys whose values differ between them.

    >>> varying_keys([("lstm", {"hidden_size": 8, "dropout": 0.0}), ("lstm", {"hidden_size": 16, "dropout": 0.0})])
    {'lstm': ['hidden_size']}
    """
    values: dict[str, dict[str, set]] = {}
    for name, params in pairs:
        for key, value in params.items():
            values.setdefault(name, {}).setdefault(key, set()).add(json.dumps(value, sort_keys=True, default=str))
    return {name: sorted(k for k, v in keys.items() if len(v) > 1) for name, keys in values.items()}
