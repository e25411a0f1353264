"""The task base class: a generator of batches that owns its loss, metrics and baselines.

A task is configured once with validated knobs and then samples as many batches as asked
from a ``numpy.random.Generator`` it is handed; it never touches global random state. Each
split draws from its own seed stream (:meth:`Task.rng`), so the same seed gives the same
data and train, val and test streams are independent.

Subclasses set ``name``, ``version``, ``description`` and ``knobs``, build their
:class:`~seqbench.core.spec.TaskSpec` in :meth:`Task.build_spec` and their examples in
:meth:`Task.generate`. See ``tasks/parity.py`` for a complete task in 60 lines.

Evaluation inputs never occur in training: :meth:`Task.sample` draws each split from its own
part of a fixed partition of the input space (``partition = "hash"``, :mod:`seqbench.core.partition`);
a task whose inputs are continuous, already split or drawn from an unbounded source says
``partition = "none"`` and why (``partition_reason``). :meth:`Task.input_space` states how many
distinct inputs each length has, where that is finite.
"""

from __future__ import annotations

import zlib
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from seqbench.core.batch import Batch
from seqbench.core.errors import ConfigError
from seqbench.core.options import Knob, validate_knobs
from seqbench.core.partition import OWNER, check_space, draw, partition_of
from seqbench.core.spec import PAD, Classes, Real, TaskSpec, Tokens

if TYPE_CHECKING:  # torch is imported where tensors are made, so listing tasks never loads it
    import torch

    from seqbench.core.spaces import InputSpace

SPLITS: tuple[str, ...] = ("train", "val", "test", "test_ood")
EVAL_STREAM = 2**32  #: seeds the evaluation stream; training seeds are in [0, 2**32 - 1]


