"""The recurrent model families: ``rnn_tanh``, ``rnn_relu``, ``rnn_sigmoid``, ``lstm``, ``gru``.

Each is a :class:`~seqbench.core.model_def.ModelDef` whose builder picks the adapter the task's
kind needs (:mod:`seqbench.models.adapters`, imported when a model is built, so listing the
families needs no torch). Stacking (``num_layers``), ``bidirectional``,
``param_budget`` and, for seq2seq, ``attention`` are options of every family; combinations
that make no sense are refused:

>>> from seqbench import make_model, make_task
>>> make_model("lstm", make_task("markov_lm").spec, bidirectional=True)
Traceback (most recent call last):
...
seqbench.core.errors.NotApplicableError: a bidirectional model cannot be a language model: ...
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from seqbench.core.errors import NotApplicableError
from seqbench.core.options import Knob
from seqbench.core.model_def import ModelDef
from seqbench.models.teacher_forcing import TeacherForcing
from seqbench.core.spec import TaskSpec

if TYPE_CHECKING:
    from torch import nn

RECURRENT_OPTIONS: tuple[Knob, ...] = (
    Knob("hidden_size", 64, low=1, high=16_384, help="units per layer and direction"),
    Knob("embedding_size", 32, low=1, high=16_384, help="size of token embeddings"),
    Knob("num_layers", 1, low=1, high=16, help="stacked recurrent layers"),
    Knob("bidirectional", False, help="read inputs in both directions (not for lm or decoders)"),
    Knob("dropout", 0.0, low=0.0, high=0.9, help="dropout between layers and before heads"),
    Knob("teacher_forcing", 1.0, low=0.0, high=1.0,
         help="decoders: probability of feeding the true previous token during training"),
    Knob("teacher_forcing_schedule", "constant", choices=TeacherForcing.SCHEDULES,
         help="decoders: how the teacher-forcing ratio decays over training (scheduled sampling)"),
    Knob("attention", False,
         help="seq2seq: the decoder attends over the encoder's states at every step (additive attention)"),
)


def build_recurrent(cell: str | Callable[..., nn.Module], spec: TaskSpec, o: dict[str, Any]) -> nn.Module:
    """Assemble a recurrent model of ``cell`` for ``spec`` from validated options ``o``.

    ``cell`` is a torch cell name or a core builder (a modern family's
    :class:`~seqbench.models.modern_core.ModernCell`); options a family does not declare
    (``bidirectional``, ``attention``) count as false.
    """
    from seqbench.models.adapters import EncoderDecoder, SequenceClassifier, SequenceTagger, VectorToSequence

    o = {"bidirectional": False, "attention": False, **o}
    core = dict(cell=cell, hidden_size=o["hidden_size"], embedding_size=o["embedding_size"],
                num_layers=o["num_layers"], dropout=o["dropout"])
    if spec.kind == "lm" and o["bidirectional"]:
        raise NotApplicableError(
            "a bidirectional model cannot be a language model: its backward direction reads the "
            "characters it is asked to predict")
    if o["attention"] and spec.kind != "seq2seq":
        raise NotApplicableError(
            f"attention=true lets a decoder look back at an encoder's states at every step; a {spec.kind} "
            + ("decoder starts from one vector, so there is no sequence of states to attend over"
               if spec.kind == "one_to_many" else "model has no decoder") + " (seq2seq tasks only)")
    if spec.kind in ("many_to_one", "one_to_one"):
        return SequenceClassifier(spec, bidirectional=o["bidirectional"], **core)
    if spec.aligned_output:
        return SequenceTagger(spec, bidirectional=o["bidirectional"], **core)
    decoding = dict(teacher_forcing=o["teacher_forcing"], schedule=o["teacher_forcing_schedule"])
    if spec.kind == "one_to_many":
        if o["bidirectional"]:
            raise NotApplicableError(
                "a one_to_many decoder cannot be bidirectional: it generates left to right and the "
                "future tokens do not exist yet")
        return VectorToSequence(spec, **core, **decoding)
    return EncoderDecoder(spec, bidirectional=o["bidirectional"], attention=o["attention"], **core, **decoding)


def _family(name: str, cell: str, description: str) -> ModelDef:
    return ModelDef(name, description, RECURRENT_OPTIONS, lambda spec, o: build_recurrent(cell, spec, o))


rnn_tanh = _family("rnn_tanh", "tanh", "Elman RNN, tanh recurrence (torch's fused nn.RNN)")
rnn_relu = _family("rnn_relu", "relu", "Elman RNN, ReLU recurrence (torch's fused nn.RNN)")
rnn_sigmoid = _family("rnn_sigmoid", "sigmoid", "Elman RNN, logistic-sigmoid recurrence (torch's fused tanh nn.RNN through sigmoid(z) = (1 + tanh(z/2)) / 2)")
lstm = _family("lstm", "lstm", "long short-term memory (torch's fused nn.LSTM)")
gru = _family("gru", "gru", "gated recurrent unit (torch's fused nn.GRU)")
