"""Adapters: what a recurrent core needs around it for each kind of task.

=============  =============================  ============================================
kind           adapter                        output
=============  =============================  ============================================
many_to_one    :class:`SequenceClassifier`    (B, K) logits, or (B,) values for regression
one_to_one     :class:`SequenceClassifier`    the vector read as one step; (B, K) logits
tagging, lm    :class:`SequenceTagger`        (B, T, K) logits, one per input step
one_to_many    :class:`VectorToSequence`      (B, T_out, V) logits from a :class:`TokenDecoder`
seq2seq        :class:`EncoderDecoder`        (B, T_out, V) logits from a :class:`TokenDecoder`
=============  =============================  ============================================

An encoder-decoder built with ``attention=True`` re-reads the encoder's states at every
decoding step through :class:`~seqbench.models.attention.AdditiveAttention`.

``cell`` is a torch cell name (:data:`~seqbench.models.cores.CELLS`) or a core builder such as
a modern family's :class:`~seqbench.models.modern_core.ModernCell`; the adapters reach the core
only through :func:`~seqbench.models.cores.make_core`'s interface (``top_state``,
``layer_states``, ``initial_state``), so every kind works with either.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from seqbench.core.batch import Batch
from seqbench.models.attention import AdditiveAttention, Memory
from seqbench.models.cores import State, make_core
from seqbench.models.hooks import ForcedLengthSwitch, forbid_eos
from seqbench.models.teacher_forcing import TeacherForcing
from seqbench.core.spec import Real, TaskSpec, Tokens, Vector

Cell = str | Callable[..., nn.Module]  #: a torch cell name, or a core builder (see make_core)


class InputEncoder(nn.Module):
    """Token ids -> embeddings (B, T, E); per-step vectors pass through (B, T, F)."""

    def __init__(self, space: Tokens | Vector, embedding_size: int) -> None:
        super().__init__()
        if isinstance(space, Tokens):
            self.embed: nn.Module = nn.Embedding(space.size, embedding_size, padding_idx=0)
            self.output_size = embedding_size
        else:
            self.embed = nn.Identity()
            self.output_size = space.size

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.embed(inputs)


def output_size(spec: TaskSpec) -> int:
    return 1 if isinstance(spec.output, Real) else spec.output.size


class SequenceClassifier(nn.Module):
    """Many to one: classify (or regress from) the final state of the last layer."""

    def __init__(self, spec: TaskSpec, cell: Cell, hidden_size: int, embedding_size: int,
                 num_layers: int, bidirectional: bool, dropout: float) -> None:
        super().__init__()
        self.one_step = spec.kind == "one_to_one"
        self.encoder = InputEncoder(spec.input, embedding_size)
        self.core = make_core(cell, self.encoder.output_size, hidden_size, num_layers, bidirectional, dropout)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(self.core.output_size, output_size(spec))
        self.regression = isinstance(spec.output, Real)

    def forward(self, batch: Batch) -> torch.Tensor:
        inputs = batch.inputs[:, None, :] if self.one_step else batch.inputs  # (B, T, ...)
        _, state = self.core(self.encoder(inputs), batch.lengths)
        out = self.head(self.dropout(self.core.top_state(state)))  # (B, K)
        return out.squeeze(-1) if self.regression else out


class SequenceTagger(nn.Module):
    """Aligned many to many (tagging) and language models: a head at every step."""

    def __init__(self, spec: TaskSpec, cell: Cell, hidden_size: int, embedding_size: int,
                 num_layers: int, bidirectional: bool, dropout: float) -> None:
        super().__init__()
        self.encoder = InputEncoder(spec.input, embedding_size)
        self.core = make_core(cell, self.encoder.output_size, hidden_size, num_layers, bidirectional, dropout)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(self.core.output_size, output_size(spec))
        self.carries_state = not bidirectional  # truncated BPTT may pass state across chunks
        self.last_state: State | None = None

    def forward(self, batch: Batch, state: State | None = None) -> torch.Tensor:
        out, self.last_state = self.core(self.encoder(batch.inputs), batch.lengths, state)  # (B, T, D*H)
        return self.head(self.dropout(out))  # (B, T, K)


class TokenDecoder(nn.Module):
    """Generates tokens one at a time from an initial state and a context vector.

    Each step reads the previous token (BOS first) and the context. During training the
    previous token is the target's with probability ``teacher_forcing`` and the model's own
    greedy choice otherwise; at evaluation it is always the model's own choice, so targets are
    never seen. With ``attention`` the context is recomputed at every step by attending from
    the previous state over the encoder's states (a :class:`~seqbench.models.attention.Memory`),
    and the head reads the state and that context.
    """

    forbid_eos = False  #: set inside ``forced_length()``: greedy steps never choose EOS

    def __init__(self, cell: Cell, vocab: int, embedding_size: int, context_size: int,
                 hidden_size: int, num_layers: int, dropout: float,
                 attention: AdditiveAttention | None = None) -> None:
        super().__init__()
        self.vocab, self.bos = vocab, vocab  # BOS is one index past the output vocabulary
        self.embed = nn.Embedding(vocab + 1, embedding_size)
        self.core = make_core(cell, embedding_size + context_size, hidden_size, num_layers, False, dropout)
        self.dropout = nn.Dropout(dropout)
        self.attention = attention
        self.head = nn.Linear(hidden_size + (context_size if attention is not None else 0), vocab)
        self.last_attention: torch.Tensor | None = None  # (B, steps, S) weights of the last pass

    def forward(self, state: State, context: torch.Tensor, steps: int,
                targets: torch.Tensor | None = None, teacher_forcing: float = 0.0,
                memory: Memory | None = None) -> torch.Tensor:
        """state (L, B, H) [pair for LSTM], context (B, C) -> logits (B, steps, V)."""
        batch = context.shape[0]
        bos = torch.full((batch, 1), self.bos, dtype=torch.long, device=context.device)
        if targets is not None and teacher_forcing >= 1.0 and self.attention is None:  # all steps at once
            previous = torch.cat([bos, targets[:, : steps - 1]], dim=1)  # (B, steps)
            x = torch.cat([self.embed(previous), context[:, None, :].expand(-1, steps, -1)], dim=-1)
            out, _ = self.core(x, None, state)
            return self.head(self.dropout(out))
        token, logits, weights = bos[:, 0], [], []
        for t in range(steps):
            if self.attention is not None:
                query = self.core.layer_states(state)[-1]  # (B, H) top layer
                context, step_weights = self.attention(query, memory)  # (B, C), (B, S)
                weights.append(step_weights)
            x = torch.cat([self.embed(token), context], dim=-1)[:, None, :]  # (B, 1, E+C)
            out, state = self.core(x, None, state)
            features = out[:, 0] if self.attention is None else torch.cat([out[:, 0], context], dim=-1)
            step_logits = forbid_eos(self.head(self.dropout(features)), self.forbid_eos)  # (B, V)
            logits.append(step_logits)
            token = step_logits.argmax(-1)
            if targets is not None and teacher_forcing > 0.0:
                forced = torch.rand(batch, device=context.device) < teacher_forcing
                token = torch.where(forced, targets[:, t], token)
        self.last_attention = torch.stack(weights, dim=1).detach() if weights else None
        return torch.stack(logits, dim=1)


class _Decoding(ForcedLengthSwitch, nn.Module):
    """Shared parts of the two decoder adapters: teacher forcing and step count."""

    teacher: TeacherForcing

    def begin_step(self, step: int, total_steps: int) -> None:
        """Called by the trainer before each step so scheduled sampling can decay
        (the :class:`~seqbench.models.hooks.ScheduledModel` hook)."""
        self.ratio = self.teacher.ratio(step / max(total_steps, 1))

    def _decode(self, state: State, context: torch.Tensor, batch: Batch,
                memory: Memory | None = None) -> torch.Tensor:
        steps = batch.targets.shape[1]  # the padded target width: a shape, never values
        if self.training:
            return self.decoder(state, context, steps, batch.targets, getattr(self, "ratio", self.teacher.start),
                                memory=memory)
        return self.decoder(state, context, steps, memory=memory)


class VectorToSequence(_Decoding):
    """One to many: the input vector sets the decoder's first state and is its context."""

    def __init__(self, spec: TaskSpec, cell: Cell, hidden_size: int, embedding_size: int,
                 num_layers: int, dropout: float, teacher_forcing: float, schedule: str) -> None:
        super().__init__()
        features = spec.input.size
        self.cell, self.num_layers, self.hidden_size = cell, num_layers, hidden_size
        self.context = nn.Sequential(nn.Linear(features, hidden_size), nn.Tanh())
        self.init_state = nn.Linear(hidden_size, num_layers * hidden_size)
        self.decoder = TokenDecoder(cell, spec.output.size, embedding_size, hidden_size, hidden_size,
                                    num_layers, dropout)
        self.teacher = TeacherForcing(teacher_forcing, schedule)

    def forward(self, batch: Batch) -> torch.Tensor:
        context = self.context(batch.inputs.to(self.init_state.weight.dtype))  # (B, H)
        h0 = torch.tanh(self.init_state(context)).view(-1, self.num_layers, self.hidden_size).transpose(0, 1)
        return self._decode(self.decoder.core.initial_state(h0.contiguous()), context, batch)