class Task(ABC):
    """Base class of every task, built-in or plugin."""

    name: ClassVar[str]
    #: the baseline models' excess is reported against (a name from :meth:`reference_outputs`)
    reference_baseline: ClassVar[str | None] = None
    version: ClassVar[int] = 1
    description: ClassVar[str] = ""
    knobs: ClassVar[tuple[Knob, ...]] = ()
    #: how evaluation inputs are kept out of training: "hash" (a fixed partition of the input space
    #: by a hash of each input: seqbench.core.partition) or "none" (continuous inputs, a data set already
    #: split, an unbounded source), with the reason in ``partition_reason``
    partition: ClassVar[str] = "hash"
    partition_reason: ClassVar[str] = ""
    #: the share of each length's inputs that val and test own under "hash" (train owns the rest)
    eval_shares: ClassVar[tuple[float, float]] = (0.05, 0.05)
    #: what the task is, for choosing tasks by tag (``seqbench tasks --tag``, ``${seqbench.tagged:...}`` in
    #: a grid): lowercase identifiers such as its family; its kind is added from its spec
    #: (:mod:`seqbench.core.tags`)
    tags: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, **values: Any) -> None:
        self.params: dict[str, Any] = validate_knobs("task", self.knobs, values)
        for key, value in self.params.items():
            setattr(self, key, value)
        self.check_params()
        self.spec: TaskSpec = self.build_spec()
        if self.partition == "hash":
            check_space(self)  # a space too small to hold val and test out is refused here, in one line

    @property
    def kind(self) -> str:
        """The task's kind, declared once: in its spec."""
        return self.spec.kind

    @classmethod
    def declared_tags(cls) -> frozenset[str]:
        """The tags the class declares (``tags``), checked; a subclass may derive more (a level)."""
        from seqbench.core.tags import check_tags

        return check_tags(f"task {getattr(cls, 'name', cls.__name__)}", cls.tags)

    @property
    def all_tags(self) -> frozenset[str]:
        """Every tag of the task: the declared ones and its kind."""
        return self.declared_tags() | {self.kind}

    # ----------------------------------------------------------------- to override
    def check_params(self) -> None:
        """Check relations between knobs (``min_length <= length``); raise ConfigError."""

    def resolve_longer(self, key: str, base: str, default: int) -> None:
        """Give knob ``key`` (an out-of-distribution size) its ``default`` when unset, and require
        it to exceed knob ``base``: ``task.ood_length=8: must be > task.length=8``."""
        if getattr(self, key) is None:
            setattr(self, key, default)
            self.params[key] = default
        if getattr(self, key) <= getattr(self, base):
            raise ConfigError(f"task.{key}={getattr(self, key)}: must be > task.{base}={getattr(self, base)}")

    @abstractmethod
    def build_spec(self) -> TaskSpec:
        """Return the task's spec, derived from its knobs."""

    @abstractmethod
    def generate(self, rng: np.random.Generator, n: int, split: str) -> Batch:
        """Return ``n`` fresh examples of ``split`` drawn with ``rng`` (vectorised)."""

    def split_size(self, split: str) -> int | None:
        """Number of distinct examples in a finite split, or None for an unbounded generator."""
        return None

    def input_space(self) -> InputSpace | None:
        """Distinct inputs per training input length (:class:`~seqbench.core.spaces.InputSpace`), computed
        from the task's definition; None where the inputs are continuous or the count is unknown.
        Under ``partition = "hash"`` it lets the partition enumerate short lengths exactly and refuse
        knobs whose space is too small to hold val and test out."""
        return None

    def all_inputs(self, length: int | None) -> Iterable[tuple[np.ndarray, np.ndarray | None]] | None:
        """Every input of ``length``, in chunks of (input rows, lengths or None), for a task that can
        list them directly; None (the default) lets the partition find them by drawing (:meth:`generate_at`)."""
        return None

    def generate_at(self, rng: np.random.Generator, n: int, length: int | None) -> Batch | None:
        """``n`` training examples whose inputs all have ``length`` (a length of :meth:`input_space`;
        None for a task without lengths), or None where the task cannot fix a length."""
        return self.generate(rng, n, "train") if length is None else None

    #: the input length every generated example has while :meth:`fixed_length` holds (None: drawn)
    _forced_length: int | None = None

    @contextmanager
    def fixed_length(self, length: int) -> Iterator[None]:
        """Within the block every input :meth:`generate` draws has ``length``, for a task whose
        ``generate`` reads ``_forced_length`` (:class:`SequenceTask` through its
        :meth:`~SequenceTask.sample_lengths`). Blocks nest: leaving one restores the length before it."""
        previous, self._forced_length = self._forced_length, length
        try:
            yield
        finally:
            self._forced_length = previous

    def input_parts(self, inputs: np.ndarray, lengths: np.ndarray | None) -> np.ndarray:
        """The part of the input space each input row belongs to: 0 train, 1 val, 2 test. By default
        the hash partition (:func:`seqbench.core.partition.partition_of`); a task that also keeps some
        inputs in training by a rule of its own (``number_words``) says so here."""
        return partition_of(self).owners(inputs, lengths)

    def data_digest(self) -> dict[str, str]:
        """Digests of the content of any file the task reads (not only its path), so that resume
        redoes a run whose input file changed. Tasks that read no file return ``{}``."""
        return {}

    def reference_outputs(self, batch: Batch, split: str) -> dict[str, torch.Tensor]:
        """Outputs, shaped like a model's, of predictors the task knows exactly (the true source of a
        language, the memoryless copy strategy), for scoring on the very evaluation sample."""
        return {}

    def analytic_baselines(self, split: str) -> dict[str, dict[str, float]]:
        """Baselines known in closed form (entropy floors, ...); extends the generic ones."""
        return {}

    # ----------------------------------------------------------------- sampling
    @property
    def splits(self) -> tuple[str, ...]:
        """The splits this task has: ``test_ood`` only where the spec declares longer inputs
        (``ood_lengths``) or another shift (``ood_shift``)."""
        return SPLITS if self.spec.ood_lengths is not None or self.spec.ood_shift else SPLITS[:3]

    def rng(self, seed: int, split: str) -> np.random.Generator:
        """The generator for one split: independent streams per (task, seed, split).

        >>> from seqbench import make_task
        >>> task = make_task("parity")
        >>> bool(task.rng(0, "train").integers(1 << 30) == task.rng(0, "train").integers(1 << 30))
        True
        """
        self._check_split(split)
        return np.random.default_rng([seed, SPLITS.index(split), zlib.crc32(self.name.encode())])

    def eval_rng(self, split: str) -> np.random.Generator:
        """The generator of the shared evaluation data of ``split``: a function of the task alone.

        Its stream is keyed by ``EVAL_STREAM`` (2**32), outside the range of training seeds
        ([0, 2**32 - 1]), so it never coincides with a training stream; every model and seed is
        scored on the same ``val``, ``test`` and ``test_ood`` examples.
        """
        self._check_split(split)
        return np.random.default_rng([EVAL_STREAM, SPLITS.index(split), zlib.crc32(self.name.encode())])

    def sample(self, rng: np.random.Generator, n: int, split: str = "train") -> Batch:
        """Draw ``n`` examples of ``split``; the same generator state gives the same batch.

        Under ``partition = "hash"``, train, val and test draw only inputs of their own part of the
        input space (training draws that fall in val or test are redrawn); a finite split is drawn
        by the task itself from its part. ``test_ood`` is drawn as generated: longer than training.
        """
        self._check_split(split)
        if not isinstance(n, (int, np.integer)) or n < 1:
            raise ConfigError(f"n={n}: must be an integer >= 1")
        size = self.split_size(split)
        if size is not None and n > size and split != "train":
            raise ConfigError(f"n={n}: split {split!r} of task {self.name!r} has only {size} examples")
        if self.partition == "hash" and split in OWNER and (split == "train" or size is None):
            return draw(self, rng, int(n), split)
        return self.generate(rng, int(n), split)

    def lengths_for(self, split: str) -> tuple[int, int]:
        """The (inclusive) input length range of a split."""
        assert self.spec.lengths is not None, f"task {self.name} has no lengths"
        if split == "test_ood":
            assert self.spec.ood_lengths is not None
            return self.spec.ood_lengths
        return self.spec.lengths

    def _check_split(self, split: str) -> None:
        if split not in self.splits:
            raise ConfigError(f"split={split!r}: task {self.name!r} has splits {', '.join(self.splits)}")

    # ----------------------------------------------------------------- scoring
    def loss(self, output: torch.Tensor, batch: Batch) -> torch.Tensor:
        """Training loss of a model output on a batch (a scalar tensor)."""
        from seqbench.core import metrics as _metrics
        return _metrics.loss(self.spec, output, batch)

    def score(self, output: torch.Tensor, batch: Batch) -> dict[str, np.ndarray]:
        """Per-example and per-token records from which :meth:`summarize` computes metrics."""
        from seqbench.core import metrics as _metrics
        return _metrics.collect(self.spec, output, batch)

    def summarize(self, records: dict[str, np.ndarray]) -> dict[str, float]:
        """Metrics (name -> number) of concatenated :meth:`score` records."""
        from seqbench.core import metrics as _metrics
        return _metrics.summarize(self.spec, records)

    def baselines(self, train: Batch, test: Batch, split: str = "test") -> dict[str, dict[str, float]]:
        """Every baseline's metrics on ``test``: chance, majority/memoryless, closed forms.

        Predictors that learn anything (the majority class, per-position frequencies, the
        training mean) see only ``train``; they are scored on ``test`` with the same metric
        code the models use.
        """
        from seqbench.core import baselines as _baselines
        out = _baselines.generic(self.spec, train, test)
        out.update(self.analytic_baselines(split))
        return out

    # ----------------------------------------------------------------- display
    def show(self, batch: Batch, i: int = 0) -> str:
        """One example as text, padding shown as ``·`` and masked targets as ``_``."""
        data = batch.numpy()
        parts = [f"input:  {self._render(self.spec.input, data['inputs'][i])}"]
        target = data["targets"][i]
        mask = data.get("target_mask")
        parts.append(f"target: {self._render(self.spec.output, target, None if mask is None else mask[i])}")
        if mask is not None:
            parts.append("mask:   " + " ".join("1" if m else "0" for m in mask[i]))
        return "\n".join(parts)

    @staticmethod
    def _render(space, values, mask=None) -> str:
        values = np.asarray(values)
        if isinstance(space, Tokens) and values.ndim == 1:
            shown = ["·" if v == PAD else space.symbols[v] for v in values]
        elif isinstance(space, Classes) and values.ndim == 1:
            shown = [str(v) for v in values]
        elif isinstance(space, (Classes, Tokens)):
            shown = [space.symbols[int(values)] if isinstance(space, Tokens) else str(int(values))]
        elif isinstance(space, Real) or values.ndim == 0:
            shown = [f"{float(values):.3f}"]
        else:
            shown = [f"{v:.2g}" for v in values.reshape(values.shape[0], -1)[:, 0]] if values.ndim > 1 \
                else [f"{v:.2g}" for v in values]
        if mask is not None:
            shown = [s if m else "_" for s, m in zip(shown, mask)]
        return " ".join(shown)

    def describe(self) -> dict[str, Any]:
        """JSON-friendly description for ``seqbench tasks --json``."""
        return {
            "name": self.name,
            "kind": self.kind,
            "version": self.version,
            "description": self.description,
            "tags": sorted(self.all_tags),
            "primary_metric": self.spec.primary_metric,
            "higher_is_better": self.spec.higher_is_better,
            "knobs": {k.name: k.describe() for k in self.knobs},
            "spec": self.spec.describe(),
        }


