"""A Mamba block (Gu and Dao 2023): a selective state-space model with gating and a short convolution.

The block, for an input ``u`` (B, T, H) and an inner width ``E = expand * H``:

    x, z = Linear(u)                                  two branches of width E
    x = SiLU(causal depthwise Conv1d_k(x))            the short convolution (k = conv_kernel)
    dt = softplus(Linear_dt(Linear(x)))               (B, T, E): a step size per channel and step
    B_t, C_t = Linear(x)                              (B, T, N) each: input-dependent
    a_t = exp(dt_t A)                                 A = -exp(A_log), diagonal (E, N)
    h_t = a_t * h_{t-1} + (dt_t x_t) B_t              (B, E, N) per step
    y_t = C_t . h_t + D * x_t
    out = Linear(y * SiLU(z))

with Mamba's initialisation: ``A = -[1, 2, ..., N]`` in every channel (S4D-real), ``D = 1``,
``dt`` initialised log-uniformly in ``[dt_min, dt_max]`` through the bias of ``Linear_dt``
(inverse softplus), ``dt_rank = ceil(H / 16)``.

**Eigenvalue range** (Grazzi et al. 2025, "Unlocking State-Tracking in Linear RNNs Through
Negative Eigenvalues"): with ``a = exp(dt A)`` every state-transition eigenvalue lies in
[0, 1], and such a linear RNN cannot track parity at arbitrary length. ``eigenvalue_min=-1``
uses their ``a = 2 exp(dt A) - 1`` in [-1, 1]; in general
``a = eigenvalue_min + (1 - eigenvalue_min) exp(dt A)`` spans [eigenvalue_min, 1].

A log-space scan needs positive factors, so ``scan="parallel"`` uses
:func:`~seqbench.models.scans.chunked_scan`, exact for any sign, on time blocks of at most
:data:`BLOCK` steps, the state carried from one to the next, so that (B, T, E, N) is never held
at once for long inputs; ``scan="sequential"`` steps through time (the reference), building
each step's factors as it goes, with the backward pass of
:func:`~seqbench.models.selective_scan.selective_scan` (written out: 1.4-1.9 x autograd's loop on one CPU
thread, ``bench/README.md``). The state is ``(h (B, E, N), conv (B, E, k - 1))``: the SSM state and the last
``k - 1`` inputs of the convolution, both taken at each example's last valid step.

>>> import torch
>>> torch.manual_seed(0) and None
>>> block = Mamba(8, state_size=4, eigenvalue_min=-1.0)
>>> y, (h, conv) = block(torch.randn(2, 5, 8))
>>> tuple(y.shape), tuple(h.shape), tuple(conv.shape)
((2, 5, 8), (2, 16, 4), (2, 16, 3))
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn.functional import silu, softplus

from seqbench.models.causal_conv import CausalConv1d
from seqbench.models.scans import SCANS, at_least_float32, chunked_scan, resolve_scan
from seqbench.models.selective_scan import selective_scan

#: the longest stretch of time whose (B, T, E, N) states are formed at once
BLOCK = 256


class Mamba(nn.Module):
    """One Mamba block of width ``size`` (see the module docstring for every symbol)."""

    def __init__(self, size: int, state_size: int = 16, expand: int = 2, conv_kernel: int = 4,
                 eigenvalue_min: float = 0.0, scan: str = "auto", dt_min: float = 0.001,
                 dt_max: float = 0.1) -> None:
        super().__init__()
        if scan not in SCANS:
            raise ValueError(f"scan={scan!r}: must be one of {', '.join(SCANS)}")
        if not -1.0 <= eigenvalue_min <= 0.0:
            raise ValueError(f"eigenvalue_min={eigenvalue_min}: must be in [-1, 0]")
        inner, rank = expand * size, math.ceil(size / 16)
        self.size, self.inner, self.state_size, self.rank = size, inner, state_size, rank
        self.kernel, self.eigenvalue_min, self.scan = conv_kernel, eigenvalue_min, scan
        self.in_proj = nn.Linear(size, 2 * inner, bias=False)
        self.conv = CausalConv1d(inner, conv_kernel)  # depthwise, causal
        self.x_proj = nn.Linear(inner, rank + 2 * state_size, bias=False)
        self.dt_proj = nn.Linear(rank, inner)
        nn.init.uniform_(self.dt_proj.weight, -rank ** -0.5, rank ** -0.5)
        dt = torch.exp(torch.rand(inner) * (math.log(dt_max) - math.log(dt_min)) + math.log(dt_min)).clamp(min=1e-4)
        with torch.no_grad():
            self.dt_proj.bias.copy_(dt + torch.log(-torch.expm1(-dt)))  # softplus(bias) = dt
        self.A_log = nn.Parameter(torch.log(torch.arange(1, state_size + 1, dtype=torch.float32)).repeat(inner, 1))
        self.D = nn.Parameter(torch.ones(inner))
        self.out_proj = nn.Linear(inner, size, bias=False)

    def extra_repr(self) -> str:
        return f"eigenvalue_min={self.eigenvalue_min}, scan={self.scan}"

    def transition(self, dt: torch.Tensor) -> torch.Tensor:
        """a = eigenvalue_min + (1 - eigenvalue_min) exp(dt A): (..., E) -> (..., E, N)."""
        a = torch.exp(dt[..., None] * -torch.exp(at_least_float32(self.A_log)))
        return a if self.eigenvalue_min == 0.0 else self.eigenvalue_min + (1.0 - self.eigenvalue_min) * a

    def forward(self, u: torch.Tensor, valid: torch.Tensor | None = None,
                state: tuple[torch.Tensor, ...] | None = None) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        """u (B, T, H) -> outputs (B, T, H), state (h (B, E, N), conv (B, E, k - 1))."""
        batch = u.shape[0]
        x, z = self.in_proj(u).chunk(2, dim=-1)  # (B, T, E) each
        h, window = (None, None) if state is None else state
        window = self.conv.extend(x, window)  # (B, E, k - 1 + T)
        x = silu(self.conv.convolve(window)).transpose(1, 2)  # (B, T, E)
        dt, B, C = self.x_proj(x).split([self.rank, self.state_size, self.state_size], dim=-1)
        dt = softplus(self.dt_proj(dt))  # (B, T, E)
        path = self._step_by_step if resolve_scan(self.scan, x) == "sequential" else self._chunked
        y, h = path(dt, x, B, C, valid, h)  # (B, T, E), (B, E, N)
        y = (y.to(x.dtype) + self.D * x) * silu(z)
        return self.out_proj(y), (h, self.conv.last_inputs(window, valid))

    def _chunked(self, dt: torch.Tensor, x: torch.Tensor, B: torch.Tensor, C: torch.Tensor,
                 valid: torch.Tensor | None, h: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
        """The parallel path: :func:`~seqbench.models.scans.chunked_scan` on blocks of at most
        :data:`BLOCK` steps (arguments and result as :meth:`_step_by_step`)."""
        ys = []
        for start in range(0, dt.shape[1], BLOCK):
            part = slice(start, start + BLOCK)
            a = self.transition(at_least_float32(dt[:, part]))  # (B, t, E, N)
            b = at_least_float32(dt[:, part] * x[:, part])[..., None] * at_least_float32(B[:, part, None, :])
            if valid is not None:  # padding: a = 1, b = 0
                keep = valid[:, part, None, None]
                a = torch.where(keep, a, torch.ones_like(a))
                b = torch.where(keep, b, torch.zeros_like(b))
            states = chunked_scan(a, b, h)  # (B, t, E, N)
            ys.append(torch.einsum("bten,btn->bte", states, at_least_float32(C[:, part])))
            h = states[:, -1]
        return torch.cat(ys, dim=1), h

    def _step_by_step(self, dt: torch.Tensor, x: torch.Tensor, B: torch.Tensor, C: torch.Tensor,
                      valid: torch.Tensor | None, h: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
        """The reference path: one step at a time, never holding (B, T, E, N) tensors, with its
        backward pass written out (:func:`~seqbench.models.selective_scan.selective_scan`). dt, x
        (B, T, E); B, C (B, T, N) -> y (B, T, E), the last state (B, E, N)."""
        with torch.autocast(dt.device.type, enabled=False):  # the scan in float32, never half (as the LRU)
            A = -torch.exp(at_least_float32(self.A_log))  # (E, N)
            return selective_scan(at_least_float32(dt), at_least_float32(dt * x), at_least_float32(B),
                                  at_least_float32(C), A, self.eigenvalue_min, valid,
                                  None if h is None else at_least_float32(h))
