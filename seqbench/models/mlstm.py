"""mLSTM (Beck et al. 2024, "xLSTM: Extended Long Short-Term Memory"): a matrix memory per head.

The cell (the paper's section 2.3), per head with key, value and query of size ``d``:

    C_t = f_t C_{t-1} + i_t v_t k_t^T                 matrix memory (d x d)
    n_t = f_t n_{t-1} + i_t k_t                       normaliser state (d)
    h~_t = C_t q_t / max(|n_t^T q_t|, 1)              the memory read with the query
    h_t = o_t * h~_t

    q_t = W_q x_t + b_q,  k_t = (W_k x_t + b_k) / sqrt(d),  v_t = W_v x_t + b_v
    i_t = exp(i~_t),  f_t = sigmoid(f~_t),  o_t = sigmoid(W_o x_t + b_o)

where the input and forget gates are scalars per head (``i~_t = w_i^T x_t + b_i``, likewise
``f~``) and the output gate is a vector. The forget gate is the paper's sigmoid, used through
``log f_t = logsigmoid(f~_t)``.

**Stabiliser.** ``exp(i~)`` overflows, so the cell keeps ``m_t = max(log f_t + m_{t-1}, i~_t)``
and stores ``C_t exp(-m_t)`` and ``n_t exp(-m_t)`` (updated with ``f'_t = exp(log f_t + m_{t-1}
- m_t)`` and ``i'_t = exp(i~_t - m_t)``, both at most 1) and reads
``h~_t = C'_t q_t / max(|n'_t^T q_t|, exp(-m_t))``: numerator and denominator are both scaled by
``exp(-m_t)``, so ``h`` is exactly the unstabilised one. A fresh state is ``C = 0, n = 0, m = 0``
(any ``m`` gives the same ``h`` while ``C = n = 0``).

**No memory mixing.** No gate reads ``h_{t-1}``: the recurrence is linear in ``(C, n)`` with
factors ``f_t`` in (0, 1), which is what makes it parallel, and also why, by the paper's own
finding, the mLSTM cannot track state (parity) where the sLSTM (:mod:`~seqbench.models.slstm`) can.

**Two paths, one function.** ``scan="sequential"`` (:func:`mlstm_sequential`) steps through time
(the reference). ``scan="parallel"`` (:func:`mlstm_parallel`) is the paper's parallel form: per
head, a causal T x T matrix ``log D_tj = log f_{j+1} + ... + log f_t + i~_j`` (j <= t), the
maximum ``m_t`` of its row t and of the carried-in state's log weight ``log g_t = log f_1 + ...
+ log f_t + m_0`` (this is the recurrence's stabiliser, unrolled), ``D' = exp(log D - m)`` and

    H = (Q K^T * D') V / max(|row sums of Q K^T * D'|, exp(-m))        (* element-wise)

(``K`` already scaled by 1 / sqrt(d)), with the carried-in state's share ``exp(log g_t - m_t)
(C_0 q_t, n_0^T q_t)`` added to numerator and row sum. Time is cut into blocks of at most :data:`BLOCK`
steps, the state carried from one to the next, so memory grows as T x BLOCK, not T^2. ``auto``
(the default) is the parallel form on every device (:func:`~seqbench.models.scans.resolve_scan`
with ``on_cpu="parallel"``): unlike the other families' scans it is also the faster path on one CPU
thread (one block, hidden 64, batch 16, forward and backward: 3.5 x the step loop's tokens/s at
length 40 and 1.7 x at length 500, ``bench/README.md``).

The mixer around the cell (:class:`MLSTM`), as the paper's mLSTM block feeds its cell: a causal
depthwise convolution of ``conv_kernel`` taps with SiLU (:class:`~seqbench.models.causal_conv.CausalConv1d`)
in front of q and k, v and the output gate from the block's normalised input itself, the scalar
gates i~ and f~ from (q, k, v) (as xLSTM's reference code), the cell's ``h`` normalised per head
(group norm, as the sLSTM block), then an output projection;
:class:`~seqbench.models.modern_core.ModernCore` supplies the pre-norm residual stack. The
convolution is what lets a gate tell the first steps of a sequence from the rest (it sees zeros
before them): without it the first layer's gates depend on the current symbol only, so the first
symbol cannot be written more strongly than a later copy of it. ``conv_kernel=0`` leaves it out (q
and k from the input itself, the gates still from (q, k, v): an ablation, not the block the boards
ran before 2026-12-05, whose gates read the input through their own weights). Still left out of the
paper's block: its pre-up-projection (factor 2, with a SiLU-gated second branch, here a sigmoid
output gate), learnable skip, headwise (block-diagonal) q, k, v projections, its order of per-head
norm and output gate (norm first there, gate first here) and its initialisation (zero gate weights,
the input gate's bias from N(0, 0.1); here torch's default but the forget gates' bias). Steps where
``valid`` is False (padding) take ``f = 1`` and ``i = 0``, so they leave the state unchanged. The
state is ``(C (B, K, d, d), n (B, K, d), m (B, K), window (B, H, k - 1))``, in float32 (float64 in a
float64 model) but the window, for K heads (no window without the convolution).

>>> import torch
>>> torch.manual_seed(0) and None
>>> parallel, sequential = MLSTM(8, num_heads=2, scan="parallel"), MLSTM(8, num_heads=2, scan="sequential")
>>> sequential.load_state_dict(parallel.state_dict()) and None
>>> x = torch.randn(3, 5, 8)
>>> (y, (C, n, m, window)), (y_ref, _) = parallel(x), sequential(x)
>>> tuple(y.shape), tuple(C.shape), tuple(window.shape), bool(torch.allclose(y, y_ref, atol=1e-5))
((3, 5, 8), (3, 2, 4, 4), (3, 8, 3), True)
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn.functional import logsigmoid, silu

from seqbench.models.causal_conv import CausalConv1d
from seqbench.models.scans import SCANS, at_least_float32, resolve_scan

State = tuple[torch.Tensor, torch.Tensor, torch.Tensor]  #: the cell's (C, n, m); the mixer adds its window

#: the parallel path's longest stretch of time: its (B, K, T, T) matrices are at most BLOCK x BLOCK
BLOCK = 256
#: the read's lower bound exp(-m) is taken at most at exp(MAX_EXPONENT): exp(-m) itself would reach
#: inf (and an inf * 0 = nan gradient) for m below about -88 in float32, where h is 0 either way
MAX_EXPONENT = 60.0


def _floor(m: torch.Tensor) -> torch.Tensor:
    """exp(-m), the stabilised form of the read's lower bound 1, kept finite and above zero (for m
    above about 104 exp(-m) underflows in float32, and a read with n^T q = 0 would be 0 / 0)."""
    return torch.exp((-m).clamp(max=MAX_EXPONENT)).clamp(min=torch.finfo(torch.float32).tiny)


def mlstm_sequential(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, i_raw: torch.Tensor,
                     log_f: torch.Tensor, state: State) -> tuple[torch.Tensor, State]:
    """The stabilised recurrence step by step (the reference).

    q, k, v (B, K, T, d) (k already divided by sqrt(d)); i_raw = i~ and log_f = log f (B, K, T);
    state (C, n, m). Returns every h~ (B, K, T, d) and the state after the last step.

    >>> import torch
    >>> q = k = v = torch.ones(1, 1, 2, 1)
    >>> h, (C, n, m) = mlstm_sequential(q, k, v, torch.zeros(1, 1, 2), torch.full((1, 1, 2), -math.inf),
    ...                                 (torch.zeros(1, 1, 1, 1), torch.zeros(1, 1, 1), torch.zeros(1, 1)))
    >>> h.flatten().tolist(), m.flatten().tolist()  # f = 0: C = n = v k = 1, h~ = 1 / max(1, 1)
    ([1.0, 1.0], [0.0])
    """
    C, n, m = state
    hs = []
    # unbind, not [:, :, t]: indexing's backward writes a full-size zero gradient per step (O(T^2))
    for q_t, k_t, v_t, i_t, lf_t in zip(q.unbind(2), k.unbind(2), v.unbind(2), i_raw.unbind(2), log_f.unbind(2)):
        m_new = torch.maximum(lf_t + m, i_t)  # (B, K)
        f = torch.exp(lf_t + m - m_new)[..., None]  # (B, K, 1): f' <= 1
        i = torch.exp(i_t - m_new)[..., None]  # (B, K, 1): i' <= 1
        C = f[..., None] * C + (i * v_t)[..., :, None] * k_t[..., None, :]  # (B, K, d, d): f' C + i' v k^T
        n = f * n + i * k_t  # (B, K, d)
        m = m_new
        read = (C @ q_t[..., None]).squeeze(-1)  # (B, K, d): C q
        norm = (n * q_t).sum(-1, keepdim=True).abs()  # (B, K, 1): |n^T q|
        hs.append(read / torch.maximum(norm, _floor(m)[..., None]))
    return torch.stack(hs, dim=2), (C, n, m)  # (B, K, T, d)


def _parallel_block(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, i_raw: torch.Tensor,
                    log_f: torch.Tensor, state: State) -> tuple[torch.Tensor, State]:
    """The paper's parallel form over one block of T steps, from the carried-in state (C_0, n_0, m_0)."""
    C0, n0, m0 = state
    steps = q.shape[2]
    causal = torch.ones(steps, steps, dtype=torch.bool, device=q.device).tril()  # (T, T): j <= t
    # log f_{j+1} + ... + log f_t for j < t by a cumulative sum down each column of the strictly lower
    # triangle (not as a difference of two long cumulative sums, which would lose precision)
    strict = causal.clone().fill_diagonal_(False)
    decay = torch.where(strict, log_f[..., :, None], 0.0).cumsum(dim=-2)  # (B, K, T, T)
    log_D = torch.where(causal, decay + i_raw[..., None, :], -math.inf)  # (B, K, T, T)
    log_g = log_f.cumsum(dim=-1) + m0[..., None]  # (B, K, T): the carried state's weight, log f_1..t + m_0
    m = torch.maximum(log_D.amax(dim=-1), log_g)  # (B, K, T): row-wise stabiliser
    D = torch.exp(log_D - m[..., None])  # (B, K, T, T): D', at most 1
    g = torch.exp(log_g - m)  # (B, K, T)
    S = (q @ k.transpose(-1, -2)) * D  # (B, K, T, T): (q_t . k_j) D'_tj
    read = S @ v + g[..., None] * (q @ C0.transpose(-1, -2))  # (B, K, T, d): C'_t q_t
    norm = (S.sum(dim=-1) + g * (q @ n0[..., None]).squeeze(-1)).abs()  # (B, K, T): |n'_t^T q_t|
    h = read / torch.maximum(norm, _floor(m))[..., None]  # (B, K, T, d)
    last, g_last = D[..., -1, :, None], g[..., -1, None]  # (B, K, T, 1), (B, K, 1): the last row
    C = (last * v).transpose(-1, -2) @ k + g_last[..., None] * C0  # (B, K, d, d): sum_j D'_Tj v_j k_j^T + ...
    n = (last * k).sum(dim=-2) + g_last * n0  # (B, K, d)
    return h, (C, n, m[..., -1])


