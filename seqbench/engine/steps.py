"""Step strategies of the one trainer: what one training step does with a batch.

:class:`WholeSequence` backpropagates through each whole sequence; :class:`TruncatedBPTT`
cuts aligned-output sequences (tagging, lm) into chunks. The caller picks one
(:func:`choose_strategy`) and hands it to :func:`seqbench.engine.train.fit`; this module imports
nothing from the trainer, so data flows one way.

Truncated backpropagation through time:
With chunk length ``k``, a training sequence of T steps is cut into ceil(T / k) chunks. The
recurrent state flows forward across chunk boundaries but is detached there, so gradients
reach back at most k steps. Each chunk's loss is weighted by its share of the scored tokens,
so with ``k >= T`` the gradient is exactly that of full backpropagation. Evaluation always
runs over the whole stream.

>>> import torch
>>> from seqbench import make_model, make_task
>>> task = make_task("markov_lm", length=12)
>>> model = make_model("gru", task.spec, hidden_size=8)
>>> batch = task.sample(task.rng(0, "train"), 4)
>>> loss = TruncatedBPTT(5)(model, task, batch)  # chunks of 5, 5 and 2 steps
>>> round(loss, 2) > 0
True
"""

from __future__ import annotations

import torch
from torch import nn

import math

from seqbench.core.batch import Batch
from seqbench.core.errors import ConfigError
from seqbench.models.hooks import CarriesState
from seqbench.core.task import Task


class StepStrategy:
    """Forward and backward for one training batch; returns the loss as a float."""

    def __call__(self, model: nn.Module, task: Task, batch: Batch) -> float:
        raise NotImplementedError


class WholeSequence(StepStrategy):
    """Backpropagate through every whole sequence of the batch (the default)."""

    def __call__(self, model: nn.Module, task: Task, batch: Batch) -> float:
        loss = task.loss(model(batch), batch)
        value = float(loss.detach())  # the step's one read of the loss (a device sync on GPUs)
        if math.isfinite(value):
            loss.backward()
        return value


class TruncatedBPTT(StepStrategy):
    """Chunks of ``k`` steps; the state crosses chunk boundaries detached."""

    def __init__(self, k: int) -> None:
        self.k = k

    def __call__(self, model: nn.Module, task: Task, batch: Batch) -> float:
        if not (isinstance(model, CarriesState) and model.carries_state):
            raise ConfigError(
                f"trainer.tbptt={self.k}: needs a unidirectional recurrent model that carries its "
                f"state across chunks; {type(model).__name__} does not")
        steps = batch.inputs.shape[1]
        total = batch.target_mask.sum().clamp(min=1)
        state, loss_sum = None, 0.0
        for start in range(0, steps, self.k):
            stop = min(start + self.k, steps)
            mask = batch.target_mask[:, start:stop]
            if not bool(mask.any()):
                break
            lengths = None if batch.lengths is None else (batch.lengths - start).clamp(1, stop - start)
            chunk = Batch(batch.inputs[:, start:stop], batch.targets[:, start:stop], lengths, mask)
            out = model(chunk, state=state)  # (B, k, V)
            loss = task.loss(out, chunk) * (mask.sum() / total)
            if not torch.isfinite(loss):
                return float("nan")
            loss.backward()
            loss_sum += float(loss.detach())
            state = _detach(model.last_state)
        return loss_sum


def _detach(state):
    if isinstance(state, tuple):
        return tuple(s.detach() for s in state)
    return state.detach()


def choose_strategy(task: Task, tbptt: int | None) -> StepStrategy:
    """Whole-sequence steps, or truncated BPTT for tasks with aligned per-step outputs."""
    if tbptt is None:
        return WholeSequence()
    if not task.spec.aligned_output:
        raise ConfigError(f"trainer.tbptt={tbptt}: truncated BPTT applies to lm and tagging tasks, "
                          f"not to {task.name!r} ({task.kind})")
    return TruncatedBPTT(tbptt)
