"""A batch of examples as tensors, shaped by the task's kind.

==============  =============================  =========================  ==================
kind            inputs                         targets                    target_mask
==============  =============================  =========================  ==================
many_to_one     (B, T) long or (B, T, F)       (B,) long or (B,) float    None
one_to_one      (B, F) float                   (B,) long                  None
one_to_many     (B, F) float                   (B, T_out) long, EOS       (B, T_out) bool
seq2seq         (B, T) long                    (B, T_out) long, EOS       (B, T_out) bool
tagging         (B, T) long                    (B, T) long                (B, T) bool
lm              (B, T) long                    (B, T) long (next symbol)  (B, T) bool
==============  =============================  =========================  ==================

``lengths`` holds each example's true input length (B,), or None when inputs are not
sequences. Padding is index 0 (``PAD``) for token inputs and zeros for vector inputs.

>>> import torch
>>> b = Batch(inputs=torch.tensor([[1, 2, 0]]), targets=torch.tensor([1]),
...           lengths=torch.tensor([2]))
>>> b.size
1
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, fields, replace
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # a Batch holds tensors, but describing tasks must not import torch
    import torch


@dataclass
class Batch:
    inputs: torch.Tensor
    targets: torch.Tensor
    lengths: torch.Tensor | None = None
    target_mask: torch.Tensor | None = None

    @property
    def size(self) -> int:
        return int(self.inputs.shape[0])

    def to(self, device: torch.device | str) -> Batch:
        return replace(self, **{f.name: getattr(self, f.name).to(device) for f in fields(self)
                                if getattr(self, f.name) is not None})

    def slice(self, start: int, stop: int, aligned: bool = False) -> Batch:
        """Examples ``start:stop``, trimmed to the longest input/target they contain.

        ``aligned`` (the spec's ``aligned_output``: tagging, lm) trims targets with the inputs,
        since they share the time axis.

        >>> import torch
        >>> b = Batch(torch.tensor([[1, 2, 0], [1, 0, 0]]), torch.tensor([[3, 4, 0], [3, 0, 0]]),
        ...           torch.tensor([2, 1]), torch.tensor([[1, 1, 0], [1, 0, 0]]).bool())
        >>> tuple(b.slice(1, 2, aligned=True).targets.shape)
        (1, 1)
        """
        part = {f.name: (v[start:stop] if (v := getattr(self, f.name)) is not None else None)
                for f in fields(self)}
        if part["lengths"] is not None and part["inputs"].dim() >= 2:
            longest = int(part["lengths"].max())
            part["inputs"] = part["inputs"][:, :longest]
            if aligned:  # (B, T) targets on the input's time axis
                part["targets"] = part["targets"][:, :longest]
                part["target_mask"] = part["target_mask"][:, :longest]
        if part["target_mask"] is not None and not aligned:  # aligned targets keep the input's width
            keep = int(part["target_mask"].any(0).nonzero().max()) + 1 if part["target_mask"].any() else 1
            part["targets"] = part["targets"][:, :keep]
            part["target_mask"] = part["target_mask"][:, :keep]
        return Batch(**part)

    def numpy(self) -> dict[str, np.ndarray]:
        """The batch as plain numpy arrays (for export and fingerprints)."""
        return {f.name: getattr(self, f.name).cpu().numpy() for f in fields(self)
                if getattr(self, f.name) is not None}

    def fingerprint(self) -> str:
        """A short content hash: same data, same fingerprint, on any machine."""
        digest = hashlib.sha256()
        for name, array in sorted(self.numpy().items()):
            array = np.ascontiguousarray(array)
            digest.update(f"{name}:{array.dtype.str}:{array.shape}".encode())
            digest.update(array.tobytes())
        return digest.hexdigest()[:16]


def count_tokens(batch: Batch) -> int:
    """Input steps in a batch (true lengths, not padding), for throughput figures."""
    if batch.lengths is not None:
        return int(batch.lengths.sum())
    if batch.target_mask is not None:
        return int(batch.target_mask.sum())
    return batch.size


def take_rows(batch: Batch, index: np.ndarray, aligned: bool, lengths: np.ndarray | None = None) -> Batch:
    """Rows ``index`` of one batch, trimmed to the longest input (and target) they hold (numpy indexing:
    cheaper than torch's on a training batch); ``lengths``: the batch's lengths as numpy, if at hand.

    >>> import torch
    >>> b = Batch(torch.tensor([[1, 2, 0], [1, 0, 0]]), torch.tensor([1, 0]), torch.tensor([2, 1]))
    >>> take_rows(b, np.array([1]), aligned=False).inputs.tolist()
    [[1]]
    >>> concat_rows([(b, np.array([1])), (b, np.array([0]))], aligned=False).inputs.tolist()
    [[1, 0], [1, 2]]
    """
    import torch

    if lengths is None and batch.lengths is not None:
        lengths = batch.lengths.numpy()

    def take(tensor, width: int | None = None):
        picked = tensor.numpy()[index]
        return torch.from_numpy(picked if width is None else np.ascontiguousarray(picked[:, :width]))

    width = None
    if lengths is not None and batch.inputs.dim() >= 2:
        width = int(lengths[index].max()) if len(index) else 0
    mask, keep = batch.target_mask, None
    if mask is not None:
        mask = mask.numpy()[index]
        if aligned:
            keep = width if width is not None else mask.shape[1]
        else:
            used = np.flatnonzero(mask.any(0))
            keep = int(used[-1]) + 1 if len(used) else 1
        mask = torch.from_numpy(np.ascontiguousarray(mask[:, :keep]))
    elif aligned and width is not None:
        keep = width
    return Batch(inputs=take(batch.inputs, width), targets=take(batch.targets, keep),
                 lengths=None if batch.lengths is None else take(batch.lengths), target_mask=mask)


def concat_rows(parts: list[tuple[Batch, np.ndarray]], aligned: bool) -> Batch:
    """Rows ``index`` of each batch, in order, as one batch padded (then trimmed) to the longest."""
    import torch

    chosen = [(b, torch.from_numpy(np.asarray(i, dtype=np.int64))) for b, i in parts]
    out = {}
    for name in ("inputs", "targets", "lengths", "target_mask"):
        pieces = [getattr(b, name) for b, _ in chosen]
        if pieces[0] is None:
            out[name] = None
            continue
        pieces = [p[i] for p, (_, i) in zip(pieces, chosen)]
        if pieces[0].dim() >= 2 and len(pieces) > 1:
            width = max(p.shape[1] for p in pieces)
            padded = []
            for p in pieces:
                wide = p.new_zeros((p.shape[0], width) + tuple(p.shape[2:]))
                wide[:, : p.shape[1]] = p
                padded.append(wide)
            pieces = padded
        out[name] = torch.cat(pieces) if len(pieces) > 1 else pieces[0]
    batch = Batch(**out)
    return batch.slice(0, batch.size, aligned=aligned)