OOD_GRID_POINTS = 4  #: distinct test_ood lengths: 2,000 examples give 500 per length (interval under +-0.05)


def length_grid(low: int, high: int, points: int = OOD_GRID_POINTS) -> np.ndarray:
    """At most ``points`` evenly spaced lengths from ``low`` to ``high``, both included.

    >>> length_grid(17, 32).tolist(), length_grid(3, 4).tolist()
    ([17, 22, 27, 32], [3, 4])
    """
    return np.unique(np.round(np.linspace(low, high, points)).astype(np.int64))


class SequenceTask(Task, ABC):
    """A task whose inputs have a length: knobs for the training and out-of-distribution ranges.

    Training, ``val`` and ``test`` lengths are uniform in ``[min_length, length]``;
    ``test_ood`` lengths take every value of :func:`length_grid` of ``[length + 1,
    ood_length]`` equally often (train short, test long, as in the Chomsky-hierarchy benchmark): a few
    lengths with many examples each, so every length's score has a narrow interval.

    :meth:`generate_at` fixes every input's length (the partition enumerates short lengths with
    it): :meth:`sample_lengths` then returns that length, so a ``generate`` that takes its lengths
    from :meth:`sample_lengths` supports it unchanged.
    """

    def check_params(self) -> None:
        if self.min_length > self.length:
            raise ConfigError(f"task.min_length={self.min_length}: must be <= task.length={self.length}")
        self.resolve_longer("ood_length", "length", 2 * self.length)

    def generate_at(self, rng: np.random.Generator, n: int, length: int | None) -> Batch | None:
        if length is None:
            return None
        with self.fixed_length(length):
            return self.generate(rng, n, "train")

    def sample_lengths(self, rng: np.random.Generator, n: int, split: str) -> np.ndarray:
        """Input lengths (n,) of ``split`` (:meth:`draw_lengths`), or the length :meth:`generate_at` fixed."""
        if self._forced_length is not None:
            return np.full(n, self._forced_length)
        return self.draw_lengths(rng, n, split)

    def draw_lengths(self, rng: np.random.Generator, n: int, split: str) -> np.ndarray:
        low, high = self.lengths_for(split)
        if split == "test_ood":  # every grid length equally often, in random order
            return rng.permutation(np.resize(length_grid(low, high), n))
        return rng.integers(low, high + 1, size=n)


