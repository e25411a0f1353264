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


@dataclass(frozen=True)
class MetricSpec:
    """A metric seqbench computes: its direction, how it aggregates, and what difference matters.

    ``aggregation`` says what one number averages: ``example`` (the mean over examples of a
    per-example value), ``token`` (the mean over every scored target position, so longer
    targets weigh more) or ``derived`` (a function of another metric, e.g. perplexity).
    ``margin`` is the equivalence margin: two models whose scores differ by no more than it are
    tied however sure the difference is (an absolute difference, or with ``relative`` a share of
    the larger of the two magnitudes). ``follows`` names the metric whose direction, ceiling and
    margin this one takes (``primary``: the task's primary metric).
    """

    name: str
    higher_is_better: bool
    aggregation: Literal["example", "token", "derived"]
    description: str
    ceiling: float | None = None  #: the best value a metric can take (accuracy: 1), where there is one
    margin: float = 0.0
    floor: float | None = None  #: the smallest value it can take (0 for an mse, 1 for a perplexity)
    relative: bool = False
    follows: str | None = None

    @property
    def arrow(self) -> str:
        return "↑" if self.higher_is_better else "↓"

    def margin_between(self, a: float, b: float) -> float:
        """The equivalence margin for two values of this metric.

        >>> round(METRICS["mse"].margin_between(0.010, 0.012), 6), METRICS["accuracy"].margin_between(0.9, 1.0)
        (0.0006, 0.005)
        """
        return self.margin * max(abs(a), abs(b)) if self.relative else self.margin


ACCURACY_MARGIN = 0.005  #: half a percentage point: below it no reader would prefer one model
_BASE_METRICS = (
    MetricSpec("accuracy", True, "token", "share of scored targets predicted exactly", 1.0, ACCURACY_MARGIN, floor=0.0),
    MetricSpec("token_accuracy", True, "token", "share of target tokens (EOS included) a decoder got right", 1.0,
               ACCURACY_MARGIN, floor=0.0),
    MetricSpec("sequence_accuracy", True, "example", "share of examples whose every target is right", 1.0,
               ACCURACY_MARGIN, floor=0.0),
    MetricSpec("content_accuracy", True, "token", "token accuracy with the decoder forced to the target length "
               "(EOS excluded)", 1.0, ACCURACY_MARGIN, floor=0.0),
    MetricSpec("stop_accuracy", True, "example", "share of examples whose first EOS is at the right place", 1.0,
               ACCURACY_MARGIN, floor=0.0),
    MetricSpec("macro_f1", True, "token", "F1 per tag, averaged over tags", 1.0, ACCURACY_MARGIN, floor=0.0),
    MetricSpec("cross_entropy", False, "token", "mean negative log-likelihood of the targets, in nats",
               margin=0.01 * 0.6931471805599453, floor=0.0),  # 0.01 bits
    MetricSpec("bits_per_char", False, "derived", "cross_entropy / ln 2", margin=0.01, floor=0.0),
    MetricSpec("perplexity", False, "derived", "exp(cross_entropy)", margin=0.01, relative=True, floor=1.0),
    MetricSpec("mse", False, "example", "mean squared error of a real-valued target", margin=0.05, relative=True,
               floor=0.0),
)

#: Every metric seqbench computes, by name: the one place that says which way is better, what the
#: best value is and what difference matters. ``length_mean`` (the primary metric averaged
#: uniformly over input lengths) and each ``excess_<metric>`` (a model's difference from the
#: task's reference predictor) follow the metric they are computed from; resolve them with
#: :func:`metric_spec`.
METRICS: dict[str, MetricSpec] = {m.name: m for m in (
    *_BASE_METRICS,
    MetricSpec("length_mean", True, "derived", "the primary metric averaged uniformly over input lengths",
               follows="primary"),
    *(MetricSpec(f"excess_{m.name}", m.higher_is_better, "derived",
                 f"{m.name} minus the task's reference predictor's, on the same examples", margin=m.margin,
                 relative=m.relative, follows=m.name) for m in _BASE_METRICS),
)}


def metric_spec(name: str, primary: str | None = None) -> MetricSpec | None:
    """The effective entry of ``name``: ``length_mean`` takes its primary metric's direction,
    ceiling and margin; ``excess_<m>`` takes ``m``'s direction and margin (an excess has no ceiling).

    >>> metric_spec("length_mean", "accuracy").ceiling, metric_spec("excess_bits_per_char").higher_is_better
    (1.0, False)
    """
    spec = METRICS.get(name)
    if spec is None or spec.follows is None:
        return spec
    base = metric_spec(primary) if spec.follows == "primary" and primary else METRICS.get(spec.follows)
    if base is None:
        return spec
    same_scale = spec.follows == "primary"  # an excess is a difference: no ceiling, no floor
    return MetricSpec(name, base.higher_is_better, spec.aggregation, spec.description,
                      base.ceiling if same_scale else None, base.margin, base.floor if same_scale else None,
                      base.relative, spec.follows)


