"""Models: registered :class:`ModelDef` families built from a task's spec.

>>> from seqbench import make_model, make_task
>>> model = make_model("lstm", make_task("reverse").spec, hidden_size=16)
>>> type(model).__name__
'EncoderDecoder'
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from seqbench.core.model_def import ModelDef, count_parameters
from seqbench.core.registry import MODELS
from seqbench.core.spec import TaskSpec

if TYPE_CHECKING:
    from torch import nn

__all__ = ["ModelDef", "count_parameters", "make_model", "model_def"]


def model_def(name: str) -> ModelDef:
    """The registered definition of ``name`` (UnknownNameError lists the known ones)."""
    return MODELS.get(name)


def make_model(name: str, spec: TaskSpec, **options: Any) -> nn.Module:
    """Build model ``name`` sized for ``spec``; options are validated against its declaration."""
    return model_def(name).build(spec, **options)
