"""``reverse_string`` (context-free, output-aligned): write the input backwards."""

from __future__ import annotations

import numpy as np

from seqbench.core.options import Knob
from seqbench.tasks.chomsky._common import StringTransduction, chomsky_knobs, uniform_symbols


class ReverseString(StringTransduction):
    """A string ``s1 .. sn`` over ``vocab_size`` symbols (binary in the paper) in, ``sn .. s1`` out,
    in the output-aligned format: ``n`` input steps, then ``n`` blank steps ``?`` at which the
    reversed string is read (output length ``n``). Unlike seqbench's ``reverse``
    (an encoder-decoder that must also learn when to stop), the output length is given.

    Each output symbol is a uniform input symbol, so every input-ignoring predictor scores
    exactly ``1 / vocab_size`` (``memoryless_exact``).

    >>> import numpy as np
    >>> task = ReverseString(length=4)
    >>> batch = task.sample(np.random.default_rng(0), 2)
    >>> print(task.show(batch, 0))
    input:  1 1 0 0 ? ? ? ?
    target: _ _ _ _ 0 0 1 1
    mask:   0 0 0 0 1 1 1 1
    >>> print(task.show(batch, 1))
    input:  1 1 1 1 ? ? ? ?
    target: _ _ _ _ 1 1 1 1
    mask:   0 0 0 0 1 1 1 1
    """

    name = "reverse_string"
    version = 3  # 3: a training batch has one string length (the paper's protocol; batch_lengths=mixed: each example its own)
    # 2: val and test inputs are never trained on (a hash partition of the input space)
    level = "context-free"
    description = "[deterministic context-free] string -> the string reversed, output-aligned (Deletang et al. 2023)"
    knobs = chomsky_knobs(1, Knob("vocab_size", 2, low=2, high=10, help="distinct symbols (2 in the paper)"))

    def examples(self, rng: np.random.Generator, lengths: np.ndarray):
        symbols = uniform_symbols(rng, lengths, self.vocab_size)  # (n, W)
        t = np.arange(symbols.shape[1])[None, :]
        source = np.clip(lengths[:, None] - 1 - t, 0, None)  # output j reads input n - 1 - j
        return symbols, np.take_along_axis(symbols, source, axis=1), None

    def analytic_baselines(self, split: str) -> dict[str, dict[str, float]]:
        return {"memoryless_exact": {"accuracy": 1.0 / self.vocab_size}}
