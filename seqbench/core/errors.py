"""Exceptions that carry a user-facing message.

Every error a user can cause by mistake (a misspelled name, a knob out of range, a missing
file) is a :class:`SeqbenchError`. The command-line layer prints its message on one line,
without a traceback, unless ``--debug`` or ``HYDRA_FULL_ERROR=1`` asks for one.

>>> raise ConfigError("task.length=-3: must be an integer >= 1")
Traceback (most recent call last):
...
seqbench.core.errors.ConfigError: task.length=-3: must be an integer >= 1
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class SeqbenchError(Exception):
    """Base class for errors caused by the user's input, not by a bug."""


class ConfigError(SeqbenchError, ValueError):
    """A knob or option has a value that is not allowed."""


class UnknownNameError(SeqbenchError, KeyError):
    """A task or model name is not registered."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0])


class DuplicateNameError(SeqbenchError):
    """Two registrations claim the same name."""


class NotApplicableError(SeqbenchError):
    """A model cannot be applied to a task (a bidirectional language model, say)."""


def closest(name: str, known: Iterable[str]) -> str | None:
    """Return the known name closest to ``name``, or None when nothing is close.

    >>> closest("revrese", ["parity", "reverse", "copy"])
    'reverse'
    """
    matches = difflib.get_close_matches(name, list(known), n=1, cutoff=0.5)
    return matches[0] if matches else None


def unknown_name_message(what: str, name: str, known: Iterable[str]) -> str:
    """Explain that ``name`` is unknown, listing the known names and the closest one.

    >>> unknown_name_message("task", "partiy", ["parity", "reverse"])
    "unknown task 'partiy'; did you mean 'parity'? Known tasks: parity, reverse"
    """
    known = sorted(known)
    hint = closest(name, known)
    did_you_mean = f"; did you mean '{hint}'?" if hint else ";"
    return f"unknown {what} '{name}'{did_you_mean} Known {what}s: {', '.join(known)}"
