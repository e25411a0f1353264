"""Evaluation inputs disjoint from training by construction: a fixed partition of the input space.

Every input (the row a model reads, up to its length, with that length) has a 64-bit key, a
vectorised mix of its tokens, or of the bits of its features, and its length
(:func:`input_keys`), and a bucket ``u = key / 2**64`` in [0, 1). Within each input length
``val`` owns the buckets ``[0, b_val)``, ``test`` owns ``[b_val, b_test)`` and ``train`` the rest:

* by default ``b_val`` and ``b_test`` are the task's shares (``Task.eval_shares``, 5 % each); a
  hash spreads a large space evenly, so each split owns about its share of every length;
* a length of at most ``ENUMERATE`` inputs (``Task.input_space``) is enumerated (listed by the
  task, or drawn until every input has been met) and its bounds are moved between its buckets, so
  that val and test own exactly ``ceil(share x N)`` inputs each (at least one) and train the rest;
  a length of fewer than ``FEWEST`` inputs is train only: too few distinct inputs for both sides.

Training draws that fall in val or test are redrawn (oversample, filter, repeat:
:func:`draw`); val and test draw only inputs of their own part, keeping the generator's mix of
lengths. A split that cannot be filled fails with a one-line ConfigError. ``test_ood`` is not
filtered: its inputs are longer than any training input, or held out by the task itself.

>>> import numpy as np
>>> keys = input_keys(np.array([[1, 2, 0], [1, 2, 3], [2, 1, 0]]), np.array([2, 3, 2]))
>>> first = input_keys(np.array([[1, 2]]), np.array([2]))  # the same input, drawn without padding
>>> bool(keys[0] == first[0]), len(set(keys.tolist()))  # a function of the input alone
(True, 3)
"""

from __future__ import annotations

import json
import math
import zlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from seqbench.core.batch import concat_rows, take_rows
from seqbench.core.errors import ConfigError

if TYPE_CHECKING:
    from seqbench.core.batch import Batch
    from seqbench.core.task import Task

OWNER = {"train": 0, "val": 1, "test": 2}  #: the part of the space each split draws from
_PARTS = np.array([1, 2, 0], dtype=np.int8)  #: below b_val, between the bounds, above b_test
ENUMERATE = 256  #: a length of at most this many inputs is enumerated: exact counts in val and test
FEWEST = 3  #: the fewest inputs a length needs to give train, val and test one each (fewer: train only)
BUDGET = 50  #: candidates drawn per wanted example (over the split's share) before a split is unfillable
DEAD = 20  #: a length met DEAD / share times, whose part of the split held under share / DEAD of it, drops out
STRATIFY = 2  #: an evaluation sample keeps the generator's mix of lengths from this many examples per length

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_POSITIONS: dict[int, np.ndarray] = {}  #: the key of every position, per width (computed once)


_S30, _S27, _S31 = np.uint64(30), np.uint64(27), np.uint64(31)
_M1, _M2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)


def _mix(z: np.ndarray) -> np.ndarray:
    """The splitmix64 finaliser, elementwise on uint64 (wrapping arithmetic)."""
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


def input_keys(inputs: np.ndarray, lengths: np.ndarray | None = None) -> np.ndarray:
    """A 64-bit key (n,) of each input row: a mix of its length and of the sum, over its positions, of
    each token id (or feature bit pattern: float32 features are hashed by their bits) times a
    random odd multiplier of that position. Padding (zeros past a row's length) adds nothing, so
    the key of an input does not depend on the batch it was drawn in.
    """
    x = np.asarray(inputs)
    if x.dtype.kind == "f":
        x = np.ascontiguousarray(x, dtype=np.float32).view(np.uint32)
    n = x.shape[0]
    flat = x.reshape(n, -1)
    flat = flat.view(np.uint64) if flat.dtype == np.int64 else flat.astype(np.uint64)  # (n, W)
    width = flat.shape[1]
    multipliers = _POSITIONS.get(width)
    if multipliers is None:  # odd multipliers, one per position, the same in every process
        multipliers = _POSITIONS.setdefault(width, _mix(np.arange(width, dtype=np.uint64) + _GOLDEN) | np.uint64(1))
    total = (flat * multipliers).sum(axis=1, dtype=np.uint64)
    size = np.full(n, width, dtype=np.uint64) if lengths is None else np.asarray(lengths).astype(np.uint64)
    return _mix(total ^ (size * _GOLDEN))


