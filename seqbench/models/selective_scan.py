"""Mamba's selective scan, step by step, with its backward pass written out by hand.

The recurrence (Gu and Dao 2023, with Grazzi et al. 2025's eigenvalue range), per example,
channel ``e`` and state index ``n``:

    a_t = m + (1 - m) exp(dt_t A)                     A (E, N) < 0, m = eigenvalue_min in [-1, 0]
    h_t = a_t * h_{t-1} + dx_t B_t                    (B, E, N); dx = dt * x is formed by the caller
    y_t = sum_n h_t C_t                               (B, E)

with ``h_t = h_{t-1}`` where ``keep`` is False (padding). On one CPU thread this loop is bound
by memory traffic over the (B, E, N) state, and autograd's version of it re-reads and
re-writes that state about twenty times a step (broadcast products, their reductions, saved
intermediates). :class:`SelectiveScan` keeps each step's state and ``exp(dt_t A)`` and
computes the gradient in one reverse loop of fused products (``addcmul``, ``bmm``,
``vecdot``), in fewer passes; the arithmetic is the same, so results agree with autograd's to float32
rounding (``tests/test_selective_scan.py`` checks it against ``torch.autograd.gradcheck``
in float64).

The reverse loop, with ``g`` the gradient reaching ``h_t`` (from ``y_t`` and from ``h_{t+1}``):

    g      += g_y_t C_t                             (B, E, N), outer product per example
    g_C_t   = sum_e g_y_t h_t                       (B, N)
    g_new   = g where kept, else 0
    g_dx_t  = sum_n g_new B_t                       (B, E)
    g_B_t   = sum_e g_new dx_t                      (B, N)
    q       = (1 - m) g_new h_{t-1} exp(dt_t A)     the gradient of dt_t A
    g_dt_t  = sum_n q A ;   g_A += sum_b q dt_t
    g       = g_new a_t + (g where not kept)        the gradient reaching h_{t-1}

>>> import torch
>>> torch.manual_seed(0) and None
>>> dt, dx = torch.rand(2, 5, 3), torch.randn(2, 5, 3)       # (B, T, E)
>>> B, C = torch.randn(2, 5, 4), torch.randn(2, 5, 4)        # (B, T, N)
>>> A = -torch.rand(3, 4)                                    # (E, N)
>>> y, h = selective_scan(dt, dx, B, C, A, eigenvalue_min=-1.0)
>>> tuple(y.shape), tuple(h.shape)
((2, 5, 3), (2, 3, 4))
"""

from __future__ import annotations

import torch

__all__ = ["SelectiveScan", "reference_scan", "selective_scan"]


def _factor(e: torch.Tensor, m: float) -> torch.Tensor:
    """a_t = m + (1 - m) exp(dt_t A) from e = exp(dt_t A)."""
    return e if m == 0.0 else e * (1.0 - m) + m


def _steps(dt, dx, B, C, At, m, keep, h0, history: bool):
    """The forward loop on states laid out (B, N, E): every product over the state then runs along
    contiguous rows (a batched matrix-vector product over (B, E, N) is several times slower on one
    CPU thread), and each step's (B, N, E) tensors stay small enough to stay in cache (one
    (T, B, N, E) tensor for a whole batch is not). ``h0`` None starts from zeros. Returns
    y (B, T, E), h_T and, with ``history``, the lists of every state h_0 .. h_T and every
    exp(dt_t A) (empty without)."""
    h = dt.new_zeros(dt.shape[0], *At.shape) if h0 is None else h0
    y = dt.new_empty(dt.shape)
    states, exps = ([h], []) if history else ([], [])
    for t in range(dt.shape[1]):
        e = torch.exp(dt[:, t, None, :] * At)  # (B, N, E)
        new = (B[:, t, :, None] * dx[:, t, None, :]).addcmul_(_factor(e, m), h)  # B_t dx_t + a h
        h = new if keep is None else torch.where(keep[:, t, None, None], new, h)
        y[:, t] = torch.bmm(C[:, t, None, :], h).squeeze(1)  # (B, 1, N) @ (B, N, E): y_t
        if history:
            states.append(h)
            exps.append(e)
    return y, h, states, exps


