"""Tags: what a task is, declared once, for choosing tasks by what they are instead of by lists.

A task class declares its tags (``tags = frozenset({"chomsky"})``): lowercase identifiers such as
its family (``chomsky``, ``algorithmic``, ``memory``, ``language``, ``image``) and, for the
Chomsky-hierarchy tasks, their level (``regular``, ``context_free``, ``context_sensitive``).
Its kind (``many_to_one``, ``seq2seq``, ...) is added from its spec, so it is never declared.
A plugin may declare tags; one that declares none has its kind only.

``seqbench tasks --tag chomsky`` lists the tasks that hold a tag, and a grid names them with
``${seqbench.tagged:chomsky}`` (every task but them: ``${seqbench.untagged:chomsky}``) in a
sweeper's params (:func:`seqbench.cli.overrides.tagged_tasks`).

>>> sorted(check_tags("task demo", ("chomsky", "regular")))
['chomsky', 'regular']
>>> check_tags("task demo", ("Chomsky",))
Traceback (most recent call last):
...
seqbench.core.errors.ConfigError: task demo: tag 'Chomsky' must be a lowercase identifier (a-z, 0-9, _; a letter first)
>>> from seqbench.core.registry import TASKS
>>> sorted(task_tags(TASKS)["parity_check"])
['chomsky', 'many_to_one', 'regular']
>>> select(TASKS, ["chomsky", "context_free"])
['modular_arithmetic_brackets', 'reverse_string', 'solve_equation', 'stack_manipulation']
>>> select(TASKS, ["chomksy"])
Traceback (most recent call last):
...
seqbench.core.errors.UnknownNameError: unknown tag 'chomksy'; did you mean 'chomsky'? Known tags: ...
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from seqbench.core.errors import ConfigError, UnknownNameError, unknown_name_message

if TYPE_CHECKING:
    from seqbench.core.registry import Registry
    from seqbench.core.task import Task

#: A tag: a lowercase identifier.
TAG = re.compile(r"[a-z][a-z0-9_]*")


def check_tags(owner: str, tags: Any) -> frozenset[str]:
    """``tags`` (any collection of strings) as a frozenset; ConfigError naming ``owner`` for a
    bare string, a non-string or a tag that is not a lowercase identifier, or for a kind (a
    task's kind is added from its spec, never declared)."""
    from seqbench.core.spec import KINDS

    if isinstance(tags, (str, bytes)) or not isinstance(tags, Iterable):
        raise ConfigError(f"{owner}: tags={tags!r} must be a collection of tags, e.g. frozenset({{'mine'}})")
    out = frozenset(tags)
    for tag in sorted(out, key=str):
        if not isinstance(tag, str) or not TAG.fullmatch(tag):
            raise ConfigError(f"{owner}: tag {tag!r} must be a lowercase identifier (a-z, 0-9, _; a letter first)")
        if tag in KINDS:
            raise ConfigError(f"{owner}: tag {tag!r} is a kind; a task's kind is added from its spec, "
                              "never declared")
    return out


@lru_cache(maxsize=None)
def default_kind(cls: type[Task]) -> str | None:
    """The kind of ``cls`` built with its default knobs, or None when it cannot be built."""
    try:
        return cls().kind
    except Exception:  # noqa: BLE001 - a plugin whose defaults do not build still has its declared tags
        return None


def tags_of(cls: type[Task]) -> frozenset[str]:
    """Every tag of a task class: the declared ones and its kind (at default knobs)."""
    kind = default_kind(cls)
    return cls.declared_tags() | ({kind} if kind else set())


def task_tags(registry: Registry) -> dict[str, frozenset[str]]:
    """Task name -> its tags, for every loadable task of ``registry`` (``seqbench.core.registry.TASKS``)."""
    loaded, _ = registry.load_all()
    return {name: tags_of(cls) for name, cls in loaded.items()}


def check_known(tags: Iterable[str], known: Iterable[str]) -> None:
    """UnknownNameError for the first of ``tags`` no task holds, naming the known tags and the closest."""
    known = set(known)
    for tag in tags:
        if tag not in known:
            raise UnknownNameError(unknown_name_message("tag", str(tag), known))


def select(registry: Registry, tags: Iterable[str] = (), without: Iterable[str] = ()) -> list[str]:
    """The names (sorted) of the tasks of ``registry`` that hold every tag of ``tags`` and none of ``without``.

    Every tag must be one some task holds (UnknownNameError otherwise, with the closest one), and
    the selection must not be empty (ConfigError).
    """
    tags, without = list(tags), list(without)
    every = task_tags(registry)
    check_known(tags + without, set().union(*every.values()))
    chosen = [name for name, held in sorted(every.items())
              if held.issuperset(tags) and held.isdisjoint(without)]
    if not chosen and tags:
        unless = f" but none of {', '.join(without)}" if without else ""
        raise ConfigError(f"no task is tagged {' and '.join(tags)}{unless}")
    if not chosen:
        raise ConfigError(f"every task is tagged {' or '.join(without)}: none is left")
    return chosen
