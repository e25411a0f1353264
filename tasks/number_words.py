"""``number_words`` (one_to_many): an integer in, its English name out, character by character.

Every split but train asks for numbers never trained on. The numbers up to ``max_value`` that are
not held out (``holdout``) are partitioned by a hash of their input (:mod:`seqbench.core.partition`):
``val`` owns 10 % of them, ``test`` 20 %, ``train`` the other 70 %, so ``val`` (choosing a learning
rate and a checkpoint) and ``test`` measure how a model spells numbers it has not seen, from digits
and words it has. A number whose name holds a word no other number's name holds (0, "zero") is
always trained: no model could spell it otherwise. ``test_ood`` asks for the held-out combinations
of a hundreds digit and a ones digit, numbers whose every word training has seen but never in that
combination: a test of composition.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cached_property, lru_cache

import numpy as np

from seqbench.core.errors import ConfigError
from seqbench.core.options import Knob
from seqbench.core.partition import OWNER, partition_of
from seqbench.core.spaces import InputSpace
from seqbench.core.spec import EOS, TaskSpec, Tokens, Vector
from seqbench.core.task import Task, padding_mask, to_batch

ONES = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
        "fifteen sixteen seventeen eighteen nineteen").split()
TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
CHARACTERS = tuple(" abcdefghijklmnopqrstuvwxyz")
CHUNK = 65_536  #: numbers one-hot encoded at once when the partition lists them


def words(number: int) -> str:
    """English words for 0 <= number < 1,000,000, without "and" or hyphens.

    >>> words(312), words(40), words(100_017)
    ('three hundred twelve', 'forty', 'one hundred thousand seventeen')
    """
    if number < 20:
        return ONES[number]
    if number < 100:
        return TENS[number // 10] + ("" if number % 10 == 0 else " " + ONES[number % 10])
    if number < 1000:
        rest = number % 100
        return ONES[number // 100] + " hundred" + ("" if rest == 0 else " " + words(rest))
    rest = number % 1000
    return words(number // 1000) + " thousand" + ("" if rest == 0 else " " + words(rest))


def _spell_table(values: range) -> tuple[np.ndarray, np.ndarray]:
    """Character ids (len(values), width) of each value's words, and the word lengths."""
    spelled = [words(v) for v in values]
    lengths = np.array([len(s) for s in spelled])
    table = np.zeros((len(spelled), int(lengths.max())), dtype=np.int64)
    for row, text in enumerate(spelled):  # 1,000 rows at most, built once
        table[row, : len(text)] = [CHARACTERS.index(c) + 2 for c in text]
    return table, lengths


@lru_cache(maxsize=1)
def _below_thousand() -> tuple[np.ndarray, np.ndarray]:
    return _spell_table(range(1000))


