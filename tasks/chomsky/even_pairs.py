"""``even_pairs`` (regular, many_to_one): is the number of ``ab`` and ``ba`` pairs even?"""

from __future__ import annotations

import numpy as np

from seqbench.tasks.chomsky._common import ClassificationTask, chomsky_knobs, uniform_symbols


class EvenPairs(ClassificationTask):
    """A string over {a, b} in; class 0 if the number of neighbouring unequal pairs (``ab`` or
    ``ba``) is even, else 1.

    The count of changes is even exactly when the first and last symbols agree, so a finite
    automaton that remembers the first symbol solves it. A string of length 1 has no pair
    (class 0); longer uniform strings are class 0 with probability 1/2, so the exact majority
    accuracy is ``(1 + (L - 1) / 2) / L`` over training lengths 1..L and 0.5 on longer ones.

    >>> import numpy as np
    >>> task = EvenPairs(length=6)
    >>> batch = task.sample(np.random.default_rng(0), 2)
    >>> print(task.show(batch, 0))
    input:  b b a a a a
    target: 1
    >>> print(task.show(batch, 1))
    input:  a a b b b b
    target: 1
    """

    name = "even_pairs"
    version = 3  # 3: a training batch has one string length (the paper's protocol; batch_lengths=mixed: each example its own)
    # 2: val and test inputs are never trained on (a hash partition of the input space)
    level = "regular"
    description = "[regular] string over {a, b} -> 1 if the number of ab and ba pairs is odd (Deletang et al. 2023)"
    knobs = chomsky_knobs()
    symbols = ("a", "b")
    classes = ("even", "odd")

    def examples(self, rng: np.random.Generator, lengths: np.ndarray):
        symbols = uniform_symbols(rng, lengths, 2)  # (n, W)
        t = np.arange(1, symbols.shape[1])[None, :]  # pair (t - 1, t)
        changes = (symbols[:, 1:] != symbols[:, :-1]) & (t < lengths[:, None])  # (n, W - 1)
        return symbols, changes.sum(1) % 2

    def label_probabilities(self, length: int) -> np.ndarray:
        return np.array([1.0, 0.0]) if length == 1 else np.array([0.5, 0.5])
