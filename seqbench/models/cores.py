"""Recurrent cores: torch's fused RNN/LSTM/GRU, and a sigmoid RNN torch does not offer.

Every core maps inputs ``x`` (B, T, I) with true ``lengths`` (B,) to per-step outputs
(B, T, D*H) (zero at padding) and a final state (L*D, B, H) (a pair for the LSTM), where
D is 2 for bidirectional cores and L the number of stacked layers. The final state of each
example is taken at its own length, never at padding.

The lecture's recurrence, for the sigmoid cell: ``H_t = sigmoid(X_t W_xh + H_{t-1} W_hh + b_h)``.

>>> import torch
>>> core = RecurrentCore("sigmoid", input_size=3, hidden_size=4, bidirectional=True)
>>> out, h = core(torch.randn(2, 5, 3), torch.tensor([5, 2]))
>>> tuple(out.shape), tuple(h.shape)
((2, 5, 8), (2, 2, 4))
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

CELLS = ("tanh", "relu", "sigmoid", "lstm", "gru")

State = torch.Tensor | tuple[torch.Tensor, torch.Tensor]


class SigmoidRNN(nn.Module):
    """An Elman RNN with a logistic-sigmoid recurrence, laid out like ``nn.RNN``.

    Parameters carry ``nn.RNN``'s names (``weight_hh_l0``, ``weight_hh_l0_reverse``, ...) and
    initialisation, so probes and parameter counts treat both alike. The input projection of
    all steps is one matrix product; only the recurrence runs step by step.
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bidirectional: bool = False, dropout: float = 0.0) -> None:
        super().__init__()
        self.hidden_size, self.num_layers = hidden_size, num_layers
        self.directions = 2 if bidirectional else 1
        self.dropout = dropout
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else hidden_size * self.directions
            for suffix in ("", "_reverse")[: self.directions]:
                self.register_parameter(f"weight_ih_l{layer}{suffix}", nn.Parameter(torch.empty(hidden_size, layer_input)))
                self.register_parameter(f"weight_hh_l{layer}{suffix}", nn.Parameter(torch.empty(hidden_size, hidden_size)))
                self.register_parameter(f"bias_ih_l{layer}{suffix}", nn.Parameter(torch.empty(hidden_size)))
                self.register_parameter(f"bias_hh_l{layer}{suffix}", nn.Parameter(torch.empty(hidden_size)))
        bound = 1 / math.sqrt(hidden_size)
        for p in self.parameters():
            nn.init.uniform_(p, -bound, bound)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None,
                h0: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        batch, steps, _ = x.shape
        if lengths is None:
            lengths = torch.full((batch,), steps, dtype=torch.long)
        lengths = lengths.to(x.device)
        valid = (torch.arange(steps, device=x.device)[None, :] < lengths[:, None])  # (B, T)
        # reversing each sequence inside its own length: t -> len - 1 - t, padding stays put
        t = torch.arange(steps, device=x.device)[None, :]
        flip = torch.where(valid, lengths[:, None] - 1 - t, t)  # (B, T)
        finals = []
        layer_input = x
        for layer in range(self.num_layers):
            outs = []
            for d, suffix in enumerate(("", "_reverse")[: self.directions]):
                w_ih = getattr(self, f"weight_ih_l{layer}{suffix}")
                w_hh = getattr(self, f"weight_hh_l{layer}{suffix}")
                bias = getattr(self, f"bias_ih_l{layer}{suffix}") + getattr(self, f"bias_hh_l{layer}{suffix}")
                seq = layer_input if d == 0 else _gather_steps(layer_input, flip)
                projected = torch.addmm(bias, seq.reshape(batch * steps, -1), w_ih.t()).view(batch, steps, -1)
                h = (h0[layer * self.directions + d] if h0 is not None
                     else x.new_zeros(batch, self.hidden_size))  # (B, H)
                out, h = _sigmoid_recurrence(projected, w_hh, valid, h)
                outs.append(out if d == 0 else _gather_steps(out, flip))
                finals.append(h)
            layer_input = torch.cat(outs, dim=-1)  # (B, T, D*H)
            if self.dropout and self.training and layer < self.num_layers - 1:
                layer_input = nn.functional.dropout(layer_input, self.dropout)
        return layer_input, torch.stack(finals)  # (B, T, D*H), (L*D, B, H)


def _sigmoid_recurrence(projected: torch.Tensor, w_hh: torch.Tensor, valid: torch.Tensor,
                        h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Run ``h = sigmoid(x_t + h W_hh^T)`` over T steps; state frozen and output 0 past each length."""
    steps = projected.shape[1]
    outputs = []
    w_hh_t = w_hh.t()
    for t in range(steps):
        new = torch.sigmoid(torch.addmm(projected[:, t], h, w_hh_t))  # (B, H)
        keep = valid[:, t, None]  # (B, 1)
        h = torch.where(keep, new, h)
        outputs.append(new * keep)
    return torch.stack(outputs, dim=1), h  # (B, T, H), (B, H)


def _gather_steps(x: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """``x[b, index[b, t]]`` for every b, t: x (B, T, F), index (B, T)."""
    return x.gather(1, index[:, :, None].expand(-1, -1, x.shape[-1]))


class RecurrentCore(nn.Module):
    """One recurrent stack of any cell, with length-aware final states."""

    def __init__(self, cell: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 bidirectional: bool = False, dropout: float = 0.0) -> None:
        super().__init__()
        if cell not in CELLS:
            raise ValueError(f"cell={cell!r}: must be one of {', '.join(CELLS)}")
        self.cell, self.hidden_size, self.num_layers = cell, hidden_size, num_layers
        self.directions = 2 if bidirectional else 1
        dropout = dropout if num_layers > 1 else 0.0  # torch warns about dropout on one layer
        common = dict(num_layers=num_layers, bidirectional=bidirectional, dropout=dropout, batch_first=True)
        if cell == "sigmoid":
            self.rnn = SigmoidRNN(input_size, hidden_size, num_layers, bidirectional, dropout)
        elif cell in ("tanh", "relu"):
            self.rnn = nn.RNN(input_size, hidden_size, nonlinearity=cell, **common)
        else:
            self.rnn = {"lstm": nn.LSTM, "gru": nn.GRU}[cell](input_size, hidden_size, **common)

    @property
    def output_size(self) -> int:
        return self.hidden_size * self.directions

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None,
                state: State | None = None) -> tuple[torch.Tensor, State]:
        """x (B, T, I) -> outputs (B, T, D*H), final state (L*D, B, H) [pair for LSTM]."""
        if self.cell == "sigmoid":
            return self.rnn(x, lengths, state)
        steps = x.shape[1]
        if lengths is None or bool((lengths == steps).all()):
            return self.rnn(x, state)
        packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
        out, state = self.rnn(packed, state)
        out, _ = pad_packed_sequence(out, batch_first=True, total_length=steps)
        return out, state

    def top_state(self, state: State) -> torch.Tensor:
        """The last layer's final hidden state, directions concatenated: (B, D*H)."""
        h = state[0] if isinstance(state, tuple) else state  # (L*D, B, H)
        h = h.view(self.num_layers, self.directions, h.shape[1], h.shape[2])[-1]  # (D, B, H)
        return torch.cat(list(h), dim=-1)
