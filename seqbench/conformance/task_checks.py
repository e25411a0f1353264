"""Conformance checks every task must pass: ``seqbench check TASK`` and the test suite.

Each ``check_*`` function takes a task and raises :class:`CheckFailure` with a precise
message when the task breaks its contract; :func:`check_task` runs them all and returns the
failures, so a plugin author sees every problem at once. The model checks
(``seqbench check --model NAME``) are in :mod:`seqbench.conformance.model_checks`; ``check_model`` is
also reachable from here.

>>> from seqbench import make_task
>>> check_task(make_task("parity"))
[]
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from seqbench.core.batch import Batch
from seqbench.core.decoding import EOS_SYMBOL, PAD_SYMBOL
from seqbench.core.spec import EOS, PAD, Classes, Real, Tokens, Vector
from seqbench.core.task import Task


class CheckFailure(AssertionError):
    """A task broke its contract."""


def _sample(task: Task, split: str, seed: int = 0, n: int = 16) -> Batch:
    size = task.split_size(split)
    return task.sample(task.rng(seed, split), min(n, size) if size else n, split)


def _fail(condition: bool, message: str) -> None:
    if not condition:
        raise CheckFailure(message)


def check_spec(task: Task) -> None:
    """The spec is consistent with the kind: sequence sides and spaces fit together."""
    spec = task.spec
    if spec.is_sequence_input:
        _fail(spec.lengths is not None, f"{spec.kind} task must declare spec.lengths")
        _fail(isinstance(spec.input, (Tokens, Vector)), "sequence inputs must be Tokens or Vector steps")
    else:
        _fail(isinstance(spec.input, Vector), f"{spec.kind} inputs must be a Vector")
    if spec.is_decoder_output:
        _fail(isinstance(spec.output, Tokens) and spec.output.size > 2,
              "decoder outputs must be Tokens with <pad> at 0 and <eos> at 1")
        symbols = spec.output.symbols
        _fail(symbols[PAD] == PAD_SYMBOL and symbols[EOS] == EOS_SYMBOL,
              f"a decoder's output vocabulary must start {PAD_SYMBOL!r}, {EOS_SYMBOL!r} (ids {PAD} and {EOS}); "
              f"it starts {symbols[PAD]!r}, {symbols[EOS]!r}: build it with "
              "seqbench.core.decoding.decoder_vocabulary(symbols)")
        _fail(spec.max_output_length is not None,
              f"{spec.kind} task must declare spec.max_output_length (the longest target, EOS included, "
              "over every split): models that emit a fixed number of steps, such as the mlp, are sized from it")
    if spec.kind == "lm":
        _fail(isinstance(spec.output, Tokens), "lm outputs must be Tokens")
    if spec.kind in ("many_to_one", "one_to_one"):
        _fail(isinstance(spec.output, (Classes, Real)), f"{spec.kind} outputs must be Classes or Real")
    _fail(spec.primary_metric in spec.metric_names,
          f"primary metric {spec.primary_metric!r} is not reported for {spec.kind} tasks "
          f"(they report {', '.join(spec.metric_names)})")


def check_shapes(task: Task) -> None:
    """Every split's batch has the shapes and dtypes its kind requires."""
    spec = task.spec
    for split in task.splits:
        b = _sample(task, split)
        where = f"split {split!r}"
        _fail(isinstance(b, Batch), f"{where}: sample() must return a Batch, got {type(b).__name__}")
        n = b.size
        if spec.is_sequence_input:
            want_dim = 2 if isinstance(spec.input, Tokens) else 3
            _fail(b.inputs.dim() == want_dim, f"{where}: inputs must have {want_dim} dims, got {tuple(b.inputs.shape)}")
            _fail(b.lengths is not None and tuple(b.lengths.shape) == (n,), f"{where}: lengths must be (B,)")
            _fail(int(b.lengths.max()) == b.inputs.shape[1], f"{where}: inputs must be padded to the longest length")
            low, high = task.lengths_for(split)
            _fail(int(b.lengths.min()) >= low and int(b.lengths.max()) <= high,
                  f"{where}: lengths {int(b.lengths.min())}..{int(b.lengths.max())} outside [{low}, {high}]")
        else:
            _fail(tuple(b.inputs.shape) == (n, spec.input.size),
                  f"{where}: inputs must be (B, {spec.input.size}), got {tuple(b.inputs.shape)}")
        if isinstance(spec.input, Tokens):
            _fail(b.inputs.dtype == torch.long, f"{where}: token inputs must be int64, got {b.inputs.dtype}")
        else:
            _fail(b.inputs.dtype == torch.float32, f"{where}: vector inputs must be float32, got {b.inputs.dtype}")
            if spec.is_sequence_input:
                _fail(b.inputs.shape[2] == spec.input.size, f"{where}: input steps must have {spec.input.size} features")
        got = f"got {tuple(b.targets.shape)} {b.targets.dtype}"
        if spec.is_sequence_output:
            _fail(b.targets.dim() == 2 and b.targets.shape[0] == n,
                  f"{where}: {spec.kind} targets must be (B, T{'' if spec.aligned_output else '_out'}) = "
                  f"({n}, {b.inputs.shape[1] if spec.aligned_output else 'padded target width'}), {got}")
            _fail(b.target_mask is not None and b.target_mask.dtype == torch.bool
                  and b.target_mask.shape == b.targets.shape,
                  f"{where}: sequence targets need a bool target_mask of their shape {tuple(b.targets.shape)}, got "
                  + ("None" if b.target_mask is None else f"{tuple(b.target_mask.shape)} {b.target_mask.dtype}"))
            _fail(b.targets.dtype == torch.long, f"{where}: sequence targets must be int64, {got}")
            if spec.aligned_output:
                _fail(b.targets.shape[1] == b.inputs.shape[1],
                      f"{where}: {spec.kind} targets must align with the inputs: expected (B, T) = "
                      f"({n}, {b.inputs.shape[1]}), {got}")
            elif spec.is_decoder_output and spec.max_output_length is not None:
                _fail(b.targets.shape[1] <= spec.max_output_length,
                      f"{where}: decoder targets are {b.targets.shape[1]} wide but spec.max_output_length is "
                      f"{spec.max_output_length} (the longest target, EOS included)")
        elif isinstance(spec.output, Real):
            _fail(tuple(b.targets.shape) == (n,) and b.targets.dtype == torch.float32,
                  f"{where}: regression targets must be float32 (B,) = ({n},), {got}")
        else:
            _fail(tuple(b.targets.shape) == (n,) and b.targets.dtype == torch.long,
                  f"{where}: labels must be int64 (B,) = ({n},), {got}")


