"""Memory checked before it is spent: estimate a run's memory before training and refuse,
with the numbers and a hint, a run that cannot fit what this machine has available.

The estimate is deliberately simple and stated, so a user can redo it by hand:

- **training state**: every parameter in fp32 four times (weights, gradients, Adam's two moments);
- **activations** kept for the backward pass: ``batch x steps x hidden x layers x directions x``
  :data:`ACTIVATION_FACTOR` fp32 numbers (an LSTM keeps four gates, the cell, its tanh and the
  hidden state per unit and step), plus the output logits three times (logits, softmax,
  gradient) and, for attention models, ``batch x heads x steps^2 x layers`` scores three times;
- **evaluation**: one forward pass of ``eval_batch_size`` at the longest evaluated length
  (:data:`EVAL_FACTOR` numbers per unit and step, no backward);
- **evaluation sets**: three splits of ``eval_size`` examples kept in memory.

It is an estimate to refuse the hopeless (a batch of 65,536 sequences of 100,000 steps), not
a tight bound; a run that passes can still run out of memory, and then gets the same hint.

>>> from seqbench.core.spec import Classes, TaskSpec, Tokens
>>> spec = TaskSpec("many_to_one", Tokens(("<pad>", "0", "1")), Classes(2), "accuracy", lengths=(1, 16),
...                 ood_lengths=(17, 32))
>>> need = estimate(20_000, spec, {"batch_size": 64, "eval_batch_size": 256, "eval_size": 512},
...                 {"hidden_size": 64, "num_layers": 1})
>>> format_bytes(need.total)
'12.7 MB'
>>> check_fits(need, {"batch_size": 64}, {"hidden_size": 64}, available=10**9)  # fits: nothing happens
>>> check_fits(need, {"batch_size": 64}, {"hidden_size": 64}, available=10**6)
Traceback (most recent call last):
...
seqbench.runs.resources.ResourceError: does not fit in memory: this run needs about 12.7 MB ... but 1.0 MB is available; try trainer.eval_batch_size=...
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from typing import Any

from seqbench.core.errors import SeqbenchError
from seqbench.core.memory import ADAM_COPIES, BYTES, format_bytes, machine_memory

#: fp32 numbers kept per hidden unit, step, layer and direction for the backward pass.
ACTIVATION_FACTOR = 12
#: fp32 numbers per hidden unit, step, layer and direction during an evaluation forward pass.
EVAL_FACTOR = 4
#: Evaluation splits kept in memory (val, test, test_ood).
EVAL_SPLITS = 3
#: Bytes of memory a task needs per byte of a text file it reads (the bytes, one 4-byte code
#: point per character, and the decoded string).
TEXT_FILE_FACTOR = 6
#: Copies of a drawn batch that exporting it holds at once (the padded batch, and the rows
#: without padding that the writers take from it).
EXPORT_FACTOR = 2


#: The knob that shrinks each part, and the power of the part it scales with (a part grows
#: linearly with the batch size, with the square of the hidden size).
KNOBS = {"activations": ("trainer.batch_size", 1.0), "training state": ("model.hidden_size", 0.5),
         "evaluation pass": ("trainer.eval_batch_size", 1.0), "evaluation sets": ("trainer.eval_size", 1.0)}
DEFAULTS = {"trainer.batch_size": 64, "model.hidden_size": 64, "trainer.eval_batch_size": 256, "trainer.eval_size": 512}


class ResourceError(SeqbenchError):
    """A run would need more memory than this machine has available."""


@dataclass
class Estimate:
    """Bytes per part of a run's memory, and what the parts were computed from."""

    parts: dict[str, float] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)

    @property
    def total(self) -> float:
        return sum(self.parts.values())

    def describe(self) -> str:
        return ", ".join(f"{name} {format_bytes(size)}" + (f" ({self.notes[name]})" if name in self.notes else "")
                         for name, size in self.parts.items())


def estimate(n_params: int, spec: Any, trainer: dict[str, Any], options: dict[str, Any]) -> Estimate:
    """The memory a run of a model with ``n_params`` parameters and build ``options`` needs."""
    f32 = BYTES["fp32"]
    out_steps = spec.max_output_length or 0
    train_steps = (spec.lengths[1] if spec.lengths else 1) + out_steps
    if trainer.get("tbptt"):
        train_steps = min(train_steps, int(trainer["tbptt"]))
    eval_steps = (spec.max_input_length or 1) + out_steps
    hidden = int(options.get("hidden_size") or 64)
    layers = int(options.get("num_layers") or 1) * (2 if options.get("bidirectional") else 1)
    heads = int(options.get("num_heads") or 0)
    batch = int(trainer.get("batch_size", 64))
    eval_batch = min(int(trainer.get("eval_batch_size", 256)), int(trainer.get("eval_size", 512)))
    out_size = getattr(spec.output, "size", 1) if (spec.is_sequence_output or out_steps) else 0
    out = Estimate()
    out.parts["training state"] = ADAM_COPIES * f32 * n_params
    out.notes["training state"] = f"{n_params:,} parameters x 4 fp32 copies"
    per_step = hidden * layers * ACTIVATION_FACTOR + 3 * out_size + 3 * heads * train_steps * layers
    out.parts["activations"] = f32 * batch * train_steps * per_step
    out.notes["activations"] = f"batch {batch} x {train_steps} steps x {hidden} hidden x {layers} layers"
    eval_per_step = hidden * layers * EVAL_FACTOR + out_size + heads * eval_steps * layers
    out.parts["evaluation pass"] = f32 * eval_batch * eval_steps * eval_per_step
    out.parts["evaluation sets"] = examples_bytes(spec, EVAL_SPLITS * int(trainer.get("eval_size", 512)), eval_steps)
    return out


