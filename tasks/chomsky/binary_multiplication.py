"""``binary_multiplication`` (context-sensitive, output-aligned): multiply two binary numbers."""

from __future__ import annotations

import numpy as np

from seqbench.tasks.chomsky._common import AlignedTask, chomsky_knobs
from seqbench.tasks.chomsky.binary_addition import carry, count_two_numbers, result_with_end, two_numbers


class BinaryMultiplication(AlignedTask):
    """``a*b`` in, with ``a`` and ``b`` in little-endian binary (lowest bit first); ``a * b`` in
    little-endian binary without high zeros, then ``end`` (class 2), out.

    As in the paper, the output is read during ``n`` blank steps and scored up to and including
    ``end`` (the product of a ``p``-bit and a ``q``-bit number has at most ``p + q = n - 1`` bits).
    The product's column sums (the convolution of the two bit strings, by FFT: sums of at most
    ``n`` products, exact after rounding) are carried into bits.

    >>> import numpy as np
    >>> task = BinaryMultiplication(length=7)
    >>> batch = task.sample(np.random.default_rng(0), 1)
    >>> print(task.show(batch, 0))
    input:  1 1 * 1 0 0 0 ? ? ? ? ? ? ?
    target: _ _ _ _ _ _ _ 1 1 2 _ _ _ _
    mask:   0 0 0 0 0 0 0 1 1 1 0 0 0 0

    (``11`` is 3 and ``1000`` is 1, lowest bit first; their product 3 is ``11``.)
    """

    name = "binary_multiplication"
    version = 3  # 3: a training batch has one string length (the paper's protocol; batch_lengths=mixed: each example its own)
    # 2: val and test inputs are never trained on (a hash partition of the input space)
    level = "context-sensitive"
    description = ("[context-sensitive] a*b in little-endian binary -> a * b in little-endian binary, then end; "
                   "output-aligned (Deletang et al. 2023)")
    shortest = 3
    knobs = chomsky_knobs(3)
    symbols = ("0", "1", "*")
    outputs = ("0", "1", "end")

    def output_length(self, lengths):
        return np.asarray(lengths)

    def count_inputs(self, length: int) -> int | float:
        return count_two_numbers(length)

    def examples(self, rng: np.random.Generator, lengths: np.ndarray):
        symbols, a, b = two_numbers(rng, lengths)
        width = a.shape[1]
        spectrum = np.fft.rfft(a, 2 * width, axis=1) * np.fft.rfft(b, 2 * width, axis=1)
        columns = np.rint(np.fft.irfft(spectrum, 2 * width, axis=1)).astype(np.int64)  # sum of a_i b_(k-i)
        outputs, scored = result_with_end(carry(columns), width)
        return symbols, outputs, scored