def check_values(task: Task) -> None:
    """Token ids and labels lie inside their vocabularies; padding sits only where it should."""
    spec = task.spec
    for split in task.splits:
        b = _sample(task, split)
        where = f"split {split!r}"
        if isinstance(spec.input, Tokens):
            _fail(int(b.inputs.min()) >= 0 and int(b.inputs.max()) < spec.input.size,
                  f"{where}: input ids must be in [0, {spec.input.size})")
            inside = torch.arange(b.inputs.shape[1])[None, :] < b.lengths[:, None]
            _fail(bool((b.inputs[inside] != PAD).all()), f"{where}: <pad> (id 0) inside an input's length")
            _fail(bool((b.inputs[~inside] == PAD).all()), f"{where}: inputs must be <pad> (id 0) past their length")
        if isinstance(spec.output, Real):
            _fail(bool(torch.isfinite(b.targets).all()), f"{where}: regression targets must be finite")
            continue
        targets = b.targets[b.target_mask] if b.target_mask is not None else b.targets
        size = spec.output.size
        _fail(int(targets.min()) >= 0 and int(targets.max()) < size, f"{where}: targets must be in [0, {size})")
        if isinstance(spec.output, Tokens) and spec.is_sequence_output:
            _fail(bool((targets != PAD).all()), f"{where}: a <pad> target (id 0) is not masked out")
        if spec.is_decoder_output:
            ends = b.targets[torch.arange(b.size), b.target_mask.sum(1) - 1]
            _fail(bool((ends == 1).all()), f"{where}: every decoder target must end in <eos> (id 1)")


def check_determinism(task: Task) -> None:
    """The same seed gives an identical batch; another seed gives another one.

    "Another one" is only required where the data vary: if one batch already holds different
    examples, batches from different seeds cannot all be equal unless the seed is ignored.
    A degenerate configuration (every example the same, e.g. strings of length 1 with one
    possible value) is exempt.
    """
    for split in task.splits:
        a, b = _sample(task, split, seed=0), _sample(task, split, seed=0)
        _fail(a.fingerprint() == b.fingerprint(), f"split {split!r}: the same seed gave different batches")
        if _distinct_examples(a) > 1:
            others = {_sample(task, split, seed=s).fingerprint() for s in (1, 2, 3)}
            _fail(others != {a.fingerprint()}, f"split {split!r}: seeds 0 to 3 gave the same batch "
                  "(does the task ignore the generator it is given?)")
    train, val = _sample(task, "train"), _sample(task, "val")
    if _distinct_examples(train) > 1:
        _fail(train.fingerprint() != val.fingerprint(),
              "train and val gave the same batch: splits must use their own streams")


def _distinct_examples(batch: Batch) -> int:
    rows = [np.ascontiguousarray(v.reshape(v.shape[0], -1)) for v in batch.numpy().values()]
    return len({b"".join(r[i].tobytes() for r in rows) for i in range(batch.size)})


def check_long_inputs(task: Task) -> None:
    """``test_ood`` inputs are longer than every training input (where its shift is length)."""
    if "test_ood" not in task.splits or task.spec.ood_lengths is None:
        return
    ood = _sample(task, "test_ood")
    _fail(int(ood.lengths.min()) > task.spec.lengths[1],
          f"test_ood lengths start at {int(ood.lengths.min())}, not above the training maximum {task.spec.lengths[1]}")


