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

from seqbench import moved as _moved  # noqa: E402  (the pre-regroup module paths stay importable)

_moved.install()

#: public name -> the module that defines it (imported when the name is first used)
_EXPORTS: dict[str, str] = {
    "Batch": "seqbench.core.batch",
    "Classes": "seqbench.core.spec",
    "ConfigError": "seqbench.core.errors",
    "EOS": "seqbench.core.decoding",
    "Knob": "seqbench.core.options",
    "MODELS": "seqbench.core.registry",
    "ModelDef": "seqbench.core.model_def",
    "NotApplicableError": "seqbench.core.errors",
    "Real": "seqbench.core.spec",
    "SeqbenchError": "seqbench.core.errors",
    "SequenceTask": "seqbench.core.task",
    "TASKS": "seqbench.core.registry",
    "Task": "seqbench.core.task",
    "TaskSpec": "seqbench.core.spec",
    "Tokens": "seqbench.core.spec",
    "UnknownNameError": "seqbench.core.errors",
    "Vector": "seqbench.core.spec",
    "check_model": "seqbench.conformance.model_checks",
    "check_task": "seqbench.conformance.task_checks",
    "decoder_vocabulary": "seqbench.core.decoding",
    "fit": "seqbench.engine.train",
    "make_task": "seqbench.core.registry",
    "make_model": "seqbench.models",
    "with_eos": "seqbench.core.decoding",
}

__all__ = sorted(_EXPORTS)

if TYPE_CHECKING:  # for type checkers and IDEs; at run time the names resolve lazily
    from seqbench.core.batch import Batch
    from seqbench.conformance.task_checks import check_task
    from seqbench.conformance.model_checks import check_model
    from seqbench.core.decoding import EOS, decoder_vocabulary, with_eos
    from seqbench.core.errors import ConfigError, NotApplicableError, SeqbenchError, UnknownNameError
    from seqbench.core.options import Knob
    from seqbench.models import make_model
    from seqbench.core.model_def import ModelDef
    from seqbench.core.registry import MODELS, TASKS, make_task
    from seqbench.core.spec import Classes, Real, TaskSpec, Tokens, Vector
    from seqbench.core.task import SequenceTask, Task
    from seqbench.engine.train import fit


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'seqbench' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value  # the next lookup is a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})

