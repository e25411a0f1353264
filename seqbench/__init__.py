"""seqbench: which recurrent architecture works on which kind of sequence problem, measured.

Usable without Hydra, from a notebook:

>>> from seqbench import fit, make_model, make_task
>>> task = make_task("reverse", length=6)
>>> model = make_model("lstm", task.spec, hidden_size=16)
>>> task.spec.kind
'seq2seq'
"""

from __future__ import annotations

from typing import Any

from seqbench.batch import Batch
from seqbench.errors import ConfigError, NotApplicableError, SeqbenchError, UnknownNameError
from seqbench.knobs import Knob
from seqbench.models import ModelDef, make_model
from seqbench.registry import MODELS, TASKS
from seqbench.spec import Classes, Real, TaskSpec, Tokens, Vector
from seqbench.task import SequenceTask, Task
from seqbench.train import fit

__version__ = "0.1.0"

__all__ = [
    "Batch", "Classes", "ConfigError", "Knob", "MODELS", "ModelDef", "NotApplicableError", "Real",
    "SeqbenchError", "SequenceTask", "TASKS", "Task", "TaskSpec", "Tokens", "UnknownNameError", "Vector",
    "fit", "make_model", "make_task",
]


def make_task(name: str, **knobs: Any) -> Task:
    """Build the registered task ``name`` with validated ``knobs``.

    >>> make_task("parity", length=-3)
    Traceback (most recent call last):
    ...
    seqbench.errors.ConfigError: task.length=-3: must be an integer in [1, 100000]
    """
    return TASKS.get(name)(**knobs)