def check_batch_size(task: Task) -> None:
    """``sample(rng, n)`` returns exactly n examples, for n = 1 and a larger n."""
    for n in (1, 7):
        b = task.sample(task.rng(0, "train"), n, "train")
        _fail(b.size == n, f"sample(n={n}) returned {b.size} examples")


CHECK_TRAIN, CHECK_EVAL = 2048, 128  #: inputs check_partition draws (tests/test_test_sets.py draws a run's worth)


def row_keys(batch: Batch) -> list[bytes]:
    """Each example's input exactly (its steps up to its length, and the length), as bytes."""
    data = batch.numpy()
    inputs, lengths = data["inputs"], data.get("lengths")
    if lengths is None:
        return [row.tobytes() for row in inputs]
    return [inputs[i, : lengths[i]].tobytes() + int(lengths[i]).to_bytes(8, "little") for i in range(len(inputs))]


def count_overlap(task: Task, train: int, evaluation: int | dict[str, Batch], seed: int = 0,
                  chunk: int = 8192) -> dict[str, int]:
    """How many examples of each evaluation set have an input that occurs, exactly, among ``train``
    training examples of seed ``seed`` (drawn ``chunk`` at a time). ``evaluation`` is the sets
    themselves (``make_eval_sets``) or a size: that many examples of each split (a smaller finite
    split whole) from its shared stream (:meth:`~seqbench.core.task.Task.eval_rng`)."""
    if isinstance(evaluation, int):
        sizes = {split: task.split_size(split) for split in task.splits[1:]}
        evaluation = {split: task.sample(task.eval_rng(split), min(evaluation, size) if size else evaluation, split)
                      for split, size in sizes.items()}
    wanted = {split: row_keys(batch) for split, batch in evaluation.items()}
    every = set().union(*wanted.values())
    found, rng, left = set(), task.rng(seed, "train"), train
    while left > 0:
        batch = task.sample(rng, min(chunk, left), "train")
        found.update(key for key in row_keys(batch) if key in every)
        left -= batch.size
    return {split: sum(key in found for key in keys) for split, keys in wanted.items()}


def check_partition(task: Task) -> None:
    """Evaluation inputs are kept out of training as the task declares: ``partition = "hash"`` and no
    val, test or test_ood input among CHECK_TRAIN training inputs; or ``"none"`` with its reason."""
    _fail(task.partition in ("hash", "none"), f"partition must be 'hash' or 'none', not {task.partition!r}")
    if task.partition == "none":
        _fail(bool(task.partition_reason), "partition = 'none' needs a partition_reason: why overlap between "
              "training and evaluation inputs cannot or does not matter (continuous inputs, a data set already "
              "split, an unbounded source)")
        return
    val, test = task.eval_shares
    _fail(val > 0 and test > 0 and val + test < 1, f"eval_shares {task.eval_shares}: each must be > 0, their sum < 1")
    from seqbench.core.partition import partition_of

    problems = partition_of(task).problems
    _fail(not problems, "; ".join(problems))
    found = count_overlap(task, CHECK_TRAIN, CHECK_EVAL)
    _fail(not any(found.values()), "evaluation inputs occur in training: " + ", ".join(
        f"{n} of {split}'s" for split, n in found.items() if n) + f" examples among {CHECK_TRAIN} training inputs "
        "(does generate draw val and test from the same inputs as train, past the partition?)")


def check_baselines(task: Task) -> None:
    """Baselines compute to finite numbers on the test split."""
    train, test = _sample(task, "train", n=64), _sample(task, "test", n=64)
    for name, values in task.baselines(train, test).items():
        for metric, value in values.items():
            _fail(np.isfinite(value), f"baseline {name!r} gave a non-finite {metric}")


CHECKS: tuple[Callable[[Task], None], ...] = (
    check_spec, check_shapes, check_values, check_determinism, check_long_inputs, check_batch_size,
    check_partition, check_baselines,
)


def run_checks(checks: tuple[Callable, ...], subject: object, fatal: tuple[Callable, ...] = ()) -> list[str]:
    """Run each check on ``subject``; one message per failed check. After a check listed in
    ``fatal``, any failure so far ends the run (the checks after it would only repeat it)."""
    failures = []
    for check in checks:
        try:
            check(subject)
        except CheckFailure as exc:
            failures.append(f"{check.__name__}: {exc}")
        except Exception as exc:  # noqa: BLE001 - a crash inside a plugin is a failure to report
            failures.append(f"{check.__name__}: raised {type(exc).__name__}: {exc}")
        if failures and check in fatal:
            break
    return failures


def check_task(task: Task) -> list[str]:
    """Run every check; return one message per failed check (empty when the task conforms)."""
    return run_checks(CHECKS, task)

