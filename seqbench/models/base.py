"""How a model is declared and built: a :class:`ModelDef` in the ``seqbench.models`` group.

A model definition names its options (as :class:`~seqbench.knobs.Knob` declarations) and a
builder that turns a :class:`~seqbench.spec.TaskSpec` plus validated options into an
``nn.Module``. A module maps a :class:`~seqbench.batch.Batch` to an output tensor shaped as
the spec's kind asks (see :mod:`seqbench.batch`); it never computes a loss and never knows a
task's name.

>>> from seqbench import make_model, make_task
>>> model = make_model("gru", make_task("parity").spec, hidden_size=8)
>>> type(model).__name__
'SequenceClassifier'
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from torch import nn

from seqbench.errors import NotApplicableError
from seqbench.knobs import Knob, validate_knobs
from seqbench.spec import TaskSpec


@dataclass(frozen=True)
class ModelDef:
    """A registered model family: name, options and builder."""

    name: str
    description: str
    options: tuple[Knob, ...]
    builder: Callable[[TaskSpec, dict[str, Any]], nn.Module]

    def validate(self, options: dict[str, Any]) -> dict[str, Any]:
        return validate_knobs("model", self.options, options)

    def build(self, spec: TaskSpec, **options: Any) -> nn.Module:
        """Validate options and build the module for ``spec`` (NotApplicableError if it cannot)."""
        return self.builder(spec, self.validate(options))

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
