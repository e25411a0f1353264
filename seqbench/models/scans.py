"""Scans for linear recurrences ``h_t = a_t * h_{t-1} + b_t``, element by element, in plain torch.

The modern recurrent families (:mod:`seqbench.models.modern_core`) are linear in their state,
so the whole sequence of states can be computed without a Python loop over every step. Three
ways, all exact (they differ from each other by float rounding only):

- :func:`sequential_scan`: the recurrence step by step, the reference every other path is
  tested against (``tests/test_modern_models.py``).
- :func:`chunked_scan`: any real or complex ``a`` (negative factors included, as Mamba with
  eigenvalues in [-1, 1] needs). The sequence is cut into chunks of about sqrt(T) steps;
  every chunk is scanned from a zero state, all chunks at once (sqrt(T) vectorised steps),
  then each chunk's entering state is carried across the chunks (T / sqrt(T) steps) and
  added as ``prod(a within the chunk so far) * entering state``. About 2 sqrt(T) Python steps
  instead of T, the same arithmetic work as the loop, and no division, so no factor, however
  small or negative, breaks it.
- :func:`log_scan`: positive factors and inputs given by their logarithms, the scan of
  minGRU and minLSTM (Feng et al. 2024, after Heinsen 2023):
  ``log h_t = a*_t + logcumsumexp(log b - a*)_t`` with ``a*_t = cumsum(log a)_t``.
  The rounding error of that identity grows with ``|a*|``, so it runs in chunks of
  ``chunk`` steps (the state carried between chunks), which bounds it.

Shapes: ``a`` and ``b`` are (B, T, *S) (``a`` broadcastable to ``b``), ``h0`` is (B, *S) or
None (zeros); the result is every state, (B, T, *S). Half-precision inputs (autocast) are
scanned in float32.

>>> import torch
>>> a, b = torch.tensor([[0.5, -1.0, 2.0]]), torch.tensor([[1.0, 1.0, 1.0]])
>>> sequential_scan(a, b).tolist()  # 1, -1 + 1, 2 * 0 + 1
[[1.0, 0.0, 1.0]]
>>> chunked_scan(a, b).tolist()
[[1.0, 0.0, 1.0]]
>>> log_scan(torch.log(a[:, :1]), torch.log(b[:, :1]), h0=torch.tensor([4.0])).tolist()  # 0.5 * 4 + 1
[[3.0]]
"""

from __future__ import annotations

import math

import torch

__all__ = ["SCANS", "at_least_float32", "chunked_scan", "log_scan", "resolve_scan", "sequential_scan"]

#: the ``scan`` option of the linear families: ``auto`` is the device's faster path (:func:`resolve_scan`)
SCANS = ("auto", "parallel", "sequential")

#: log_scan's default chunk: with |log a| <= 1 per step the identity loses at most ~32 ulps
LOG_CHUNK = 32


def at_least_float32(x: torch.Tensor) -> torch.Tensor:
    """``x`` in float32 if it is in a half type (autocast), else unchanged: float32 stays float32,
    float64 stays float64 (the gradient-flow probe runs a float64 copy of the model), complex stays complex.

    >>> at_least_float32(torch.ones(1, dtype=torch.bfloat16)).dtype, at_least_float32(torch.ones(1, dtype=torch.float64)).dtype
    (torch.float32, torch.float64)
    """
    return x.float() if x.dtype in (torch.float16, torch.bfloat16) else x


def resolve_scan(scan: str, x: torch.Tensor, on_cpu: str = "sequential") -> str:
    """The path ``scan`` means for input ``x``: ``auto`` is ``on_cpu`` on a CPU (``sequential`` for
    the scans, where one thread's step loop is 1.7-2.1 x faster, ``bench/README.md``, modern
    families; mLSTM's parallel form passes ``parallel``, faster there too) and ``parallel`` on an
    accelerator, where per-step launches dominate. Both paths compute the same function with the
    same parameters (equal to float32 precision), so ``auto`` changes speed only.

    >>> resolve_scan("auto", torch.zeros(1)), resolve_scan("parallel", torch.zeros(1))
    ('sequential', 'parallel')
    >>> resolve_scan("auto", torch.zeros(1), on_cpu="parallel")
    'parallel'
    """
    if scan != "auto":
        return scan
    return on_cpu if x.device.type == "cpu" else "parallel"


