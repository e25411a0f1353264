"""The JSON types of every :class:`~seqbench.core.record.RunRecord` field, checked on read.

A checker returns None when a value fits, else a short phrase saying what is wrong, so the
reader can skip a bad file with a one-line reason instead of failing later in a table.

>>> check_field("metrics", {"test": {"accuracy": 0.5}}) is None
True
>>> check_field("metrics", {"test": {"accuracy": "high"}})
"at ['test']['accuracy'] must be a number or null, not str"
>>> check_field("seed", -1)
'must be an integer in [0, 4294967295], not -1'
>>> check_field("task_params", {"a": [[[[]]]]}) is None, free_object({"a": [[[[]]]]}, max_depth=3)
(True, 'is nested deeper than 3 levels')

**In bulk.** Reading a board of thousands of records is mostly ``json.loads`` and these checks,
so every checker also has a bulk test, :func:`fits`, that takes a whole level of values at once
(every history entry of a record, say) with ``map`` and set operations instead of a Python call
per number. Only a value that fails the bulk test is walked again, one call per item, to say
where it goes wrong (the bulk test may be cautious: then that walk finds nothing).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from itertools import chain
from typing import Any

Checker = Callable[[Any], "str | None"]
Bulk = Callable[[list], bool]

#: Deepest nesting of a free-form object (``task_params``, ``task_facts``, an unknown field) below its
#: field; the typed fields nest at most five levels.
MAX_DEPTH = 32


def fits(checker: Checker, values: list) -> bool:
    """True when ``checker`` passes every value; False when one may fail (ask ``checker`` which).

    >>> fits(listing(_maybe_number), [[0.5, None], [1, 2.0]]), fits(listing(_maybe_number), [[0.5], ["x"]])
    (True, False)
    """
    bulk: Bulk | None = getattr(checker, "bulk", None)
    return bulk(values) if bulk is not None else not any(map(checker, values))


def _with_bulk(check: Checker, bulk: Bulk) -> Checker:
    """``check`` with its bulk test attached (what :func:`fits` uses)."""
    check.bulk = bulk  # type: ignore[attr-defined]
    return check


def _exact_types(values: list, kinds: frozenset) -> bool:
    """Whether every value's type is one of ``kinds`` (exactly: a bool is not an int here)."""
    return set(map(type, values)) <= kinds


def _finite_numbers(values: list) -> bool:
    """Whether every value is an int, a float or None and the numbers are finite; ``math.fsum`` is
    finite only when every addend is (False, to be checked one by one, when it overflows).

    >>> _finite_numbers([0.5, 2, None]), _finite_numbers([0.5, float("nan")]), _finite_numbers([True])
    (True, False, False)
    """
    if not _exact_types(values, _NUMBER_TYPES):
        return False
    try:
        return math.isfinite(math.fsum(filter(None, values)))  # None (and zeros) left out
    except OverflowError:
        return False


_NUMBER_TYPES = frozenset({int, float, type(None)})