class SelectiveScan(torch.autograd.Function):
    """``(dt, dx, B, C, At, m, keep, h0) -> (y (B, T, E), h_T (B, N, E))``; see the module docstring.

    Takes ``At = A^T`` (N, E) and states laid out (B, N, E) (:func:`selective_scan` takes and
    returns the usual (E, N) and (B, E, N)). ``keep`` (B, T) bool or None (every step kept);
    ``h0`` or None (zeros). Memory: every step's state and exponential, (B, N, E) each, are kept
    for the backward pass, as autograd keeps them (and more) for its own loop.
    """

    @staticmethod
    def forward(ctx, dt, dx, B, C, At, m, keep, h0):  # noqa: D102 (the class docstring)
        y, last, states, exps = _steps(dt, dx, B, C, At, m, keep, h0, history=True)
        ctx.m, ctx.has_h0 = m, h0 is not None
        ctx.save_for_backward(dt, dx, B, C, At, keep, *states, *exps)
        return y, last

    @staticmethod
    @torch.autograd.function.once_differentiable  # the saved states carry no graph: a second order raises
    def backward(ctx, g_y, g_last):  # noqa: D102
        dt, dx, B, C, At, keep, *kept_tensors = ctx.saved_tensors
        steps, m = dt.shape[1], ctx.m
        states, exps = kept_tensors[:steps + 1], kept_tensors[steps + 1:]  # h_0 .. h_T; exp(dt_t A)
        # autograd passes zeros for an unused output. The state leaves as a (B, E, N) view of
        # (B, N, E): its gradient arrives strided, and every step's products would keep those
        # strides (1.4 x slower); cloned contiguous, they do not
        g = g_last.clone(memory_format=torch.contiguous_format)
        g_dt, g_dx = torch.empty_like(dt), torch.empty_like(dx)
        g_B, g_C = torch.empty_like(B), torch.empty_like(C)
        g_At = torch.zeros_like(At)
        for t in range(steps - 1, -1, -1):
            h_prev, h_t, e = states[t], states[t + 1], exps[t]
            g_y_t = g_y[:, t, None, :]  # (B, 1, E)
            g_C[:, t] = torch.linalg.vecdot(h_t, g_y_t)  # sum_e h_t g_y_t  (B, N)
            g.addcmul_(C[:, t, :, None], g_y_t)  # the gradient reaching h_t
            g_new = g if keep is None else g * keep[:, t, None, None]  # zero where not kept
            g_dx[:, t] = torch.bmm(B[:, t, None, :], g_new).squeeze(1)  # sum_n B_t g_new  (B, E)
            g_B[:, t] = torch.linalg.vecdot(g_new, dx[:, t, None, :])  # sum_e g_new dx_t  (B, N)
            q = (g_new * h_prev).mul_(e)  # the gradient of dt_t A, but for the factor (1 - m)
            g_dt[:, t] = torch.linalg.vecdot(q, At, dim=1)  # sum_n q A  (B, E)
            g_At.add_((q * dt[:, t, None, :]).sum(0))  # sum_b q dt_t  (N, E)
            through = g_new * _factor(e, m)
            g = through if keep is None else torch.where(keep[:, t, None, None], through, g)
        if m != 0.0:  # a = m + (1 - m) exp(dt A): the factor left out of q
            g_dt.mul_(1.0 - m)
            g_At.mul_(1.0 - m)
        return g_dt, g_dx, g_B, g_C, g_At, None, None, (g if ctx.has_h0 else None)


def reference_scan(dt: torch.Tensor, dx: torch.Tensor, B: torch.Tensor, C: torch.Tensor, A: torch.Tensor,
                   eigenvalue_min: float = 0.0, keep: torch.Tensor | None = None,
                   h0: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """:func:`selective_scan` as autograd differentiates it, one step at a time, states (B, E, N):
    the reference its tests and ``bench/selective_scan.py`` compare it with (arguments and
    results as :func:`selective_scan`)."""
    m = eigenvalue_min
    h = dt.new_zeros(dt.shape[0], *A.shape) if h0 is None else h0
    ys = []
    for t in range(dt.shape[1]):
        a = m + (1 - m) * torch.exp(dt[:, t, :, None] * A)  # (B, E, N)
        new = a * h + dx[:, t, :, None] * B[:, t, None, :]
        h = new if keep is None else torch.where(keep[:, t, None, None], new, h)
        ys.append((h * C[:, t, None, :]).sum(-1))  # (B, E)
    return torch.stack(ys, 1), h


def selective_scan(dt: torch.Tensor, dx: torch.Tensor, B: torch.Tensor, C: torch.Tensor, A: torch.Tensor,
                   eigenvalue_min: float = 0.0, keep: torch.Tensor | None = None,
                   h0: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """The scan of the module docstring: dt, dx (B, T, E); B, C (B, T, N); A (E, N); keep (B, T)
    bool or None; h0 (B, E, N) or None -> y (B, T, E), the last state (B, E, N). Inputs are used
    as float32 or float64 as given (the caller casts); without gradients it runs the same loop."""
    tensors = [x.contiguous() for x in (dt, dx, B, C, A.t())]  # A^T (N, E): states are (B, N, E) inside
    h0 = None if h0 is None else h0.transpose(1, 2).contiguous()
    if torch.is_grad_enabled() and any(x.requires_grad for x in (*tensors, *([h0] if h0 is not None else []))):
        y, h = SelectiveScan.apply(*tensors, float(eigenvalue_min), keep, h0)
    else:  # evaluation: nothing kept for a backward pass
        y, h, _, _ = _steps(*tensors, float(eigenvalue_min), keep, h0, history=False)
    return y, h.transpose(1, 2)
