"""Losses and metrics, chosen by the task's kind and output space.

Evaluation works in two steps so that metrics over many batches are exact, not averages of
batch averages: :func:`collect` turns one batch's model output into flat records (per
example and per scored token), and :func:`summarize` computes metrics from the records of
all batches concatenated.

>>> import torch
>>> from seqbench.batch import Batch
>>> from seqbench.spec import Classes, TaskSpec, Vector
>>> spec = TaskSpec("one_to_one", Vector(2), Classes(2), "accuracy")
>>> batch = Batch(inputs=torch.zeros(2, 2), targets=torch.tensor([0, 1]))
>>> logits = torch.tensor([[2.0, 0.0], [3.0, 0.0]])  # predicts class 0 twice
>>> summarize(spec, collect(spec, logits, batch))["accuracy"]
0.5
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from seqbench.batch import Batch
from seqbench.spec import Real, TaskSpec

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
def collect(spec: TaskSpec, output: torch.Tensor, batch: Batch) -> dict[str, np.ndarray]:
    """Flat records of one batch: ``example_*`` arrays are (B,), ``token_*`` arrays (N,)."""
    output = output.float()
    if isinstance(spec.output, Real):
        err = (output.reshape(-1) - batch.targets.reshape(-1)) ** 2  # (B,)
        return {"example_sq_error": err.cpu().numpy(), **_lengths(batch)}
    if batch.target_mask is None:  # (B, K)
        nll = F.cross_entropy(output, batch.targets, reduction="none")
        pred = output.argmax(-1)
        return {
            "example_correct": (pred == batch.targets).cpu().numpy(),
            "example_nll": nll.cpu().numpy(),
            "token_pred": pred.cpu().numpy(),
            "token_true": batch.targets.cpu().numpy(),
            **_lengths(batch),
        }
    mask = batch.target_mask  # (B, T)
    targets = batch.targets
    nll = F.cross_entropy(output.transpose(1, 2), targets, reduction="none")  # (B, T)
    pred = output.argmax(-1)  # (B, T)
    hit = (pred == targets) & mask
    counts = mask.sum(1).clamp(min=1)
    return {
        "example_token_accuracy": (hit.sum(1) / counts).cpu().numpy(),
        "example_correct": (hit.sum(1) == mask.sum(1)).cpu().numpy(),
        "example_nll": ((nll * mask).sum(1) / counts).cpu().numpy(),
        "example_tokens": mask.sum(1).cpu().numpy(),
        "token_pred": pred[mask].cpu().numpy(),
        "token_true": targets[mask].cpu().numpy(),
        "token_nll": nll[mask].cpu().numpy(),
        **_lengths(batch),
    }


def _lengths(batch: Batch) -> dict[str, np.ndarray]:
    return {} if batch.lengths is None else {"example_length": batch.lengths.cpu().numpy()}


def concat(records: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Join the records of several batches."""
    return {key: np.concatenate([r[key] for r in records]) for key in records[0]}


def summarize(spec: TaskSpec, records: dict[str, np.ndarray]) -> dict[str, float]:
    """Metrics of one split from its concatenated records."""
    if isinstance(spec.output, Real):
        return {"mse": float(records["example_sq_error"].mean())}
    if "token_nll" not in records:  # one label per example
        return {
            "accuracy": float(records["example_correct"].mean()),
            "cross_entropy": float(records["example_nll"].mean()),
        }
    ce = float(records["token_nll"].mean())
    values = {
        spec.accuracy_metric: lambda: float((records["token_pred"] == records["token_true"]).mean()),
        "sequence_accuracy": lambda: float(records["example_correct"].mean()),
        "cross_entropy": lambda: ce,
        "bits_per_char": lambda: ce / math.log(2),
        "perplexity": lambda: math.exp(min(ce, 700.0)),
        "macro_f1": lambda: _macro_f1(records["token_true"], records["token_pred"]),
    }
    return {name: values[name]() for name in spec.metric_names}


def _macro_f1(true: np.ndarray, pred: np.ndarray) -> float:
    from sklearn.metrics import f1_score  # imported here: sklearn takes seconds to import

    return float(f1_score(true, pred, labels=np.unique(true), average="macro", zero_division=0))


def example_scores(spec: TaskSpec, records: dict[str, np.ndarray]) -> tuple[str, np.ndarray]:
    """The per-example score behind accuracy-by-length: (its metric name, values (B,))."""
    if isinstance(spec.output, Real):
        return "mse", records["example_sq_error"]
    if spec.primary_metric == "bits_per_char":
        return "bits_per_char", records["example_nll"] / math.log(2)
    if "example_token_accuracy" in records:
        return spec.accuracy_metric, records["example_token_accuracy"]
    return "accuracy", records["example_correct"].astype(float)


def by_length(spec: TaskSpec, records: dict[str, np.ndarray]) -> dict[str, object] | None:
    """Mean per-example score for each input length: ``{"metric": ..., "values": {L: v}}``."""
    if "example_length" not in records:
        return None
    name, scores = example_scores(spec, records)
    lengths = records["example_length"]
    values = {int(L): float(scores[lengths == L].mean()) for L in np.unique(lengths)}
    return {"metric": name, "values": values}
