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
    all steps is one matrix product; only the recurrence runs step by step, with a hand-written
    backward pass (:class:`_SigmoidScan`) that makes it faster than torch's fused ``nn.RNN`` on
    CPU (``bench/run.py``, figure ``sigmoid_vs_fused``).
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
        if lengths is not None and bool((lengths == steps).all()):
            lengths = None
        if lengths is None:  # every sequence is full: no masking, no gathering
            valid = flip = None
        else:
            lengths = lengths.to(x.device)
            t = torch.arange(steps, device=x.device)[None, :]
            valid = t < lengths[:, None]  # (B, T)
            # reversing each sequence inside its own length: t -> len - 1 - t, padding stays put
            flip = torch.where(valid, lengths[:, None] - 1 - t, t)  # (B, T)
        finals = []
        layer_input = x
        for layer in range(self.num_layers):
            outs = []
            for d, suffix in enumerate(("", "_reverse")[: self.directions]):
                w_ih = getattr(self, f"weight_ih_l{layer}{suffix}")
                w_hh = getattr(self, f"weight_hh_l{layer}{suffix}")
                bias = getattr(self, f"bias_ih_l{layer}{suffix}") + getattr(self, f"bias_hh_l{layer}{suffix}")
                if d == 0:
                    seq = layer_input
                else:
                    seq = layer_input.flip(1) if flip is None else _gather_steps(layer_input, flip)
                # time-major (T, B, I) so that every step of the recurrence reads contiguous rows
                seq = seq.transpose(0, 1).reshape(steps * batch, -1)
                projected = torch.addmm(bias, seq, w_ih.t()).view(steps, batch, -1)  # (T, B, H)
                h = (h0[layer * self.directions + d] if h0 is not None
                     else x.new_zeros(batch, self.hidden_size))  # (B, H)
                out, h = _sigmoid_recurrence(projected, w_hh, lengths, valid, h)
                if d == 1:
                    out = out.flip(1) if flip is None else _gather_steps(out, flip)
                outs.append(out)
                finals.append(h)
            layer_input = torch.cat(outs, dim=-1)  # (B, T, D*H)
            if self.dropout and self.training and layer < self.num_layers - 1:
                layer_input = nn.functional.dropout(layer_input, self.dropout)
        return layer_input, torch.stack(finals)  # (B, T, D*H), (L*D, B, H)


def _sigmoid_recurrence(projected: torch.Tensor, w_hh: torch.Tensor, lengths: torch.Tensor | None,
                        valid: torch.Tensor | None, h0: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Outputs (B, T, H), zero past each length, and the state (B, H) at each example's length.

    The recurrence runs over every step, padding included: a step only depends on earlier
    ones, so what happens past an example's length never reaches its outputs or its final
    state, which are masked and gathered afterwards (lengths 0 keep ``h0``).
    """
    out = _SigmoidScan.apply(projected, w_hh, h0)  # (T, B, H)
    if lengths is None:
        return out.transpose(0, 1), out[-1]
    last = (lengths - 1).clamp(min=0)
    final = torch.where((lengths > 0)[:, None], out[last, torch.arange(out.shape[1], device=out.device)], h0)
    return out.transpose(0, 1) * valid[:, :, None], final


class _SigmoidScan(torch.autograd.Function):
    """``h_t = sigmoid(a_t + h_{t-1} W_hh^T)`` for t = 1..T, with a hand-written backward pass.

    Autograd would record four operations per step and replay them one by one; here the
    forward pass is two in-place operations per step, and the backward pass three, plus one
    matrix product for the whole gradient of ``W_hh``. Time-major: ``a`` is (T, B, H).
    """

    @staticmethod
    def forward(ctx, a: torch.Tensor, w_hh: torch.Tensor, h0: torch.Tensor) -> torch.Tensor:
        ctx.dtypes = w_hh.dtype, h0.dtype
        with torch.autocast(a.device.type, enabled=False):  # runs in a's precision (fp16 under AMP)
            w_hh, h0 = w_hh.to(a.dtype), h0.to(a.dtype)
            out = torch.empty_like(a, memory_format=torch.contiguous_format)  # (T, B, H)
            h, w_t = h0, w_hh.t()
            for t in range(a.shape[0]):
                h = torch.addmm(a[t], h, w_t, out=out[t]).sigmoid_()
        ctx.save_for_backward(w_hh, h0, out)
        return out

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad_out: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor | None]:
        w_hh, h0, out = ctx.saved_tensors
        steps, batch, hidden = out.shape
        grad_out = grad_out.to(out.dtype)
        slope = torch.addcmul(out, out, out, value=-1)  # sigmoid'(a_t) = h_t (1 - h_t), (T, B, H)
        grad_a = torch.empty_like(out)
        grad_h = torch.zeros_like(h0)  # gradient reaching h_t from step t + 1
        for t in range(steps - 1, -1, -1):
            g = torch.add(grad_out[t], grad_h, out=grad_a[t]).mul_(slope[t])
            grad_h = g.mm(w_hh)
        grad_w = None
        if ctx.needs_input_grad[1]:  # sum over t of grad_a_t^T h_{t-1}, as two matrix products
            grad_w = grad_a[0].t().mm(h0)
            if steps > 1:
                grad_w = grad_w.addmm_(grad_a[1:].reshape(-1, hidden).t(), out[:-1].reshape(-1, hidden))
            grad_w = grad_w.to(ctx.dtypes[0])
        return grad_a, grad_w, grad_h.to(ctx.dtypes[1])


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
