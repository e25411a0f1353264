"""``mlp``: a fully connected baseline that sees the whole (padded) input at once.

Token inputs are embedded per position and the embeddings of all ``max_input_length``
positions are concatenated (so the first layer's weights grow with the longest input, the
lecture's point about fully connected models); vector inputs are flattened. Sequence outputs
come from one output block per position, up to the longest target the task can produce.

>>> from seqbench import make_model, make_task
>>> model = make_model("mlp", make_task("parity", length=8).spec, hidden_size=16, embedding_size=4)
>>> model.body[0].in_features  # 16 positions (ood_length) x 4 embedding units
64
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from seqbench.batch import Batch
from seqbench.errors import NotApplicableError
from seqbench.memory import check_dense_fits
from seqbench.knobs import Knob
from seqbench.models.adapters import output_size
from seqbench.models.base import ModelDef
from seqbench.spec import TaskSpec, Tokens

MLP_OPTIONS: tuple[Knob, ...] = (
    Knob("hidden_size", 128, low=1, high=65_536, help="units per hidden layer"),
    Knob("embedding_size", 8, low=1, high=4096, help="size of per-position token embeddings"),
    Knob("num_layers", 2, low=1, high=16, help="hidden layers"),
    Knob("dropout", 0.0, low=0.0, high=0.9, help="dropout after each hidden layer"),
)


class MLP(nn.Module):
    def __init__(self, spec: TaskSpec, hidden_size: int, embedding_size: int, num_layers: int,
                 dropout: float) -> None:
        super().__init__()
        self.positions = spec.max_input_length  # None for vector inputs
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
        if spec.kind == "tagging":
            return spec.max_input_length
        if spec.is_decoder_output:
            return spec.max_output_length
        return None

    def forward(self, batch: Batch) -> torch.Tensor:
        x = batch.inputs
        if self.embed is not None:
            x = self.embed(x)  # (B, T, E)
        if self.positions is not None:
            x = F.pad(x, (0, 0, 0, self.positions - x.shape[1]))  # (B, T_max, E)
        h = self.body(x.reshape(x.shape[0], -1).float())  # (B, hidden)
        out = self.head(h)
        if self.out_steps is None:
            return out.squeeze(-1) if self.squeeze else out  # (B, K) or (B,)
        out = out.view(x.shape[0], self.out_steps, self.out_size)  # (B, T_out_max, V)
        return out[:, : batch.targets.shape[1]]


def first_layer_inputs(spec: TaskSpec, embedding_size: int) -> int:
    """Inputs of the first layer: the flattened (padded) input, token positions embedded."""
    step_size = embedding_size if isinstance(spec.input, Tokens) else spec.input.size
    return step_size * (spec.max_input_length or 1)


def build_mlp(spec: TaskSpec, o: dict[str, Any]) -> nn.Module:
    if spec.kind == "lm":
        raise NotApplicableError(
            "an mlp over the whole padded input cannot be a language model: it would see the "
            "characters it is asked to predict")
    if spec.is_decoder_output and spec.max_output_length is None:
        raise NotApplicableError("the task does not bound its output length, which an mlp needs")
    if torch.get_default_device().type != "meta":  # meta builds (parameter counting) allocate nothing
        # refuse, from the calculation, a first layer whose training state cannot fit in memory
        check_dense_fits(first_layer_inputs(spec, o["embedding_size"]), o["hidden_size"])
    return MLP(spec, **o)


mlp = ModelDef("mlp", "fully connected network on the flattened padded input", MLP_OPTIONS, build_mlp)
