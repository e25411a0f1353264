"""``modular_arithmetic_brackets`` (context-free, many_to_one): a bracketed expression modulo 5."""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from seqbench.core.options import Knob
from seqbench.tasks.chomsky._common import ClassificationTask, chomsky_knobs

BRACKET_OPERATORS = ("+", "-", "*", "(", ")")


def bracket_expressions(rng: np.random.Generator, lengths: np.ndarray, m: int, mult: bool):
    """Random bracketed expressions of exactly ``lengths`` symbols, and their values mod ``m``.

    The grammar of the paper: a length 1..4 is ``d``, ``-d``, ``(d)`` or ``(-d)`` with a uniform
    digit; a longer one is ``(E op F)`` with the left length uniform in ``1..length-4``, the
    right one taking the rest, ``op`` uniform in ``+ -`` (and ``*`` with ``mult``). Built one tree
    level at a time for every example at once, then evaluated from the deepest level up.
    Symbols are 0-based: digits ``0..m-1``, then ``+ - * ( )`` as ``m .. m+4``.

    >>> symbols, values = bracket_expressions(np.random.default_rng(1), np.array([7]), 5, True)
    >>> ("".join((tuple("01234") + BRACKET_OPERATORS)[s] for s in symbols[0]), int(values[0]))
    ('(-3--4)', 1)
    """
    plus, minus, open_, close = m, m + 1, m + 3, m + 4
    n = len(lengths)
    symbols = np.zeros((n, int(lengths.max())), dtype=np.int64)
    levels = []
    row, start, size = np.arange(n), np.zeros(n, dtype=np.int64), np.asarray(lengths, dtype=np.int64)
    while row.size:  # one tree level of every example: leaves are written, inner nodes split
        leaf = size <= 4
        r, s, z = row[leaf], start[leaf], size[leaf]
        digit = rng.integers(0, m, size=r.size)
        negative, bracketed = (z == 2) | (z == 4), z >= 3
        symbols[r[bracketed], s[bracketed]] = open_
        symbols[r[bracketed], (s + z - 1)[bracketed]] = close
        first = s + bracketed  # where "-" or the digit goes
        symbols[r[negative], first[negative]] = minus
        symbols[r, first + negative] = digit
        leaf_values = np.where(negative, -digit % m, digit)
        r, s, z = row[~leaf], start[~leaf], size[~leaf]
        left = rng.integers(1, z - 3) if r.size else np.zeros(0, dtype=np.int64)  # 1 .. z - 4
        op = rng.integers(0, 3 if mult else 2, size=r.size)  # 0 +, 1 -, 2 *
        symbols[r, s] = open_
        symbols[r, s + 1 + left] = plus + op
        symbols[r, s + z - 1] = close
        levels.append((leaf, leaf_values, op))
        row = np.concatenate([r, r])  # left children, then right children
        start = np.concatenate([s + 1, s + 2 + left])
        size = np.concatenate([left, z - 3 - left])
    below = np.zeros(0, dtype=np.int64)
    for leaf, leaf_values, op in reversed(levels):  # the deepest level first
        values = np.zeros(leaf.size, dtype=np.int64)
        values[leaf] = leaf_values
        a, b = below[: op.size], below[op.size:]
        values[~leaf] = np.select([op == 0, op == 1], [a + b, a - b], a * b) % m
        below = values
    return symbols, below


