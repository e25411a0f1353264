"""What the Chomsky-hierarchy tasks share: levels, knobs, the length grid, output-aligned batches.

The 15 tasks of Deletang et al. (2023, "Neural Networks and the Chomsky Hierarchy") are written
here from their definitions. They follow the paper's protocol: train on input lengths 1 to 40,
test on longer inputs (41 to 500) drawn from a grid of evaluation lengths, score the accuracy
averaged over lengths.

**Lengths.** The knobs ``min_length``/``length``/``ood_length`` are *input string* lengths
(the paper's ``length``). Classification tasks (kind ``many_to_one``) feed exactly that string,
so ``spec.lengths`` are string lengths. Tasks with a sequence output use the paper's
output-aligned format (kind ``tagging``): the model reads the string, then one blank step
(``?``) per output symbol, and is scored only at the blank steps (``target_mask``); the output
length is a function of the input length (:meth:`AlignedTask.output_length`), never an
end-of-sequence the model must emit. There ``batch.lengths`` and ``spec.lengths`` count the
model's steps, string plus blanks: input length ``n`` becomes ``n + output_length(n)`` steps
(a strictly increasing map, so per-length results can be read either way).

**The evaluation grid.** ``test_ood`` draws its string lengths from ``ood_grid`` lengths evenly
spaced from ``length + 1`` to ``ood_length`` (each moved to the nearest length the task
allows), in equal shares, so every evaluation length gets enough examples for an interval.

>>> evaluation_grid(np.arange(41, 501), 8).tolist()
[41, 107, 172, 238, 303, 369, 434, 500]
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from seqbench.core.errors import ConfigError
from seqbench.core.options import Knob
from seqbench.core.spaces import InputSpace, power
from seqbench.core.spec import Classes, TaskSpec, Tokens
from seqbench.core.task import SequenceTask, padding_mask, to_batch

if TYPE_CHECKING:
    from seqbench.core.batch import Batch

#: The level of the hierarchy each task belongs to, as shown by ``seqbench tasks --json``,
#: with the paper's wording.
LEVELS: dict[str, str] = {
    "regular": "regular",
    "context-free": "deterministic context-free",
    "context-sensitive": "context-sensitive",
}
BLANK = "?"  #: the input symbol of the blank steps during which an aligned task's output is read


def chomsky_knobs(shortest: int = 1, *extra: Knob) -> tuple[Knob, ...]:
    """The paper's length protocol as knobs (train 1..40, test_ood 41..500 on 8 lengths) + ``extra``."""
    return (
        Knob("min_length", shortest, low=shortest, high=100_000,
             help=f"shortest training input string (the task's definition needs >= {shortest})"),
        Knob("length", 40, low=shortest, high=100_000, help="longest training input string"),
        Knob("ood_length", 500, low=2, high=200_000, help="longest test_ood input string"),
        Knob("ood_grid", 8, low=1, high=10_000,
             help="how many evaluation lengths test_ood uses, evenly spaced in [length + 1, ood_length]"),
        Knob("batch_lengths", "one", choices=("one", "mixed"),
             help="one: every training batch has one string length, drawn uniformly (the paper's protocol); "
                  "mixed: each example draws its own"),
    ) + extra


def evaluation_grid(allowed: np.ndarray, points: int) -> np.ndarray:
    """``points`` lengths evenly spaced over the span of ``allowed`` (sorted lengths), each moved
    to the nearest allowed length (the shorter one on a tie), duplicates dropped."""
    ideal = np.linspace(allowed[0], allowed[-1], points)  # (points,)
    nearest = np.abs(allowed[None, :] - ideal[:, None]).argmin(1)  # first minimum: the shorter one
    return np.unique(allowed[nearest])


