"""minGRU and minLSTM (Feng et al. 2024, "Were RNNs All We Needed?"): gates from the input only.

Dropping the previous state from every gate leaves a linear recurrence in ``h`` whose
coefficients depend on the input alone, so the whole sequence is one scan:

- minGRU (the paper's eqs. for minGRU, section 3.1):
  ``z_t = sigmoid(Linear_z(x_t))``, ``h~_t = g(Linear_h(x_t))``,
  ``h_t = (1 - z_t) * h_{t-1} + z_t * h~_t``;
- minLSTM (section 3.2): ``f_t = sigmoid(Linear_f(x_t))``, ``i_t = sigmoid(Linear_i(x_t))``,
  normalised ``f'_t = f_t / (f_t + i_t)``, ``i'_t = i_t / (f_t + i_t)``,
  ``h_t = f'_t * h_{t-1} + i'_t * h~_t``.

``g(x) = x + 0.5`` for ``x >= 0`` and ``sigmoid(x)`` below keeps the candidate state positive,
as the log-space version needs (the paper's appendix): with positive coefficients and inputs,
``scan="parallel"`` runs :func:`~seqbench.models.scans.log_scan` on
``log(1 - z) = -softplus(k)``, ``log z = -softplus(-k)`` and ``log g``; for minLSTM
``log f' = -softplus(d)``, ``log i' = -softplus(-d)`` with ``d = softplus(-k_f) - softplus(-k_i)``.
``scan="sequential"`` runs the same recurrence step by step in ordinary space (the reference).
Every coefficient lies in (0, 1), so the state never changes sign: the paper's own remark is
that these models give up what a sign flip buys (parity, for one).

Each mixer maps ``x`` (B, T, H) to ``Linear_out(h)`` (B, T, H); its state is ``(h,)`` with
``h`` (B, H). Steps where ``valid`` is False (padding) leave the state unchanged.

>>> import torch
>>> torch.manual_seed(0) and None
>>> parallel, sequential = MinGRU(4, "parallel"), MinGRU(4, "sequential")
>>> sequential.load_state_dict(parallel.state_dict()) and None
>>> x = torch.randn(2, 7, 4)
>>> (y, (h,)), (y_ref, (h_ref,)) = parallel(x), sequential(x)
>>> tuple(y.shape), tuple(h.shape), bool(torch.allclose(y, y_ref, atol=1e-6))
((2, 7, 4), (2, 4), True)
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.functional import softplus

from seqbench.models.scans import SCANS, log_scan, resolve_scan, sequential_scan



def g(x: torch.Tensor) -> torch.Tensor:
    """The positive candidate activation: x + 0.5 for x >= 0, sigmoid(x) below."""
    return torch.where(x >= 0, x.clamp(min=0) + 0.5, torch.sigmoid(x.clamp(max=0)))


def log_g(x: torch.Tensor) -> torch.Tensor:
    """log g(x), computed without forming g (the clamps keep the unused branch finite)."""
    return torch.where(x >= 0, torch.log(x.clamp(min=0) + 0.5), -softplus(-x.clamp(max=0)))


class _MinRNN(nn.Module):
    """Shared parts: ``gates`` linear maps from the input, the scan, the output projection."""

    gates_per_unit = 2

    def __init__(self, size: int, scan: str = "auto") -> None:
        super().__init__()
        if scan not in SCANS:
            raise ValueError(f"scan={scan!r}: must be one of {', '.join(SCANS)}")
        self.scan = scan
        self.gates = nn.Linear(size, self.gates_per_unit * size)
        self.out = nn.Linear(size, size)

    def extra_repr(self) -> str:
        return f"scan={self.scan}"

    def coefficients(self, gates: torch.Tensor, log: bool) -> tuple[torch.Tensor, torch.Tensor]:
        """(a, b) of ``h_t = a_t h_{t-1} + b_t``, or (log a, log b) when ``log``."""
        raise NotImplementedError

    def forward(self, x: torch.Tensor, valid: torch.Tensor | None = None,
                state: tuple[torch.Tensor, ...] | None = None) -> tuple[torch.Tensor, tuple[torch.Tensor]]:
        """x (B, T, H) -> outputs (B, T, H), state ``(h,)`` at each example's last valid step."""
        h0 = None if state is None else state[0]
        log = resolve_scan(self.scan, x) == "parallel"
        a, b = self.coefficients(self.gates(x), log)  # (B, T, H) each
        if valid is not None:  # padding: a = 1, b = 0 (in log space: 0 and -inf)
            keep = valid[:, :, None]
            a = torch.where(keep, a, 0.0 if log else 1.0)
            b = torch.where(keep, b, float("-inf") if log else 0.0)
        h = log_scan(a, b, h0) if log else sequential_scan(a, b, h0)  # (B, T, H)
        return self.out(h), (h[:, -1],)


class MinGRU(_MinRNN):
    """minGRU: ``h_t = (1 - z_t) h_{t-1} + z_t g(Linear_h x_t)``, ``z_t = sigmoid(Linear_z x_t)``."""

    def coefficients(self, gates: torch.Tensor, log: bool) -> tuple[torch.Tensor, torch.Tensor]:
        k, candidate = gates.chunk(2, dim=-1)
        if log:
            return -softplus(k), -softplus(-k) + log_g(candidate)
        return torch.sigmoid(-k), torch.sigmoid(k) * g(candidate)


class MinLSTM(_MinRNN):
    """minLSTM: ``h_t = f'_t h_{t-1} + i'_t g(Linear_h x_t)`` with ``f' = f / (f + i)``, ``i' = i / (f + i)``."""

    gates_per_unit = 3

    def coefficients(self, gates: torch.Tensor, log: bool) -> tuple[torch.Tensor, torch.Tensor]:
        k_f, k_i, candidate = gates.chunk(3, dim=-1)
        if log:
            d = softplus(-k_f) - softplus(-k_i)
            return -softplus(d), -softplus(-d) + log_g(candidate)
        f, i = torch.sigmoid(k_f), torch.sigmoid(k_i)
        return f / (f + i), i / (f + i) * g(candidate)
