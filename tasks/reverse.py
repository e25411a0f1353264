"""``reverse`` (seq2seq): write the input string backwards."""

from __future__ import annotations

import numpy as np

from seqbench.core.decoding import with_eos
from seqbench.core.options import Knob
from seqbench.core.spaces import InputSpace, power
from seqbench.core.spec import TaskSpec, Tokens
from seqbench.core.task import SequenceTask, length_knobs, padding_mask, to_batch

LETTERS = "abcdefghijklmnopqrstuvwxyz"


def symbol_ids(lengths: np.ndarray, width: int, vocab_size: int, rng: np.random.Generator,
               first_id: int) -> np.ndarray:
    """Random symbols ``first_id .. first_id + vocab_size - 1`` inside each length, 0 (pad) after."""
    mask = padding_mask(lengths, width)
    return np.where(mask, rng.integers(0, vocab_size, size=(len(lengths), width)) + first_id, 0)


class Reverse(SequenceTask):
    """A string of ``vocab_size`` symbols in, the same string reversed and EOS out.

    Input symbols are ids 1.. of the input vocabulary; the output vocabulary reserves 0 for
    padding and 1 for EOS, so symbol ids shift by one. Deletang et al. (2023) found RNNs and
    LSTMs stay far from 100 % on reverse once strings are longer than in training.

    >>> import numpy as np
    >>> task = Reverse(length=5, vocab_size=3)
    >>> batch = task.sample(np.random.default_rng(0), 2)
    >>> print(task.show(batch, 0))
    input:  a a c b c
    target: c b c a a <eos>
    mask:   1 1 1 1 1 1
    >>> print(task.show(batch, 1))
    input:  b b c c ·
    target: c c b b <eos> _
    mask:   1 1 1 1 1 0
    """

    name = "reverse"
    version = 3  # 3: val and test inputs are never trained on (a hash partition of the input space)
    # 2: test_ood lengths on a grid of 4 lengths, equally often (per-length intervals)
    description = "string -> the same string reversed"
    tags = frozenset({"algorithmic"})
    knobs = length_knobs(length=10) + (
        Knob("vocab_size", 4, low=1, high=len(LETTERS), help="distinct symbols"),
    )

    def build_spec(self) -> TaskSpec:
        letters = tuple(LETTERS[: self.vocab_size])
        return TaskSpec(kind="seq2seq", input=Tokens(("<pad>",) + letters),
                        output=Tokens(("<pad>", "<eos>") + letters), primary_metric="token_accuracy",
                        lengths=(self.min_length, self.length), ood_lengths=(self.length + 1, self.ood_length),
                        max_output_length=self.ood_length + 1, train_output_length=self.length + 1)

    def input_space(self) -> InputSpace:
        """Every string of ``vocab_size`` symbols of each training length."""
        return InputSpace({L: power(self.vocab_size, L) for L in range(self.min_length, self.length + 1)})

    def transform(self, symbols: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        """The target symbols for input symbols (n, width), padding kept at the end."""
        width = symbols.shape[1]
        t = np.arange(width)[None, :]
        index = np.where(t < lengths[:, None], lengths[:, None] - 1 - t, t)  # reverse inside each length
        return np.take_along_axis(symbols, index, axis=1)

    def generate(self, rng: np.random.Generator, n: int, split: str):
        lengths = self.sample_lengths(rng, n, split)
        symbols = symbol_ids(lengths, int(lengths.max()), self.vocab_size, rng, first_id=1)  # (n, width)
        out = self.transform(symbols, lengths)
        targets, mask = with_eos(np.where(out > 0, out + 1, 0), lengths)  # output ids: symbol + 1
        return to_batch(symbols, targets, lengths, mask)