class ChomskyTask(SequenceTask, ABC):
    """A task of the Chomsky-hierarchy family: a level, the length protocol, a grid of test lengths.

    Subclasses set ``level`` and ``symbols`` (the input alphabet, without padding), may restrict
    the allowed string lengths (:meth:`allows`, ``shortest``) and implement :meth:`build_spec`
    and :meth:`generate` through the two subclasses below.
    """

    level: ClassVar[str]
    #: the family; each task also gets its level as a tag (:meth:`declared_tags`: ``context_free``)
    tags = frozenset({"chomsky"})
    symbols: ClassVar[tuple[str, ...]] = ()
    shortest: ClassVar[int] = 1  #: the shortest string the definition allows

    @classmethod
    def declared_tags(cls) -> frozenset[str]:
        """The family's tag and the task's level as a tag (``context-free`` -> ``context_free``)."""
        return super().declared_tags() | {cls.level.replace("-", "_")}

    def allows(self, lengths: np.ndarray) -> np.ndarray:
        """Which string lengths the task's definition allows (bool, same shape)."""
        return np.ones(np.shape(lengths), dtype=bool)

    def check_params(self) -> None:
        if self.min_length > self.length:
            raise ConfigError(f"task.min_length={self.min_length}: must be <= task.length={self.length}")
        if self.ood_length <= self.length:
            raise ConfigError(f"task.ood_length={self.ood_length}: must be > task.length={self.length}")
        if self.train_lengths.size == 0:
            raise ConfigError(f"task.length={self.length}: {self.name} has no allowed input length in "
                              f"[{self.min_length}, {self.length}] (allowed: {self.allowed_text()})")
        if self.ood_lengths_allowed.size == 0:
            raise ConfigError(f"task.ood_length={self.ood_length}: {self.name} has no allowed input length in "
                              f"[{self.length + 1}, {self.ood_length}] (allowed: {self.allowed_text()})")

    def allowed_text(self) -> str:
        return f"lengths >= {self.shortest}"

    def _allowed_in(self, low: int, high: int) -> np.ndarray:
        span = np.arange(low, high + 1)
        return span[self.allows(span)]

    @cached_property
    def train_lengths(self) -> np.ndarray:
        """The string lengths of train, val and test (each equally likely)."""
        return self._allowed_in(self.min_length, self.length)

    @cached_property
    def ood_lengths_allowed(self) -> np.ndarray:
        return self._allowed_in(self.length + 1, self.ood_length)

    @cached_property
    def ood_grid_lengths(self) -> np.ndarray:
        """The string lengths of test_ood (each gets an equal share of every batch)."""
        return evaluation_grid(self.ood_lengths_allowed, self.ood_grid)

    def sample(self, rng: np.random.Generator, n: int, split: str = "train") -> Batch:
        """As :meth:`SequenceTask.sample`; under ``batch_lengths=one`` (the default) a training
        batch draws one string length, uniform over the training lengths, and every example of it
        (redraws of the partition included) has that length, as in the paper's training loop.

        >>> from seqbench import make_task
        >>> task = make_task("parity_check")
        >>> rng = task.rng(0, "train")
        >>> [len(set(task.sample(rng, 16).lengths.tolist())) for _ in range(3)]
        [1, 1, 1]
        """
        if split != "train" or self.batch_lengths != "one" or self._forced_length is not None:
            return super().sample(rng, n, split)
        with self.fixed_length(int(self.train_lengths[rng.integers(len(self.train_lengths))])):
            return super().sample(rng, n, split)

    def draw_lengths(self, rng: np.random.Generator, n: int, split: str) -> np.ndarray:
        """String lengths (n,): uniform over the training range, or the grid in equal shares."""
        if split == "test_ood":
            grid = self.ood_grid_lengths
            return grid[(rng.integers(len(grid)) + np.arange(n)) % len(grid)]
        return self.train_lengths[rng.integers(0, len(self.train_lengths), size=n)]

    def count_inputs(self, length: int) -> int | float:
        """Distinct input strings of ``length`` the generator draws: every string over the alphabet
        unless the task says otherwise."""
        return power(len(self.alphabet()), length)

    def input_space(self) -> InputSpace:
        """Distinct input strings per training length (keyed by string length)."""
        return InputSpace({int(n): self.count_inputs(int(n)) for n in self.train_lengths})

    def split_string_lengths(self, split: str) -> np.ndarray:
        """Every string length of ``split``; each is equally likely."""
        return self.ood_grid_lengths if split == "test_ood" else self.train_lengths

    def describe(self) -> dict[str, Any]:
        out = super().describe()
        out["level"] = self.level
        out["ood_grid"] = self.ood_grid_lengths.tolist()
        return out


