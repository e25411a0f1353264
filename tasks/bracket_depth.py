"""``bracket_depth`` (tagging): the nesting depth after each bracket."""

from __future__ import annotations

import numpy as np

from seqbench.core.options import Knob
from seqbench.core.spaces import InputSpace
from seqbench.core.spec import Classes, TaskSpec, Tokens
from seqbench.core.task import SequenceTask, length_knobs, padding_mask, to_batch


class BracketDepth(SequenceTask):
    """Brackets in, the depth after each one out (a counter, one tag per step).

    Strings never close below depth 0 or open beyond ``max_depth``: the depth is a random
    walk folded into ``[0, max_depth]``, so every string is a valid prefix of a Dyck word.

    >>> import numpy as np
    >>> task = BracketDepth(length=6, max_depth=3)
    >>> batch = task.sample(np.random.default_rng(0), 2)
    >>> print(task.show(batch, 0))
    input:  ( ( ) ) ( (
    target: 1 2 1 0 1 2
    mask:   1 1 1 1 1 1
    >>> print(task.show(batch, 1))
    input:  ( ( ( ) · ·
    target: 1 2 3 2 _ _
    mask:   1 1 1 1 0 0
    """

    name = "bracket_depth"
    version = 3  # 3: val and test inputs are never trained on (a hash partition of the input space)
    # 2: test_ood lengths on a grid of 4 lengths, equally often (per-length intervals)
    description = "bracket string -> nesting depth after each bracket"
    tags = frozenset({"algorithmic"})
    knobs = length_knobs(length=20) + (
        Knob("max_depth", 4, low=1, high=1000, help="deepest nesting a string reaches"),
    )

    def build_spec(self) -> TaskSpec:
        return TaskSpec(kind="tagging", input=Tokens(("<pad>", "(", ")")), output=Classes(self.max_depth + 1),
                        primary_metric="accuracy", lengths=(self.min_length, self.length),
                        ood_lengths=(self.length + 1, self.ood_length))

    def input_space(self) -> InputSpace:
        """Bracket strings of each training length: one per walk on the depths 0..max_depth that opens
        at 0, closes at max_depth and may go either way between (floats: exact below 2**53)."""
        ways = np.zeros(self.max_depth + 1)
        ways[0] = 1.0
        sizes = {}
        with np.errstate(over="ignore", invalid="ignore"):
            for L in range(1, self.length + 1):
                ways = np.concatenate([[0.0], ways[:-1]]) + np.concatenate([ways[1:], [0.0]])  # one step up or down
                if L >= self.min_length:
                    total = ways.sum()
                    sizes[L] = int(total) if total < 2**53 else float(total)
        return InputSpace(sizes)

    def generate(self, rng: np.random.Generator, n: int, split: str):
        lengths = self.sample_lengths(rng, n, split)
        width = int(lengths.max())
        mask = padding_mask(lengths, width)
        walk = np.cumsum(rng.choice(np.array([-1, 1]), size=(n, width)), axis=1)  # (n, width)
        period = 2 * self.max_depth
        depth = self.max_depth - np.abs(np.mod(walk, period) - self.max_depth)  # folded into [0, M]
        previous = np.concatenate([np.zeros((n, 1), dtype=depth.dtype), depth[:, :-1]], axis=1)
        brackets = np.where(depth > previous, 1, 2)  # 1 = "(", 2 = ")"
        return to_batch(np.where(mask, brackets, 0), np.where(mask, depth, 0), lengths, mask)
