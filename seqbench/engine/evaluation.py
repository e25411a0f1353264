"""The evaluation protocol: shared evaluation sets, scores with intervals, same-sample baselines.

* **Seeds vary training, not the exam.** ``val``, ``test`` and ``test_ood`` come from the
  task's evaluation stream (:meth:`seqbench.core.task.Task.eval_rng`), a function of the task and
  its knobs only: every model and every seed is scored on the very same examples. They are
  built once per process (:func:`make_eval_sets` caches them).
* **Every number with its interval.** :func:`score_splits` evaluates a model on each split
  and returns every metric with a 95 % bootstrap interval (:mod:`seqbench.engine.intervals`), the
  primary metric per input length and ``length_mean``.
* **Baselines on the same sample.** :func:`baseline_scores` scores chance (closed form), the
  memoryless predictor fitted on a fixed training sample, and the predictors a task knows
  exactly (:meth:`seqbench.core.task.Task.reference_outputs`: the true source of a language, the
  memoryless copy strategy) on each evaluation set, with intervals; a model's excess over the
  task's reference predictor is computed on the same examples, paired.

>>> from seqbench import make_task
>>> task = make_task("markov_lm", length=8)
>>> sets = make_eval_sets(task, test_size=64, val_size=32)
>>> {split: b.size for split, b in sets.items()}
{'val': 32, 'test': 64, 'test_ood': 64}
>>> make_eval_sets(task, test_size=64, val_size=32)["test"] is sets["test"]  # built once
True
"""

from __future__ import annotations

import copy
import json
from typing import Any

import numpy as np
import torch
from torch import nn

from seqbench.core import metrics as _metrics
from seqbench.core.baselines import chance, memoryless_outputs
from seqbench.core.batch import Batch, take_rows
from seqbench.engine.intervals import split_estimates
from seqbench.models.hooks import FixedLength, ForcedDecoding
from seqbench.core.task import Task

BASELINE_TRAIN_SIZE = 1024  #: training examples the memoryless predictor is fitted on


def _task_key(task: Task) -> str:
    return json.dumps([task.name, task.version, task.params, task.data_digest()], sort_keys=True, default=str)


_EVAL_CACHE: dict[tuple, dict[str, Batch]] = {}


def make_eval_sets(task: Task, test_size: int = 2000, val_size: int = 500) -> dict[str, Batch]:
    """``val`` (``val_size`` examples), ``test`` and ``test_ood`` (``test_size``) from the task's
    evaluation stream; finite splits are used whole when smaller. Identical for every seed."""
    key = (_task_key(task), test_size, val_size)
    if key not in _EVAL_CACHE:
        sets = {}
        for split in task.splits[1:]:
            wanted = val_size if split == "val" else test_size
            available = task.split_size(split)
            n = min(wanted, available) if available else wanted
            sets[split] = task.sample(task.eval_rng(split), n, split)
        if len(_EVAL_CACHE) > 64:
            _EVAL_CACHE.clear()
        _EVAL_CACHE[key] = sets
    return _EVAL_CACHE[key]


def not_applicable_splits(model: nn.Module, task: Task, eval_sets: dict[str, Batch]) -> dict[str, str]:
    """Splits a model cannot score honestly (an mlp never trained on positions past the training
    length), with the reason."""
    if not isinstance(model, FixedLength) or model.max_input_length is None:
        return {}
    out = {}
    for split, batch in eval_sets.items():
        longest = int(batch.lengths.max()) if batch.lengths is not None else 0
        if longest > model.max_input_length:
            out[split] = (f"{type(model).__name__} has weights for inputs of at most {model.max_input_length} steps "
                          f"(the training length); {split} inputs reach {longest}, positions it never trained on")
    return out


@torch.no_grad()
def collect_records(model: nn.Module, task: Task, batch: Batch, device: torch.device | str,
                    chunk: int = 256, content: bool = False) -> _metrics.Records:
    """Per-example records of ``model`` on ``batch``, evaluated in chunks. With ``content``
    (decoders that support it) a second pass forced to each target's length adds content accuracy."""
    was_training = model.training
    model.eval()
    aligned = task.spec.aligned_output
    order = by_length(batch)
    ordered = batch if order is None else take_rows(batch, order, aligned)
    parts = []
    for start in range(0, batch.size, chunk):
        part = ordered.slice(start, start + chunk, aligned=aligned).to(device)  # trimmed to its own longest
        records = task.score(model(part), part)
        if content and task.spec.is_decoder_output and isinstance(model, ForcedDecoding):
            with model.forced_length():
                records.update(_metrics.collect_content(model(part), part))
        parts.append(records)
    model.train(was_training)
    records = _metrics.concat(parts)
    return records if order is None else _metrics.reorder(records, order)