_S11 = np.uint64(11)


def buckets(keys: np.ndarray) -> np.ndarray:
    """Each key's bucket in [0, 1) (its top 53 bits)."""
    return (np.asarray(keys, dtype=np.uint64) >> _S11).astype(np.float64) * 2.0**-53


@dataclass(frozen=True)
class Partition:
    """Which part of the input space (0 train, 1 val, 2 test) each input belongs to, for one task.

    ``bounds`` holds the moved bounds of enumerated lengths, keyed by the batch's length value
    (``-1`` for inputs without a length); ``counts`` the exact (train, val, test) inputs of each
    enumerated length, keyed by the task's length; ``problems`` what enumeration found wrong
    with the task's declared input space (reported by ``check_partition``).
    """

    shares: tuple[float, float]
    bounds: dict[int, tuple[float, float]]
    counts: dict[int | None, tuple[int, int, int]]
    problems: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        """Bounds as tables indexed by stratum + 1 (the last entry: every longer length's defaults)."""
        top = max(self.bounds, default=-1) + 2
        low, high = np.full(top + 1, self.shares[0]), np.full(top + 1, self.shares[0] + self.shares[1])
        for stratum, (a, b) in self.bounds.items():
            low[stratum + 1], high[stratum + 1] = a, b
        object.__setattr__(self, "_tables", (low, high))
        object.__setattr__(self, "_edges", np.array([self.shares[0], self.shares[0] + self.shares[1]]))

    def owners(self, inputs: np.ndarray, lengths: np.ndarray | None) -> np.ndarray:
        """0 (train), 1 (val) or 2 (test) for each input row."""
        u = buckets(input_keys(inputs, lengths))
        if not self.bounds:  # one pair of bounds: below, between, above -> val, test, train
            return _PARTS[np.searchsorted(self._edges, u, side="right")]
        low, high = self._tables
        at = np.zeros(u.shape, dtype=np.int64) if lengths is None else np.asarray(lengths, dtype=np.int64) + 1
        at = np.minimum(at, len(low) - 1)
        return _PARTS[(u >= low[at]).view(np.int8) + (u >= high[at]).view(np.int8)]


def exact_bounds(u: np.ndarray, shares: tuple[float, float]) -> tuple[tuple[float, float], tuple[int, int, int]]:
    """Bounds that give val and test ``ceil(share x N)`` of the ``N`` buckets ``u`` each (at least one,
    leaving train at least one), and the (train, val, test) counts; fewer than FEWEST: train only.

    >>> exact_bounds(np.array([0.9, 0.1, 0.5, 0.3]), (0.05, 0.05))
    ((0.2, 0.4), (2, 1, 1))
    """
    u = np.sort(u)
    size = len(u)
    if size < FEWEST:
        return (0.0, 0.0), (size, 0, 0)
    val = max(1, math.ceil(shares[0] * size - 1e-9))
    test = max(1, math.ceil(shares[1] * size - 1e-9))
    while val + test > size - 1:
        test, val = (test - 1, val) if test >= val else (test, val - 1)
    b_val = (u[val - 1] + u[val]) / 2
    b_test = (u[val + test - 1] + u[val + test]) / 2
    return (float(b_val), float(b_test)), (size - val - test, val, test)


# ------------------------------------------------------------------------------ the partition of a task
_PARTITIONS: dict[str, Partition] = {}


def partition_of(task: Task) -> Partition:
    """The task's partition (computed once per task and knobs in a process, kept on the task)."""
    table = task.__dict__.get("_partition")
    if table is None:
        key = json.dumps([type(task).__module__, type(task).__qualname__, task.version, task.params,
                          task.data_digest()], sort_keys=True, default=str)
        if key not in _PARTITIONS:
            _PARTITIONS[key] = _build(task)
        table = task.__dict__["_partition"] = _PARTITIONS[key]
    return table


def _build(task: Task) -> Partition:
    shares = tuple(task.eval_shares)
    space = task.input_space()
    bounds, counts, problems = {}, {}, []
    if space is not None and space.exact:
        for length, size in space.sizes.items():
            found = _enumerate(task, length, size)
            if isinstance(found, str):
                if found:
                    problems.append(found)
                continue
            stratum, u = found
            bounds[stratum], counts[length] = exact_bounds(u, shares)
    return Partition(shares, bounds, counts, tuple(problems))


