"""``sentiment`` (many_to_one): synthetic reviews whose label follows negation, intensity and contrast."""

from __future__ import annotations

from functools import cached_property

import numpy as np

from seqbench.core.options import Knob
from seqbench.core.spaces import InputSpace, capped, power
from seqbench.core.spec import Classes, TaskSpec, Tokens
from seqbench.core.task import SequenceTask, length_knobs, padding_mask, to_batch
from seqbench.tasks._ragged import segment_positions

POSITIVE = ("good great fine nice superb lovely excellent brilliant charming delightful enjoyable fun "
            "moving clever funny gripping stunning solid sharp warm fresh witty beautiful powerful wonderful").split()
NEGATIVE = ("bad boring awful poor dull terrible weak bland clumsy tedious messy silly slow flat stale lame "
            "cheap shallow sloppy forgettable predictable annoying painful confusing ugly").split()
NEUTRAL = ("the movie film plot story actors cast music ending scenes script director camera dialogue hero "
           "villain it was is this that a of and with in at on for its his her first second hour night "
           "theatre screen book sequel characters action score acting pace style tone effects set look").split()
CONTRAST, NEGATORS, INTENSIFIERS = "but", ("not", "never"), ("very", "really")
FUNCTION_WORDS = (CONTRAST,) + NEGATORS + INTENSIFIERS

TWO_PHRASE_RATE = 0.5  #: how often the deciding clause holds two opinion phrases
PHRASE = 3  #: longest opinion phrase: negator, intensifier, polar word
#: longest structure: opening phrase, "but", then two phrases of which only one is intensified
STRUCTURE = PHRASE + 1 + (2 * PHRASE - 1)