class ClassificationTask(ChomskyTask, ABC):
    """A string in, one class out (``many_to_one``); ``spec.lengths`` are string lengths.

    A subclass that knows the exact label distribution of each length
    (:meth:`label_probabilities`) gets the ``majority_exact`` baseline: the population
    accuracy, on a split, of always answering the class most frequent over training lengths.
    """

    classes: ClassVar[tuple[str, ...]] = ()

    def n_classes(self) -> int:
        return len(self.classes)

    def build_spec(self) -> TaskSpec:
        return TaskSpec(kind="many_to_one", input=Tokens(("<pad>",) + self.alphabet()),
                        output=Classes(self.n_classes(), self.class_names()), primary_metric="accuracy",
                        lengths=(int(self.train_lengths[0]), int(self.train_lengths[-1])),
                        ood_lengths=(int(self.ood_grid_lengths[0]), int(self.ood_grid_lengths[-1])))

    def alphabet(self) -> tuple[str, ...]:
        return self.symbols

    def class_names(self) -> tuple[str, ...]:
        return self.classes

    @abstractmethod
    def examples(self, rng: np.random.Generator, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Symbols (n, W) as 0-based alphabet indices (anything past a length) and labels (n,)."""

    def generate(self, rng: np.random.Generator, n: int, split: str):
        lengths = self.sample_lengths(rng, n, split)  # (n,)
        symbols, labels = self.examples(rng, lengths)
        width = int(lengths.max())
        inputs = np.where(padding_mask(lengths, width), symbols[:, :width] + 1, 0)  # (n, W); 0 = pad
        return to_batch(inputs, labels, lengths)

    def label_probabilities(self, length: int) -> np.ndarray | None:
        """The exact distribution (k,) of the label of a random string of ``length``, if known."""
        return None

    def analytic_baselines(self, split: str) -> dict[str, dict[str, float]]:
        def mixture(lengths: np.ndarray) -> np.ndarray | None:
            rows = [self.label_probabilities(int(L)) for L in lengths]
            return None if any(r is None for r in rows) else np.mean(rows, axis=0)

        train = mixture(self.train_lengths)
        if train is None:
            return {}
        target = train if split != "test_ood" else mixture(self.ood_grid_lengths)
        return {"majority_exact": {"accuracy": float(target[int(np.argmax(train))])}}


class AlignedTask(ChomskyTask, ABC):
    """A string in, a string out in the output-aligned format (kind ``tagging``).

    Steps ``0 .. n-1`` hold the input string, steps ``n .. n + output_length(n) - 1`` the blank
    symbol ``?``; targets sit at the blank steps, ``target_mask`` is True exactly at the blank
    steps that are scored (all of them, or up to and including the end marker for the tasks whose
    result is shorter than the output, as in the paper) and False at input steps and padding.
    """

    outputs: ClassVar[tuple[str, ...]] = ("0", "1")  #: names of the output classes

    @abstractmethod
    def output_length(self, lengths: np.ndarray) -> np.ndarray:
        """Blank steps (the output's length) for string lengths (vectorised)."""

    def position_prior_exact(self, split: str, hits: Callable[[int], float]) -> dict[str, dict[str, float]]:
        """The baseline ``position_prior_exact`` of a task that scores every output position: the
        best answer that knows only the string's length and the output position, pooled over
        ``split``'s scored positions as ``accuracy`` is (each string length equally likely).
        ``hits(n)`` is its expected right answers over the ``output_length(n)`` positions."""
        lengths = self.split_string_lengths(split)
        accuracy = sum(hits(int(n)) for n in lengths) / self.output_length(lengths).sum()
        return {"position_prior_exact": {"accuracy": float(accuracy)}}

    def steps(self, lengths: np.ndarray) -> np.ndarray:
        """Model steps (string + blanks) for string lengths."""
        lengths = np.asarray(lengths)
        return lengths + self.output_length(lengths)

    def alphabet(self) -> tuple[str, ...]:
        return self.symbols

    def build_spec(self) -> TaskSpec:
        train, ood = self.steps(self.train_lengths), self.steps(self.ood_grid_lengths)
        return TaskSpec(kind="tagging", input=Tokens(("<pad>",) + self.alphabet() + (BLANK,)),
                        output=Classes(len(self.outputs), self.outputs), primary_metric="accuracy",
                        lengths=(int(train.min()), int(train.max())), ood_lengths=(int(ood.min()), int(ood.max())))

    @abstractmethod
    def examples(self, rng: np.random.Generator, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """Symbols (n, W) as 0-based alphabet indices, outputs (n, W_out) as classes, and which
        output positions are scored (n, W_out) bool, or None for all of ``output_length``."""

    def generate(self, rng: np.random.Generator, n: int, split: str):
        lengths = self.sample_lengths(rng, n, split)  # (n,) string lengths
        symbols, outputs, scored = self.examples(rng, lengths)
        return aligned_batch(symbols, lengths, outputs, self.output_length(lengths), len(self.alphabet()) + 1, scored)


class StringTransduction(AlignedTask, ABC):
    """An output-aligned task over the symbols ``0 .. vocab_size - 1`` whose answer is a string of
    the same symbols (reverse, duplicate, odds first, sort): as long as the input unless the task
    says otherwise (:meth:`output_length`). Subclasses declare a ``vocab_size`` knob."""

    @property
    def outputs(self) -> tuple[str, ...]:
        return self.alphabet()

    def alphabet(self) -> tuple[str, ...]:
        return tuple(str(i) for i in range(self.vocab_size))

    def output_length(self, lengths: np.ndarray) -> np.ndarray:
        return np.asarray(lengths)


def aligned_batch(symbols: np.ndarray, lengths: np.ndarray, outputs: np.ndarray, out_lengths: np.ndarray,
                  blank: int, scored: np.ndarray | None = None):
    """Lay out string, blanks and targets on one time axis.

    ``symbols`` (n, W) are 0-based (token id = index + 1), ``outputs`` (n, W_out) are classes,
    ``blank`` is the blank token's id. Returns a tagging :class:`~seqbench.core.batch.Batch` whose
    ``lengths`` are ``lengths + out_lengths``.

    >>> b = aligned_batch(np.array([[1, 0, 1]]), np.array([3]), np.array([[1, 0, 1]]), np.array([3]), 3)
    >>> b.inputs.tolist(), b.targets.tolist(), b.target_mask.int().tolist(), b.lengths.tolist()
    ([[2, 1, 2, 3, 3, 3]], [[0, 0, 0, 1, 0, 1]], [[0, 0, 0, 1, 1, 1]], [6])
    """
    n = len(lengths)
    total = lengths + out_lengths  # (n,)
    width = int(total.max())
    t = np.arange(width)[None, :]  # (1, T)
    in_string = t < lengths[:, None]  # (n, T)
    in_output = ~in_string & (t < total[:, None])  # (n, T): the blank steps
    sym = np.zeros((n, width), dtype=np.int64)
    w = min(width, symbols.shape[1])
    sym[:, :w] = symbols[:, :w]
    inputs = np.where(in_string, sym + 1, np.where(in_output, blank, 0))  # (n, T)
    j = np.clip(t - lengths[:, None], 0, max(outputs.shape[1] - 1, 0))  # (n, T): output position
    targets = np.where(in_output, np.take_along_axis(outputs, j, axis=1), 0)  # (n, T)
    mask = in_output if scored is None else in_output & np.take_along_axis(scored, j, axis=1)
    return to_batch(inputs, targets, total, mask)


def uniform_symbols(rng: np.random.Generator, lengths: np.ndarray, k: int) -> np.ndarray:
    """Uniform 0-based symbols (n, max length) out of ``k`` (values past a length are drawn too)."""
    return rng.integers(0, k, size=(len(lengths), int(np.max(lengths))))