def _enumerate(task: Task, length: int | None, size: int | float) -> tuple[int, np.ndarray] | str:
    """(stratum, the bucket of every input of ``length``), or why not ("" where it is simply too large)."""
    where = "inputs" if length is None else f"inputs of length {length}"
    listed = task.all_inputs(length)
    if listed is not None:  # chunks of (inputs, lengths or None)
        keys, stratum = [], -1
        for inputs, lengths in listed:
            keys.append(input_keys(inputs, lengths))
            stratum = -1 if lengths is None else int(np.asarray(lengths)[0])
        keys = np.unique(np.concatenate(keys))
        if len(keys) != size:
            return f"input_space() declares {size} {where}; all_inputs() lists {len(keys)}"
        return stratum, buckets(keys)
    if size > ENUMERATE:
        return ""
    rng = np.random.default_rng([0x5EED, zlib.crc32(task.name.encode()), 0 if length is None else length + 1])
    found, drawn, stratum = np.zeros(0, dtype=np.uint64), 0, -1
    limit = math.ceil(4 * size * (math.log(size) + 8)) + 256
    while drawn < limit and len(found) < size:  # more than declared: stops at once, reported
        batch = task.generate_at(rng, max(64, 2 * int(size)), length)
        if batch is None:
            return ""  # the task cannot fix an input length: the nominal shares hold there
        data = batch.numpy()
        lengths = data.get("lengths")
        if lengths is not None:
            if len(np.unique(lengths)) != 1:
                return ""
            stratum = int(lengths[0])
        found = np.union1d(found, input_keys(data["inputs"], lengths))
        drawn += batch.size
    if len(found) > size:
        return f"input_space() declares {size} {where}; {drawn} draws found more: {len(found)}"
    if len(found) < size:  # rare inputs not met (a skewed generator): the nominal shares hold there
        return ""
    return stratum, buckets(found)


def check_space(task: Task) -> None:
    """Refuse, before anything is drawn, a task whose val and test can hold no input: every length of
    its declared input space has fewer than FEWEST inputs (one line naming task, split and space)."""
    space = task.input_space()
    if space is None or not space.exact or not space.sizes:
        return
    if max(space.sizes.values()) < FEWEST:
        raise ConfigError(f"task {task.name!r}: split 'val' cannot be filled: its input space holds "
                          f"{space.describe()}; a length needs {FEWEST} distinct inputs to give train, val "
                          "and test one each (use longer inputs)")


# ------------------------------------------------------------------------------ drawing
def draw(task: Task, rng: np.random.Generator, n: int, split: str) -> Batch:
    """``n`` examples of ``split`` whose inputs lie in its part of the space (train, val or test)."""
    table = partition_of(task)
    if split == "train":
        return _draw_train(task, table, rng, n)
    return _draw_eval(task, table, rng, n, split)


def _draw_train(task: Task, table: Partition, rng: np.random.Generator, n: int) -> Batch:
    """Oversample, keep the inputs of train's part, repeat until ``n`` are kept."""
    rate = 1.0 - sum(table.shares)
    parts, got, drawn, kept = [], 0, 0, 0
    budget = math.ceil(BUDGET * n / rate) + 4096
    while got < n:
        m = min(math.ceil((n - got) / max(rate, 1e-3) * 1.1) + 4, max(budget - drawn, n - got))
        batch = task.generate(rng, m, "train")
        lengths = None if batch.lengths is None else batch.lengths.numpy()
        accepted = np.flatnonzero(task.input_parts(batch.inputs.numpy(), lengths) == 0)
        parts.append((batch, accepted[: n - got]))
        got += len(parts[-1][1])
        drawn, kept = drawn + m, kept + len(accepted)
        rate = kept / drawn
        if got < n and drawn >= budget:
            raise _unfillable(task, "train", n, got, drawn)
    if len(parts) == 1:
        return take_rows(parts[0][0], parts[0][1], task.spec.aligned_output, lengths)
    return concat_rows(parts, task.spec.aligned_output)


