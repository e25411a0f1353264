"""``modular_arithmetic`` (regular, many_to_one): the value of ``d op d op ... d`` modulo 5."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from seqbench.core.options import Knob
from seqbench.core.spaces import capped, power
from seqbench.tasks.chomsky._common import ClassificationTask, chomsky_knobs

OPERATORS = ("+", "-", "*")


class ModularArithmetic(ClassificationTask):
    """An expression without brackets, digits in ``0..modulus-1`` at even positions and ``+ - *``
    at odd ones, in; its value modulo ``modulus`` out, with the usual precedence (``*`` first).

    Only odd lengths are expressions, so training lengths are the odd lengths in
    ``[min_length, length]`` and every grid length is odd. A finite automaton evaluates it
    left to right with two residues: the sum of finished terms and the current product. The same
    automaton, run on probabilities, gives the exact label distribution of every length.

    >>> import numpy as np
    >>> task = ModularArithmetic(length=7)
    >>> batch = task.sample(np.random.default_rng(0), 2)
    >>> print(task.show(batch, 0))
    input:  3 * 2 * 1 + 1
    target: 2
    >>> print(task.show(batch, 1))
    input:  0 + 0 * 0 + 0
    target: 0
    """

    name = "modular_arithmetic"
    version = 3  # 3: a training batch has one string length (the paper's protocol; batch_lengths=mixed: each example its own)
    # 2: val and test inputs are never trained on (a hash partition of the input space)
    level = "regular"
    description = "[regular] expression d op d ... with op in + - * (no brackets) -> its value mod 5 (Deletang et al. 2023)"
    knobs = chomsky_knobs(1, Knob("modulus", 5, low=2, high=100, help="the modulus (digits and classes)"))

    def alphabet(self) -> tuple[str, ...]:
        return tuple(str(d) for d in range(self.modulus)) + OPERATORS

    def n_classes(self) -> int:
        return self.modulus

    def class_names(self) -> tuple[str, ...]:
        return tuple(str(d) for d in range(self.modulus))

    def count_inputs(self, length: int) -> int | float:
        """Digits at the (length + 1) / 2 even positions, one of three operators between them."""
        return capped(power(self.modulus, (length + 1) // 2) * power(3, length // 2))

    def allows(self, lengths):
        return np.asarray(lengths) % 2 == 1

    def allowed_text(self) -> str:
        return "odd lengths"

    def examples(self, rng: np.random.Generator, lengths: np.ndarray):
        m, n, width = self.modulus, len(lengths), int(lengths.max())
        digits = rng.integers(0, m, size=(n, (width + 1) // 2))  # (n, terms)
        ops = rng.integers(0, 3, size=(n, width // 2))  # (n, terms - 1): 0 +, 1 -, 2 *
        symbols = np.zeros((n, width), dtype=np.int64)
        symbols[:, 0::2] = digits
        symbols[:, 1::2] = ops + m
        total, term = np.zeros(n, dtype=np.int64), digits[:, 0].copy()
        for k in range(1, digits.shape[1]):  # fold in (op, digit) k while it lies inside the string
            live = 2 * k < lengths
            op, d = ops[:, k - 1], digits[:, k]
            times = live & (op == 2)
            close = live & (op != 2)
            total = np.where(close, (total + term) % m, total)
            term = np.where(times, term * d % m, np.where(close, np.where(op == 0, d, -d) % m, term))
        return symbols, (total + term) % m

    def label_probabilities(self, length: int) -> np.ndarray:
        return _value_distribution(self.modulus, length)


@lru_cache(maxsize=4096)
def _value_distribution(m: int, length: int) -> np.ndarray:
    """P(value = v) for uniform expressions of odd ``length``: the evaluator run on probabilities
    over its states (sum of closed terms, current term), an (m, m) table.

    >>> _value_distribution(5, 3).round(4).tolist()  # d1 op d2: a product is 0 with probability 9/25
    [0.2533, 0.1867, 0.1867, 0.1867, 0.1867]
    """
    total, term = np.meshgrid(np.arange(m), np.arange(m), indexing="ij")  # (m, m) each
    closed = (total + term) % m
    state = np.zeros((m, m))
    state[0, :] = 1.0 / m  # no closed term yet, first digit uniform
    for _ in range(length // 2):
        new = np.zeros((m, m))
        p = state / (3 * m)  # each operator and digit
        for d in range(m):
            np.add.at(new, (total, term * d % m), p)  # *: the term grows
            np.add.at(new, (closed, np.full_like(term, d)), p)  # +: close the term, start d
            np.add.at(new, (closed, np.full_like(term, -d % m)), p)  # -: close the term, start -d
        state = new
    values = np.zeros(m)
    np.add.at(values, closed, state)
    return values