class EncoderDecoder(_Decoding):
    """Sequence to sequence: an encoder (stacked, maybe bidirectional) bridged to a decoder.

    With ``attention`` the decoder attends over the top encoder layer's outputs at every step
    (both directions concatenated for a bidirectional encoder; padding excluded).
    """

    def __init__(self, spec: TaskSpec, cell: Cell, hidden_size: int, embedding_size: int, num_layers: int,
                 bidirectional: bool, dropout: float, teacher_forcing: float, schedule: str,
                 attention: bool = False) -> None:
        super().__init__()
        self.cell = cell
        self.encoder_input = InputEncoder(spec.input, embedding_size)
        self.encoder = make_core(cell, self.encoder_input.output_size, hidden_size, num_layers,
                                 bidirectional, dropout)
        directions = self.encoder.directions
        # the bridge maps each layer's (forward, backward) final states to the decoder's state
        self.bridge = nn.Linear(directions * hidden_size, hidden_size)
        self.bridge_cell = nn.Linear(directions * hidden_size, hidden_size) if cell == "lstm" else None
        attend = AdditiveAttention(hidden_size, self.encoder.output_size, hidden_size) if attention else None
        self.decoder = TokenDecoder(cell, spec.output.size, embedding_size, self.encoder.output_size,
                                    hidden_size, num_layers, dropout, attend)
        self.teacher = TeacherForcing(teacher_forcing, schedule)

    def _bridge(self, h: torch.Tensor, linear: nn.Linear) -> torch.Tensor:
        layers, directions = self.encoder.num_layers, self.encoder.directions
        h = h.view(layers, directions, h.shape[1], h.shape[2])  # (L, D, B, H)
        h = torch.cat(list(h.unbind(1)), dim=-1)  # (L, B, D*H)
        return torch.tanh(linear(h)).contiguous()  # (L, B, H)

    def forward(self, batch: Batch) -> torch.Tensor:
        encoded, final = self.encoder(self.encoder_input(batch.inputs), batch.lengths)
        context = self.encoder.top_state(final)  # (B, D*H)
        h = self._bridge(self.encoder.layer_states(final), self.bridge)  # (L, B, H)
        c = self._bridge(final[1], self.bridge_cell) if self.bridge_cell is not None else None  # the LSTM's cells
        state = self.decoder.core.initial_state(h, c)
        attention = self.decoder.attention
        memory = attention.memory(encoded, batch.lengths) if attention is not None else None  # (B, S, D*H)
        return self._decode(state, context, batch, memory)
