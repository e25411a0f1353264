"""``compute_sqrt`` (context-sensitive, output-aligned): the integer square root in binary."""

from __future__ import annotations

import functools
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

    Closed form (``position_prior_exact``): the best predictor that knows the string's length and
    the output position but not the number answers each bit's more likely value. ``isqrt(x) = s``
    for ``2s + 1`` of the ``x``, so the high bits of the root lean to 1 (the top bit is 1 for about 3
    in 4 of the ``x`` at even ``n``) and the low bits are nearly fair. Pooled over scored positions as
    ``accuracy`` is, it scores 0.533 on the training lengths and 0.503 on the default test_ood
    grid; by length 0.509 at 41 bits and 0.502 at 500, 0.504 averaged over the 8 lengths (the
    paper's score, ``length_mean``). It is taken over every input of each length: the shortest
    lengths have few inputs, val and test each hold only some of them, so on those splits' own
    inputs it differs by about 0.001:

    >>> {split: round(ComputeSqrt().analytic_baselines(split)["position_prior_exact"]["accuracy"], 3)
    ...  for split in ("test", "test_ood")}
    {'test': 0.533, 'test_ood': 0.503}
    >>> grid = [int(n) for n in ComputeSqrt().split_string_lengths("test_ood")]
    >>> by_length = [_root_bit_prior_hits(n) / ((n + 1) // 2) for n in grid]
    >>> round(by_length[0], 3), round(by_length[-1], 3), round(float(np.mean(by_length)), 3)
    (0.509, 0.502, 0.504)
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

    def analytic_baselines(self, split: str) -> dict[str, dict[str, float]]:
        return self.position_prior_exact(split, _root_bit_prior_hits)

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


@functools.lru_cache(maxsize=None)
def _root_bit_prior_hits(n: int) -> float:
    """Expected right answers, over the ``ceil(n / 2)`` bits of ``isqrt(x)`` for ``x`` uniform on
    ``1 .. 2**n - 1``, of answering each bit's more likely value (counted exactly in integers, then
    divided).

    >>> _root_bit_prior_hits(2)  # x = 1, 2, 3 all have root 1: one bit, always 1
    1.0
    >>> _root_bit_prior_hits(4)  # roots of 1..15: 1 x3, 2 x5, 3 x7; top bit 1 for 12, low bit 1 for 10
    1.4666666666666666
    """
    count = (1 << n) - 1  # how many x
    return sum(max(hit, count - hit) for hit in (_root_bit_set(n, j) for j in range((n + 1) // 2))) / count


def _root_bit_set(n: int, j: int) -> int:
    """How many ``x`` in ``1 .. 2**n - 1`` have bit ``j`` (from the lowest) of ``isqrt(x)`` set.

    The roots with bit ``j`` set come in runs ``[a, a + 2**j)``, ``a = q * 2**(j+1) + 2**j``;
    the ``x`` with a root in ``[a, c)`` are ``[a**2, c**2)``, cut at ``2**n``. Every run below
    ``isqrt(2**n)`` is whole and summed in closed form; at most one is cut.

    >>> import math
    >>> all(_root_bit_set(n, j) == sum(math.isqrt(x) >> j & 1 for x in range(1, 2 ** n))
    ...     for n in range(1, 11) for j in range((n + 1) // 2))
    True
    """
    limit, run, step = 1 << n, 1 << j, 1 << (j + 1)
    whole = math.isqrt(limit) // step  # runs q < whole end at (q + 1) * step <= isqrt(2**n)
    starts = whole * run + step * whole * (whole - 1) // 2  # the sum of their a
    total = step * starts + whole * run * run  # sum over them of (a + run)**2 - a**2
    a = whole * step + run
    while a * a < limit:  # the run cut at 2**n (at most one)
        total += min((a + run) ** 2, limit) - a * a
        a += step
    return total
