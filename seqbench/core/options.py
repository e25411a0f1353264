"""Declared, validated knobs for tasks and options for models.

A task or model declares its knobs once, with a default and the allowed range; every other
place (Hydra config nodes, ``seqbench tasks --json``, the README table) is derived from that
declaration, so no default is typed twice.

>>> length = Knob("length", 16, low=1, help="longest training sequence")
>>> validate_knobs("task", (length,), {"length": 20})
{'length': 20}
>>> validate_knobs("task", (length,), {"length": -3})
Traceback (most recent call last):
...
seqbench.core.errors.ConfigError: task.length=-3: must be an integer >= 1
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from seqbench.core.errors import ConfigError, closest


@dataclass(frozen=True)
class Knob:
    """One tunable parameter: its name, default and what values are allowed.

    The type is taken from the default (``int``, ``float``, ``bool`` or ``str``); a default
    of ``None`` needs an explicit ``type``. ``low``/``high`` bound numbers (inclusive),
    ``choices`` lists the allowed strings.
    """

    name: str
    default: Any
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] | None = None
    help: str = ""
    type: type | None = None
    optional: bool = False  # whether None is an allowed value

    @property
    def value_type(self) -> type:
        return self.type or type(self.default)

    def allowed(self) -> str:
        """Describe the allowed values in words, for errors and docs."""
        kind = self.value_type
        if self.choices is not None:
            text = "one of " + ", ".join(repr(c) for c in self.choices)
        elif kind is bool:
            text = "true or false"
        else:
            noun = {int: "an integer", float: "a number"}.get(kind, f"a {kind.__name__}")
            if self.low is not None and self.high is not None:
                text = f"{noun} in [{_fmt(self.low)}, {_fmt(self.high)}]"
            elif self.low is not None:
                text = f"{noun} >= {_fmt(self.low)}"
            elif self.high is not None:
                text = f"{noun} <= {_fmt(self.high)}"
            else:
                text = noun
        return text + (" or null" if self.optional else "")

    def validate(self, owner: str, value: Any) -> Any:
        """Return ``value`` converted to the knob's type, or raise :class:`ConfigError`."""
        where = f"{owner}.{self.name}={value!r}" if isinstance(value, str) else f"{owner}.{self.name}={value}"
        if value is None:
            if self.optional:
                return None
            raise ConfigError(f"{where}: must be {self.allowed()}")
        kind = self.value_type
        if kind is bool:
            if not isinstance(value, bool):
                raise ConfigError(f"{where}: must be {self.allowed()}")
            return value
        if kind is int:
            if isinstance(value, bool) or not (
                isinstance(value, int) or (isinstance(value, float) and value.is_integer())
            ):
                raise ConfigError(f"{where}: must be {self.allowed()}")
            value = int(value)
        elif kind is float:
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise ConfigError(f"{where}: must be {self.allowed()}")
            value = float(value)
        elif kind is str:
            if not isinstance(value, str):
                raise ConfigError(f"{where}: must be {self.allowed()}")
        if self.choices is not None and value not in self.choices:
            hint = closest(str(value), self.choices)
            extra = f" (did you mean {hint!r}?)" if hint else ""
            raise ConfigError(f"{where}: must be {self.allowed()}{extra}")
        if (self.low is not None and value < self.low) or (self.high is not None and value > self.high):
            raise ConfigError(f"{where}: must be {self.allowed()}")
        return value

    def describe(self) -> dict[str, Any]:
        """JSON-friendly description, used by ``seqbench tasks --json``."""
        return {
            "default": self.default,
            "allowed": self.allowed(),
            "help": self.help,
        }


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def validate_knobs(owner: str, knobs: Sequence[Knob], values: Mapping[str, Any]) -> dict[str, Any]:
    """Fill defaults, check every value, and reject unknown keys with the closest valid one."""
    by_name = {k.name: k for k in knobs}
    unknown = [key for key in values if key not in by_name]
    if unknown:
        key = unknown[0]
        hint = closest(key, by_name)
        did_you_mean = f"; did you mean '{owner}.{hint}'?" if hint else ";"
        valid = ", ".join(sorted(by_name)) or "(none)"
        raise ConfigError(f"{owner}.{key}: unknown key{did_you_mean} Valid keys: {valid}")
    return {k.name: k.validate(owner, values.get(k.name, k.default)) for k in knobs}


MAX_SEED = 2**32 - 1  #: seeds are integers in [0, MAX_SEED]; the evaluation stream uses 2**32


def check_seed(value: object, where: str = "seed") -> int:
    """Return ``value`` when it is an integer in [0, 2**32 - 1]; else raise a one-line ConfigError.

    >>> check_seed(7)
    7
    >>> check_seed(-1)
    Traceback (most recent call last):
    ...
    seqbench.core.errors.ConfigError: seed=-1: must be an integer in [0, 4294967295]
    """
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_SEED:
        raise ConfigError(f"{where}={value}: must be an integer in [0, {MAX_SEED}]")
    return value
