"""The sigmoid RNN, run by torch's fused tanh ``nn.RNN`` kernels through an exact identity.

torch has no logistic-sigmoid recurrence, but sigmoid(z) = (1 + tanh(z / 2)) / 2. For the
cell ``h_t = sigmoid(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)`` write ``g = 2 h - 1`` (so
``h = (1 + g) / 2``); then

    g_t = tanh(W_ih x_t / 2 + b_ih / 2 + (W_hh / 4) g_{t-1} + W_hh 1 / 4 + b_hh / 2),

a tanh RNN on ``g`` with input weights ``W_ih / 2``, recurrent weights ``W_hh / 4``, biases
``b_ih / 2`` and ``b_hh / 2 + rowsum(W_hh) / 4``, started from ``g_0 = 2 h_0 - 1`` (-1 for
the zero state). :class:`SigmoidRNN` keeps the sigmoid cell's own parameters and builds those
weights from them on every call (gradients flow back through the arithmetic), runs one layer
at a time with ``torch._VF.rnn_tanh`` (the kernel behind ``nn.RNN``: cuDNN on GPUs, packed
sequences for padded batches) and hands back ``h`` for every output and state. Each layer
reads the previous layer's ``h``, so dropout between layers acts on ``h`` as it does in the
hand-written cell.

``fused=False`` keeps the hand-written cell (:class:`_SigmoidScan`: the recurrence step by
step with a hand-written backward pass) as the reference the fused path is tested against
(``tests/test_sigmoid_fused.py``) and timed against (``bench/run.py``, ``sigmoid_vs_fused``).

>>> import torch
>>> torch.manual_seed(0) and None
>>> fused = SigmoidRNN(3, 4, num_layers=2, bidirectional=True)
>>> reference = SigmoidRNN(3, 4, num_layers=2, bidirectional=True, fused=False)
>>> reference.load_state_dict(fused.state_dict()) and None
>>> x, lengths = torch.randn(2, 5, 3), torch.tensor([5, 2])
>>> (out, h), (out_ref, h_ref) = fused(x, lengths), reference(x, lengths)
>>> tuple(out.shape), tuple(h.shape)
((2, 5, 8), (4, 2, 4))
>>> bool(torch.allclose(out, out_ref, atol=1e-6) and torch.allclose(h, h_ref, atol=1e-6))
True
"""

from __future__ import annotations

import math
import warnings

import torch
from torch import nn
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence


class SigmoidRNN(nn.Module):
    """An Elman RNN with a logistic-sigmoid recurrence, laid out like ``nn.RNN``.

    Parameters carry ``nn.RNN``'s names (``weight_hh_l0``, ``weight_hh_l0_reverse``, ...) and
    initialisation, so probes, checkpoints and parameter counts treat both alike, whichever
    path runs. ``forward(x (B, T, I), lengths (B,), h0 (L*D, B, H))`` returns outputs
    (B, T, D*H), zero past each length, and the final state (L*D, B, H) taken at each
    example's own length (a length of 0 keeps ``h0``).
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bidirectional: bool = False, dropout: float = 0.0, fused: bool = True) -> None:
        super().__init__()
        self.hidden_size, self.num_layers = hidden_size, num_layers
        self.directions = 2 if bidirectional else 1
        self.dropout, self.fused = dropout, fused
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else hidden_size * self.directions
            for suffix in self._suffixes:
                self.register_parameter(f"weight_ih_l{layer}{suffix}", nn.Parameter(torch.empty(hidden_size, layer_input)))
                self.register_parameter(f"weight_hh_l{layer}{suffix}", nn.Parameter(torch.empty(hidden_size, hidden_size)))
                self.register_parameter(f"bias_ih_l{layer}{suffix}", nn.Parameter(torch.empty(hidden_size)))
                self.register_parameter(f"bias_hh_l{layer}{suffix}", nn.Parameter(torch.empty(hidden_size)))
        bound = 1 / math.sqrt(hidden_size)
        for p in self.parameters():
            nn.init.uniform_(p, -bound, bound)

    @property
    def _suffixes(self) -> tuple[str, ...]:
        return ("", "_reverse")[: self.directions]

    def _weights(self, layer: int, suffix: str) -> list[torch.Tensor]:
        return [getattr(self, f"{name}_l{layer}{suffix}") for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]

    def extra_repr(self) -> str:
        return (f"hidden_size={self.hidden_size}, num_layers={self.num_layers}, directions={self.directions}, "
                f"dropout={self.dropout}, fused={self.fused}")

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None,
                h0: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        if lengths is not None and bool((lengths == x.shape[1]).all()):
            lengths = None  # every sequence is full: no packing, masking or gathering
        return (self._fused if self.fused else self._hand_written)(x, lengths, h0)

    def _between_layers(self, layer_output: torch.Tensor, layer: int) -> torch.Tensor:
        if self.dropout and self.training and layer < self.num_layers - 1:
            # contiguous: the mask is drawn in memory order, so both paths draw the same one
            return nn.functional.dropout(layer_output.contiguous(), self.dropout)
        return layer_output

    def _fused(self, x: torch.Tensor, lengths: torch.Tensor | None,
               h0: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
        """One ``torch._VF.rnn_tanh`` call per layer on g = 2h - 1; see the module docstring."""
        batch, steps, _ = x.shape
        if h0 is None:
            g = x.new_full((self.num_layers * self.directions, batch, self.hidden_size), -1.0)  # (L*D, B, H)
        else:
            g = 2 * h0.to(x.dtype) - 1
        if lengths is None:
            data, batch_sizes, packed = x, None, None  # (B, T, I)
        else:
            lengths = lengths.cpu()
            empty = lengths == 0  # packing refuses length 0: run one step and restore h0 below
            packed = pack_padded_sequence(x, lengths.clamp(min=1), batch_first=True, enforce_sorted=False)
            data, batch_sizes = packed.data, packed.batch_sizes  # (sum of lengths, I), (T,)
            g = g.index_select(1, packed.sorted_indices.to(g.device))  # batch in packed (length) order
        finals = []
        for layer in range(self.num_layers):
            weights = []
            for suffix in self._suffixes:
                w_ih, w_hh, b_ih, b_hh = self._weights(layer, suffix)
                weights += [w_ih * 0.5, w_hh * 0.25, b_ih * 0.5, torch.add(b_hh, w_hh.sum(1), alpha=0.5) * 0.5]
            d = self.directions
            g_layer = g if self.num_layers == 1 else g[layer * d:(layer + 1) * d]  # (D, B, H)
            args = (weights, True, 1, 0.0, self.training, self.directions == 2)
            if batch_sizes is None:
                out, g_n = _rnn_tanh(data, g_layer, *args, True)  # (B, T, D*H), (D, B, H)
            else:
                out, g_n = _rnn_tanh(data, batch_sizes, g_layer, *args)  # (N, D*H), (D, B, H)
            finals.append(g_n)
            data = self._between_layers(_to_h(out), layer)
        h_n = _to_h(finals[0] if len(finals) == 1 else torch.cat(finals))  # (L*D, B, H)
        if packed is None:
            return data, h_n
        out, _ = pad_packed_sequence(PackedSequence(data, batch_sizes, packed.sorted_indices, packed.unsorted_indices),
                                     batch_first=True, total_length=steps)  # (B, T, D*H), zero at padding
        h_n = h_n.index_select(1, packed.unsorted_indices.to(h_n.device))
        if bool(empty.any()):
            empty = empty.to(x.device)
            out = out.masked_fill(empty[:, None, None], 0.0)
            h_n = torch.where(empty[None, :, None], h0 if h0 is not None else torch.zeros_like(h_n), h_n)
        return out, h_n

    def _hand_written(self, x: torch.Tensor, lengths: torch.Tensor | None,
                      h0: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
        """The recurrence step by step with :class:`_SigmoidScan` (the reference implementation)."""
        batch, steps, _ = x.shape
        if lengths is None:
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
            for d, suffix in enumerate(self._suffixes):
                w_ih, w_hh, b_ih, b_hh = self._weights(layer, suffix)
                if d == 0:
                    seq = layer_input
                else:
                    seq = layer_input.flip(1) if flip is None else _gather_steps(layer_input, flip)
                # time-major (T, B, I) so that every step of the recurrence reads contiguous rows
                seq = seq.transpose(0, 1).reshape(steps * batch, -1)
                projected = torch.addmm(b_ih + b_hh, seq, w_ih.t()).view(steps, batch, -1)  # (T, B, H)
                h = (h0[layer * self.directions + d] if h0 is not None
                     else x.new_zeros(batch, self.hidden_size))  # (B, H)
                out, h = _sigmoid_recurrence(projected, w_hh, lengths, valid, h)
                if d == 1:
                    out = out.flip(1) if flip is None else _gather_steps(out, flip)
                outs.append(out)
                finals.append(h)
            layer_input = self._between_layers(torch.cat(outs, dim=-1), layer)  # (B, T, D*H)
        return layer_input, torch.stack(finals)  # (B, T, D*H), (L*D, B, H)


# A CPU scalar: usable with tensors on any device and of any float dtype. Its device is explicit:
# the module is often first imported inside ``with torch.device("meta")`` (param_budget's builds).
_HALF = torch.tensor(0.5, device="cpu")


def _to_h(g: torch.Tensor) -> torch.Tensor:
    """h = (1 + g) / 2 in one kernel (keeps g's memory layout, as ``mul`` then ``add_`` would in two)."""
    return torch.add(_HALF, g, alpha=0.5)


def _rnn_tanh(data: torch.Tensor, *args) -> tuple[torch.Tensor, torch.Tensor]:
    """``torch._VF.rnn_tanh``, the kernel of ``nn.RNN(nonlinearity="tanh")``.

    The weights are computed afresh on every call, so they never sit in one flat buffer: cuDNN
    copies them into its own (a few kilobytes) and torch warns about it, which is expected here.
    """
    if not data.is_cuda:
        return torch._VF.rnn_tanh(data, *args)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*not part of single contiguous chunk of memory")
        return torch._VF.rnn_tanh(data, *args)


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