class ModularArithmeticBrackets(ClassificationTask):
    """A bracketed expression over digits ``0..modulus-1`` and ``+ - *`` in; its value mod
    ``modulus`` out. Nesting needs a stack (a deterministic context-free language).

    The paper's experiments use ``+ - *`` (``mult=true``). The exact label distribution of each
    length follows the grammar's recursion (:func:`_value_distribution`); products make 0 the most
    frequent value, which ``majority_exact`` records.

    >>> import numpy as np
    >>> task = ModularArithmeticBrackets(length=9)
    >>> batch = task.sample(np.random.default_rng(0), 2)
    >>> print(task.show(batch, 0))
    input:  ( ( 3 ) + - 3 )
    target: 0
    >>> print(task.show(batch, 1))
    input:  ( ( 3 ) * - 0 )
    target: 0
    """

    name = "modular_arithmetic_brackets"
    version = 3  # 3: a training batch has one string length (the paper's protocol; batch_lengths=mixed: each example its own)
    # 2: val and test inputs are never trained on (a hash partition of the input space)
    level = "context-free"
    description = ("[deterministic context-free] bracketed expression with + - * -> its value mod 5 "
                   "(Deletang et al. 2023)")
    knobs = chomsky_knobs(1, Knob("modulus", 5, low=2, high=100, help="the modulus (digits and classes)"),
                          Knob("mult", True, help="include * (the paper does) besides + and -"))

    def alphabet(self) -> tuple[str, ...]:
        return tuple(str(d) for d in range(self.modulus)) + BRACKET_OPERATORS

    def n_classes(self) -> int:
        return self.modulus

    def class_names(self) -> tuple[str, ...]:
        return tuple(str(d) for d in range(self.modulus))

    def examples(self, rng: np.random.Generator, lengths: np.ndarray):
        return bracket_expressions(rng, lengths, self.modulus, self.mult)

    def count_inputs(self, length: int) -> float:
        """Every expression of the grammar: a tree has one parse, so distinct trees are distinct strings."""
        return float(expression_counts(self.modulus, 3 if self.mult else 2, min(length, 4000))[0][min(length, 4000)]) \
            if length <= 4000 else math.inf

    def label_probabilities(self, length: int) -> np.ndarray:
        return _value_distribution(self.modulus, self.mult, length)


@lru_cache(maxsize=64)
def _value_table(m: int, mult: bool, longest: int) -> np.ndarray:
    """P(value = v) for every length 1..longest: (longest + 1, m), row 0 unused."""
    a, b = np.meshgrid(np.arange(m), np.arange(m), indexing="ij")
    ops = [(a + b) % m, (a - b) % m] + ([(a * b) % m] if mult else [])
    onehot = [np.eye(m)[o.reshape(-1)] for o in ops]  # (m*m, m): value of each (a, b)
    table = np.zeros((longest + 1, m))
    table[1: min(longest, 4) + 1] = 1.0 / m  # d, -d, (d), (-d) with a uniform digit
    for n in range(5, longest + 1):
        left, right = table[1: n - 3], table[n - 4: 0: -1]  # (n - 4, m): lengths l and n - 3 - l
        pairs = (left[:, :, None] * right[:, None, :]).reshape(n - 4, m * m)
        table[n] = sum(pairs @ o for o in onehot).mean(0) / len(onehot)
    return table


@lru_cache(maxsize=16)
def expression_counts(m: int, ops: int, longest: int) -> tuple[np.ndarray, np.ndarray]:
    """How many distinct expressions of every length 0..longest the grammar of
    :func:`bracket_expressions` has, and how many digits they hold in all (floats: exact below
    2**53, infinite past 1e308). Lengths 1..4: ``d``, ``-d``, ``(d)``, ``(-d)``; longer:
    ``(E op F)`` for every split of the length.

    >>> [int(c) for c in expression_counts(5, 3, 6)[0][1:]]
    [5, 5, 5, 5, 75, 150]
    """
    count, digits = np.zeros(longest + 1), np.zeros(longest + 1)
    count[1: min(longest, 4) + 1] = m
    digits[1: min(longest, 4) + 1] = m
    with np.errstate(over="ignore", invalid="ignore"):
        for n in range(5, longest + 1):
            left, right = count[1: n - 3], count[n - 4: 0: -1]  # lengths l and n - 3 - l, l = 1..n-4
            count[n] = ops * np.dot(left, right)
            digits[n] = ops * (np.dot(digits[1: n - 3], right) + np.dot(left, digits[n - 4: 0: -1]))
    return count, digits


def _value_distribution(m: int, mult: bool, length: int) -> np.ndarray:
    """P(value = v) for a uniform bracketed expression of ``length`` (tables cached by powers of 2).

    >>> _value_distribution(5, True, 5).round(4).tolist()  # (d op e): a product is 0 with probability 9/25
    [0.2533, 0.1867, 0.1867, 0.1867, 0.1867]
    """
    return _value_table(m, mult, max(64, 1 << (length - 1).bit_length()))[length]
