"""Optional model hooks: what the trainer calls on a model when the model offers it.

A model is an ``nn.Module`` mapping a :class:`~seqbench.core.batch.Batch` to outputs. Its optional
behaviours are declared here as :class:`typing.Protocol` classes, so a plugin model takes part
by having the attributes, with no base class to inherit; the trainer and the evaluation ask
``isinstance(model, ScheduledModel)``, ``isinstance(model, CarriesState)`` and so on.

- :class:`ScheduledModel`: ``begin_step(step, total_steps)`` is called before every training
  step (``step`` counts from 0), so a model can change its behaviour over training, e.g. decay
  its teacher-forcing ratio (scheduled sampling).
- :class:`CarriesState`: truncated backpropagation through time (``trainer.tbptt=k``) feeds a
  long sequence in chunks. The model says ``carries_state = True``, accepts
  ``forward(batch, state=...)`` (``None`` for the first chunk) and leaves the state at the end
  of each chunk in ``last_state``; the trainer detaches it and passes it to the next chunk.
- :class:`FixedLength`: ``max_input_length`` is the longest input the model has weights for
  (the ``mlp``); longer inputs are not scored.
- :class:`ForcedDecoding`: ``forced_length()`` is a context manager inside which greedy
  decoding never chooses EOS, so every target position is written (content accuracy).
  :class:`ForcedLengthSwitch` implements it for modules that call :func:`forbid_eos`.

This module imports no torch, so ``seqbench models`` can list models without it.

>>> class Plain:
...     def forward(self, batch): ...
>>> class Decaying(Plain):
...     def begin_step(self, step, total_steps): self.ratio = 1 - step / total_steps
>>> isinstance(Plain(), ScheduledModel), isinstance(Decaying(), ScheduledModel)
(False, True)
>>> class Stateful:
...     carries_state, last_state = True, None
...     def forward(self, batch, state=None): ...
>>> isinstance(Stateful(), CarriesState), isinstance(Plain(), CarriesState)
(True, False)
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol, runtime_checkable

__all__ = ["CarriesState", "FixedLength", "ForcedDecoding", "ForcedLengthSwitch", "ScheduledModel", "forbid_eos"]


@runtime_checkable
class ScheduledModel(Protocol):
    """A model told where training is before each step."""

    def begin_step(self, step: int, total_steps: int) -> None:
        """Called before training step ``step`` (0-based) of ``total_steps``."""


@runtime_checkable
class FixedLength(Protocol):
    """A model that can only read inputs up to a fixed number of steps."""

    max_input_length: int | None  #: the longest input it has weights for (None: any length)


@runtime_checkable
class ForcedDecoding(Protocol):
    """A decoder that can write exactly the target's number of symbols, never stopping early."""

    def forced_length(self) -> Any:
        """A context manager: inside it, greedy decoding never chooses EOS."""


@runtime_checkable
class CarriesState(Protocol):
    """A model whose recurrent state can be carried from one chunk of a sequence to the next.

    ``carries_state`` may be False on an instance that cannot carry it (a bidirectional model
    reads each chunk backwards too); the trainer then refuses truncated BPTT with the reason.
    """

    carries_state: bool
    last_state: Any  #: the state after the last forward pass (a tensor, or a tuple of tensors)

    def forward(self, batch: Any, state: Any = None) -> Any:
        """Outputs for ``batch``, starting from ``state`` (None: the model's initial state)."""


class ForcedLengthSwitch:
    """Mixin giving a decoder the :class:`ForcedDecoding` hook: ``with model.forced_length():``
    sets ``forbid_eos`` on the model and every submodule that has the attribute; a greedy
    decoding step then calls :func:`forbid_eos` on its logits before choosing a token."""

    forbid_eos: bool = False

    @contextmanager
    def forced_length(self) -> Iterator[None]:
        modules = [m for m in self.modules() if hasattr(m, "forbid_eos")]  # type: ignore[attr-defined]
        for module in modules:
            module.forbid_eos = True
        try:
            yield
        finally:
            for module in modules:
                module.forbid_eos = False


def forbid_eos(logits: Any, active: bool) -> Any:
    """(B, V) step logits with EOS made impossible when ``active`` (forced-length decoding)."""
    if not active:
        return logits
    from seqbench.core.spec import EOS

    logits = logits.clone()
    logits[:, EOS] = float("-inf")
    return logits
