"""``sort`` (seq2seq): write the input's symbols out in alphabetical order."""

from __future__ import annotations

import numpy as np

from seqbench.core.options import Knob
from seqbench.core.spec import PAD
from seqbench.core.task import length_knobs
from seqbench.tasks.reverse import LETTERS, Reverse


class Sort(Reverse):
    """A string of ``vocab_size`` symbols in, its symbols sorted (with repeats) and EOS out.

    Unlike ``copy`` and ``reverse`` the order of the input does not matter, only how often
    each symbol occurs: a model can solve it with ``vocab_size`` counters instead of storing the
    string. Inputs, outputs and the ``test_ood`` split (longer strings) are as in ``reverse``.

    >>> import numpy as np
    >>> task = Sort(length=5, vocab_size=3)
    >>> batch = task.sample(np.random.default_rng(0), 2)
    >>> print(task.show(batch, 0))
    input:  a a c b c
    target: a a b c c <eos>
    mask:   1 1 1 1 1 1
    >>> print(task.show(batch, 1))
    input:  b b c c ·
    target: b b c c <eos> _
    mask:   1 1 1 1 1 0
    """

    name = "sort"
    version = 3  # 3: val and test inputs are never trained on (a hash partition of the input space)
    # 2: test_ood lengths on a grid of 4 lengths, equally often (per-length intervals)
    description = "string -> its symbols in sorted order"
    tags = frozenset({"algorithmic"})
    knobs = length_knobs(length=10) + (
        Knob("vocab_size", 8, low=1, high=len(LETTERS), help="distinct symbols"),
    )

    def transform(self, symbols: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        """Symbols sorted inside each length (padding, id 0, stays at the end)."""
        last = np.iinfo(symbols.dtype).max
        ordered = np.sort(np.where(symbols == PAD, last, symbols), axis=1)  # padding sorts last
        return np.where(ordered == last, PAD, ordered)
