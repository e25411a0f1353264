"""``missing_duplicate_string`` (context-sensitive, many_to_one): the symbol missing from ``ww``."""

from __future__ import annotations

import numpy as np

from seqbench.core.spaces import capped, power
from seqbench.tasks.chomsky._common import ClassificationTask, chomsky_knobs


class MissingDuplicateString(ClassificationTask):
    """A binary string ``w`` of length ``n // 2`` written twice (``ww``) with one uniform position
    replaced by ``_`` in; the replaced bit out. An odd ``n`` ends in the filler ``#``.

    ``ww`` holds each 1 twice, so the missing bit is also the parity of the ones left visible: a
    two-state automaton (``parity_check``'s) solves the task at every length without storing ``w``.
    The paper's task has the same property (its generator is ``ww`` with one symbol replaced).

    The missing bit is a fair coin, so every input-ignoring predictor scores exactly 0.5
    (``majority_exact``). The shortest string is 2 (``w`` of one bit); the paper's length 1 has no
    duplicate and is left out.

    >>> import numpy as np
    >>> task = MissingDuplicateString(length=7)
    >>> batch = task.sample(np.random.default_rng(0), 2)
    >>> print(task.show(batch, 0))
    input:  _ 1 0 1 1 0 #
    target: 1
    >>> print(task.show(batch, 1))
    input:  0 0 0 0 0 _ #
    target: 0
    """

    name = "missing_duplicate_string"
    version = 3  # 3: a training batch has one string length (the paper's protocol; batch_lengths=mixed: each example its own)
    # 2: val and test inputs are never trained on (a hash partition of the input space)
    level = "context-sensitive"
    description = ("[context-sensitive] ww (w binary) with one symbol replaced by _ -> that symbol "
                   "(Deletang et al. 2023)")
    shortest = 2
    knobs = chomsky_knobs(2)
    symbols = ("0", "1", "_", "#")
    classes = ("0", "1")

    def examples(self, rng: np.random.Generator, lengths: np.ndarray):
        n, width = len(lengths), int(lengths.max())
        half = lengths // 2  # (n,)
        bits = rng.integers(0, 2, size=(n, width // 2))  # w, long enough for every row
        t = np.arange(width)[None, :]
        doubled = np.where(t < half[:, None], 0, half[:, None])  # where each position's copy starts
        source = np.clip(t - doubled, 0, max(width // 2 - 1, 0))
        symbols = np.take_along_axis(bits, source, axis=1)  # (n, W): w w ...
        hidden = (rng.random(n) * 2 * half).astype(np.int64)  # uniform in [0, 2 * half)
        rows = np.arange(n)
        labels = symbols[rows, hidden].copy()
        symbols[rows, hidden] = 2  # _
        symbols = np.where(t == 2 * half[:, None], 3, symbols)  # the filler # of odd lengths
        return symbols, labels

    def count_inputs(self, length: int) -> int | float:
        """``w`` of n // 2 bits and the hidden position (one of 2 (n // 2)): the other copy gives ``w``
        back, so every pair is a distinct string."""
        half = length // 2
        return capped(power(2, half) * 2 * half)

    def label_probabilities(self, length: int) -> np.ndarray:
        return np.array([0.5, 0.5])
