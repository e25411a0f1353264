"""The JSON types of every :class:`~seqbench.results.RunRecord` field, checked on read.

A checker returns None when a value fits, else a short phrase saying what is wrong, so the
reader can skip a bad file with a one-line reason instead of failing later in a table.

>>> check_field("metrics", {"test": {"accuracy": 0.5}}) is None
True
>>> check_field("metrics", {"test": {"accuracy": "high"}})
"at ['test']['accuracy'] must be a number or null, not str"
>>> check_field("seed", -1)
'must be an integer in [0, 4294967295], not -1'
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

Checker = Callable[[Any], "str | None"]


def _number(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return f"must be a number, not {type(value).__name__}"
    if not math.isfinite(value):
        return "must be finite"
    return None


def _type(*kinds: type) -> Checker:
    names = " or ".join(k.__name__ for k in kinds)

    def check(value: Any) -> str | None:
        if isinstance(value, bool) and bool not in kinds:
            return f"must be {names}, not bool"
        return None if isinstance(value, kinds) else f"must be {names}, not {type(value).__name__}"

    return check


def optional(inner: Checker) -> Checker:
    def check(value: Any) -> str | None:
        if value is None:
            return None
        problem = inner(value)
        return problem if problem is None or "null" in problem else problem + " or null"

    return check


def _at(key: str, problem: str) -> str:
    """Prefix a problem with where it is: ``at ['test']['accuracy'] must be ...``."""
    return f"at [{key}]{problem[3:]}" if problem.startswith("at [") else f"at [{key}] {problem}"


def mapping(inner: Checker) -> Checker:
    """A JSON object with string keys whose values all pass ``inner``."""

    def check(value: Any) -> str | None:
        if not isinstance(value, dict):
            return f"must be an object, not {type(value).__name__}"
        for key, item in value.items():
            problem = inner(item)
            if problem:
                return _at(repr(key), problem)
        return None

    return check


def listing(inner: Checker, length: int | None = None) -> Checker:
    def check(value: Any) -> str | None:
        if not isinstance(value, list):
            return f"must be a list, not {type(value).__name__}"
        if length is not None and len(value) != length:
            return f"must have {length} items, not {len(value)}"
        for i, item in enumerate(value):
            problem = inner(item)
            if problem:
                return _at(str(i), problem)
        return None

    return check


def _bounded_int(low: int, high: int) -> Checker:
    def check(value: Any) -> str | None:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            return f"must be an integer in [{low}, {high}], not {value!r}"
        return None

    return check


def _maybe_number(value: Any) -> str | None:
    if value is None:
        return None
    problem = _number(value)
    return None if problem is None else problem.replace("must be a number", "must be a number or null")


_STR, _INT, _BOOL, _OBJECT = _type(str), _type(int), _type(bool), _type(dict)
_NUMBERS = mapping(_maybe_number)

#: field name -> checker. Fields missing here are not part of the schema.
FIELDS: dict[str, Checker] = {
    "schema": _INT,
    "record_type": _STR,
    "task": _STR,
    "model": _STR,
    "model_label": optional(_STR),
    "seed": _bounded_int(0, 2**32 - 1),
    "status": _STR,
    "task_version": optional(_INT),
    "kind": optional(_STR),
    "task_params": _OBJECT,
    "model_params": _OBJECT,
    "trainer_params": optional(_OBJECT),
    "config_hash": optional(_STR),
    "error": optional(_STR),
    "traceback": optional(_STR),
    "primary_metric": optional(_STR),
    "higher_is_better": optional(_BOOL),
    "lengths": optional(listing(_INT, 2)),
    "ood_lengths": optional(listing(_INT, 2)),
    "metrics": mapping(_NUMBERS),
    "by_length": mapping(lambda v: _OBJECT(v) or (None if isinstance(v.get("metric"), str) else "needs a 'metric' name")
                         or _NUMBERS(v.get("values", {}))),
    "baselines": mapping(mapping(_NUMBERS)),
    "intervals": mapping(mapping(listing(_maybe_number, 2))),
    "baseline_intervals": mapping(mapping(mapping(listing(_maybe_number, 2)))),
    "reference_baseline": optional(_STR),
    "split_sizes": mapping(_INT),
    "task_facts": optional(_OBJECT),
    "not_applicable_splits": mapping(_STR),
    "n_params": optional(_INT),
    "steps": _INT,
    "best_step": optional(_INT),
    "converged": optional(_BOOL),
    "budget_limited": optional(_BOOL),
    "stop_reason": optional(_STR),
    "steps_to": mapping(_INT),
    "train_seconds": _number,
    "tokens_per_second": _number,
    "history": listing(_NUMBERS),
    "dataset_fingerprint": mapping(_STR),
    "created": optional(_STR),
    "versions": mapping(optional(_STR)),
    "git_commit": optional(_STR),
    "device": optional(_STR),
    "peak_rss_mb": optional(_number),
    "peak_rss_scope": optional(_STR),
    "weights": optional(_STR),
    "gradflow": optional(_OBJECT),
}


def check_field(name: str, value: Any) -> str | None:
    """None when ``value`` fits field ``name``; else what is wrong (unknown fields always fit)."""
    checker = FIELDS.get(name)
    return None if checker is None else checker(value)