def metric_margin(metric: str, primary: str | None = None) -> float | tuple[float, bool]:
    """The equivalence margin of ``metric`` as :func:`seqbench.boards.aggregate.better` takes it:
    ``(margin, relative)``, or 0.0 for a metric the registry does not know.

    >>> metric_margin("length_mean", "accuracy"), metric_margin("mse")
    ((0.005, False), (0.05, True))
    """
    spec = metric_spec(metric, primary)
    return (spec.margin, spec.relative) if spec is not None else 0.0


@dataclass(frozen=True)
class KindInfo:
    """What one kind of task means, said once: which sides are sequences, how outputs come out,
    and which metrics score it.

    >>> KIND_INFO["tagging"].aligned_output, KIND_INFO["seq2seq"].accuracy_metric
    (True, 'token_accuracy')
    """

    name: str
    lecture_name: str
    sequence_input: bool
    sequence_output: bool
    decoder_output: bool  #: outputs generated one symbol at a time until EOS
    aligned_output: bool  #: one output per input step (targets share the input's time axis)
    metrics: tuple[str, ...]  #: the metric family of a classification-valued output
    memoryless: str  #: the name of the input-ignoring predictor fitted on training targets

    @property
    def accuracy_metric(self) -> str:
        return "token_accuracy" if self.decoder_output else "accuracy"


_SEQUENCE_METRICS = ("sequence_accuracy", "cross_entropy")
KIND_INFO: dict[str, KindInfo] = {k.name: k for k in (
    KindInfo("many_to_one", "encoder (many to one)", True, False, False, False, ("accuracy", "cross_entropy"), "majority"),
    KindInfo("one_to_many", "decoder (one to many)", False, True, True, False, ("token_accuracy", *_SEQUENCE_METRICS), "position_frequency"),
    KindInfo("one_to_one", "one to one", False, False, False, False, ("accuracy", "cross_entropy"), "majority"),
    KindInfo("seq2seq", "encoder-decoder (many to many)", True, True, True, False,
             ("token_accuracy", *_SEQUENCE_METRICS), "position_frequency"),
    KindInfo("tagging", "many to many, aligned", True, True, False, True,
             ("accuracy", *_SEQUENCE_METRICS, "macro_f1"), "majority"),
    KindInfo("lm", "character-level language model", True, True, False, True,
             ("cross_entropy", "bits_per_char", "perplexity", "accuracy"), "unigram"),
)}
KINDS: tuple[str, ...] = tuple(KIND_INFO)

#: The lecture's name for each kind.
LECTURE_NAMES = {name: info.lecture_name for name, info in KIND_INFO.items()}

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
    (EOS included) for decoders. A task whose ``test_ood`` shifts something other than the input
    length (held-out combinations, noise) says what in ``ood_shift``.
    """

    kind: Kind
    input: Space
    output: Space
    primary_metric: str
    lengths: tuple[int, int] | None = None
    ood_lengths: tuple[int, int] | None = None
    max_output_length: int | None = None
    train_output_length: int | None = None  #: longest target of the training range (default: max_output_length)
    ood_shift: str | None = None  #: what test_ood changes when not the input length, in a few words

    def __post_init__(self) -> None:
        if self.kind not in KIND_INFO:
            raise ValueError(f"kind={self.kind!r}: must be one of {', '.join(KINDS)}")
        if self.primary_metric not in METRICS:
            raise ValueError(f"primary_metric={self.primary_metric!r}: must be one of {', '.join(METRICS)}")

    @property
    def info(self) -> KindInfo:
        """What the kind means (sequence sides, decoder or aligned output, metric family)."""
        return KIND_INFO[self.kind]

    @property
    def higher_is_better(self) -> bool:
        return METRICS[self.primary_metric].higher_is_better

    @property
    def is_sequence_input(self) -> bool:
        return self.info.sequence_input

    @property
    def is_sequence_output(self) -> bool:
        return self.info.sequence_output

    @property
    def is_decoder_output(self) -> bool:
        """Whether outputs are generated one symbol at a time until EOS."""
        return self.info.decoder_output

    @property
    def aligned_output(self) -> bool:
        """Whether there is one output per input step (targets on the input's time axis)."""
        return self.info.aligned_output

    @property
    def accuracy_metric(self) -> str:
        """``token_accuracy`` for decoders, ``accuracy`` otherwise."""
        return self.info.accuracy_metric

    @property
    def metric_names(self) -> tuple[str, ...]:
        """Every metric a split of this task reports, in display order."""
        return ("mse",) if isinstance(self.output, Real) else self.info.metrics

    @property
    def max_train_input_length(self) -> int | None:
        """Longest input of the training range (what a fixed-width model is sized for)."""
        return None if self.lengths is None else self.lengths[1]

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
            "ood_shift": self.ood_shift,
            "primary_metric": self.primary_metric,
            "higher_is_better": self.higher_is_better,
        }
