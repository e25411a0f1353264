"""The Linear Recurrent Unit (Orvieto et al. 2023, "Resurrecting Recurrent Neural Networks for Long Sequences").

A complex diagonal linear recurrence read out by a real linear map (the paper's section 3 and
its appendix A):

    x_t = Lambda * x_{t-1} + gamma * (B u_t)          x in C^N, Lambda = diag(lambda)
    y_t = Re(C x_t) + D * u_t                         y, u in R^H

- **Exponential parameterisation**: ``lambda_j = exp(-exp(nu_log_j) + i exp(theta_log_j))``,
  so ``|lambda_j| = exp(-exp(nu_log_j)) < 1`` for every value of the parameters (stable).
- **Ring initialisation**: ``|lambda|`` is drawn uniformly on the ring ``r_min <= |lambda| <= r_max``
  of the complex plane (``nu = -log(u (r_max^2 - r_min^2) + r_min^2) / 2``) and its phase
  uniformly in ``[0, max_phase]``.
- **Normalisation**: ``gamma_j = sqrt(1 - |lambda_j|^2)``, stored as a trainable ``gamma_log``
  initialised at that value, so a state close to the unit circle does not blow up its input.
- ``B`` and ``C`` are complex Glorot-like (``B ~ N(0, 1/(2H))``, ``C ~ N(0, 1/N)`` per part),
  ``D ~ N(0, 1)``.

The paper's layer follows the recurrence by a nonlinear position-wise map; here (its Figure 1)
``GELU`` and a gated linear unit ``GLU(y) = W_1 y * sigmoid(W_2 y)``.

``scan="parallel"`` computes every state with :func:`~seqbench.models.scans.chunked_scan`
(complex factors, no logarithms); ``scan="sequential"`` steps through time. The state is
``(x,)``, complex (B, N). Padding steps (``valid`` False) leave it unchanged.

>>> import torch
>>> torch.manual_seed(0) and None
>>> lru = LRU(4, state_size=6, r_min=0.5, r_max=0.9)
>>> magnitude = lru.eigenvalues().abs()
>>> bool(((magnitude >= 0.5 - 1e-6) & (magnitude <= 0.9 + 1e-6)).all())
True
>>> y, (x,) = lru(torch.randn(2, 5, 4))
>>> tuple(y.shape), tuple(x.shape), x.dtype
((2, 5, 4), (2, 6), torch.complex64)
"""

from __future__ import annotations

import math

import torch
from torch import nn

from seqbench.models.scans import SCANS, at_least_float32, chunked_scan, resolve_scan, sequential_scan


class LRU(nn.Module):
    """One LRU layer of width ``size`` with ``state_size`` complex states, then GELU and a GLU."""

    def __init__(self, size: int, state_size: int, r_min: float = 0.0, r_max: float = 1.0,
                 max_phase: float = 2 * math.pi, scan: str = "auto") -> None:
        super().__init__()
        if scan not in SCANS:
            raise ValueError(f"scan={scan!r}: must be one of {', '.join(SCANS)}")
        if not 0.0 <= r_min < r_max <= 1.0:
            raise ValueError(f"r_min={r_min}, r_max={r_max}: need 0 <= r_min < r_max <= 1")
        self.scan, self.size, self.state_size = scan, size, state_size
        n = state_size
        # ring initialisation (appendix A); u is kept off 0 so that the logarithms stay finite
        u1 = torch.rand(n).clamp(min=1e-6)
        u2 = torch.rand(n).clamp(min=1e-6)
        nu = -0.5 * torch.log(u1 * (r_max ** 2 - r_min ** 2) + r_min ** 2)
        self.nu_log = nn.Parameter(torch.log(nu.clamp(min=1e-12)))
        self.theta_log = nn.Parameter(torch.log(max_phase * u2))
        magnitude = torch.exp(-nu)
        self.gamma_log = nn.Parameter(torch.log(torch.sqrt((1 - magnitude ** 2).clamp(min=1e-12))))
        self.B_re = nn.Parameter(torch.randn(n, size) / math.sqrt(2 * size))
        self.B_im = nn.Parameter(torch.randn(n, size) / math.sqrt(2 * size))
        self.C_re = nn.Parameter(torch.randn(size, n) / math.sqrt(n))
        self.C_im = nn.Parameter(torch.randn(size, n) / math.sqrt(n))
        self.D = nn.Parameter(torch.randn(size))
        self.glu = nn.Linear(size, 2 * size)

    def extra_repr(self) -> str:
        return f"size={self.size}, state_size={self.state_size}, scan={self.scan}"

    def eigenvalues(self) -> torch.Tensor:
        """lambda = exp(-exp(nu_log) + i exp(theta_log)), complex (N,)."""
        return torch.exp(torch.complex(-torch.exp(self.nu_log), torch.exp(self.theta_log)))

    def forward(self, u: torch.Tensor, valid: torch.Tensor | None = None,
                state: tuple[torch.Tensor, ...] | None = None) -> tuple[torch.Tensor, tuple[torch.Tensor]]:
        """u (B, T, H) -> outputs (B, T, H), state ``(x,)`` complex (B, N) after the last valid step."""
        with torch.autocast(u.device.type, enabled=False):  # complex arithmetic in float32 (float64 kept), never half
            u32 = at_least_float32(u)
            gamma = torch.exp(self.gamma_log)[:, None]  # (N, 1)
            bu = torch.complex(u32 @ (self.B_re * gamma).t(), u32 @ (self.B_im * gamma).t())  # (B, T, N)
            a = self.eigenvalues().expand_as(bu)
            if valid is not None:  # padding: a = 1, b = 0
                keep = valid[:, :, None]
                a = torch.where(keep, a, torch.ones_like(a))
                bu = torch.where(keep, bu, torch.zeros_like(bu))
            x0 = None if state is None else state[0]
            x = (chunked_scan if resolve_scan(self.scan, a) == "parallel" else sequential_scan)(a, bu, x0)  # (B, T, N)
            y = x.real @ self.C_re.t() - x.imag @ self.C_im.t() + self.D * u32  # Re(C x) + D u
        first, gate = self.glu(nn.functional.gelu(y).to(u.dtype)).chunk(2, dim=-1)
        return first * torch.sigmoid(gate), (x[:, -1],)
