"""The short causal depthwise convolution in front of a recurrence (Mamba's block, xLSTM's mLSTM block).

For an input ``x`` (B, T, C) and a kernel of ``k`` taps, channel ``c`` at step ``t`` is

    y_t[c] = bias[c] + sum_{j=0}^{k-1} w[c, j] x_{t-(k-1)+j}[c]

with ``x`` before the first step taken from a carried *window* (zeros for a fresh sequence): the
last ``k - 1`` inputs of the chunk before, so a sequence cut into chunks (truncated BPTT, a
decoder stepping one token at a time) gives the outputs of the whole. The zeros before the
first step are what lets a position-free model tell the first steps from the rest.

:class:`CausalConv1d` is an ``nn.Conv1d`` (``groups = channels``, no padding), so its parameters,
their names (``weight`` (C, 1, k), ``bias`` (C,)) and their initialisation are torch's.

>>> import torch
>>> conv = CausalConv1d(2, kernel=3)
>>> with torch.no_grad():
...     conv.weight.copy_(torch.tensor([[[1.0, 10.0, 100.0]], [[0.0, 0.0, 1.0]]])); conv.bias.zero_()
... # doctest: +ELLIPSIS
Parameter...
>>> x = torch.tensor([[[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]]])  # (B, T, C) = (1, 3, 2)
>>> window = conv.extend(x, None)  # (B, C, k - 1 + T): two zeros, then the inputs
>>> conv.convolve(window).transpose(1, 2).tolist()  # channel 0: 100 x_t + 10 x_{t-1} + x_{t-2}
[[[100.0, 1.0], [210.0, 2.0], [321.0, 3.0]]]
>>> conv.last_inputs(window, torch.tensor([[True, True, False]])).tolist()  # the window after step 2
[[[1.0, 2.0], [1.0, 2.0]]]
"""

from __future__ import annotations

import torch
from torch import nn


class CausalConv1d(nn.Conv1d):
    """A depthwise causal convolution of ``channels`` channels and ``kernel`` taps (module docstring)."""

    def __init__(self, channels: int, kernel: int) -> None:
        super().__init__(channels, channels, kernel, groups=channels)
        self.kernel = kernel

    def extend(self, x: torch.Tensor, window: torch.Tensor | None) -> torch.Tensor:
        """x (B, T, C) after the carried window (B, C, k - 1), zeros if None -> (B, C, k - 1 + T)."""
        if window is None:
            window = x.new_zeros(x.shape[0], x.shape[2], self.kernel - 1)
        return torch.cat([window.to(x.dtype), x.transpose(1, 2)], dim=2)

    def convolve(self, window: torch.Tensor) -> torch.Tensor:
        """The convolution (no padding) of window (B, C, k - 1 + T) -> (B, C, T), as k shifted
        products: the same function as ``nn.Conv1d.forward``, without mkldnn's depthwise backward
        pass, which took 10-15 ms a Mamba training step on one CPU thread, longer than the rest of
        the convolution's work together."""
        steps = window.shape[2] - self.kernel + 1
        weight = self.weight[:, 0, :, None]  # (C, k, 1)
        out = torch.addcmul(self.bias[:, None], weight[:, 0], window[:, :, :steps])
        for k in range(1, self.kernel):
            out = out.addcmul(weight[:, k], window[:, :, k:k + steps])
        return out  # (B, C, T)

    def last_inputs(self, window: torch.Tensor, valid: torch.Tensor | None) -> torch.Tensor:
        """The window to carry on: the last k - 1 inputs up to each example's length, (B, C, k - 1)
        (``valid`` (B, T) marks the steps before each example's length; None: all)."""
        keep = self.kernel - 1
        if valid is None:
            return window[:, :, window.shape[2] - keep:]
        lengths = valid.sum(1)  # (B,): window index j holds input j - (k - 1)
        index = lengths[:, None] + torch.arange(keep, device=window.device)  # (B, k - 1)
        return window.gather(2, index[:, None, :].expand(-1, window.shape[1], -1))
