"""The ``mlp`` family's network (declared in :mod:`seqbench.models.mlp`, which imports this on build).

>>> from seqbench import make_model, make_task
>>> model = make_model("mlp", make_task("reverse", length=4).spec, hidden_size=8)
>>> type(model).__name__, model.out_steps  # one block per training target position (length 4 + EOS)
('MLP', 5)
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from seqbench.core.batch import Batch
from seqbench.models.adapters import output_size
from seqbench.models.hooks import ForcedLengthSwitch
from seqbench.core.spec import TaskSpec, Tokens


def first_layer_inputs(spec: TaskSpec, embedding_size: int) -> int:
    """Inputs of the first layer: the flattened (padded) input, token positions embedded."""
    step_size = embedding_size if isinstance(spec.input, Tokens) else spec.input.size
    return step_size * (spec.max_train_input_length or 1)


class MLP(ForcedLengthSwitch, nn.Module):
    def __init__(self, spec: TaskSpec, hidden_size: int, embedding_size: int, num_layers: int,
                 dropout: float) -> None:
        super().__init__()
        self.positions = spec.max_train_input_length  # None for vector inputs
        self.max_input_length = self.positions  # the FixedLength hook: longer inputs are not scored
        tokens = isinstance(spec.input, Tokens)
        self.embed: nn.Module | None = nn.Embedding(spec.input.size, embedding_size, padding_idx=0) if tokens else None
        in_features = first_layer_inputs(spec, embedding_size)
        layers: list[nn.Module] = []
        for _ in range(num_layers):
            layers += [nn.Linear(in_features, hidden_size), nn.ReLU(), nn.Dropout(dropout)]
            in_features = hidden_size
        self.body = nn.Sequential(*layers)
        self.out_steps = self._output_steps(spec)  # None: one output per example
        self.out_size = output_size(spec)
        self.head = nn.Linear(hidden_size, self.out_size * (self.out_steps or 1))
        self.squeeze = self.out_size == 1 and self.out_steps is None

    @staticmethod
    def _output_steps(spec: TaskSpec) -> int | None:
        if spec.aligned_output:
            return spec.max_train_input_length
        if spec.is_decoder_output:
            return spec.train_output_length or spec.max_output_length
        return None

    def forward(self, batch: Batch) -> torch.Tensor:
        x = batch.inputs
        if self.embed is not None:
            x = self.embed(x)  # (B, T, E)
        if self.positions is not None:
            if x.shape[1] > self.positions:
                raise ValueError(f"the mlp reads at most {self.positions} steps (the training length); "
                                 f"this batch has {x.shape[1]}")
            x = F.pad(x, (0, 0, 0, self.positions - x.shape[1]))  # (B, T_train, E)
        h = self.body(x.reshape(x.shape[0], -1).float())  # (B, hidden)
        out = self.head(h)
        if self.out_steps is None:
            return out.squeeze(-1) if self.squeeze else out  # (B, K) or (B,)
        out = out.view(x.shape[0], self.out_steps, self.out_size)  # (B, T_out_train, V)
        width = batch.targets.shape[1]
        if width > self.out_steps:  # a longer target than training ever had: no weights for it
            out = torch.cat([out, out.new_zeros(out.shape[0], width - self.out_steps, self.out_size)], dim=1)
        out = out[:, :width]
        if self.forbid_eos:  # forced length: every position is written, EOS never chosen
            from seqbench.core.spec import EOS

            out = out.clone()
            out[:, :, EOS] = float("-inf")
        return out
