"""How a model is declared and built: a :class:`ModelDef` in the ``seqbench.models`` group.

A model definition names its options (as :class:`~seqbench.core.options.Knob` declarations) and a
builder that turns a :class:`~seqbench.core.spec.TaskSpec` plus validated options into an
``nn.Module``. A module maps a :class:`~seqbench.core.batch.Batch` to an output tensor shaped as
the spec's kind asks (see :mod:`seqbench.core.batch`); it never computes a loss and never knows a
task's name.

Every family with a ``hidden_size`` option also gets ``param_budget``
(:mod:`seqbench.core.budget`): :meth:`ModelDef.resolve` turns a budget into the hidden size
whose built model comes closest to it, and the built module carries the options it was
built with as ``build_options``.

>>> from seqbench import make_model, make_task
>>> model = make_model("gru", make_task("parity").spec, hidden_size=8)
>>> type(model).__name__, model.build_options["hidden_size"]
('SequenceClassifier', 8)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from seqbench.core.errors import NotApplicableError
from seqbench.core.options import Knob, validate_knobs
from seqbench.core.budget import BUDGET_KNOB, resolve_budget
from seqbench.core.spec import TaskSpec

if TYPE_CHECKING:  # models are torch modules; declaring a family needs no torch
    from torch import nn


@dataclass(frozen=True)
class ModelDef:
    """A registered model family: name, options and builder.

    ``size_step(options)`` says which hidden sizes are valid for a parameter budget (the
    transformer's width must be a multiple of its head count); by default any. ``size_min(options)``
    is the smallest a budget may pick (the sLSTM and mLSTM need 2 units per head); by default the
    ``hidden_size`` knob's own lower bound.
    """

    name: str
    description: str
    options: tuple[Knob, ...]
    builder: Callable[[TaskSpec, dict[str, Any]], nn.Module]
    size_step: Callable[[dict[str, Any]], int] | None = None
    size_min: Callable[[dict[str, Any]], int] | None = None

    def __post_init__(self) -> None:
        names = {k.name for k in self.options}
        if "hidden_size" in names and BUDGET_KNOB.name not in names:
            object.__setattr__(self, "options", (*self.options, BUDGET_KNOB))

    def validate(self, options: dict[str, Any]) -> dict[str, Any]:
        return validate_knobs("model", self.options, options)

    def resolve(self, spec: TaskSpec, **options: Any) -> dict[str, Any]:
        """Validated options, with ``hidden_size`` chosen for ``param_budget`` when one is set."""
        return self._resolve(spec, self.validate(options))

    def _resolve(self, spec: TaskSpec, o: dict[str, Any]) -> dict[str, Any]:
        if o.get(BUDGET_KNOB.name) is None:
            return o
        hidden = next(k for k in self.options if k.name == "hidden_size")
        step = self.size_step(o) if self.size_step is not None else 1
        low = self.size_min(o) if self.size_min is not None else None
        return resolve_budget(o, lambda candidate: self._build(spec, candidate), hidden, step, low)

    def build(self, spec: TaskSpec, **options: Any) -> nn.Module:
        """Validate options and build the module for ``spec`` (NotApplicableError if it cannot).

        The module's ``build_options`` holds the options used, the chosen hidden size included.
        """
        return self.build_checked(spec, self.validate(options))

    def build_checked(self, spec: TaskSpec, options: dict[str, Any]) -> nn.Module:
        """:meth:`build` with options :meth:`validate` already returned (a plan's): nothing is checked
        again. ``options`` becomes the module's ``build_options`` unless a ``param_budget`` picks the size."""
        resolved = self._resolve(spec, options)
        model = self._build(spec, resolved)
        model.build_options = resolved
        return model

    def _build(self, spec: TaskSpec, options: dict[str, Any]) -> nn.Module:
        # the budget is resolved into hidden_size here; builders never see it
        return self.builder(spec, {k: v for k, v in options.items() if k != BUDGET_KNOB.name})

    def applicable(self, spec: TaskSpec, **options: Any) -> str | None:
        """None when the model can run on tasks of this spec, else the reason it cannot."""
        try:
            self.build(spec, **options)
        except NotApplicableError as exc:
            return str(exc)
        return None

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "options": {k.name: k.describe() for k in self.options},
        }


def count_parameters(model: nn.Module) -> int:
    """Trainable parameters of a module."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
