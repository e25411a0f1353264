"""Name -> object registries fed by entry points, loaded lazily, with clear errors.

Built-in tasks and models register through the same entry-point groups a third-party
plugin uses (``seqbench.tasks`` and ``seqbench.models`` in ``pyproject.toml``), so nothing
distinguishes them. Entry points are only imported when a name is first used; a plugin that
fails to import, or claims a name that is taken, is reported by name and the rest still load.

>>> from seqbench.core.registry import TASKS
>>> "parity" in TASKS.names()
True
>>> TASKS.get("partiy")
Traceback (most recent call last):
...
seqbench.core.errors.UnknownNameError: unknown task 'partiy'; did you mean 'parity'? Known tasks: ...
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
import os
from importlib.metadata import EntryPoint, entry_points
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from seqbench.core.errors import DuplicateNameError, SeqbenchError, UnknownNameError, unknown_name_message

if TYPE_CHECKING:
    from seqbench.core.task import Task

T = TypeVar("T")
BUILTIN_DIST = "seqbench"
#: Set to 1 to load only the built-in tasks and models (a broken or slow plugin, a clean comparison).
DISABLE_PLUGINS = "SEQBENCH_DISABLE_PLUGIN_AUTOLOAD"


class PluginError(SeqbenchError):
    """A registered plugin could not be loaded, or is not what its group expects."""


@dataclass
class _Entry:
    name: str
    source: str  # distribution name, or "<code>" for register()
    entry_point: EntryPoint | None = None
    obj: Any = None
    error: str | None = None


class Registry(Generic[T]):
    """A registry of one kind of object (``what`` is "task" or "model")."""

    def __init__(self, group: str, what: str, validate: Callable[[str, Any], None] | None = None) -> None:
        self.group = group
        self.what = what
        self._validate = validate
        self._entries: dict[str, _Entry] | None = None
        self._conflicts: dict[str, str] = {}  # "<dist>:<name>" -> why it was refused

    # ------------------------------------------------------------ discovery
    def _discover(self) -> dict[str, _Entry]:
        if self._entries is not None:
            return self._entries
        entries: dict[str, _Entry] = {}
        found = sorted(entry_points(group=self.group),
                       key=lambda ep: (_dist_name(ep) != BUILTIN_DIST, _dist_name(ep), ep.name))
        if os.environ.get(DISABLE_PLUGINS, "").strip() not in ("", "0"):  # the built-ins only
            found = [ep for ep in found if _dist_name(ep) == BUILTIN_DIST]
        for ep in found:
            dist = _dist_name(ep)
            taken = entries.get(ep.name)
            if taken is None:
                entries[ep.name] = _Entry(ep.name, dist, ep)
            elif taken.entry_point is not None and taken.entry_point.value != ep.value:
                self._conflicts[f"{dist}:{ep.name}"] = (
                    f"{self.what} plugin '{ep.name}' from '{dist}' ({ep.value}) reuses the name of the "
                    f"{self.what} from '{taken.source}' ({taken.entry_point.value}); rename it"
                )
            # the same entry point seen twice (an editable and a regular install) is harmless
        self._entries = entries
        return entries

    def register(self, name: str, obj: T, source: str = "<code>") -> None:
        """Add an object by hand (notebooks, tests). A taken name raises DuplicateNameError."""
        entries = self._discover()
        if name in entries:
            raise DuplicateNameError(f"{self.what} '{name}' is already registered by '{entries[name].source}'")
        if self._validate is not None:
            self._validate(name, obj)
        entries[name] = _Entry(name, source, obj=obj)

    def unregister(self, name: str) -> None:
        self._discover().pop(name, None)

    # ------------------------------------------------------------ lookup
    def names(self) -> list[str]:
        """Every registered name, loadable or not (sorted)."""
        return sorted(self._discover())

    def __contains__(self, name: str) -> bool:
        return name in self._discover()

    def get(self, name: str) -> T:
        """The object registered as ``name``; imports its plugin on first use."""
        entries = self._discover()
        if name not in entries:
            raise UnknownNameError(unknown_name_message(self.what, name, entries))
        entry = entries[name]
        if entry.obj is None and entry.error is None:
            try:
                obj = entry.entry_point.load()
                if self._validate is not None:
                    self._validate(name, obj)
                entry.obj = obj
            except Exception as exc:  # noqa: BLE001 - any plugin failure is reported, not raised raw
                entry.error = (f"{self.what} plugin '{name}' from '{entry.source}' ({entry.entry_point.value}) "
                               f"failed to load: {type(exc).__name__}: {exc}")
        if entry.error is not None:
            raise PluginError(entry.error)
        return entry.obj

    def load_all(self) -> tuple[dict[str, T], list[str]]:
        """(name -> object for every loadable entry, messages for every broken or refused one)."""
        loaded: dict[str, T] = {}
        self._discover()
        problems = list(self._conflicts.values())
        for name in self.names():
            try:
                loaded[name] = self.get(name)
            except PluginError as exc:
                problems.append(str(exc))
        return loaded, problems

    def source(self, name: str) -> str:
        return self._discover()[name].source

    def reset(self) -> None:
        """Forget everything discovered (tests that install plugins at run time)."""
        self._entries = None
        self._conflicts = {}


def _dist_name(ep: EntryPoint) -> str:
    dist = getattr(ep, "dist", None)
    return dist.name if dist is not None else "<unknown>"


def _validate_task(name: str, obj: Any) -> None:
    from seqbench.core.task import Task

    if not (isinstance(obj, type) and issubclass(obj, Task)):
        raise PluginError(f"task plugin '{name}' must be a subclass of seqbench.Task, got {obj!r}")
    if getattr(obj, "name", None) != name:
        raise PluginError(f"task plugin '{name}': class {obj.__name__} has name={getattr(obj, 'name', None)!r}; "
                          f"the entry-point name and the class's name must agree")
    obj.declared_tags()  # tags that are not lowercase identifiers: refused here, by name (seqbench.core.tags)


def _validate_model(name: str, obj: Any) -> None:
    from seqbench.core.model_def import ModelDef

    if not isinstance(obj, ModelDef):
        raise PluginError(f"model plugin '{name}' must be a seqbench.models.ModelDef, got {obj!r}")
    if obj.name != name:
        raise PluginError(f"model plugin '{name}': its ModelDef is named {obj.name!r}; the names must agree")


TASKS: Registry = Registry("seqbench.tasks", "task", _validate_task)
MODELS: Registry = Registry("seqbench.models", "model", _validate_model)


def make_task(name: str, **knobs: Any) -> Task:
    """Build the registered task ``name`` with validated ``knobs``.

    >>> make_task("parity", length=-3)
    Traceback (most recent call last):
    ...
    seqbench.core.errors.ConfigError: task.length=-3: must be an integer in [1, 100000]
    """
    return TASKS.get(name)(**knobs)
