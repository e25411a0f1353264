"""Losses and metrics, chosen by the task's spec.

Evaluation works in two steps so that metrics over many batches are exact, not averages of
batch averages: :func:`collect` turns one batch's model output into per-example records
(sums over each example's scored targets, so any subset of examples can be re-aggregated),
and :func:`summarize` computes metrics from the records of all batches concatenated. Every
metric is a ratio of per-example sums (:data:`RATIOS`), a function of one (:data:`DERIVED`)
or macro-F1; :mod:`seqbench.engine.intervals` resamples examples with the same definitions.

>>> import torch
>>> from seqbench.core.batch import Batch
>>> from seqbench.core.spec import Classes, TaskSpec, Vector
>>> spec = TaskSpec("one_to_one", Vector(2), Classes(2), "accuracy")
>>> batch = Batch(inputs=torch.zeros(2, 2), targets=torch.tensor([0, 1]))
>>> logits = torch.tensor([[2.0, 0.0], [3.0, 0.0]])  # predicts class 0 twice
>>> summarize(spec, collect(spec, logits, batch))["accuracy"]
0.5
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F

from seqbench.core.batch import Batch
from seqbench.core.spec import EOS, Real, TaskSpec

Records = dict[str, np.ndarray]

#: metric -> (numerator, denominator or None for a plain mean): per-example arrays of :func:`collect`
RATIOS: dict[str, tuple[str, str | None]] = {
    "accuracy": ("hits", "tokens"),
    "token_accuracy": ("hits", "tokens"),
    "sequence_accuracy": ("correct", None),
    "cross_entropy": ("nll", "tokens"),
    "mse": ("sq_error", None),
    "content_accuracy": ("content_hits", "content_tokens"),
    "stop_accuracy": ("stop_right", None),
}
#: metric -> (the ratio it is computed from, the monotone increasing function applied)
DERIVED: dict[str, tuple[str, Callable[[np.ndarray], np.ndarray]]] = {
    "bits_per_char": ("cross_entropy", lambda ce: ce / math.log(2)),
    "perplexity": ("cross_entropy", lambda ce: np.exp(np.minimum(ce, 700.0))),
}


def loss(spec: TaskSpec, output: torch.Tensor, batch: Batch) -> torch.Tensor:
    """Cross-entropy (masked over sequence positions) or mean squared error."""
    if isinstance(spec.output, Real):
        return F.mse_loss(output.reshape(-1), batch.targets.reshape(-1))
    if batch.target_mask is None:  # one label per example: (B, K) logits, (B,) targets
        return F.cross_entropy(output, batch.targets)
    # (B, T, V) logits and (B, T) targets; only positions under the mask count
    mask = batch.target_mask
    return F.cross_entropy(output[mask], batch.targets[mask])


@torch.no_grad()
def collect(spec: TaskSpec, output: torch.Tensor, batch: Batch) -> Records:
    """Per-example records of one batch, all (B,): ``hits``/``tokens``/``nll`` summed over the
    example's scored targets, ``correct`` (every target right), ``sq_error`` (regression),
    ``stop_right`` (decoders: the first predicted EOS where the target's is), ``length``; and
    per scored token (N,): ``token_true``, ``token_pred``, ``token_example`` (for macro-F1)."""
    output = output.float()
    out: dict[str, torch.Tensor] = {}
    if isinstance(spec.output, Real):
        out["sq_error"] = (output.reshape(-1) - batch.targets.reshape(-1)) ** 2  # (B,)
    elif batch.target_mask is None:  # (B, K) logits, (B,) labels
        pred = output.argmax(-1)
        hit = pred == batch.targets
        out.update(hits=hit, tokens=torch.ones_like(hit, dtype=torch.long), correct=hit,
                   nll=F.cross_entropy(output, batch.targets, reduction="none"), token_true=batch.targets,
                   token_pred=pred, token_example=torch.arange(batch.size))
    else:
        mask, targets = batch.target_mask, batch.targets  # (B, T)
        nll = F.cross_entropy(output.transpose(1, 2), targets, reduction="none")  # (B, T)
        pred = output.argmax(-1)  # (B, T)
        hit = (pred == targets) & mask
        out.update(hits=hit.sum(1), tokens=mask.sum(1), correct=hit.sum(1) == mask.sum(1),
                   nll=nll.masked_fill(~mask, 0.0).sum(1), token_true=targets[mask], token_pred=pred[mask],
                   token_example=torch.arange(batch.size)[:, None].expand_as(mask)[mask.cpu()])
        if spec.is_decoder_output:
            out["stop_right"] = first_eos(pred) == mask.sum(1) - 1  # the target's EOS is its last token
    if batch.lengths is not None:
        out["length"] = batch.lengths
    return {key: value.cpu().numpy() for key, value in out.items()}


def first_eos(tokens: torch.Tensor) -> torch.Tensor:
    """Index of the first EOS in each row of (B, T) token ids, T where there is none.

    >>> first_eos(torch.tensor([[3, 1, 1], [3, 4, 5]])).tolist()
    [1, 3]
    """
    is_eos = tokens == EOS
    position = torch.arange(tokens.shape[1], device=tokens.device).expand_as(tokens)
    return torch.where(is_eos, position, tokens.shape[1]).min(1).values


@torch.no_grad()
def collect_content(output: torch.Tensor, batch: Batch) -> Records:
    """Content records of a decoder forced to the target's length (EOS never chosen): the
    targets before each example's EOS, right or wrong. (B,) ``content_hits``, ``content_tokens``."""
    content = batch.target_mask & (batch.targets != EOS)  # (B, T) without the EOS
    pred = output.float().argmax(-1)
    return {"content_hits": ((pred == batch.targets) & content).sum(1).cpu().numpy(),
            "content_tokens": content.sum(1).cpu().numpy()}


def concat(records: list[Records]) -> Records:
    """Join the records of several batches (token-to-example indices shifted to match)."""
    out = {key: np.concatenate([r[key] for r in records]) for key in records[0] if key != "token_example"}
    if "token_example" in records[0]:
        offsets = np.cumsum([0] + [len(next(iter(r.values()))) for r in records[:-1]])
        out["token_example"] = np.concatenate([r["token_example"] + o for r, o in zip(records, offsets)])
    return out


def reorder(records: Records, order: np.ndarray) -> Records:
    """Records computed on the examples taken in ``order`` (``order[i]``: the original index of the
    i-th), put back in the original order: per-example arrays by the inverse permutation, per-token
    arrays example by example (each example's tokens in their own order), as if never reordered.

    >>> records = {"hits": np.array([1, 0]), "token_pred": np.array([7, 8, 9]), "token_example": np.array([0, 1, 1])}
    >>> back = reorder(records, np.array([1, 0]))  # the first record was example 1's
    >>> back["hits"].tolist(), back["token_pred"].tolist(), back["token_example"].tolist()
    ([0, 1], [8, 9, 7], [0, 0, 1])
    """
    inverse = np.empty_like(order)
    inverse[order] = np.arange(len(order))
    out = {key: values[inverse] for key, values in records.items() if not key.startswith("token_")}
    if "token_example" in records:
        original = order[records["token_example"]]  # each token's example, by its original index
        tokens = np.argsort(original, kind="stable")
        out.update({key: values[tokens] for key, values in records.items() if key.startswith("token_")})
        out["token_example"] = original[tokens]
    return out


def metric_names(spec: TaskSpec, records: Records) -> tuple[str, ...]:
    """The metrics these records support: the spec's family, plus decoders' content and stop accuracy."""
    extra = tuple(name for name in ("content_accuracy", "stop_accuracy") if RATIOS[name][0] in records)
    return spec.metric_names + extra


def summarize(spec: TaskSpec, records: Records) -> dict[str, float]:
    """Metrics of one split from its concatenated records."""
    return {name: value(name, records) for name in metric_names(spec, records)}


def value(name: str, records: Records, weights: np.ndarray | None = None) -> float | np.ndarray:
    """One metric from records; with ``weights`` (R, B) example multiplicities, one value per row."""
    if name in DERIVED:
        source, transform = DERIVED[name]
        return transform(value(source, records, weights))
    if name == "macro_f1":
        return macro_f1(records, weights)
    numerator, denominator = RATIOS[name]
    top = records[numerator].astype(float)
    bottom = np.ones_like(top) if denominator is None else records[denominator].astype(float)
    if weights is None:
        return float(top.sum() / bottom.sum()) if bottom.sum() > 0 else float("nan")
    below = weights @ bottom
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(below > 0, (weights @ top) / below, np.nan)  # NaN: a resample without such examples


def macro_f1(records: Records, weights: np.ndarray | None = None) -> float | np.ndarray:
    """F1 of every tag present in the targets, averaged; per weight row when ``weights`` is given.

    Each example's true positives, false positives and false negatives per tag are counted
    once ((B, C) arrays), so a resample's counts are one matrix product.
    """
    true, pred, example = records["token_true"], records["token_pred"], records["token_example"]
    labels, true_index = np.unique(true, return_inverse=True)  # tags present in the targets
    n, c = len(records["hits"]), len(labels)
    pred_index = np.searchsorted(labels, pred).clip(0, c - 1)
    pred_known = labels[pred_index] == pred  # a predicted tag that never occurs as a target only counts as a miss

    def per_example(mask: np.ndarray, index: np.ndarray) -> np.ndarray:  # (B, C) counts
        return np.bincount(example[mask] * c + index[mask], minlength=n * c).reshape(n, c).astype(float)

    right = true == pred
    tp = per_example(right, true_index)
    fn = per_example(~right, true_index)
    fp = per_example(~right & pred_known, pred_index)
    w = np.ones((1, n)) if weights is None else weights  # (R, B)
    TP, FP, FN = w @ tp, w @ fp, w @ fn  # (R, C)
    denominator = 2 * TP + FP + FN
    with np.errstate(divide="ignore", invalid="ignore"):
        scores = np.where(denominator > 0, 2 * TP / denominator, 0.0)
    result = scores.mean(1)
    return float(result[0]) if weights is None else result
