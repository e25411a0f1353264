"""``copy`` (seq2seq): write the input string out again, unchanged."""

from __future__ import annotations

import numpy as np

from seqbench.core.options import Knob
from seqbench.core.task import length_knobs
from seqbench.tasks.reverse import LETTERS, Reverse


class Copy(Reverse):
    """A string of ``vocab_size`` symbols in, the same string and EOS out.

    The encoder must squeeze the whole string into its final state and the decoder unroll it
    in the same order, so the first symbols have to survive the longest; compare with
    ``reverse``, where the symbol read last is written first. Inputs, outputs and the
    ``test_ood`` split (longer strings) are as in ``reverse``.

    >>> import numpy as np
    >>> task = Copy(length=5, vocab_size=3)
    >>> batch = task.sample(np.random.default_rng(0), 2)
    >>> print(task.show(batch, 0))
    input:  a a c b c
    target: a a c b c <eos>
    mask:   1 1 1 1 1 1
    >>> print(task.show(batch, 1))
    input:  b b c c ·
    target: b b c c <eos> _
    mask:   1 1 1 1 1 0
    """

    name = "copy"
    version = 3  # 3: val and test inputs are never trained on (a hash partition of the input space)
    # 2: test_ood lengths on a grid of 4 lengths, equally often (per-length intervals)
    description = "string -> the same string"
    tags = frozenset({"algorithmic"})
    knobs = length_knobs(length=10) + (
        Knob("vocab_size", 4, low=1, high=len(LETTERS), help="distinct symbols"),
    )

    def transform(self, symbols: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        """The identity: targets are the input symbols, padding kept at the end."""
        return symbols.copy()
