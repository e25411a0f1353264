"""Baselines every task gets for free, derived from its spec and its data.

* ``chance``: guessing uniformly among the symbols a target can take (accuracy 1/K,
  cross-entropy ln K, perplexity K), known in closed form.
* ``majority`` (labels and tags), ``unigram`` (language models) or ``position_frequency``
  (decoded sequences): a memoryless predictor fitted on the *training* sample that ignores the
  input, scored on the test split with the same metric code as the models.
* ``mean`` (regression): always predict the training mean.

Tasks add closed forms of their own (the copy-memory and adding baselines, entropy floors)
through :meth:`seqbench.core.task.Task.analytic_baselines`.

>>> import math
>>> from seqbench.core.spec import Classes, TaskSpec, Vector
>>> chance(TaskSpec("one_to_one", Vector(4), Classes(10), "accuracy"))["accuracy"]
0.1
"""

from __future__ import annotations

import math

import numpy as np
import torch

from seqbench.core import metrics
from seqbench.core.batch import Batch
from seqbench.core.spec import PAD, Classes, Real, TaskSpec, Tokens


def n_target_symbols(spec: TaskSpec) -> int:
    """How many values a target can take (padding excluded for token outputs)."""
    if isinstance(spec.output, Tokens):
        return spec.output.size - 1
    assert isinstance(spec.output, Classes)
    return spec.output.n


def chance(spec: TaskSpec) -> dict[str, float]:
    """Closed-form metrics of guessing uniformly at random."""
    if isinstance(spec.output, Real):
        return {}
    k = n_target_symbols(spec)
    ce = math.log(k)
    values = {spec.accuracy_metric: 1 / k, "cross_entropy": ce, "bits_per_char": math.log2(k),
              "perplexity": float(k)}
    return {name: values[name] for name in spec.metric_names if name in values}


def memoryless_outputs(spec: TaskSpec, train: Batch, test: Batch) -> dict[str, torch.Tensor]:
    """The input-ignoring predictor fitted on ``train``, as model outputs for ``test``.

    ``mean`` (regression), ``majority`` (one label or tag), ``unigram`` (language models) or
    ``position_frequency`` (decoded sequences): log-frequencies shaped like a model's logits.
    """
    if isinstance(spec.output, Real):
        return {"mean": torch.full((test.size,), float(train.targets.float().mean()))}  # (B,)
    size = spec.output.size
    tokens = isinstance(spec.output, Tokens)
    if test.target_mask is None:  # one label per example: (B, K)
        logits = _log_frequencies(train.targets.numpy(), size, tokens)[None, :].expand(test.size, size)
    elif spec.is_decoder_output:  # (B, T_out, V), one distribution per output position
        logits = _position_log_frequencies(train, size, test.targets.shape[1], tokens)[None].expand(test.size, -1, -1)
    else:  # tagging, lm: (B, T, V), one distribution for every position
        logits = _log_frequencies(train.targets[train.target_mask].numpy(), size, tokens)
        logits = logits[None, None, :].expand(test.size, test.targets.shape[1], size)
    return {spec.info.memoryless: logits}


def generic(spec: TaskSpec, train: Batch, test: Batch) -> dict[str, dict[str, float]]:
    """Chance plus the memoryless predictor fitted on ``train`` and scored on ``test``."""
    out = {"chance": chance(spec)} if not isinstance(spec.output, Real) else {}
    for name, output in memoryless_outputs(spec, train, test).items():
        out[name] = metrics.summarize(spec, metrics.collect(spec, output, test))
    return out


def _log_frequencies(values: np.ndarray, size: int, tokens: bool, smoothing: float = 1e-3) -> torch.Tensor:
    """Smoothed log-frequencies (size,); padding gets no mass in token vocabularies."""
    counts = np.bincount(values.reshape(-1), minlength=size).astype(np.float64) + smoothing
    if tokens:
        counts[PAD] = 0.0
    with np.errstate(divide="ignore"):  # log(0) = -inf: padding is never predicted
        return torch.from_numpy(np.log(counts / counts.sum())).float()  # (size,)


def _position_log_frequencies(train: Batch, size: int, width: int, tokens: bool) -> torch.Tensor:
    """Per-position symbol frequencies of training targets: (width, size) log-probabilities."""
    targets, mask = train.targets.numpy(), train.target_mask.numpy()
    overall = _log_frequencies(targets[mask], size, tokens)
    rows = []
    for t in range(width):
        seen = targets[:, t][mask[:, t]] if t < targets.shape[1] else np.empty(0, dtype=np.int64)
        rows.append(_log_frequencies(seen, size, tokens) if seen.size else overall)
    return torch.stack(rows)