def length_knobs(length: int = 16, min_length: int = 1) -> tuple[Knob, ...]:
    """The three length knobs of a :class:`SequenceTask`, with task-specific defaults."""
    return (
        Knob("min_length", min_length, low=1, high=100_000, help="shortest training input"),
        Knob("length", length, low=1, high=100_000, help="longest training input"),
        Knob("ood_length", None, low=2, high=200_000, type=int, optional=True,
             help="longest test_ood input (default: 2 x length)"),
    )


def padding_mask(lengths: np.ndarray, width: int) -> np.ndarray:
    """``mask[i, t]`` is True for ``t < lengths[i]``: shape (n, width).

    >>> padding_mask(np.array([1, 3]), 3).astype(int).tolist()
    [[1, 0, 0], [1, 1, 1]]
    """
    return np.arange(width)[None, :] < np.asarray(lengths)[:, None]


def to_batch(inputs: np.ndarray, targets: np.ndarray, lengths: np.ndarray | None = None,
             target_mask: np.ndarray | None = None) -> Batch:
    """Wrap numpy arrays as a :class:`Batch` (token ids as int64, features as float32)."""

    import torch

    def tensor(a: np.ndarray) -> torch.Tensor:
        a = np.ascontiguousarray(a)
        if a.dtype == np.bool_:
            return torch.from_numpy(a)
        if np.issubdtype(a.dtype, np.integer):
            return torch.from_numpy(a.astype(np.int64, copy=False))
        return torch.from_numpy(a.astype(np.float32, copy=False))

    return Batch(
        inputs=tensor(inputs),
        targets=tensor(targets),
        lengths=None if lengths is None else tensor(lengths),
        target_mask=None if target_mask is None else tensor(target_mask.astype(bool)),
    )
