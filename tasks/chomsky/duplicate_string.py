"""``duplicate_string`` (context-sensitive, output-aligned): write the input twice."""

from __future__ import annotations

import numpy as np

from seqbench.core.options import Knob
from seqbench.tasks.chomsky._common import StringTransduction, chomsky_knobs, uniform_symbols


class DuplicateString(StringTransduction):
    """A string ``w`` over ``vocab_size`` symbols (binary in the paper) in, ``ww`` out, in the
    output-aligned format: ``n`` input steps, then ``2n`` blank steps ``?`` (output length ``2n``).

    Each output symbol is a uniform input symbol, so every input-ignoring predictor scores
    exactly ``1 / vocab_size`` (``memoryless_exact``).

    >>> import numpy as np
    >>> task = DuplicateString(length=3)
    >>> batch = task.sample(np.random.default_rng(0), 2)
    >>> print(task.show(batch, 0))
    input:  1 1 0 ? ? ? ? ? ?
    target: _ _ _ 1 1 0 1 1 0
    mask:   0 0 0 1 1 1 1 1 1
    >>> print(task.show(batch, 1))
    input:  0 0 0 ? ? ? ? ? ?
    target: _ _ _ 0 0 0 0 0 0
    mask:   0 0 0 1 1 1 1 1 1
    """

    name = "duplicate_string"
    version = 3  # 3: a training batch has one string length (the paper's protocol; batch_lengths=mixed: each example its own)
    # 2: val and test inputs are never trained on (a hash partition of the input space)
    level = "context-sensitive"
    description = "[context-sensitive] string w -> ww, output-aligned (Deletang et al. 2023)"
    knobs = chomsky_knobs(1, Knob("vocab_size", 2, low=2, high=10, help="distinct symbols (2 in the paper)"))

    def output_length(self, lengths):
        return 2 * np.asarray(lengths)

    def examples(self, rng: np.random.Generator, lengths: np.ndarray):
        symbols = uniform_symbols(rng, lengths, self.vocab_size)  # (n, W)
        j = np.arange(2 * symbols.shape[1])[None, :]
        return symbols, np.take_along_axis(symbols, j % lengths[:, None], axis=1), None  # output j reads j mod n

    def analytic_baselines(self, split: str) -> dict[str, dict[str, float]]:
        return {"memoryless_exact": {"accuracy": 1.0 / self.vocab_size}}
