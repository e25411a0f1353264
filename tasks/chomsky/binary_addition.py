"""``binary_addition`` (context-sensitive, output-aligned): add two little-endian binary numbers."""

from __future__ import annotations

import numpy as np

from seqbench.core.spaces import capped, power
from seqbench.tasks.chomsky._common import AlignedTask, chomsky_knobs

END = 2  #: the output class that ends the result


def nonzero_bits(rng: np.random.Generator, lengths: np.ndarray, width: int) -> np.ndarray:
    """Uniform bits (n, width), zero from each row's length on, redrawn until no row is all zero:
    a uniform number in ``1 .. 2**length - 1`` written with ``length`` bits."""
    inside = np.arange(width)[None, :] < np.asarray(lengths)[:, None]
    bits = rng.integers(0, 2, size=(len(lengths), width)) * inside
    while (bad := ~bits.any(1)).any():
        bits[bad] = rng.integers(0, 2, size=(int(bad.sum()), width)) * inside[bad]
    return bits


def two_numbers(rng: np.random.Generator, lengths: np.ndarray):
    """The paper's operands for strings ``a op b`` of ``lengths`` (>= 3): ``a`` has a uniform number
    of digits in ``1 .. n - 2``, ``b`` the rest, each a uniform nonzero number written with exactly
    that many little-endian digits (high zeros allowed). Returns the input symbols (n, W), 0 and 1
    for digits and 2 for the operator, and both operands as little-endian bits (n, W)."""
    n, width = len(lengths), int(lengths.max())
    size_a = 1 + (rng.random(n) * (lengths - 2)).astype(np.int64)  # 1 .. n - 2
    size_b = lengths - 1 - size_a
    a, b = nonzero_bits(rng, size_a, width), nonzero_bits(rng, size_b, width)
    t = np.arange(width)[None, :]
    from_b = np.take_along_axis(b, np.clip(t - size_a[:, None] - 1, 0, width - 1), axis=1)
    symbols = np.where(t < size_a[:, None], a, np.where(t == size_a[:, None], 2, from_b))
    return symbols, a, b


def count_two_numbers(length: int) -> int | float:
    """Distinct strings ``a op b`` of ``length`` symbols from :func:`two_numbers`: ``a`` of p digits and
    ``b`` of the other length - 1 - p, each a nonzero number (the operator's place fixes p).

    >>> count_two_numbers(3), count_two_numbers(4)  # 1+1; 1+11, 1+01, 1+10 and the mirror
    (1, 6)
    """
    return capped(sum((power(2, p) - 1) * (power(2, length - 1 - p) - 1) for p in range(1, length - 1)))


def carry(columns: np.ndarray) -> np.ndarray:
    """Little-endian bits (n, W) of the number whose column sums are ``columns`` (n, W) (the
    carry is propagated; ``W`` must leave room for it)."""
    bits, c = np.zeros_like(columns), np.zeros(len(columns), dtype=columns.dtype)
    for k in range(columns.shape[1]):
        total = columns[:, k] + c
        bits[:, k], c = total % 2, total // 2
    return bits


def result_with_end(bits: np.ndarray, out_width: int) -> tuple[np.ndarray, np.ndarray]:
    """The result without its high zeros, then ``END``, in ``out_width`` columns, and which columns
    are scored (up to and including ``END``)."""
    n, width = bits.shape
    size = np.where(bits.any(1), width - np.argmax(bits[:, ::-1], axis=1), 0)  # highest 1, plus one
    j = np.arange(out_width)[None, :]
    padded = np.zeros((n, out_width), dtype=np.int64)
    padded[:, : min(width, out_width)] = bits[:, :out_width]
    outputs = np.where(j < size[:, None], padded, np.where(j == size[:, None], END, 0))
    return outputs, j <= size[:, None]


class BinaryAddition(AlignedTask):
    """``a+b`` in, with ``a`` and ``b`` in little-endian binary (lowest bit first); ``a + b`` in
    little-endian binary without high zeros, then ``end`` (class 2), out.

    As in the paper, the output is read during ``n + 1`` blank steps and scored up to and
    including ``end`` (the sum has at most ``n - 1`` bits). The shortest string is ``a+b`` with
    one bit each (length 3).

    >>> import numpy as np
    >>> task = BinaryAddition(length=7)
    >>> batch = task.sample(np.random.default_rng(0), 1)
    >>> print(task.show(batch, 0))
    input:  1 1 + 1 0 0 0 ? ? ? ? ? ? ? ?
    target: _ _ _ _ _ _ _ 0 0 1 2 _ _ _ _
    mask:   0 0 0 0 0 0 0 1 1 1 1 0 0 0 0

    (``11`` is 3 and ``1000`` is 1, lowest bit first; their sum 4 is ``001``.)
    """

    name = "binary_addition"
    version = 3  # 3: a training batch has one string length (the paper's protocol; batch_lengths=mixed: each example its own)
    # 2: val and test inputs are never trained on (a hash partition of the input space)
    level = "context-sensitive"
    description = ("[context-sensitive] a+b in little-endian binary -> a + b in little-endian binary, then end; "
                   "output-aligned (Deletang et al. 2023)")
    shortest = 3
    knobs = chomsky_knobs(3)
    symbols = ("0", "1", "+")
    outputs = ("0", "1", "end")

    def output_length(self, lengths):
        return np.asarray(lengths) + 1

    def count_inputs(self, length: int) -> int | float:
        return count_two_numbers(length)

    def examples(self, rng: np.random.Generator, lengths: np.ndarray):
        symbols, a, b = two_numbers(rng, lengths)
        width = symbols.shape[1]
        total = carry(np.pad(a + b, ((0, 0), (0, 1))))  # (n, W + 1): room for the last carry
        outputs, scored = result_with_end(total, width + 1)
        return symbols, outputs, scored
