"""``compute_sqrt`` (context-sensitive, output-aligned): the integer square root in binary."""

from __future__ import annotations

import math

import numpy as np

from seqbench.core.spaces import power
from seqbench.tasks.chomsky._common import AlignedTask, chomsky_knobs
from seqbench.tasks.chomsky.binary_addition import nonzero_bits

_isqrt = np.frompyfunc(math.isqrt, 1, 1)  # exact, on Python integers of any size


class ComputeSqrt(AlignedTask):
    """A number ``x`` in ``1 .. 2**n - 1`` written with ``n`` big-endian bits (leading zeros
    allowed) in; ``floor(sqrt(x))`` in big-endian binary with ``ceil(n / 2)`` bits out (its
    longest possible size, leading zeros included), read during ``ceil(n / 2)`` blank steps.

    Numbers of up to ``ood_length`` bits are exact Python integers (numpy object arrays).

    >>> import numpy as np
    >>> task = ComputeSqrt(length=6)
    >>> batch = task.sample(np.random.default_rng(0), 1)
    >>> print(task.show(batch, 0))
    input:  1 1 0 0 0 0 ? ? ?
    target: _ _ _ _ _ _ 1 1 0
    mask:   0 0 0 0 0 0 1 1 1

    (``110000`` is 48; its square root is 6.9, so 6, ``110``.)
    """

    name = "compute_sqrt"
    version = 3  # 3: a training batch has one string length (the paper's protocol; batch_lengths=mixed: each example its own)
    # 2: val and test inputs are never trained on (a hash partition of the input space)
    level = "context-sensitive"
    description = ("[context-sensitive] n-bit big-endian number -> floor of its square root in ceil(n/2) bits; "
                   "output-aligned (Deletang et al. 2023)")
    knobs = chomsky_knobs()
    symbols = ("0", "1")
    outputs = ("0", "1")

    def count_inputs(self, length: int) -> int | float:
        """Every nonzero number written with ``length`` bits."""
        return power(2, length) - 1

    def output_length(self, lengths):
        return (np.asarray(lengths) + 1) // 2

    def examples(self, rng: np.random.Generator, lengths: np.ndarray):
        n, width = len(lengths), int(lengths.max())
        bits = nonzero_bits(rng, lengths, width)  # (n, W) big-endian, first bit first
        number = np.zeros(n, dtype=object)
        for k in range(width):  # Horner's rule inside each length
            number = np.where(k < lengths, number * 2 + bits[:, k].astype(object), number)
        root = _isqrt(number)  # (n,) object
        size = self.output_length(lengths)
        j = np.arange((width + 1) // 2)
        shift = np.maximum(size[:, None] - 1 - j[None, :], 0).astype(object)  # bit j counts from the top
        outputs = ((root[:, None] >> shift) & 1).astype(np.int64)
        return bits, np.where(j[None, :] < size[:, None], outputs, 0), None
