"""The argparse parser of every ``seqbench`` subcommand: a usage error is one line, not a usage block.

argparse answers a bad value with ten lines of usage and exits; seqbench's commands answer
every user error with one line (``seqbench: error: ...``, exit status 2, no traceback unless
``--debug``). :class:`Parser` makes argparse's errors :class:`~seqbench.core.errors.ConfigError`\\ s,
so they take the same path, and names the closest valid value or option:

>>> parser = Parser(prog="seqbench features")
>>> _ = parser.add_argument("--preset", choices=["1080p", "720p", "4k"])
>>> parser.parse_args(["--preset", "1080"])
Traceback (most recent call last):
...
seqbench.core.errors.ConfigError: --preset '1080': choose from 1080p, 4k, 720p; did you mean '1080p'?
>>> parser.parse_args(["--prest", "4k"])
Traceback (most recent call last):
...
seqbench.core.errors.ConfigError: unrecognized arguments: --prest 4k; did you mean '--preset'? (see 'seqbench features --help')
"""

from __future__ import annotations

import argparse
import re
from typing import Any, NoReturn

from seqbench.core.errors import ConfigError, closest


def choice_message(name: str, value: Any, choices: Any) -> str:
    """``--preset '1080': choose from 1080p, 4k, ...; did you mean '1080p'?`` (choices sorted by name)."""
    allowed = sorted(str(c) for c in choices)
    hint = closest(str(value), allowed)
    return f"{name} {str(value)!r}: choose from {', '.join(allowed)}" + (f"; did you mean '{hint}'?" if hint else "")


class Parser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose errors are one-line ConfigErrors naming the closest valid name."""

    def _check_value(self, action: argparse.Action, value: Any) -> None:
        """argparse's choice check (the hook Python 3.14's ``suggest_on_error`` uses), with a suggestion."""
        if action.choices is not None and value not in action.choices:
            name = "/".join(action.option_strings) or action.metavar or action.dest
            raise argparse.ArgumentError(None, choice_message(str(name), value, action.choices))

    def error(self, message: str) -> NoReturn:
        """Raise the message as one line, with the closest option for an unknown one."""
        message = re.sub(r"^argument (\S+): ", r"\1: ", " ".join(message.split()))
        if ": choose from " in message:  # from _check_value: the choices and the closest one said already
            raise ConfigError(message)
        unknown = re.match(r"unrecognized arguments: (-\S+)", message)
        options = [s for action in self._actions for s in action.option_strings]
        hint = closest(unknown.group(1).split("=")[0], options) if unknown else None
        if hint:
            message += f"; did you mean '{hint}'?"
        raise ConfigError(f"{message} (see '{self.prog} --help')")
