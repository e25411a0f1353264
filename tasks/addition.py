"""``addition`` (seq2seq): two numbers written as digits with a '+' -> their sum as digits."""

from __future__ import annotations

import numpy as np

from seqbench.core.errors import ConfigError
from seqbench.core.options import Knob
from seqbench.core.spaces import InputSpace
from seqbench.core.spec import EOS, TaskSpec, Tokens
from seqbench.core.task import Task, padding_mask, to_batch
from seqbench.core.decoding import with_eos

DIGITS = tuple("0123456789")
MAX_DIGITS = 18  # the sum of two 18-digit numbers (< 2e18) still fits in int64
POWERS = 10 ** np.arange(MAX_DIGITS + 1, dtype=np.int64)  # 10**0 .. 10**18


def n_digits(values: np.ndarray) -> np.ndarray:
    """Decimal digits of each non-negative integer (0 has one digit).

    >>> n_digits(np.array([0, 9, 10, 999, 1000])).tolist()
    [1, 1, 2, 3, 4]
    """
    return (np.asarray(values)[:, None] >= POWERS[None, 1:]).sum(1) + 1


def digit_at(values: np.ndarray, counts: np.ndarray, position: np.ndarray) -> np.ndarray:
    """Digit ``position`` (0 = most significant) of each value with ``counts`` digits; -1 outside.

    ``values``, ``counts`` (n,) and ``position`` (n, W) -> (n, W).

    >>> digit_at(np.array([472]), np.array([3]), np.arange(4)[None, :]).tolist()
    [[4, 7, 2, -1]]
    """
    exponent = counts[:, None] - 1 - position
    inside = (exponent >= 0) & (position >= 0)
    digits = (values[:, None] // POWERS[np.clip(exponent, 0, MAX_DIGITS)]) % 10
    return np.where(inside, digits, -1)


class Addition(Task):
    """``a + b`` as a string of digits in, the digits of the sum (most significant first) and EOS out.

    Each operand's digit count is uniform in ``[min_digits, digits]`` for training, ``val`` and
    ``test``, and the operand is uniform among the numbers with that many digits (no leading
    zeros; 0 counts as one digit). ``test_ood`` operands have ``digits + 1 .. ood_digits``
    digits each, so its inputs are longer than any seen in training. Input ids: 0 padding,
    1..10 the digits, 11 '+'; output ids: 0 padding, 1 EOS, 2..11 the digits.

    >>> import numpy as np
    >>> task = Addition(digits=3)
    >>> batch = task.sample(np.random.default_rng(1), 2)
    >>> print(task.show(batch, 0))
    input:  3 3 + 4 6 · ·
    target: 7 9 <eos> _ _
    mask:   1 1 1 0 0
    >>> print(task.show(batch, 1))
    input:  6 7 9 + 5 9 4
    target: 1 2 7 3 <eos>
    mask:   1 1 1 1 1
    """

    name = "addition"
    version = 2  # 2: val and test inputs are never trained on (a hash partition of the input space)
    description = "'a+b' as digits -> the digits of the sum"
    tags = frozenset({"algorithmic"})
    knobs = (
        Knob("min_digits", 1, low=1, high=MAX_DIGITS - 1, help="fewest digits of a training operand"),
        Knob("digits", 3, low=1, high=MAX_DIGITS - 1, help="most digits of a training operand"),
        Knob("ood_digits", None, low=2, high=MAX_DIGITS, type=int, optional=True,
             help=f"most digits of a test_ood operand (default: 2 x digits, at most {MAX_DIGITS})"),
    )


    def check_params(self) -> None:
        if self.min_digits > self.digits:
            raise ConfigError(f"task.min_digits={self.min_digits}: must be <= task.digits={self.digits}")
        self.resolve_longer("ood_digits", "digits", min(2 * self.digits, MAX_DIGITS))

    def build_spec(self) -> TaskSpec:
        return TaskSpec(kind="seq2seq", input=Tokens(("<pad>",) + DIGITS + ("+",)),
                        output=Tokens(("<pad>", "<eos>") + DIGITS), primary_metric="token_accuracy",
                        lengths=(2 * self.min_digits + 1, 2 * self.digits + 1),
                        ood_lengths=(2 * self.digits + 3, 2 * self.ood_digits + 1),
                        max_output_length=self.ood_digits + 2,  # a carry adds one digit, EOS another
                        train_output_length=self.digits + 2)

    def digit_range(self, split: str) -> tuple[int, int]:
        """The (inclusive) range of operand digit counts in ``split``."""
        return (self.digits + 1, self.ood_digits) if split == "test_ood" else (self.min_digits, self.digits)

    def input_space(self) -> InputSpace:
        """Strings ``a+b`` of each length L: every pair of operands whose digit counts add up to L - 1."""
        low, high = self.digit_range("train")
        numbers = {c: 10 if c == 1 else 9 * 10 ** (c - 1) for c in range(low, high + 1)}  # no leading zeros
        return InputSpace({L: sum(numbers[c] * numbers[L - 1 - c] for c in numbers if L - 1 - c in numbers)
                           for L in range(2 * low + 1, 2 * high + 2)})

    def generate_at(self, rng: np.random.Generator, n: int, length: int | None):
        """Training examples of input length ``length``: the first operand's digit count uniform among
        those that leave the second one in range (as the generator's counts, given their sum)."""
        if length is None:
            return None
        with self.fixed_length(length):
            return self.generate(rng, n, "train")

    def operands(self, rng: np.random.Generator, n: int, split: str) -> tuple[np.ndarray, np.ndarray]:
        """Operands (n, 2) and their digit counts (n, 2)."""
        low, high = self.digit_range(split)
        if self._forced_length is not None:  # digit counts adding up to the fixed length - 1
            total = self._forced_length - 1
            first = rng.integers(max(low, total - high), min(high, total - low) + 1, size=n)
            counts = np.stack([first, total - first], axis=1)
        else:
            counts = rng.integers(low, high + 1, size=(n, 2))
        smallest = np.where(counts == 1, 0, POWERS[counts - 1])  # no leading zeros
        return rng.integers(smallest, POWERS[counts]), counts

    def generate(self, rng: np.random.Generator, n: int, split: str):
        values, counts = self.operands(rng, n, split)  # (n, 2), (n, 2)
        lengths = counts.sum(1) + 1  # a, '+', b
        t = np.arange(int(lengths.max()))[None, :]
        first = digit_at(values[:, 0], counts[:, 0], t)  # (n, W)
        second = digit_at(values[:, 1], counts[:, 1], t - counts[:, :1] - 1)
        plus = len(DIGITS) + 1
        inputs = np.where(first >= 0, first + 1, np.where(t == counts[:, :1], plus, second + 1))
        inputs = np.where(padding_mask(lengths, inputs.shape[1]), inputs, 0)
        total = values.sum(1)
        out_len = n_digits(total)
        out = digit_at(total, out_len, np.arange(int(out_len.max()))[None, :])
        targets, mask = with_eos(np.where(out >= 0, out + EOS + 1, 0), out_len)  # output ids: digit + 2
        return to_batch(inputs, targets, lengths, mask)
