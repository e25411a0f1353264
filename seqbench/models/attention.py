"""Additive attention (Bahdanau, Cho and Bengio 2015) for recurrent encoder-decoders.

Without attention a decoder sees the input only through the encoder's final state, one
fixed-size vector however long the input. With it, every decoding step scores each encoder
state ``h_j`` against the decoder's previous state ``s``::

    score(s, h_j) = v^T tanh(W_s s + W_h h_j + b)        a = softmax_j(score)  (padding excluded)
    context = sum_j a_j h_j

and reads the weighted sum of encoder states as its context for that step.

>>> import torch
>>> attend = AdditiveAttention(query_size=4, key_size=6, size=5)
>>> memory = attend.memory(torch.randn(2, 3, 6), torch.tensor([3, 1]))
>>> context, weights = attend(torch.randn(2, 4), memory)
>>> tuple(context.shape), weights[1].tolist()[1:]  # the second example has one real step
((2, 6), [0.0, 0.0])
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn


@dataclass
class Memory:
    """What a decoder attends over: encoder states, their projections and the padding mask."""

    keys: torch.Tensor  # (B, S, K) encoder outputs
    projected: torch.Tensor  # (B, S, A) W_h h_j + b, computed once per input
    mask: torch.Tensor  # (B, S) True at real steps


class AdditiveAttention(nn.Module):
    def __init__(self, query_size: int, key_size: int, size: int) -> None:
        super().__init__()
        self.query = nn.Linear(query_size, size, bias=False)
        self.key = nn.Linear(key_size, size)
        self.score = nn.Linear(size, 1, bias=False)
        self.output_size = key_size

    def memory(self, keys: torch.Tensor, lengths: torch.Tensor | None) -> Memory:
        """Prepare encoder outputs (B, S, K) with true ``lengths`` (B,) for attending."""
        steps = keys.shape[1]
        if lengths is None:
            mask = torch.ones(keys.shape[:2], dtype=torch.bool, device=keys.device)
        else:
            mask = torch.arange(steps, device=keys.device)[None, :] < lengths.to(keys.device)[:, None]
        return Memory(keys, self.key(keys), mask)

    def forward(self, query: torch.Tensor, memory: Memory) -> tuple[torch.Tensor, torch.Tensor]:
        """query (B, Q) -> context (B, K) and attention weights (B, S) (zero at padding)."""
        energy = torch.tanh(memory.projected + self.query(query)[:, None, :])  # (B, S, A)
        scores = self.score(energy).squeeze(-1).masked_fill(~memory.mask, float("-inf"))  # (B, S)
        weights = torch.softmax(scores, dim=-1)  # (B, S)
        context = torch.bmm(weights[:, None, :], memory.keys).squeeze(1)  # (B, K)
        return context, weights
