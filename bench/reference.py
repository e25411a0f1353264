"""Plain references the benchmark compares seqbench against (written for the benchmark).

``plain_sigmoid_rnn`` is the sigmoid RNN as a straightforward autograd loop, masked step by
step: the algorithm :class:`seqbench.models.cores.SigmoidRNN` used before its hand-written
backward pass (one input projection for all steps, then addmm, sigmoid, where and a mask per
step, all recorded by autograd). It is kept to measure the cell against (the figure's "plain
autograd loop") and to check that both compute the same numbers (``tests/test_bench.py``).
"""

from __future__ import annotations

import torch


def plain_sigmoid_rnn(rnn, x: torch.Tensor, lengths: torch.Tensor | None = None,
                      h0: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Same contract as ``SigmoidRNN.forward``, with autograd recording every step."""
    batch, steps, _ = x.shape
    lengths = torch.full((batch,), steps, device=x.device) if lengths is None else lengths.to(x.device)
    t = torch.arange(steps, device=x.device)[None, :]
    valid = t < lengths[:, None]  # (B, T)
    flip = torch.where(valid, lengths[:, None] - 1 - t, t)  # reverse inside each length

    def gather(seq):  # seq[b, flip[b, t]]
        return seq.gather(1, flip[:, :, None].expand(-1, -1, seq.shape[-1]))

    finals, layer_input = [], x
    for layer in range(rnn.num_layers):
        outs = []
        for d, suffix in enumerate(("", "_reverse")[: rnn.directions]):
            weights = [getattr(rnn, f"{name}_l{layer}{suffix}")
                       for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
            w_ih, w_hh, b_ih, b_hh = weights
            seq = layer_input if d == 0 else gather(layer_input)
            # the input projection of all steps at once; only the recurrence runs step by step
            projected = torch.addmm(b_ih + b_hh, seq.reshape(batch * steps, -1), w_ih.t()).view(batch, steps, -1)
            h = h0[layer * rnn.directions + d] if h0 is not None else x.new_zeros(batch, rnn.hidden_size)
            steps_out = []
            for step in range(steps):
                new = torch.sigmoid(torch.addmm(projected[:, step], h, w_hh.t()))
                keep = valid[:, step, None]
                h = torch.where(keep, new, h)
                steps_out.append(new * keep)
            out = torch.stack(steps_out, dim=1)
            outs.append(out if d == 0 else gather(out))
            finals.append(h)
        layer_input = torch.cat(outs, dim=-1)
    return layer_input, torch.stack(finals)
