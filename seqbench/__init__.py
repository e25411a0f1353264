"""seqbench: which recurrent architecture works on which kind of sequence problem, measured.

Usable without Hydra, from a notebook:

>>> from seqbench import fit, make_model, make_task
>>> task = make_task("reverse", length=6)
>>> model = make_model("lstm", task.spec, hidden_size=16)
>>> task.spec.kind
'seq2seq'

Every public name is imported on first use (PEP 562 module ``__getattr__``), so ``import
seqbench`` and the commands that only list things (``seqbench --help``, ``seqbench tasks``)
import neither torch nor matplotlib.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

#: public name -> the module that defines it (imported when the name is first used)
_EXPORTS: dict[str, str] = {
    "Batch": "seqbench.batch",
    "Classes": "seqbench.spec",
    "ConfigError": "seqbench.errors",
    "EOS": "seqbench.decoding",
    "Knob": "seqbench.knobs",
    "MODELS": "seqbench.registry",
    "ModelDef": "seqbench.models.base",
    "NotApplicableError": "seqbench.errors",
    "Real": "seqbench.spec",
    "SeqbenchError": "seqbench.errors",
    "SequenceTask": "seqbench.task",
    "TASKS": "seqbench.registry",
    "Task": "seqbench.task",
    "TaskSpec": "seqbench.spec",
    "Tokens": "seqbench.spec",
    "UnknownNameError": "seqbench.errors",
    "Vector": "seqbench.spec",
    "check_model": "seqbench.model_checks",
    "check_task": "seqbench.checks",
    "decoder_vocabulary": "seqbench.decoding",
    "fit": "seqbench.train",
    "make_model": "seqbench.models",
    "with_eos": "seqbench.decoding",
}

__all__ = sorted([*_EXPORTS, "make_task"])

if TYPE_CHECKING:  # for type checkers and IDEs; at run time the names resolve lazily
    from seqbench.batch import Batch
    from seqbench.checks import check_task
    from seqbench.model_checks import check_model
    from seqbench.decoding import EOS, decoder_vocabulary, with_eos
    from seqbench.errors import ConfigError, NotApplicableError, SeqbenchError, UnknownNameError
    from seqbench.knobs import Knob
    from seqbench.models import make_model
    from seqbench.models.base import ModelDef
    from seqbench.registry import MODELS, TASKS
    from seqbench.spec import Classes, Real, TaskSpec, Tokens, Vector
    from seqbench.task import SequenceTask, Task
    from seqbench.train import fit


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'seqbench' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value  # the next lookup is a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


def make_task(name: str, **knobs: Any) -> Task:
    """Build the registered task ``name`` with validated ``knobs``.

    >>> make_task("parity", length=-3)
    Traceback (most recent call last):
    ...
    seqbench.errors.ConfigError: task.length=-3: must be an integer in [1, 100000]
    """
    from seqbench.registry import TASKS

    return TASKS.get(name)(**knobs)
