"""``parity`` (many_to_one): is the number of ones in a bit string odd?"""

from __future__ import annotations

import numpy as np

from seqbench.core.options import Knob
from seqbench.core.spaces import InputSpace, power
from seqbench.core.spec import Classes, TaskSpec, Tokens
from seqbench.core.task import SequenceTask, length_knobs, padding_mask, to_batch


class Parity(SequenceTask):
    """Bits in, their parity out; padding is ``·``.

    The label depends on every bit, so a model must carry one bit of state over the whole
    sequence. Recurrent models generalise to longer strings (Deletang et al. 2023); chance is 50 %.

    >>> import numpy as np
    >>> task = Parity(length=6)
    >>> batch = task.sample(np.random.default_rng(0), 2)
    >>> print(task.show(batch, 0))
    input:  0 0 0 0 0 0
    target: 0
    >>> print(task.show(batch, 1))
    input:  0 1 0 1 · ·
    target: 0
    """

    name = "parity"
    version = 3  # 3: val and test inputs are never trained on (a hash partition of the input space)
    # 2: test_ood lengths on a grid of 4 lengths, equally often (per-length intervals)
    description = "bit string -> 1 if it holds an odd number of ones"
    tags = frozenset({"algorithmic"})
    knobs = length_knobs(length=16) + (
        Knob("p_one", 0.5, low=0.0, high=1.0, help="probability that a bit is 1"),
    )

    def build_spec(self) -> TaskSpec:
        return TaskSpec(kind="many_to_one", input=Tokens(("<pad>", "0", "1")), output=Classes(2, ("even", "odd")),
                        primary_metric="accuracy", lengths=(self.min_length, self.length),
                        ood_lengths=(self.length + 1, self.ood_length))

    def input_space(self) -> InputSpace:
        """Every bit string of each training length (only zeros or only ones when ``p_one`` is 0 or 1)."""
        symbols = 2 if 0.0 < self.p_one < 1.0 else 1
        return InputSpace({L: power(symbols, L) for L in range(self.min_length, self.length + 1)})

    def generate(self, rng: np.random.Generator, n: int, split: str):
        lengths = self.sample_lengths(rng, n, split)  # (n,)
        width = int(lengths.max())
        mask = padding_mask(lengths, width)  # (n, width)
        bits = (rng.random((n, width)) < self.p_one) & mask
        inputs = np.where(mask, bits + 1, 0)  # token ids: 1 -> "0", 2 -> "1", 0 -> pad
        return to_batch(inputs, bits.sum(1) % 2, lengths)
