"""The module paths from before the package was grouped by layer, kept importable.

``seqbench.task`` is now ``seqbench.core.task`` (and so on, :data:`MOVED`). Code written against
the old paths, plugins included, goes on working: importing an old path gives the very module
object of the new one.

>>> import seqbench.task, seqbench.core.task
>>> seqbench.task is seqbench.core.task
True
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
from types import ModuleType

#: old module path -> where it lives now
MOVED: dict[str, str] = {
    "seqbench.errors": "seqbench.core.errors",
    "seqbench.spec": "seqbench.core.spec",
    "seqbench.batch": "seqbench.core.batch",
    "seqbench.knobs": "seqbench.core.options",
    "seqbench.task": "seqbench.core.task",
    "seqbench.partition": "seqbench.core.partition",
    "seqbench.spaces": "seqbench.core.spaces",
    "seqbench.metrics": "seqbench.core.metrics",
    "seqbench.baselines": "seqbench.core.baselines",
    "seqbench.decoding": "seqbench.core.decoding",
    "seqbench.entropy": "seqbench.core.entropy",
    "seqbench.pdfa": "seqbench.core.pdfa",
    "seqbench.registry": "seqbench.core.registry",
    "seqbench.results": "seqbench.core.record",
    "seqbench.record_schema": "seqbench.core.record_schema",
    "seqbench.atomic": "seqbench.core.atomic",
    "seqbench.memory": "seqbench.core.memory",
    "seqbench.models.base": "seqbench.core.model_def",
    "seqbench.models.budget": "seqbench.core.budget",
    "seqbench.train": "seqbench.engine.train",
    "seqbench.steps": "seqbench.engine.steps",
    "seqbench.evaluation": "seqbench.engine.evaluation",
    "seqbench.intervals": "seqbench.engine.intervals",
    "seqbench.exact_intervals": "seqbench.engine.exact_intervals",
    "seqbench.convergence": "seqbench.engine.convergence",
    "seqbench.optim": "seqbench.engine.optim",
    "seqbench.loggers": "seqbench.engine.loggers",
    "seqbench.training_state": "seqbench.engine.training_state",
    "seqbench.trainer_options": "seqbench.engine.trainer_options",
    "seqbench.plan": "seqbench.runs.plan",
    "seqbench.experiment": "seqbench.runs.experiment",
    "seqbench.checkpoint": "seqbench.runs.checkpoint",
    "seqbench.resources": "seqbench.runs.resources",
    "seqbench.export": "seqbench.runs.export",
    "seqbench.task_facts": "seqbench.runs.task_facts",
    "seqbench.aggregate": "seqbench.boards.aggregate",
    "seqbench.cells": "seqbench.boards.cells",
    "seqbench.selection": "seqbench.boards.selection",
    "seqbench.board": "seqbench.boards.lookup",
    "seqbench.leaderboard": "seqbench.boards.tables",
    "seqbench.report": "seqbench.boards.render",
    "seqbench.html_page": "seqbench.boards.page",
    "seqbench.page_assets": "seqbench.boards.page_assets",
    "seqbench.board_files": "seqbench.boards.files",
    "seqbench.board_gaps": "seqbench.boards.coverage",
    "seqbench.claims": "seqbench.boards.claims",
    "seqbench.csv_safe": "seqbench.boards.csv_safe",
    "seqbench.checks": "seqbench.conformance.task_checks",
    "seqbench.model_checks": "seqbench.conformance.model_checks",
}


class MovedModules(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """A finder that answers an old path with the module at its new one."""

    def find_spec(self, fullname, path=None, target=None):  # noqa: ANN001, ARG002 (the finder protocol)
        if fullname not in MOVED:
            return None
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec) -> ModuleType:  # noqa: ANN001
        return importlib.import_module(MOVED[spec.name])

    def exec_module(self, module: ModuleType) -> None:
        """Nothing to run: the new module ran when it was imported."""


def install() -> None:
    """Put the finder first on ``sys.meta_path``, once (``import seqbench`` calls this)."""
    if not any(isinstance(finder, MovedModules) for finder in sys.meta_path):
        sys.meta_path.insert(0, MovedModules())
