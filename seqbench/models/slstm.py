"""sLSTM (Beck et al. 2024, "xLSTM: Extended Long Short-Term Memory"): exponential gating and memory mixing.

The cell (the paper's eqs. 8-17, with its stabiliser), for pre-activations
``g~ = W x_t + R h_{t-1} + b`` of the gates i, f, z, o:

    c_t = f_t c_{t-1} + i_t z_t                      cell state
    n_t = f_t n_{t-1} + i_t                          normaliser state
    h_t = o_t c_t / n_t                              hidden state
    z_t = tanh(z~_t),  o_t = sigmoid(o~_t),  i_t = exp(i~_t),  f_t = sigmoid(f~_t)

Exponential input gates overflow, so the cell keeps a stabiliser state
``m_t = max(log f_t + m_{t-1}, i~_t)`` and uses ``i'_t = exp(i~_t - m_t)`` and
``f'_t = exp(log f_t + m_{t-1} - m_t)`` in place of ``i_t`` and ``f_t``: ``c`` and ``n`` are
then both scaled by ``exp(-m_t)``, so ``h = c / n`` is unchanged. From a fresh state
(``n = 0``) the first step takes ``m = i~`` (as xLSTM's reference code does).

**Memory mixing**: ``R`` is block-diagonal with ``num_heads`` blocks, so each head's gates read
that head's previous hidden state; the nonlinear recurrence through ``h`` (not only through
``c``) is what lets the sLSTM track state, parity included, where a linear recurrence with
positive factors cannot. The cell is truly recurrent: it runs step by step (there is no
parallel path to compare).

The block around the cell follows the paper's sLSTM block: the hidden states are normalised
per head (group norm); the gated feed-forward network after it (projection factor 4/3, GELU)
is :class:`GatedMLP`, added by :class:`~seqbench.models.modern_core.ModernCore` as a second
residual branch. xLSTM's optional causal convolution in front of the i and f gates is left out.
The state is ``(h, c, n, m)``, each (B, H); padding steps leave it unchanged.

>>> import torch
>>> torch.manual_seed(0) and None
>>> cell = SLSTM(8, num_heads=2)
>>> y, (h, c, n, m) = cell(torch.randn(3, 5, 8))
>>> tuple(y.shape), tuple(h.shape), bool((n >= 1 - 1e-6).all())  # n >= 1 once a step has run
((3, 5, 8), (3, 8), True)
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn.functional import logsigmoid

from seqbench.models.scans import at_least_float32


class SLSTM(nn.Module):
    """The sLSTM cell of width ``size`` with ``num_heads`` heads, then a per-head group norm."""

    def __init__(self, size: int, num_heads: int = 4) -> None:
        super().__init__()
        if size % num_heads:
            raise ValueError(f"size={size} is not a multiple of num_heads={num_heads}")
        self.size, self.heads, self.head_size = size, num_heads, size // num_heads
        self.W = nn.Linear(size, 4 * size)  # input weights and biases of i, f, z, o (in that order)
        bound = 1 / math.sqrt(self.head_size)
        self.R = nn.Parameter(torch.empty(num_heads, self.head_size, 4 * self.head_size).uniform_(-bound, bound))
        with torch.no_grad():  # forget gates start open, spread over timescales (as xLSTM's initialisation)
            self.W.bias[size:2 * size] = torch.linspace(3.0, 6.0, size)
        self.norm = nn.GroupNorm(num_heads, size)

    def extra_repr(self) -> str:
        return f"size={self.size}, num_heads={self.heads}"

    def step(self, wx: torch.Tensor, state: tuple[torch.Tensor, ...]) -> tuple[torch.Tensor, ...]:
        """One step: wx (B, 4, H) the input part of the pre-activations; state (h, c, n, m) -> new state."""
        h, c, n, m = state
        batch = h.shape[0]
        mixed = torch.einsum("bkd,kdg->bkg", h.view(batch, self.heads, self.head_size), self.R)  # (B, K, 4 dh)
        mixed = mixed.view(batch, self.heads, 4, self.head_size).transpose(1, 2).reshape(batch, 4, self.size)
        i_raw, f_raw, z_raw, o_raw = (wx + mixed).unbind(1)
        log_f = logsigmoid(f_raw)
        fresh = n == 0
        m_new = torch.where(fresh, i_raw, torch.maximum(log_f + m, i_raw))
        i = torch.exp(i_raw - m_new)
        f = torch.exp(torch.where(fresh, float("-inf"), log_f + m - m_new))
        c = f * c + i * torch.tanh(z_raw)
        n = f * n + i
        return torch.sigmoid(o_raw) * c / n, c, n, m_new

    def forward(self, x: torch.Tensor, valid: torch.Tensor | None = None,
                state: tuple[torch.Tensor, ...] | None = None) -> tuple[torch.Tensor, tuple[torch.Tensor, ...]]:
        """x (B, T, H) -> per-head normalised hidden states (B, T, H), state (h, c, n, m) each (B, H)."""
        batch, steps, _ = x.shape
        wx = at_least_float32(self.W(x)).view(batch, steps, 4, self.size)  # (B, T, 4, H), all steps at once
        if state is None:
            state = tuple(wx.new_zeros(batch, self.size) for _ in range(4))
        else:
            state = tuple(at_least_float32(s) for s in state)
        hs = []
        keeps = valid.unbind(1) if valid is not None else [None] * steps
        for wx_t, keep in zip(wx.unbind(1), keeps):  # unbind: indexing's backward would be O(T^2)
            new = self.step(wx_t, state)
            if keep is not None:  # padding keeps the state
                new = tuple(torch.where(keep[:, None], s_new, s) for s_new, s in zip(new, state))
            state = new
            hs.append(state[0])
        h = torch.stack(hs, dim=1)  # (B, T, H)
        y = self.norm(h.reshape(batch * steps, self.size)).view(batch, steps, self.size)
        return y.to(x.dtype), state


class GatedMLP(nn.Module):
    """The sLSTM block's feed-forward part: ``W_down(GELU(W_1 x) * W_2 x)``, inner width 4/3 of ``size``."""

    def __init__(self, size: int, factor: float = 4 / 3) -> None:
        super().__init__()
        inner = max(1, round(factor * size))
        self.up = nn.Linear(size, 2 * inner)
        self.down = nn.Linear(inner, size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        first, second = self.up(x).chunk(2, dim=-1)
        return self.down(nn.functional.gelu(first) * second)
