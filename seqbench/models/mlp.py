"""``mlp``: a fully connected baseline that sees the whole (padded) input at once.

Token inputs are embedded per position and the embeddings of the training range's longest
input are concatenated (so the first layer's weights grow with the input length, the
lecture's point about fully connected models); vector inputs are flattened. Sequence outputs
come from one output block per position, up to the longest training target. The mlp has no
weights for longer inputs, so splits with longer inputs (``test_ood``) are reported as not
applicable, with the reason, instead of scoring positions it never trained on.

>>> from seqbench import make_model, make_task
>>> model = make_model("mlp", make_task("parity", length=8).spec, hidden_size=16, embedding_size=4)
>>> model.body[0].in_features  # 8 positions (the training length) x 4 embedding units
32
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from seqbench.core.errors import NotApplicableError
from seqbench.core.options import Knob
from seqbench.core.memory import check_dense_fits
from seqbench.core.model_def import ModelDef
from seqbench.core.spec import TaskSpec

if TYPE_CHECKING:
    from torch import nn

MLP_OPTIONS: tuple[Knob, ...] = (
    Knob("hidden_size", 128, low=1, high=65_536, help="units per hidden layer"),
    Knob("embedding_size", 8, low=1, high=4096, help="size of per-position token embeddings"),
    Knob("num_layers", 2, low=1, high=16, help="hidden layers"),
    Knob("dropout", 0.0, low=0.0, high=0.9, help="dropout after each hidden layer"),
)


def build_mlp(spec: TaskSpec, o: dict[str, Any]) -> nn.Module:
    import torch

    from seqbench.models.mlp_net import MLP, first_layer_inputs

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