def mlstm_parallel(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, i_raw: torch.Tensor,
                   log_f: torch.Tensor, state: State, block: int | None = None) -> tuple[torch.Tensor, State]:
    """The parallel form, ``block`` (default :data:`BLOCK`) steps at a time (arguments and result as
    :func:`mlstm_sequential`).

    >>> import torch
    >>> torch.manual_seed(0) and None
    >>> q, k, v = torch.randn(3, 1, 2, 9, 4).unbind(0)  # (B, K, T, d) = (1, 2, 9, 4) each
    >>> i_raw, log_f = torch.randn(1, 2, 9) * 3, logsigmoid(torch.randn(1, 2, 9))
    >>> fresh = (torch.zeros(1, 2, 4, 4), torch.zeros(1, 2, 4), torch.zeros(1, 2))
    >>> h, (C, n, m) = mlstm_parallel(q, k, v, i_raw, log_f, fresh, block=4)  # blocks of 4, 4 and 1 steps
    >>> h_ref, (C_ref, n_ref, m_ref) = mlstm_sequential(q, k, v, i_raw, log_f, fresh)
    >>> bool(torch.allclose(h, h_ref, atol=1e-5)), bool(torch.allclose(C, C_ref, atol=1e-5)), bool(torch.allclose(m, m_ref))
    (True, True, True)
    """
    hs = []
    # split, not slicing: its backward does not write a full-size zero gradient per block
    for parts in zip(*(t.split(block or BLOCK, dim=2) for t in (q, k, v, i_raw, log_f))):
        h, state = _parallel_block(*parts, state)
        hs.append(h)
    return torch.cat(hs, dim=2), state


