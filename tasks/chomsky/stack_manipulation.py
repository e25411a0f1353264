"""``stack_manipulation`` (context-free, output-aligned): run push/pop actions on a given stack."""

from __future__ import annotations

import numpy as np

from seqbench.core.spaces import capped, power
from seqbench.tasks.chomsky._common import AlignedTask, chomsky_knobs

POP, PUSH0, PUSH1 = 2, 3, 4  #: 0-based action symbols (0 and 1 are stack bits)
END = 2  #: the output class that ends the final stack


class StackManipulation(AlignedTask):
    """A stack of bits (bottom to top) followed by actions ``pop``, ``push0``, ``push1`` in; the
    final stack, top to bottom, then ``end`` (class 2) out. A pop on an empty stack does nothing.

    As in the paper, a string of length ``n`` starts with a stack of uniform length in
    ``1 .. max(1, n - 1)`` and uniform bits, and the rest are uniform actions. The output is read
    during ``n + 1`` blank steps (the longest final stack is ``n``, plus ``end``); the scored
    blank steps are the final stack and its ``end``, the remaining ones are not scored (the
    paper's accuracy mask).

    >>> import numpy as np
    >>> task = StackManipulation(length=5)
    >>> batch = task.sample(np.random.default_rng(0), 2)
    >>> print(task.show(batch, 0))
    input:  1 1 push0 push1 push1 ? ? ? ? ? ?
    target: _ _ _ _ _ 1 1 0 1 1 2
    mask:   0 0 0 0 0 1 1 1 1 1 1
    >>> print(task.show(batch, 1))
    input:  0 push0 push1 push1 push0 ? ? ? ? ? ?
    target: _ _ _ _ _ 0 1 1 0 0 2
    mask:   0 0 0 0 0 1 1 1 1 1 1
    """

    name = "stack_manipulation"
    version = 3  # 3: a training batch has one string length (the paper's protocol; batch_lengths=mixed: each example its own)
    # 2: val and test inputs are never trained on (a hash partition of the input space)
    level = "context-free"
    description = ("[deterministic context-free] stack bits then pop/push0/push1 -> the final stack top to "
                   "bottom, then end; output-aligned (Deletang et al. 2023)")
    knobs = chomsky_knobs()
    symbols = ("0", "1", "pop", "push0", "push1")
    outputs = ("0", "1", "end")

    def count_inputs(self, length: int) -> int | float:
        """A stack of k bits (k uniform in 1 .. max(1, n - 1)), then n - k actions: the first action
        marks where the stack ends, so every (k, bits, actions) is a distinct string."""
        return capped(sum(power(2, k) * power(3, length - k) for k in range(1, max(1, length - 1) + 1)))

    def output_length(self, lengths):
        return np.asarray(lengths) + 1

    def examples(self, rng: np.random.Generator, lengths: np.ndarray):
        n, width = len(lengths), int(lengths.max())
        initial = 1 + (rng.random(n) * np.maximum(lengths - 1, 1)).astype(np.int64)  # 1 .. max(1, n - 1)
        bits = rng.integers(0, 2, size=(n, width))
        actions = rng.integers(POP, PUSH1 + 1, size=(n, width))
        t = np.arange(width)[None, :]
        symbols = np.where(t < initial[:, None], bits, actions)  # (n, W)
        stack, top = np.where(t < initial[:, None], bits, 0), initial.copy()  # (n, W), (n,)
        rows = np.arange(n)
        for step in range(1, width):  # every example's action at this step, at once
            act = symbols[:, step]
            live = (step >= initial) & (step < lengths)
            top = np.where(live & (act == POP), np.maximum(top - 1, 0), top)
            push = live & (act >= PUSH0)
            stack[rows[push], top[push]] = act[push] - PUSH0
            top = np.where(push, top + 1, top)
        j = np.arange(width + 1)[None, :]
        source = np.clip(top[:, None] - 1 - j, 0, width - 1)  # output j is stack[top - 1 - j]
        outputs = np.where(j < top[:, None], np.take_along_axis(stack, source, axis=1), 0)
        outputs = np.where(j == top[:, None], END, outputs)  # (n, W + 1)
        return symbols, outputs, j <= top[:, None]