def by_length(batch: Batch) -> np.ndarray | None:
    """The order that groups ``batch``'s examples by input length (stable), so that a chunk pads to
    the length of its own examples and not to the split's longest: on a Chomsky ``test_ood`` split,
    whose lengths run from 41 to 500 in random order, nearly every chunk held a 500; None where the
    examples have no lengths or already come in that order.

    >>> from seqbench import make_task
    >>> batch = make_task("parity_check").sample(np.random.default_rng(0), 6, "test_ood")
    >>> batch.lengths.tolist(), batch.lengths[by_length(batch)].tolist()
    ([434, 500, 41, 107, 172, 238], [41, 107, 172, 238, 434, 500])
    """
    if batch.lengths is None or batch.inputs.dim() < 2:
        return None
    lengths = batch.lengths.cpu().numpy()
    if (np.diff(lengths) >= 0).all():
        return None
    return np.argsort(lengths, kind="stable")


def evaluate(model: nn.Module, task: Task, batch: Batch, device: torch.device | str,
             chunk: int = 256) -> dict[str, float]:
    """Point values of every metric of ``model`` on ``batch`` (the quick check during training)."""
    return task.summarize(collect_records(model, task, batch, device, chunk))


def score_splits(model: nn.Module, task: Task, eval_sets: dict[str, Batch], device: torch.device | str,
                 chunk: int = 256) -> dict[str, Any]:
    """Final scores: per split, every metric with its interval, by length, excess over the reference.

    Returns ``{"metrics", "intervals", "by_length", "not_applicable"}``, each keyed by split.
    """
    skipped = not_applicable_splits(model, task, eval_sets)
    references = reference_records(task, eval_sets)
    out: dict[str, Any] = {"metrics": {}, "intervals": {}, "by_length": {}, "not_applicable": skipped}
    for split, batch in eval_sets.items():
        if split in skipped:
            continue
        records = collect_records(model, task, batch, device, chunk, content=True)
        estimate = split_estimates(task.spec.primary_metric, _metrics.metric_names(task.spec, records), records,
                                   references.get(split))
        out["metrics"][split], out["intervals"][split] = estimate.values, estimate.intervals
        if estimate.by_length is not None:
            out["by_length"][split] = estimate.by_length
    return out


def reference_records(task: Task, eval_sets: dict[str, Batch]) -> dict[str, _metrics.Records]:
    """Records of the task's reference predictor on each split (empty when the task has none)."""
    if task.reference_baseline is None:
        return {}
    out = {}
    for split in eval_sets:
        records = _baseline_records(task, eval_sets, split)
        if task.reference_baseline in records:
            out[split] = records[task.reference_baseline]
    return out


def _baseline_train(task: Task) -> Batch:
    """The fixed training sample the memoryless predictor is fitted on (drawn once per task)."""
    key = (_task_key(task), "train")
    if key not in _BASELINE_CACHE:
        _BASELINE_CACHE[key] = task.sample(task.eval_rng("train"), BASELINE_TRAIN_SIZE, "train")
    return _BASELINE_CACHE[key]


def _baseline_records(task: Task, eval_sets: dict[str, Batch], split: str) -> dict[str, _metrics.Records]:
    key = (_task_key(task), split, eval_sets[split].fingerprint())
    if key not in _BASELINE_CACHE:
        batch = eval_sets[split]
        train = _baseline_train(task)
        outputs = {**memoryless_outputs(task.spec, train, batch), **task.reference_outputs(batch, split)}
        _BASELINE_CACHE[key] = {name: task.score(output, batch) for name, output in outputs.items()}
    return _BASELINE_CACHE[key]


_BASELINE_CACHE: dict[tuple, Any] = {}  #: training samples and baseline records
_SCORES_CACHE: dict[tuple, tuple[dict, dict]] = {}


def baseline_scores(task: Task, eval_sets: dict[str, Batch]) -> tuple[dict, dict]:
    """(values, intervals) of every baseline on every split: split -> baseline -> metric -> value
    (or [low, high]). Closed forms (chance, entropy floors) have exact, zero-width intervals.

    They are the same for every run of a task on the same sets, so they are computed once per
    process (a copy is returned)."""
    key = (_task_key(task), tuple((split, batch.fingerprint()) for split, batch in eval_sets.items()))
    if key not in _SCORES_CACHE:
        _SCORES_CACHE[key] = _baseline_scores(task, eval_sets)
    return copy.deepcopy(_SCORES_CACHE[key])


def _baseline_scores(task: Task, eval_sets: dict[str, Batch]) -> tuple[dict, dict]:
    values: dict[str, dict] = {}
    bands: dict[str, dict] = {}
    for split in eval_sets:
        values[split], bands[split] = {}, {}
        sampled = _baseline_records(task, eval_sets, split)
        exact = {"chance": chance(task.spec), **task.analytic_baselines(split)}
        for name, scores in exact.items():
            if scores:
                name = f"{name} (expected)" if name in sampled else name  # the population value
                values[split][name] = dict(scores)
                bands[split][name] = {m: [v, v] for m, v in scores.items()}
        for name, records in sampled.items():
            estimate = split_estimates(task.spec.primary_metric, task.spec.metric_names, records, per_length=False)
            values[split][name], bands[split][name] = estimate.values, estimate.intervals
    return values, bands


def clear_caches() -> None:
    """Forget cached evaluation sets and baseline records (tests that measure generation use it)."""
    _EVAL_CACHE.clear()
    _BASELINE_CACHE.clear()
    _SCORES_CACHE.clear()