def _draw_eval(task: Task, table: Partition, rng: np.random.Generator, n: int, split: str) -> Batch:
    """Draw candidates and keep those of the split's part, so that the lengths keep the generator's mix:
    the first ``n`` candidates (taken or not) name the lengths, and each is filled by a kept input of
    its length. A length none of whose inputs fall in the part (too few inputs) drops out of the mix.
    A sample of fewer than STRATIFY examples per length (a check's 16) takes the first ``n`` kept
    inputs instead: its mix of lengths is noise either way, and filling every length costs draws."""
    want = OWNER[split]
    share = table.shares[want - 1]
    empty = {stratum for stratum, (a, b) in table.bounds.items() if (a if want == 1 else b - a) <= 0}
    dead_after = math.ceil(DEAD / share)
    strata, taken, parts, kept_strata = [], [], [], []
    drawn, m = 0, math.ceil(n / share * 1.2) + 16
    while True:
        batch = task.generate(rng, m, split)
        lengths = None if batch.lengths is None else batch.lengths.numpy()
        ok = task.input_parts(batch.inputs.numpy(), lengths) == want
        stratum = np.full(batch.size, -1) if lengths is None else lengths.astype(np.int64)
        strata.append(stratum)
        taken.append(ok)
        parts.append((batch, np.flatnonzero(ok)))
        kept_strata.append(stratum[ok])
        drawn += m
        every, ok_all = np.concatenate(strata), np.concatenate(taken)
        values, inverse = np.unique(every, return_inverse=True)
        seen = np.bincount(inverse, minlength=len(values))
        have = np.bincount(inverse, weights=ok_all, minlength=len(values)).astype(np.int64)
        # a length whose part is empty, or so rare in the generator's draws that filling it would take
        # DEAD times its share of draws, drops out of the mix
        dead = ((have == 0) & np.isin(values, list(empty))) | ((seen >= dead_after) & (have * DEAD < seen * share))
        if n < STRATIFY * len(values):  # a small sample: the first n kept inputs, whatever their lengths
            slots, need = np.zeros(0, dtype=np.int64), np.zeros(len(values), dtype=np.int64)
            if ok_all.sum() >= n:
                return _first(parts, n, task.spec.aligned_output)
            short = np.zeros(len(values))
            wanted = float(n - ok_all.sum())
        else:
            slots = np.flatnonzero(~dead[inverse])[:n]
            need = np.bincount(inverse[slots], minlength=len(values))
            if len(slots) == n and (need <= have).all():
                return _fill(parts, inverse[slots], np.searchsorted(values, np.concatenate(kept_strata)),
                             task.spec.aligned_output)
            # the next round: each length's shortfall over its share of the draws, and the slots not yet named
            short = np.maximum(need - have, 0)
            wanted = (n - len(slots)) + float((short * drawn / np.maximum(seen, 1)).sum())
        budget = math.ceil(BUDGET * (n + len(values)) / share) + 4 * dead_after  # more lengths, more draws
        if drawn >= budget or (dead.all() and seen.min() >= dead_after):
            raise _unfillable(task, split, n, int(ok_all.sum()), drawn)
        m = min(math.ceil(wanted / share * 1.5) + 64, max(budget - drawn, 64))


def _first(parts: list, n: int, aligned: bool) -> Batch:
    """The first ``n`` kept inputs, in the order they were drawn."""
    chosen, left = [], n
    for batch, kept in parts:
        chosen.append((batch, kept[:left]))
        left -= len(chosen[-1][1])
        if left == 0:
            break
    return concat_rows(chosen, aligned)


def _fill(parts: list, slot_strata: np.ndarray, kept_strata: np.ndarray, aligned: bool) -> Batch:
    """Give each slot the next kept input of its length (in the order they were drawn)."""
    n = len(slot_strata)
    order = np.argsort(slot_strata, kind="stable")
    first = np.searchsorted(slot_strata[order], slot_strata[order], side="left")
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n) - first
    by_stratum = np.argsort(kept_strata, kind="stable")
    start = np.searchsorted(kept_strata[by_stratum], slot_strata)
    kept = concat_rows(parts, aligned)
    return concat_rows([(kept, by_stratum[start + rank])], aligned)


def _unfillable(task: Task, split: str, n: int, got: int, drawn: int) -> ConfigError:
    space = task.input_space()
    where = space.describe() if space is not None else "an input space of unknown size"
    return ConfigError(f"task {task.name!r}: split {split!r} cannot be filled: {drawn:,} draws gave {got:,} of "
                       f"the {n:,} inputs it needs from its part of the input space ({where}); "
                       "the part is empty or tiny (use longer inputs)")
