"""``odds_first`` (context-sensitive, output-aligned): symbols at odd positions first, then even."""

from __future__ import annotations

import numpy as np

from seqbench.core.options import Knob
from seqbench.tasks.chomsky._common import StringTransduction, chomsky_knobs, uniform_symbols


class OddsFirst(StringTransduction):
    """A string ``s1 s2 .. sn`` (binary in the paper) in; ``s1 s3 s5 .. s2 s4 s6 ..`` out: the
    symbols at odd (1-based) positions, then those at even positions, in the output-aligned format
    (``n`` blank steps, output length ``n``).

    This is the paper's definition and its example (``00110101 -> 0100 0111``); the anchor's code
    emits the even positions first, a mirror image of the same task.
    Every output symbol is a uniform input symbol: ``memoryless_exact`` is ``1 / vocab_size``.

    >>> import numpy as np
    >>> task = OddsFirst(length=5)
    >>> batch = task.sample(np.random.default_rng(0), 2)
    >>> print(task.show(batch, 0))
    input:  1 1 0 0 0 ? ? ? ? ?
    target: _ _ _ _ _ 1 0 0 1 0
    mask:   0 0 0 0 0 1 1 1 1 1
    >>> print(task.show(batch, 1))
    input:  0 0 0 1 1 ? ? ? ? ?
    target: _ _ _ _ _ 0 0 1 0 1
    mask:   0 0 0 0 0 1 1 1 1 1
    """

    name = "odds_first"
    version = 3  # 3: a training batch has one string length (the paper's protocol; batch_lengths=mixed: each example its own)
    # 2: val and test inputs are never trained on (a hash partition of the input space)
    level = "context-sensitive"
    description = "[context-sensitive] s1 s2 .. sn -> s1 s3 s5 .. s2 s4 .., output-aligned (Deletang et al. 2023)"
    knobs = chomsky_knobs(1, Knob("vocab_size", 2, low=2, high=10, help="distinct symbols (2 in the paper)"))

    def examples(self, rng: np.random.Generator, lengths: np.ndarray):
        symbols = uniform_symbols(rng, lengths, self.vocab_size)  # (n, W)
        j = np.arange(symbols.shape[1])[None, :]
        odd = (lengths[:, None] + 1) // 2  # how many 1-based odd positions (0-based even) there are
        source = np.where(j < odd, 2 * j, 2 * (j - odd) + 1)  # output j reads this 0-based position
        source = np.clip(source, 0, symbols.shape[1] - 1)
        return symbols, np.take_along_axis(symbols, source, axis=1), None

    def analytic_baselines(self, split: str) -> dict[str, dict[str, float]]:
        return {"memoryless_exact": {"accuracy": 1.0 / self.vocab_size}}