def _number(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return f"must be a number, not {type(value).__name__}"
    try:
        finite = math.isfinite(value)
    except OverflowError:  # an int too large for a float: no table could show it
        finite = False
    return None if finite else "must be finite"


def nesting(value: Any, cap: int = MAX_DEPTH + 1) -> int:
    """Levels of lists and objects in a parsed JSON value (0 for a scalar), counted up to ``cap``;
    one level at a time, so the deepest value costs no recursion.

    >>> nesting(1), nesting({"a": [1, {"b": []}]}), nesting([[[[[]]]]], cap=3)
    (0, 4, 3)
    """
    depth, level = 0, [value] if isinstance(value, _CONTAINERS) else []
    while level and depth < cap:
        depth += 1
        level = [v for c in level for v in (c.values() if isinstance(c, dict) else c) if isinstance(v, _CONTAINERS)]
    return depth


_CONTAINERS = (dict, list)


def _type(*kinds: type) -> Checker:
    names = " or ".join(k.__name__ for k in kinds)

    def check(value: Any) -> str | None:
        if isinstance(value, bool) and bool not in kinds:
            return f"must be {names}, not bool"
        return None if isinstance(value, kinds) else f"must be {names}, not {type(value).__name__}"

    exact = frozenset(kinds)
    return _with_bulk(check, lambda values: _exact_types(values, exact))


def optional(inner: Checker) -> Checker:
    def check(value: Any) -> str | None:
        if value is None:
            return None
        problem = inner(value)
        return problem if problem is None or "null" in problem or "nested" in problem else problem + " or null"

    return _with_bulk(check, lambda values: fits(inner, [v for v in values if v is not None]))


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

    def bulk(values: list) -> bool:
        return _exact_types(values, _DICT) and fits(inner, list(chain.from_iterable(v.values() for v in values)))

    return _with_bulk(check, bulk)


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

    def bulk(values: list) -> bool:
        return (_exact_types(values, _LIST) and (length is None or set(map(len, values)) <= {length})
                and fits(inner, list(chain.from_iterable(values))))

    return _with_bulk(check, bulk)


_DICT, _LIST = frozenset({dict}), frozenset({list})


def _bounded_int(low: int, high: int) -> Checker:
    def check(value: Any) -> str | None:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            return f"must be an integer in [{low}, {high}], not {value!r}"
        return None

    return check


def _maybe_number(value: Any) -> str | None:
    problem = None if value is None else _number(value)
    return None if problem is None else problem.replace("must be a number", "must be a number or null")


_with_bulk(_number, lambda values: None not in values and _finite_numbers(values))
_with_bulk(_maybe_number, _finite_numbers)


def _shallow(value: Any, max_depth: int = MAX_DEPTH) -> str | None:
    """Any JSON value nested at most ``max_depth`` levels (an unknown field, say)."""
    return None if nesting(value, max_depth + 1) <= max_depth else f"is nested deeper than {max_depth} levels"


def free_object(value: Any, max_depth: int = MAX_DEPTH) -> str | None:
    """A JSON object of any content nested at most ``max_depth`` levels (task knobs, facts, probes)."""
    if not isinstance(value, dict):
        return f"must be an object, not {type(value).__name__}"
    return _shallow(value, max_depth)


def _all_shallow(values: list, max_depth: int = MAX_DEPTH) -> bool:
    """The bulk test of :func:`_shallow`: the list of values nests one level more than its deepest value."""
    return nesting(values, max_depth + 2) <= max_depth + 1


_with_bulk(_shallow, _all_shallow)
_with_bulk(free_object, lambda values: _exact_types(values, _DICT) and _all_shallow(values))
_STR, _INT, _BOOL, _OBJECT = _type(str), _type(int), _type(bool), free_object
_NUMBERS = mapping(_maybe_number)
#: the parts of one split's metric by input length (:class:`seqbench.engine.intervals` writes them)
_CURVE_PARTS: dict[str, Checker] = {"metric": _STR, "values": _NUMBERS, "intervals": mapping(listing(_maybe_number, 2)),
                                    "counts": mapping(_INT)}


def _length_curve(value: Any) -> str | None:
    """One split's metric by input length: its ``metric`` name, and ``values`` (``intervals``,
    ``counts``) per length; any other part is free-form."""
    if not isinstance(value, dict):
        return f"must be an object, not {type(value).__name__}"
    if not isinstance(value.get("metric"), str):
        return "needs a 'metric' name"
    for key, item in value.items():
        problem = _CURVE_PARTS.get(key, _shallow)(item)
        if problem:
            return _at(repr(key), problem)
    return None


def _length_curves(values: list) -> bool:
    """The bulk test of :func:`_length_curve`: every part of every curve at once."""
    if not _exact_types(values, _DICT) or not all(type(v.get("metric")) is str for v in values):
        return False
    if not set(chain.from_iterable(values)) <= _CURVE_PARTS.keys():
        return not any(map(_length_curve, values))
    return all(fits(check, [v[key] for v in values if key in v]) for key, check in _CURVE_PARTS.items())


_with_bulk(_length_curve, _length_curves)

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
    "by_length": mapping(_length_curve),
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
    "adopted": optional(_OBJECT),
    "resumed": optional(listing(_OBJECT)),
}


def field_fits(name: str, values: list) -> bool:
    """Whether every one of ``values`` fits field ``name``, in one bulk pass; False when one may not
    (then :func:`check_field` of each says which and why).

    >>> field_fits("seed", [0, 1, 2]), field_fits("seed", [0, -1]), field_fits("history", [[{"step": 1}]] * 3)
    (True, False, True)
    """
    return fits(FIELDS.get(name, _shallow), values)


def check_field(name: str, value: Any) -> str | None:
    """None when ``value`` fits field ``name``; else what is wrong (an unknown field fits unless it
    nests deeper than :data:`MAX_DEPTH` levels)."""
    checker = FIELDS.get(name, _shallow)
    if isinstance(value, _CONTAINERS) and fits(checker, [value]):  # a scalar is quicker to check alone
        return None
    return checker(value)