class MLSTM(nn.Module):
    """The mLSTM mixer of width ``size`` with ``num_heads`` heads (see the module docstring)."""

    def __init__(self, size: int, num_heads: int = 4, conv_kernel: int = 4, scan: str = "auto") -> None:
        super().__init__()
        if scan not in SCANS:
            raise ValueError(f"scan={scan!r}: must be one of {', '.join(SCANS)}")
        if size % num_heads:
            raise ValueError(f"size={size} is not a multiple of num_heads={num_heads}")
        if conv_kernel < 0:
            raise ValueError(f"conv_kernel={conv_kernel}: must be 0 (no convolution) or more")
        self.size, self.heads, self.head_size, self.scan = size, num_heads, size // num_heads, scan
        self.conv = CausalConv1d(size, conv_kernel) if conv_kernel else None
        self.qk = nn.Linear(size, 2 * size)  # q and k, from the convolution's output (or the input)
        self.vo = nn.Linear(size, 2 * size)  # v and the output gate's pre-activation, from the input
        self.gates = nn.Linear(3 * size, 2 * num_heads)  # i~ and f~ from (q, k, v), one scalar per head each
        with torch.no_grad():  # forget gates start open, spread over timescales (as xLSTM's initialisation)
            self.gates.bias[num_heads:] = torch.linspace(3.0, 6.0, num_heads)
        self.norm = nn.GroupNorm(num_heads, size)
        self.out = nn.Linear(size, size)

    def extra_repr(self) -> str:
        kernel = self.conv.kernel if self.conv is not None else 0
        return f"size={self.size}, num_heads={self.heads}, conv_kernel={kernel}, scan={self.scan}"

    def forward(self, x: torch.Tensor, valid: torch.Tensor | None = None,
                state: tuple[torch.Tensor, ...] | None = None) -> tuple[torch.Tensor, tuple[torch.Tensor, ...]]:
        """x (B, T, H) -> outputs (B, T, H), state (C (B, K, d, d), n (B, K, d), m (B, K)[, window
        (B, H, k - 1)]) after the last valid step."""
        batch, steps, _ = x.shape
        heads, d = self.heads, self.head_size
        cell_state, window = (None, None) if state is None else (state[:3], state[3] if self.conv is not None else None)
        qk_in = x
        if self.conv is not None:
            window = self.conv.extend(x, window)  # (B, H, k - 1 + T)
            qk_in = silu(self.conv.convolve(window)).transpose(1, 2)  # (B, T, H)
        q_k, v_o = self.qk(qk_in), self.vo(x)  # (B, T, 2H) each
        i_raw, f_raw = at_least_float32(self.gates(torch.cat([q_k, v_o[..., :self.size]], dim=-1))).view(
            batch, steps, 2, heads).permute(2, 0, 3, 1).unbind(0)  # (B, K, T) each
        q, k = at_least_float32(q_k).view(batch, steps, 2, heads, d).permute(2, 0, 3, 1, 4).unbind(0)  # (B, K, T, d) each
        v, o = at_least_float32(v_o).view(batch, steps, 2, heads, d).permute(2, 0, 3, 1, 4).unbind(0)  # (B, K, T, d) each
        k = k / math.sqrt(d)
        log_f = logsigmoid(f_raw)
        if valid is not None:  # padding: f = 1 and i = 0 (log f = 0, i~ = -inf): the state stays as it was
            keep = valid[:, None, :]  # (B, 1, T)
            log_f = torch.where(keep, log_f, 0.0)
            i_raw = torch.where(keep, i_raw, -math.inf)
        if cell_state is None:
            cell_state = (q.new_zeros(batch, heads, d, d), q.new_zeros(batch, heads, d), q.new_zeros(batch, heads))
        else:
            cell_state = tuple(at_least_float32(s) for s in cell_state)
        run = mlstm_parallel if resolve_scan(self.scan, x, on_cpu="parallel") == "parallel" else mlstm_sequential
        with torch.autocast(x.device.type, enabled=False):  # the cell in float32, never half (as the LRU)
            h, cell_state = run(q, k, v, i_raw, log_f, cell_state)  # (B, K, T, d)
        h = torch.sigmoid(o) * h  # the output gate
        h = h.permute(0, 2, 1, 3).reshape(batch * steps, self.size)  # (B T, H), heads side by side
        y = self.norm(h).view(batch, steps, self.size)
        state = cell_state if self.conv is None else (*cell_state, self.conv.last_inputs(window, valid))
        return self.out(y.to(x.dtype)), state
