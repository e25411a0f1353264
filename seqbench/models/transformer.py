"""``transformer``: a small pre-norm transformer, the modern comparator for the recurrent models.

It takes the shape each kind asks for, built from torch's encoder and decoder layers:

=============  ==========================================================================
kind           model
=============  ==========================================================================
many_to_one    encoder; the mean of its outputs over the real steps -> head
one_to_one     encoder over the input vector read as one step -> head
tagging        encoder (every step sees the whole input) -> head at every step
lm             causal encoder (step t attends to steps <= t only): a decoder-only model
seq2seq        encoder + decoder (causal self-attention, cross-attention to the encoder)
one_to_many    decoder cross-attending to the input vector projected to one memory step
=============  ==========================================================================

Positions are sinusoidal (Vaswani et al. 2017), computed for whatever length arrives, so
``test_ood`` inputs longer than any training input need no table. Decoders are trained with
teacher forcing, all steps in parallel, and decode greedily at evaluation, one token at a
time from BOS, never reading the targets (only their padded width, a shape).

>>> from seqbench import make_model, make_task
>>> task = make_task("reverse", length=5)
>>> model = make_model("transformer", task.spec, hidden_size=16, num_heads=2).eval()
>>> batch = task.sample(task.rng(0, "test_ood"), 3, "test_ood")  # longer than training
>>> logits = model(batch)  # (B, T_out, V): one row per target position, 6 output symbols
>>> batch.inputs.shape[1] > 5, tuple(logits.shape) == (3, batch.targets.shape[1], 6)
(True, True)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from seqbench.core.errors import ConfigError
from seqbench.core.options import Knob
from seqbench.core.model_def import ModelDef
from seqbench.core.spec import TaskSpec

if TYPE_CHECKING:
    from torch import nn

TRANSFORMER_OPTIONS: tuple[Knob, ...] = (
    Knob("hidden_size", 64, low=1, high=16_384, help="model width d_model (a multiple of num_heads)"),
    Knob("embedding_size", None, low=1, high=16_384, type=int, optional=True,
         help="token embedding size; null: hidden_size (otherwise projected to hidden_size)"),
    Knob("num_layers", 2, low=1, high=16, help="encoder layers (and as many decoder layers)"),
    Knob("num_heads", 4, low=1, high=64, help="attention heads per layer"),
    Knob("ff_multiplier", 4, low=1, high=16, help="feed-forward width = ff_multiplier x hidden_size"),
    Knob("dropout", 0.0, low=0.0, high=0.9, help="dropout in attention, feed-forward and embeddings"),
)


def build_transformer(spec: TaskSpec, o: dict[str, Any]) -> nn.Module:
    if o["hidden_size"] % o["num_heads"]:
        raise ConfigError(f"model.hidden_size={o['hidden_size']}: must be a multiple of "
                          f"model.num_heads={o['num_heads']} (each head gets hidden_size / num_heads features)")
    from seqbench.models.transformer_net import Transformer

    return Transformer(spec, **o)


transformer = ModelDef(
    "transformer", "small pre-norm transformer: encoder, causal lm, or encoder-decoder by kind; sinusoidal positions",
    TRANSFORMER_OPTIONS, build_transformer, size_step=lambda o: o["num_heads"])