def sequential_scan(a: torch.Tensor, b: torch.Tensor, h0: torch.Tensor | None = None) -> torch.Tensor:
    """``h_t = a_t * h_{t-1} + b_t`` one step at a time (the reference)."""
    dtype = b.dtype
    a, b = at_least_float32(a), at_least_float32(b)
    h = torch.zeros_like(b[:, 0]) if h0 is None else at_least_float32(h0).to(b.dtype)
    states = []
    # unbind, not a[:, t]: indexing's backward writes a full-size zero gradient per step (O(T^2))
    for a_t, b_t in zip(a.expand_as(b).unbind(1), b.unbind(1)):
        h = a_t * h + b_t
        states.append(h)
    return torch.stack(states, dim=1).to(dtype)


def chunked_scan(a: torch.Tensor, b: torch.Tensor, h0: torch.Tensor | None = None,
                 chunk: int | None = None) -> torch.Tensor:
    """``h_t = a_t * h_{t-1} + b_t`` in chunks: about ``2 sqrt(T)`` vectorised steps (see the module)."""
    dtype = b.dtype
    a, b = at_least_float32(a), at_least_float32(b)
    batch, steps = b.shape[:2]
    rest = b.shape[2:]
    size = chunk or max(1, math.isqrt(steps - 1) + 1) if steps > 1 else 1
    chunks = -(-steps // size)
    a = a.expand_as(b)
    pad = chunks * size - steps
    if pad:  # identity steps at the end: a = 1, b = 0
        a = torch.cat([a, a.new_ones((batch, pad, *rest))], dim=1)
        b = torch.cat([b, b.new_zeros((batch, pad, *rest))], dim=1)
    a_i = a.reshape(batch, chunks, size, *rest).unbind(2)  # C tensors (B, n, *S)
    b_i = b.reshape(batch, chunks, size, *rest).unbind(2)
    # 1. every chunk from a zero state, all chunks at once: local states and running products of a
    local, products = [b_i[0]], [a_i[0]]
    for i in range(1, size):
        local.append(a_i[i] * local[-1] + b_i[i])
        products.append(a_i[i] * products[-1])
    local_h, prod_a = torch.stack(local, dim=2), torch.stack(products, dim=2)  # (B, n, C, *S)
    # 2. the state entering each chunk, carried across the chunks (from each chunk's last step)
    carry = torch.zeros_like(local[0][:, 0]) if h0 is None else at_least_float32(h0).to(local_h.dtype)
    entering = []
    for k, (a_k, h_k) in enumerate(zip(products[-1].unbind(1), local[-1].unbind(1))):
        entering.append(carry)
        if k + 1 < chunks:
            carry = a_k * carry + h_k
    entering_h = torch.stack(entering, dim=1)[:, :, None]  # (B, n, 1, *S)
    # 3. each chunk's states from its entering state
    h = local_h + prod_a * entering_h
    return h.reshape(batch, chunks * size, *rest)[:, :steps].to(dtype)


def log_scan(log_a: torch.Tensor, log_b: torch.Tensor, h0: torch.Tensor | None = None,
             chunk: int = LOG_CHUNK) -> torch.Tensor:
    """``h_t = exp(log_a_t) h_{t-1} + exp(log_b_t)`` by cumsum and logcumsumexp, ``chunk`` steps at a time.

    ``log_b`` may be ``-inf`` (no input at that step). ``h0`` may have any sign: its part,
    ``exp(a*_t) h0``, is added outside the logarithms.
    """
    dtype = log_b.dtype
    log_a, log_b = at_least_float32(log_a), at_least_float32(log_b)
    log_a = log_a.expand_as(log_b)
    h = None if h0 is None else at_least_float32(h0).to(log_b.dtype)
    pieces = []
    for la, lb in zip(log_a.split(chunk, dim=1), log_b.split(chunk, dim=1)):  # split: no O(T^2) backward
        a_star = la.cumsum(dim=1)  # (B, C, *S)
        piece = (a_star + torch.logcumsumexp(lb - a_star, dim=1)).exp()
        if h is not None:
            piece = piece + a_star.exp() * h[:, None]
        pieces.append(piece)
        h = piece[:, -1]
    return torch.cat(pieces, dim=1).to(dtype)
