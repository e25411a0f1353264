"""``parity_check`` (regular, many_to_one): is the number of ``b`` in a string odd?"""

from __future__ import annotations

import numpy as np

from seqbench.tasks.chomsky._common import ClassificationTask, chomsky_knobs, uniform_symbols


class ParityCheck(ClassificationTask):
    """A string over {a, b} in; class 1 if it holds an odd number of ``b``, else 0.

    A two-state automaton solves it at any length. For uniform strings the label is a fair coin
    at every length, so every input-ignoring predictor scores exactly 0.5 (``majority_exact``).

    >>> import numpy as np
    >>> task = ParityCheck(length=6)
    >>> batch = task.sample(np.random.default_rng(0), 2)
    >>> print(task.show(batch, 0))
    input:  b b a a a a
    target: 0
    >>> print(task.show(batch, 1))
    input:  a a b b b b
    target: 0
    """

    name = "parity_check"
    version = 3  # 3: a training batch has one string length (the paper's protocol; batch_lengths=mixed: each example its own)
    # 2: val and test inputs are never trained on (a hash partition of the input space)
    level = "regular"
    description = "[regular] string over {a, b} -> 1 if the number of b is odd (Deletang et al. 2023)"
    knobs = chomsky_knobs()
    symbols = ("a", "b")
    classes = ("even", "odd")

    def examples(self, rng: np.random.Generator, lengths: np.ndarray):
        symbols = uniform_symbols(rng, lengths, 2)  # (n, W): 0 = a, 1 = b
        inside = np.arange(symbols.shape[1])[None, :] < lengths[:, None]
        return symbols, (symbols * inside).sum(1) % 2

    def label_probabilities(self, length: int) -> np.ndarray:
        return np.array([0.5, 0.5])  # the last symbol alone flips the parity with probability 1/2