class Sentiment(SequenceTask):
    """Review words in; 1 (positive) or 0 (negative) out, by an exact, order-dependent rule.

    **The rule.** (1) A review is one clause, or two clauses joined by ``but``; only the clause
    after ``but`` (the deciding clause) counts. (2) Each polar word of the deciding clause
    scores +1 (positive word) or -1 (negative word); an intensifier (``very``, ``really``)
    right before it doubles the score, and a negator (``not``, ``never``) right before it or
    before its intensifier flips the sign: ``not very good`` scores -2. Neutral words score 0.
    (3) The label is 1 if the sum is positive and 0 if it is negative.

    **The generator.** The deciding clause holds one opinion phrase (``[negator] [intensifier]
    polar-word``), or two of which exactly one is intensified, so the sum is never 0. With
    probability ``contrast_rate`` an opening clause and ``but`` come first; its phrase always
    leans the other way ("good but boring"). Phrases are negated with probability
    ``negation_rate`` and a lone phrase is intensified with probability ``intensifier_rate``.
    Neutral filler words fill the rest of the length, only between phrases. ``label_noise``
    flips that fraction of *training* labels; ``val`` and ``test`` labels follow the rule.

    An order-blind (bag-of-words) model cannot reach 100 %: "good but boring" and "boring but
    good" hold the same words and have opposite labels, as do "very good bad" and "good very
    bad" (intensity) and "not very good bad" and "very good not bad" (negation scope). The
    vocabulary holds ``vocab_size`` content words (a quarter positive, a quarter negative, the
    rest neutral) and the function words ``but``, ``not``, ``never``, ``very``, ``really``.

    >>> import numpy as np
    >>> task = Sentiment(min_length=9, length=12, vocab_size=12)
    >>> batch = task.sample(np.random.default_rng(3), 2)
    >>> print(task.show(batch, 0))
    input:  film never very fine movie film plot but film good plot the
    target: 1
    >>> print(task.show(batch, 1))
    input:  movie movie very awful actors film boring actors the · · ·
    target: 0
    """

    name = "sentiment"
    version = 3  # 3: val and test inputs are never trained on (a hash partition of the input space)
    # 2: test_ood lengths on a grid of 4 lengths, equally often (per-length intervals)
    description = "review -> positive/negative, with negation, intensifiers and 'but' (order matters)"
    tags = frozenset({"language"})
    knobs = (Knob("min_length", STRUCTURE, low=STRUCTURE, high=100_000,
                  help="shortest training review (room for the longest phrase structure)"),) \
        + length_knobs(length=16)[1:] + (
        Knob("vocab_size", 40, low=4, high=2 * len(POSITIVE) + len(NEUTRAL),
             help="content words: a quarter positive, a quarter negative, the rest neutral"),
        Knob("negation_rate", 0.3, low=0.0, high=1.0, help="probability that an opinion phrase is negated"),
        Knob("contrast_rate", 0.4, low=0.0, high=1.0, help="probability of an opening clause and 'but'"),
        Knob("intensifier_rate", 0.3, low=0.0, high=1.0, help="probability that a lone phrase is intensified"),
        Knob("label_noise", 0.0, low=0.0, high=0.5, help="fraction of training labels flipped"),
    )

    @property
    def n_polar(self) -> int:
        return self.vocab_size // 4

    @cached_property
    def words(self) -> tuple[str, ...]:
        """Input symbols: padding, function words, positive, negative, then neutral words."""
        p = self.n_polar
        return (("<pad>",) + FUNCTION_WORDS + tuple(POSITIVE[:p]) + tuple(NEGATIVE[:p])
                + tuple(NEUTRAL[: self.vocab_size - 2 * p]))

    def build_spec(self) -> TaskSpec:
        return TaskSpec(kind="many_to_one", input=Tokens(self.words), output=Classes(2, ("negative", "positive")),
                        primary_metric="accuracy", lengths=(self.min_length, self.length),
                        ood_lengths=(self.length + 1, self.ood_length))

    def input_space(self) -> InputSpace:
        """A lower bound per length: the shortest phrase structure the rates always allow, its polar
        word, and every sequence of neutral fillers after it (the space holds far more: other
        structures, places and words)."""
        phrase = 1 + (self.negation_rate == 1.0) + (self.intensifier_rate == 1.0)
        structure = phrase + (phrase + 1 if self.contrast_rate == 1.0 else 0)  # opening phrase and "but"
        neutral, polar = len(self.ids("neutral")), 2 * self.n_polar
        return InputSpace({L: capped(polar * power(neutral, L - structure))
                           for L in range(self.min_length, self.length + 1)}, bound="at least")

    def ids(self, group: str) -> np.ndarray:
        """Token ids of a word group: ``negators``, ``intensifiers``, ``positive``, ``negative``, ``neutral``."""
        return self._groups[group]

    @cached_property
    def _groups(self) -> dict[str, np.ndarray]:
        first, p = 1 + len(FUNCTION_WORDS), self.n_polar
        return {
            "negators": np.array([self.words.index(w) for w in NEGATORS]),
            "intensifiers": np.array([self.words.index(w) for w in INTENSIFIERS]),
            "positive": np.arange(first, first + p),
            "negative": np.arange(first + p, first + 2 * p),
            "neutral": np.arange(first + 2 * p, len(self.words)),
        }

    def _phrases(self, rng: np.random.Generator, value: np.ndarray, negated: np.ndarray,
                 intensified: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Token ids (n, PHRASE) and lengths (n,) of phrases with the given signed values."""
        n = len(value)
        polar = np.where(value * np.where(negated, -1, 1) > 0,
                         rng.choice(self.ids("positive"), n), rng.choice(self.ids("negative"), n))
        tokens = np.zeros((n, PHRASE), dtype=np.int64)
        rows = np.arange(n)
        tokens[:, 0] = rng.choice(self.ids("negators"), n)  # kept only where negated
        tokens[rows, negated.astype(int)] = np.where(intensified, rng.choice(self.ids("intensifiers"), n),
                                                     tokens[rows, negated.astype(int)])
        position = negated.astype(int) + intensified.astype(int)
        tokens[rows, position] = polar
        return tokens, position + 1

    def generate(self, rng: np.random.Generator, n: int, split: str):
        lengths = self.sample_lengths(rng, n, split)  # (n,)
        contrast = rng.random(n) < self.contrast_rate
        two = rng.random(n) < TWO_PHRASE_RATE
        first_strong = rng.random(n) < 0.5
        int_a = np.where(two, first_strong, rng.random(n) < self.intensifier_rate)
        int_b = two & ~first_strong
        neg_a, neg_b = (rng.random((2, n)) < self.negation_rate)
        sign_a, sign_b = rng.choice(np.array([-1, 1]), size=(2, n))  # signs of the phrases' values
        score = sign_a * (1 + int_a) + np.where(two, sign_b * (1 + int_b), 0)  # never 0
        neg_0, int_0 = (rng.random((2, n)) < [[self.negation_rate], [self.intensifier_rate]])
        units = [self._phrases(rng, -np.sign(score), neg_0, int_0),  # the opening clause leans the other way
                 (np.zeros((n, PHRASE), dtype=np.int64) + self.words.index(CONTRAST), np.ones(n, dtype=np.int64)),
                 self._phrases(rng, sign_a, neg_a, int_a),
                 self._phrases(rng, sign_b, neg_b, int_b)]
        present = np.stack([contrast, contrast, np.ones(n, dtype=bool), two], axis=1)  # (n, 4)
        unit_tokens = np.stack([u[0] for u in units], axis=1)  # (n, 4, PHRASE)
        unit_lengths = np.stack([u[1] for u in units], axis=1) * present  # (n, 4)
        gaps = rng.multinomial(lengths - unit_lengths.sum(1), np.full(5, 1 / 5))  # fillers before, between, after
        seg_lengths = np.zeros((n, 9), dtype=np.int64)
        seg_lengths[:, 0::2], seg_lengths[:, 1::2] = gaps, unit_lengths  # gap, unit, gap, ..., unit, gap
        segment, offset, _ = segment_positions(seg_lengths)  # (n, W)
        rows = np.arange(n)[:, None]
        from_units = unit_tokens[rows, np.clip(segment // 2, 0, 3), np.clip(offset, 0, PHRASE - 1)]
        fillers = rng.choice(self.ids("neutral"), size=segment.shape)
        inputs = np.where(segment % 2 == 1, from_units, fillers)
        inputs = np.where(padding_mask(lengths, inputs.shape[1]), inputs, 0)
        labels = (score > 0).astype(np.int64)
        if split == "train" and self.label_noise > 0:
            labels = np.where(rng.random(n) < self.label_noise, 1 - labels, labels)
        return to_batch(inputs, labels, lengths)
