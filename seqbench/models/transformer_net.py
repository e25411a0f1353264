"""The ``transformer`` family's network (declared in :mod:`seqbench.models.transformer`,
which describes it per kind and imports this module when it builds one).
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

from seqbench.core.batch import Batch
from seqbench.models.adapters import output_size
from seqbench.models.hooks import ForcedLengthSwitch, forbid_eos
from seqbench.core.spec import Real, TaskSpec, Tokens


def sinusoidal_positions(steps: int, size: int, device: torch.device | None = None) -> torch.Tensor:
    """(steps, size): sin on even features, cos on odd, wavelengths 2 pi .. 10000 x 2 pi.

    >>> p = sinusoidal_positions(50, 6)
    >>> tuple(p.shape), p[0].tolist()[:2], bool(p.abs().max() <= 1)
    ((50, 6), [0.0, 1.0], True)
    """
    position = torch.arange(steps, dtype=torch.float32, device=device)[:, None]  # (T, 1)
    rate = torch.exp(torch.arange(0, size, 2, dtype=torch.float32, device=device) * (-math.log(10_000.0) / size))
    angles = position * rate[None, :]  # (T, ceil(size / 2))
    table = torch.stack([angles.sin(), angles.cos()], dim=-1).flatten(1)  # (T, 2 ceil(size / 2))
    return table[:, :size]


class Stem(nn.Module):
    """Inputs -> (B, T, d) vectors with positions: token embeddings, or projected feature steps."""

    def __init__(self, space: Any, d_model: int, embedding_size: int | None, dropout: float, extra: int = 0) -> None:
        super().__init__()
        if isinstance(space, Tokens) or extra:
            width = embedding_size or d_model
            self.embed: nn.Module = nn.Embedding(space.size + extra, width)  # extra: BOS for decoders
            self.project: nn.Module = nn.Linear(width, d_model) if width != d_model else nn.Identity()
        else:  # real-valued features per step
            self.embed, self.project = nn.Identity(), nn.Linear(space.size, d_model)
        self.dropout = nn.Dropout(dropout)

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        x = self.project(self.embed(inputs))  # (B, T, d)
        return self.dropout(x + sinusoidal_positions(x.shape[1], x.shape[2], x.device).to(x.dtype))


def _causal(steps: int, device: torch.device) -> torch.Tensor:
    """(T, T) bool: True where step i may not look (j > i)."""
    return torch.ones(steps, steps, dtype=torch.bool, device=device).triu(1)


def _padding(lengths: torch.Tensor | None, steps: int, device: torch.device) -> torch.Tensor | None:
    """(B, T) bool: True at padding (torch's key_padding_mask convention), or None."""
    if lengths is None:
        return None
    return torch.arange(steps, device=device)[None, :] >= lengths.to(device)[:, None]


class Transformer(ForcedLengthSwitch, nn.Module):
    """One class for every kind; ``kind`` picks masks, pooling and whether a decoder exists."""

    def __init__(self, spec: TaskSpec, hidden_size: int, embedding_size: int | None, num_layers: int,
                 num_heads: int, ff_multiplier: int, dropout: float) -> None:
        super().__init__()
        self.kind, d = spec.kind, hidden_size
        layer = dict(d_model=d, nhead=num_heads, dim_feedforward=ff_multiplier * d, dropout=dropout,
                     batch_first=True, norm_first=True)
        self.decoding, self.aligned = spec.is_decoder_output, spec.aligned_output
        if spec.kind == "one_to_many":  # the input vector becomes one memory step
            self.memory = nn.Linear(spec.input.size, d)
        else:
            self.stem = Stem(spec.input, d, embedding_size, dropout)
            self.encoder = nn.TransformerEncoder(nn.TransformerEncoderLayer(**layer), num_layers,
                                                 norm=nn.LayerNorm(d), enable_nested_tensor=False)
        if self.decoding:
            self.bos = spec.output.size  # one index past the output vocabulary
            self.target_stem = Stem(spec.output, d, embedding_size, dropout, extra=1)
            self.decoder = nn.TransformerDecoder(nn.TransformerDecoderLayer(**layer), num_layers, norm=nn.LayerNorm(d))
        self.head = nn.Linear(d, output_size(spec))
        self.regression = isinstance(spec.output, Real)

    def encode(self, batch: Batch) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Memory (B, S, d) and its padding mask (B, S) (True at padding) or None."""
        if self.kind == "one_to_many":
            return self.memory(batch.inputs.to(self.memory.weight.dtype))[:, None, :], None  # (B, 1, d)
        inputs = batch.inputs[:, None, :] if self.kind == "one_to_one" else batch.inputs  # (B, T, ...)
        steps = inputs.shape[1]
        padding = _padding(batch.lengths, steps, inputs.device)
        causal = _causal(steps, inputs.device) if self.kind == "lm" else None
        return self.encoder(self.stem(inputs), mask=causal, src_key_padding_mask=padding), padding

    def forward(self, batch: Batch) -> torch.Tensor:
        memory, padding = self.encode(batch)  # (B, S, d)
        if self.decoding:
            return self.decode(memory, padding, batch)
        if self.aligned:  # one output per input step (tagging, lm)
            return self.head(memory)  # (B, T, K)
        if padding is None:
            pooled = memory.mean(1)
        else:
            keep = (~padding)[:, :, None].to(memory.dtype)  # (B, T, 1)
            pooled = (memory * keep).sum(1) / keep.sum(1).clamp(min=1)  # (B, d)
        out = self.head(pooled)  # (B, K)
        return out.squeeze(-1) if self.regression else out

    def _step_logits(self, previous: torch.Tensor, memory: torch.Tensor, padding: torch.Tensor | None) -> torch.Tensor:
        """previous tokens (B, t) -> logits (B, t, V), step i seeing tokens <= i only."""
        x = self.target_stem(previous)  # (B, t, d)
        out = self.decoder(x, memory, tgt_mask=_causal(x.shape[1], x.device), memory_key_padding_mask=padding)
        return self.head(out)

    def decode(self, memory: torch.Tensor, padding: torch.Tensor | None, batch: Batch) -> torch.Tensor:
        steps = batch.targets.shape[1]  # the padded target width: a shape, never values
        bos = torch.full((memory.shape[0], 1), self.bos, dtype=torch.long, device=memory.device)
        if self.training:  # teacher forcing, every step at once
            return self._step_logits(torch.cat([bos, batch.targets[:, : steps - 1]], dim=1), memory, padding)
        tokens, logits = bos, []
        for _ in range(steps):  # greedy: each step reads the model's own previous choices
            step = forbid_eos(self._step_logits(tokens, memory, padding)[:, -1], self.forbid_eos)  # (B, V)
            logits.append(step)
            tokens = torch.cat([tokens, step.argmax(-1, keepdim=True)], dim=1)
        return torch.stack(logits, dim=1)  # (B, steps, V)
