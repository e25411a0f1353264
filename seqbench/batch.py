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
