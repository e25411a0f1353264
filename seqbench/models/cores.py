"""Recurrent cores: torch's fused RNN/LSTM/GRU, and the sigmoid RNN run on torch's fused tanh RNN.

Every core maps inputs ``x`` (B, T, I) with true ``lengths`` (B,) to per-step outputs
(B, T, D*H) (zero at padding) and a final state (L*D, B, H) (a pair for the LSTM), where
D is 2 for bidirectional cores and L the number of stacked layers. The final state of each
example is taken at its own length, never at padding.

The lecture's recurrence, for the sigmoid cell: ``H_t = sigmoid(X_t W_xh + H_{t-1} W_hh + b_h)``.
torch has no such cell; :class:`~seqbench.models.sigmoid_rnn.SigmoidRNN` runs it on ``nn.RNN``'s
tanh kernels through sigmoid(z) = (1 + tanh(z / 2)) / 2, from its own parameters.

>>> import torch
>>> core = RecurrentCore("sigmoid", input_size=3, hidden_size=4, bidirectional=True)
>>> out, h = core(torch.randn(2, 5, 3), torch.tensor([5, 2]))
>>> tuple(out.shape), tuple(h.shape)
((2, 5, 8), (2, 2, 4))
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from seqbench.models.sigmoid_rnn import SigmoidRNN

CELLS = ("tanh", "relu", "sigmoid", "lstm", "gru")

State = torch.Tensor | tuple[torch.Tensor, torch.Tensor]

__all__ = ["CELLS", "RecurrentCore", "SigmoidRNN", "State", "make_core"]


def make_core(cell: str | Callable[..., nn.Module], input_size: int, hidden_size: int, num_layers: int = 1, bidirectional: bool = False,
              dropout: float = 0.0) -> nn.Module:
    """The core the adapters run: a :class:`RecurrentCore` for a cell name in :data:`CELLS`, else
    whatever the callable ``cell`` builds from the same arguments (the modern families pass a
    :class:`~seqbench.models.modern_core.ModernCell`).

    Every core has ``forward(x, lengths, state) -> (outputs, state)``, ``output_size``,
    ``num_layers``, ``directions``, ``top_state(state)`` (B, D*H), ``layer_states(state)``
    (L*D, B, H) and ``initial_state(h, c=None)`` (a decoder's state from bridged vectors).
    """
    if isinstance(cell, str):
        return RecurrentCore(cell, input_size, hidden_size, num_layers, bidirectional, dropout)
    return cell(input_size, hidden_size, num_layers, bidirectional, dropout)


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
        h = self.layer_states(state)  # (L*D, B, H)
        h = h.view(self.num_layers, self.directions, h.shape[1], h.shape[2])[-1]  # (D, B, H)
        return torch.cat(list(h), dim=-1)

    def layer_states(self, state: State) -> torch.Tensor:
        """Every layer's and direction's final hidden state (the LSTM's h, not c): (L*D, B, H)."""
        return state[0] if isinstance(state, tuple) else state

    def initial_state(self, h: torch.Tensor, c: torch.Tensor | None = None) -> State:
        """A decoder's starting state from hidden states h (L, B, H) (and for the LSTM cells c, else zeros)."""
        if self.cell == "lstm":
            return h, (c if c is not None else torch.zeros_like(h))
        return h
