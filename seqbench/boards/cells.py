"""Cells: which runs a board compares as seeds of one setup, and how their rows are labelled.

A *setup* is everything that changes what a run measures: the task (name, version, knobs), the
model (definition, label, options), the trainer settings (steps, patience, batch, evaluation
sizes...; the learning rate is chosen per cell by :mod:`seqbench.boards.selection`) and the device
class (``cpu`` or ``cuda``). Runs of one cell differ only in their seed. Settings that do not
change the numbers (``threads``, ``eval_batch_size``, ``save_model``, the logger) are not part of
it, so they never split or double a cell; the same setup and seed run twice counts once.

:func:`seqbench.boards.selection.compared_runs` is the one way every reader of a board (the leaderboard, the page, the
claims, a sweep's summary) turns records into cells: it drops repeated runs, relabels each run by
what sets its setup apart from the others of its task and model (``lstm (hidden_size=8)``,
``lstm (steps=40)``, ``transformer (device=cuda)``) and selects each cell's learning rate.

>>> from seqbench.core.record import RunRecord
>>> from seqbench.boards.selection import compared_runs
>>> def run(seed, steps, save=None):
...     return RunRecord(task="parity", model="lstm", seed=seed, status="ok", trainer_params={"steps": steps},
...                      weights=save, created=f"2026-01-0{seed + 1}")
>>> compared = compared_runs([run(0, 20), run(0, 40), run(0, 40, "model.pt"), run(1, 40)])
>>> sorted((r.model_label, r.seed) for r in compared.records), compared.repeats
([('lstm (steps=20)', 0), ('lstm (steps=40)', 0), ('lstm (steps=40)', 1)], 1)
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from seqbench.core.setup import LATER_DEFAULTS, device_class, setup_key, trainer_setup

if TYPE_CHECKING:
    from seqbench.core.record import RunRecord


def _newest_first(record: RunRecord) -> tuple[str, str]:
    return (record.created or ""), str(record.source or "")


def distinct_runs(records: Iterable[RunRecord]) -> tuple[list[RunRecord], int]:
    """Each (setup, learning rate, seed) once: the newest record of a run repeated (the same run
    again, with ``save_model`` or a logger, or copied elsewhere); order kept. Returns the kept
    records and how many repeats were dropped."""
    records = list(records)
    newest: dict[tuple[str, int], RunRecord] = {}
    for r in records:
        key = (setup_key(r, with_rate=True), r.seed)
        if key not in newest or _newest_first(r) > _newest_first(newest[key]):
            newest[key] = r
    kept = {id(r) for r in newest.values()}
    return [r for r in records if id(r) in kept], len(records) - len(kept)


def _shown(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def _differences(settings: list[dict[str, Any]]) -> list[str]:
    """The keys whose values differ between some of ``settings`` (missing counts as a value)."""
    keys = sorted({k for s in settings for k in s})
    return [k for k in keys if len({_shown(s.get(k, "<unset>")) for s in settings}) > 1]


def _model_setting(record: RunRecord) -> dict[str, Any]:
    """The facts a model row is told apart by, each under the name a user sets it with."""
    return {**({"model": record.model} if record.model != record.model_label else {}), **record.model_params,
            **LATER_DEFAULTS, **trainer_setup(record), "device": device_class(record.device)}


def _label(name: str, setting: dict[str, Any], keys: list[str]) -> str:
    shown = [f"{k}={setting.get(k)}" for k in keys]
    return f"{name} ({', '.join(shown)})" if shown else name


def setup_labels(records: list[RunRecord]) -> list[tuple[str, str]]:
    """(task label, model label) per record: the name plus whatever sets its setup apart from
    other records of the same name (task knobs and version; model options, trainer settings,
    device). A model's ``hidden_size`` is left out where ``param_budget`` differs (it follows from it)."""
    task_settings = {id(r): {**r.task_params, **({"version": r.task_version} if r.task_version is not None else {})}
                     for r in records}
    by_task: dict[str, list[RunRecord]] = {}
    for r in records:
        by_task.setdefault(r.task, []).append(r)
    task_keys = {name: _differences([task_settings[id(r)] for r in runs]) for name, runs in by_task.items()}
    task_label = {id(r): _label(r.task, task_settings[id(r)], task_keys[r.task]) for r in records}
    by_model: dict[tuple[str, str], list[RunRecord]] = {}
    for r in records:
        by_model.setdefault((task_label[id(r)], r.model_label or r.model), []).append(r)
    labels: dict[int, tuple[str, str]] = {}
    for (task, model), runs in by_model.items():
        settings = [_model_setting(r) for r in runs]
        keys = _differences(settings)
        if "param_budget" in keys:
            keys = [k for k in keys if k != "hidden_size"]
        for r, setting in zip(runs, settings):
            labels[id(r)] = (task, _label(model, setting, keys))
    return [labels[id(r)] for r in records]


def relabel(records: list[RunRecord]) -> list[RunRecord]:
    """Copies of ``records`` whose ``model_label`` is their row's label (:func:`setup_labels`)."""
    return [r if r.model_label == model else dataclasses.replace(r, model_label=model)
            for r, (_, model) in zip(records, setup_labels(records))]
