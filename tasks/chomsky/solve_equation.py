"""``solve_equation`` (context-free, many_to_one): the digit hidden as ``x`` in an equation mod 5."""

from __future__ import annotations

import math

import numpy as np

from seqbench.core.options import Knob
from seqbench.tasks.chomsky._common import ClassificationTask, chomsky_knobs
from seqbench.tasks.chomsky.modular_arithmetic_brackets import bracket_expressions, expression_counts


class SolveEquation(ClassificationTask):
    """An equation ``E = v`` mod ``modulus`` in, where ``E`` is a bracketed ``+ -`` expression of
    length ``n - 2`` (the grammar of ``modular_arithmetic_brackets``) with one digit replaced by
    ``x`` and ``v`` the value of the original ``E``; the label is the hidden digit.

    The digit is chosen as in the paper: a uniform position of ``E``, moved forward (cyclically)
    to the next digit. With ``+`` and ``-`` only, ``x`` has coefficient +-1, so the hidden digit is
    the unique solution. Digits are uniform and chosen independently of their values, so every
    input-ignoring predictor scores exactly ``1 / modulus`` (``majority_exact``). The shortest
    equation is ``x=v`` (length 3).

    >>> import numpy as np
    >>> task = SolveEquation(length=9)
    >>> batch = task.sample(np.random.default_rng(0), 2)
    >>> print(task.show(batch, 0))
    input:  ( - x + 3 ) = 0
    target: 3
    >>> print(task.show(batch, 1))
    input:  ( - x - 0 ) = 2
    target: 3
    """

    name = "solve_equation"
    version = 3  # 3: a training batch has one string length (the paper's protocol; batch_lengths=mixed: each example its own)
    # 2: val and test inputs are never trained on (a hash partition of the input space)
    level = "context-free"
    description = ("[deterministic context-free] bracketed + - equation mod 5 with one digit hidden as x "
                   "-> that digit (Deletang et al. 2023)")
    shortest = 3
    knobs = chomsky_knobs(3, Knob("modulus", 5, low=2, high=100, help="the modulus (digits and classes)"))

    def alphabet(self) -> tuple[str, ...]:
        return tuple(str(d) for d in range(self.modulus)) + ("+", "-", "(", ")", "x", "=")

    def n_classes(self) -> int:
        return self.modulus

    def class_names(self) -> tuple[str, ...]:
        return tuple(str(d) for d in range(self.modulus))

    def examples(self, rng: np.random.Generator, lengths: np.ndarray):
        m, n = self.modulus, len(lengths)
        size = lengths - 2  # the expression's length
        expr, values = bracket_expressions(rng, size, m, mult=False)  # (n, W - 2); * never occurs
        expr = np.where(expr > m + 2, expr - 1, expr)  # drop the unused "*": ( ) move down by one
        t = np.arange(expr.shape[1])[None, :]
        is_digit = (expr < m) & (t < size[:, None])
        start = (rng.random(n) * size).astype(np.int64)  # uniform position, then the next digit
        distance = np.where(is_digit, (t - start[:, None]) % size[:, None], np.iinfo(np.int64).max)
        hidden = distance.argmin(1)  # (n,)
        rows = np.arange(n)
        labels = expr[rows, hidden].copy()
        symbols = np.zeros((n, int(lengths.max())), dtype=np.int64)
        symbols[:, : expr.shape[1]] = expr
        symbols[rows, hidden] = m + 4  # x
        symbols[rows, size] = m + 5  # =
        symbols[rows, size + 1] = values
        return symbols, labels

    def count_inputs(self, length: int) -> float:
        """One input per (expression of length n - 2, digit hidden): the value after ``=`` tells two
        expressions that differ only in the hidden digit apart, so every pair is a distinct string."""
        size = length - 2
        return float(expression_counts(self.modulus, 2, size)[1][size]) if size <= 4000 else math.inf

    def label_probabilities(self, length: int) -> np.ndarray:
        return np.full(self.modulus, 1.0 / self.modulus)
