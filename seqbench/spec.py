"""What a task takes in and gives out, in types.

A :class:`TaskSpec` is all a model needs to size itself: the kind of mapping, the input
and output spaces and the length range. Models are built from the spec, so no vocabulary
size or class count is typed twice.

>>> spec = TaskSpec(kind="many_to_one", input=Tokens(("<pad>", "0", "1")), output=Classes(2),
...                 lengths=(1, 16), ood_lengths=(17, 32), primary_metric="accuracy")
>>> spec.input.size, spec.output.size, spec.max_input_length
(3, 2, 32)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Union

Kind = Literal["many_to_one", "one_to_many", "one_to_one", "seq2seq", "tagging", "lm"]
KINDS: tuple[str, ...] = ("many_to_one", "one_to_many", "one_to_one", "seq2seq", "tagging", "lm")

#: The lecture's name for each kind.
LECTURE_NAMES = {
    "many_to_one": "encoder (many to one)",
    "one_to_many": "decoder (one to many)",
    "one_to_one": "one to one",
    "seq2seq": "encoder-decoder (many to many)",
    "tagging": "many to many, aligned",
    "lm": "character-level language model",
}

PAD = 0  #: index of the padding symbol in every token space
EOS = 1  #: index of the end-of-sequence symbol in token spaces that a decoder produces


@dataclass(frozen=True)
class Tokens:
    """A discrete vocabulary. Index 0 is always padding (``PAD``).

    Output vocabularies that a decoder generates also reserve index 1 for ``EOS``.
    """

    symbols: tuple[str, ...]

    @property
    def size(self) -> int:
        return len(self.symbols)

    def describe(self) -> str:
        return f"tokens({self.size})"


@dataclass(frozen=True)
class Classes:
    """One label out of ``n``."""

    n: int
    names: tuple[str, ...] | None = None

    @property
    def size(self) -> int:
        return self.n

    def describe(self) -> str:
        return f"classes({self.n})"


@dataclass(frozen=True)
class Vector:
    """Real-valued features: a whole input (one_to_one) or one per time step."""

    size: int

    def describe(self) -> str:
        return f"vector({self.size})"


@dataclass(frozen=True)
class Real:
    """A real-valued regression target (scored by mean squared error)."""

    size: int = 1

    def describe(self) -> str:
        return "real"


Space = Union[Tokens, Classes, Vector, Real]


@dataclass(frozen=True)
class TaskSpec:
    """The typed contract between a task and every model.

    ``input``/``output`` are per step for sequence sides and whole for the other side:
    a ``many_to_one`` task has a sequence of ``Tokens`` (or ``Vector`` steps) in and one
    ``Classes`` (or ``Real``) out; ``tagging`` and ``lm`` emit one ``Classes``/``Tokens`` value
    per input step; ``seq2seq`` and ``one_to_many`` emit a ``Tokens`` sequence ending in EOS.
    ``lengths`` is the training range of input lengths (inclusive), ``ood_lengths`` the
    longer range of the ``test_ood`` split, ``max_output_length`` the longest target
    (EOS included) for decoders.
    """

    kind: Kind
    input: Space
    output: Space
    primary_metric: str
    higher_is_better: bool = True
    lengths: tuple[int, int] | None = None
    ood_lengths: tuple[int, int] | None = None
    max_output_length: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind={self.kind!r}: must be one of {', '.join(KINDS)}")

    @property
    def is_sequence_input(self) -> bool:
        return self.kind in ("many_to_one", "seq2seq", "tagging", "lm")

    @property
    def is_sequence_output(self) -> bool:
        return self.kind in ("one_to_many", "seq2seq", "tagging", "lm")

    @property
    def is_decoder_output(self) -> bool:
        """Whether outputs are generated one symbol at a time until EOS."""
        return self.kind in ("one_to_many", "seq2seq")

    @property
    def max_input_length(self) -> int | None:
        """Longest input any split produces (``test_ood`` included)."""
        if self.lengths is None:
            return None
        return max(self.lengths[1], self.ood_lengths[1] if self.ood_lengths else 0)

    def describe(self) -> dict:
        return {
            "kind": self.kind,
            "input": self.input.describe(),
            "output": self.output.describe(),
            "lengths": list(self.lengths) if self.lengths else None,
            "ood_lengths": list(self.ood_lengths) if self.ood_lengths else None,
            "primary_metric": self.primary_metric,
            "higher_is_better": self.higher_is_better,
        }