def examples_bytes(spec: Any, n: int, steps: int) -> float:
    """Bytes ``n`` drawn examples of up to ``steps`` steps hold: per step the input (8 bytes per
    token id, 4 per feature), an int64 target and a bool mask.

    >>> from seqbench.core.spec import Classes, TaskSpec, Tokens
    >>> examples_bytes(TaskSpec("many_to_one", Tokens(("<pad>", "0", "1")), Classes(2), "accuracy"), 10, 4)
    680
    """
    input_bytes = 8 if hasattr(spec.input, "symbols") else BYTES["fp32"] * int(getattr(spec.input, "size", 1))
    return n * steps * (input_bytes + 9)


def check_fits(need: Estimate, trainer: dict[str, Any], options: dict[str, Any],
               available: int | None = None) -> None:
    """Raise ResourceError naming the numbers and the knob to lower when ``need`` > ``available``."""
    if available is None:
        available = machine_memory()["available"]
    if available is None or need.total <= available:
        return
    excess, hints = need.total - available, []
    for name in sorted(need.parts, key=need.parts.__getitem__, reverse=True):  # cut the biggest parts first
        if excess <= 0:
            break
        key, power = KNOBS[name]
        section, option = key.split(".")
        current = (trainer if section == "trainer" else options).get(option) or DEFAULTS[key]
        size = need.parts[name]
        keep = max(size - excess, 0.0) / size  # the fraction of this part that may stay
        value = max(1, math.floor(current * keep ** power))
        hints.append(f"{key}={value}")
        excess -= size * (1 - (value / current) ** (1 / power))
    hint = "try " + ", ".join(hints) + (" and a shorter task" if excess > 0 else "")
    raise ResourceError(f"does not fit in memory: this run needs about {format_bytes(need.total)} "
                        f"({need.describe()}) but {format_bytes(available)} is available; {hint}")


def check_run_fits(model: Any, spec: Any, trainer_options: dict[str, Any], available: int | None = None) -> None:
    """Refuse (ResourceError) a built ``model`` whose training on ``spec`` cannot fit in memory.

    Call it after building the model and before training; it allocates nothing.
    """
    n_params = sum(p.numel() for p in model.parameters())
    options = dict(getattr(model, "build_options", None) or {})
    check_fits(estimate(n_params, spec, trainer_options, options), trainer_options, options, available)


def check_file_fits(path: str | os.PathLike, available: int | None = None) -> None:
    """Refuse a text file a task would read whose contents cannot fit in memory, with a hint
    about ``task.max_bytes`` (not the batch size: the file, not training, is the problem).

    >>> check_file_fits(__file__, available=10**9)
    >>> check_file_fits(__file__, available=10)
    Traceback (most recent call last):
    ...
    seqbench.runs.resources.ResourceError: task.path=...: a file of ... needs about ... of memory to read but 10 B is available; use a smaller file (task.max_bytes caps what is read)
    """
    try:
        size = os.stat(path).st_size
    except OSError:
        return  # the task reports a missing or unreadable file itself
    if available is None:
        available = machine_memory()["available"]
    need = TEXT_FILE_FACTOR * size
    if available is not None and need > available:
        raise ResourceError(f"task.path={str(path)!r}: a file of {format_bytes(size)} needs about "
                            f"{format_bytes(need)} of memory to read but {format_bytes(available)} is available; "
                            "use a smaller file (task.max_bytes caps what is read)")


def check_examples_fit(spec: Any, n: int, steps: int, available: int | None = None) -> None:
    """Refuse (ResourceError) drawing and exporting ``n`` examples of up to ``steps`` steps that
    cannot fit in memory, with the largest ``--n`` that would (``seqbench generate`` calls it
    before drawing anything).

    >>> from seqbench.core.spec import Classes, TaskSpec, Tokens
    >>> spec = TaskSpec("many_to_one", Tokens(("<pad>", "0", "1")), Classes(2), "accuracy", lengths=(1, 100_000))
    >>> check_examples_fit(spec, 1_000, 100, available=10**9)  # fits: nothing happens
    >>> check_examples_fit(spec, 100_000, 100_000, available=16 * 10**9)
    Traceback (most recent call last):
    ...
    seqbench.runs.resources.ResourceError: does not fit in memory: 100,000 examples of up to 100,000 steps need about 340.0 GB ... but 16.0 GB is available; try --n=4705 (or a shorter task)
    """
    if available is None:
        available = machine_memory()["available"]
    need = EXPORT_FACTOR * examples_bytes(spec, n, steps)
    if available is None or need <= available:
        return
    fits = int(available // (need / n))
    hint = f"try --n={fits} (or a shorter task)" if fits >= 1 else "use a shorter task"
    raise ResourceError(f"does not fit in memory: {n:,} examples of up to {steps:,} steps need about "
                        f"{format_bytes(need)} (the batch and the rows written from it) but "
                        f"{format_bytes(available)} is available; {hint}")