def spell(numbers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Output ids (n, width) of each number's words followed by EOS, and lengths (EOS included).

    Numbers of a thousand or more are assembled, vectorised, from the table below a thousand:
    ``words(high) + " thousand" + (" " + words(low) if low else "")``.
    """
    table, lengths = _below_thousand()
    high, low = numbers // 1000, numbers % 1000
    thousand = np.array([CHARACTERS.index(c) + 2 for c in " thousand"])
    space = np.array([CHARACTERS.index(" ") + 2])
    # pieces in order: (ids per row, length per row); a zero length drops the piece
    has_high, has_low = high > 0, (high == 0) | (low > 0)
    pieces = [
        (table[high], np.where(has_high, lengths[high], 0)),
        (np.broadcast_to(thousand, (len(numbers), len(thousand))), np.where(has_high, len(thousand), 0)),
        (np.broadcast_to(space, (len(numbers), 1)), np.where(has_high & has_low, 1, 0)),
        (table[low], np.where(has_low, lengths[low], 0)),
    ]
    total = sum(n for _, n in pieces) + 1  # + EOS
    width = int(total.max())
    out = np.zeros((len(numbers), width), dtype=np.int64)
    position = np.arange(width)[None, :]
    start = np.zeros(len(numbers), dtype=np.int64)
    for ids, n in pieces:
        inside = (position >= start[:, None]) & (position < (start + n)[:, None])
        offset = np.clip(position - start[:, None], 0, ids.shape[1] - 1)
        out = np.where(inside, np.take_along_axis(np.asarray(ids), offset, axis=1), out)
        start = start + n
    out[np.arange(len(numbers)), start] = EOS
    return out, total


def held_out(numbers: np.ndarray, holdout: int) -> np.ndarray:
    """Whether each number is held out of training: its hundreds digit h >= 1 and its ones digit o
    (of its last three digits) have h + o divisible by ``holdout`` (0: none; at least 2 otherwise,
    so that every hundreds digit keeps tails in training). Every word still occurs in training, in
    other combinations: "four hundred" with other tails, "ninety one" after other hundreds.

    >>> held_out(np.array([7, 104, 105, 149, 555, 1_104]), 5).tolist()
    [False, True, False, True, True, True]
    """
    if holdout == 0:
        return np.zeros(len(numbers), dtype=bool)
    hundreds, ones = (numbers // 100) % 10, numbers % 10
    return (hundreds >= 1) & ((hundreds + ones) % holdout == 0)


@lru_cache(maxsize=8)
def _trained_and_held_out(max_value: int, holdout: int) -> tuple[np.ndarray, np.ndarray]:
    """The numbers train, val and test share out, and the held-out ones (test_ood), ascending."""
    numbers = np.arange(max_value + 1)
    held = held_out(numbers, holdout)
    return numbers[~held], numbers[held]


@lru_cache(maxsize=8)
def _always_trained(max_value: int, holdout: int) -> np.ndarray:
    """The numbers (not held out) whose name holds a word no other such number's name holds: they
    are trained on, never held out for val or test. From 1,999 up every word of a number below 1,000
    recurs in 1,000 + that number, so only 0 ("zero") is left."""
    seen = _trained_and_held_out(max_value, holdout)[0]
    if max_value >= 1999:
        return np.array([0])
    counts: dict[str, int] = {}
    for number in seen.tolist():
        for word in set(words(number).split()):
            counts[word] = counts.get(word, 0) + 1
    return np.array([n for n in seen.tolist() if any(counts[w] == 1 for w in words(n).split())], dtype=np.int64)


class NumberWords(Task):
    """The digits of a number (one-hot, most significant first) in; its words out.

    >>> import numpy as np
    >>> task = NumberWords(max_value=99)
    >>> batch = task.sample(np.random.default_rng(1), 2)
    >>> batch.inputs.view(2, 2, 10).argmax(-1).tolist()  # the digits of 49 and 53
    [[4, 9], [5, 3]]
    >>> print(task.show(batch, 0))
    input:  0 0 0 0 1 0 0 0 0 0 0 0 0 0 0 0 0 0 0 1
    target: f o r t y   n i n e <eos> _
    mask:   1 1 1 1 1 1 1 1 1 1 1 0
    >>> print(task.show(batch, 1))
    input:  0 0 0 0 0 1 0 0 0 0 0 0 0 1 0 0 0 0 0 0
    target: f i f t y   t h r e e <eos>
    mask:   1 1 1 1 1 1 1 1 1 1 1 1
    """

    name = "number_words"
    version = 3  # 3: val and test hold numbers never trained on (a hash partition), each number once
    # 2: numbers held out of training (holdout) make a test_ood split of new combinations
    description = "integer (one-hot digits) -> its English words as characters"
    tags = frozenset({"language"})
    eval_shares = (0.1, 0.2)
    knobs = (
        Knob("max_value", 999, low=1, high=999_999, help="largest number; training numbers are uniform over "
             "train's 70 % of [0, max] less the held-out ones (val and test own 10 % and 20 %)"),
        Knob("holdout", 5, low=0, high=18, help="hold out numbers whose last three digits have a hundreds digit "
             "h >= 1 and a ones digit o with h + o divisible by it (0: none; else 2 to 18); test_ood asks for "
             "each of them once"),
    )

    @property
    def n_digits(self) -> int:
        return len(str(self.max_value))

    def build_spec(self) -> TaskSpec:
        shift = (f"numbers never trained on: hundreds digit + ones digit divisible by {self.holdout}"
                 if len(self._pools()[1]) else None)
        return TaskSpec(kind="one_to_many", input=Vector(10 * self.n_digits),
                        output=Tokens(("<pad>", "<eos>") + CHARACTERS), primary_metric="token_accuracy",
                        max_output_length=self.longest_output(), ood_shift=shift)

    def check_params(self) -> None:
        if self.holdout == 1:  # every number from 100 up: "hundred" would never be trained on
            raise ConfigError("task.holdout=1: holds out every number from 100 up; use 0 (none) or 2 to 18")

    def _pools(self) -> tuple[np.ndarray, np.ndarray]:
        """(not held out, held out): the numbers train, val and test share out, and test_ood's."""
        return _trained_and_held_out(self.max_value, self.holdout)

    def one_hot(self, numbers: np.ndarray) -> np.ndarray:
        """The model's input for each number: one-hot digits, most significant first (n, 10 x digits)."""
        places = 10 ** np.arange(self.n_digits - 1, -1, -1)
        digits = (np.asarray(numbers)[:, None] // places[None, :]) % 10  # (n, n_digits)
        return np.eye(10, dtype=np.float32)[digits].reshape(len(numbers), -1)

    def _partitioned(self) -> np.ndarray:
        """The numbers train, val and test share out: neither held out nor always trained."""
        seen = self._pools()[0]
        return np.setdiff1d(seen, _always_trained(self.max_value, self.holdout))

    def input_space(self) -> InputSpace:
        """The numbers the partition shares out (no length); test_ood's, and those always trained
        (a word of their own), are apart."""
        return InputSpace({None: len(self._partitioned())}, unit="numbers")

    def all_inputs(self, length: int | None) -> Iterator[tuple[np.ndarray, None]]:
        """The inputs of every number the partition shares out, in chunks."""
        numbers = self._partitioned()
        return ((self.one_hot(numbers[i : i + CHUNK]), None) for i in range(0, len(numbers), CHUNK))

    @cached_property
    def _part_of_number(self) -> np.ndarray:
        """The part (0 train, 1 val, 2 test) of every number 0..max_value; always trained and held-out
        numbers are 0 (held-out ones never reach train, which draws from its own numbers)."""
        table, numbers = partition_of(self), self._partitioned()
        parts = np.zeros(self.max_value + 1, dtype=np.int8)
        parts[numbers] = np.concatenate([table.owners(inputs, None) for inputs, _ in self.all_inputs(None)])
        return parts

    def input_parts(self, inputs: np.ndarray, lengths: np.ndarray | None) -> np.ndarray:
        digits = np.asarray(inputs).reshape(len(inputs), self.n_digits, 10).argmax(-1)  # (n, n_digits)
        return self._part_of_number[digits @ (10 ** np.arange(self.n_digits - 1, -1, -1))]

    def split_numbers(self, split: str) -> np.ndarray:
        """The numbers ``split`` draws from: its part of the partition (train: with the always trained
        ones), or the held-out ones (test_ood)."""
        seen, held = self._pools()
        return held if split == "test_ood" else seen[self._part_of_number[seen] == OWNER[split]]

    def split_size(self, split: str) -> int | None:
        """val, test and test_ood hold each of their numbers once; train draws with replacement."""
        return None if split == "train" else len(self.split_numbers(split))

    def longest_output(self) -> int:
        """The longest target (EOS included) over every number in [0, max_value]."""
        _, lengths = _below_thousand()
        top_high, top_low = divmod(self.max_value, 1000)
        longest = int(lengths[: min(self.max_value, 999) + 1].max())
        if top_high:
            full = int(lengths[1:top_high].max()) + 10 + int(lengths[1:].max()) if top_high > 1 else 0
            last = int(lengths[top_high]) + 9 + (1 + int(lengths[1 : top_low + 1].max()) if top_low else 0)
            longest = max(longest, full, last)
        return longest + 1

    def generate(self, rng: np.random.Generator, n: int, split: str):
        pool = self.split_numbers(split)
        if split == "train":
            numbers = pool[rng.integers(0, len(pool), size=n)]  # (n,)
        else:  # each number of the split at most once
            numbers = rng.choice(pool, size=n, replace=False)  # (n,)
        targets, lengths = spell(numbers)  # (n, width), (n,)
        return to_batch(self.one_hot(numbers), targets, None, padding_mask(lengths, targets.shape[1]))
