"""The core of the modern recurrent families: a stack of pre-norm residual blocks around one mixer each.

``ModernCore`` is a drop-in for :class:`~seqbench.models.cores.RecurrentCore`: the adapters of
:mod:`seqbench.models.adapters` (classify the final state, a head per step, decoders,
encoder-decoders) build either through :func:`~seqbench.models.cores.make_core`. For an input
``x`` (B, T, I) it computes

    r_0 = Linear(x)                                         (B, T, H)
    r_l = r_{l-1} + Dropout(Mixer_l(LayerNorm(r_{l-1})))    l = 1 .. num_layers
          [+ Dropout(FFN_l(LayerNorm(r_l)))                  for families with a feed-forward part]
    out = LayerNorm(r_L)

where the mixer is the family's recurrence (:data:`MIXERS`): ``mingru``, ``minlstm``
(:mod:`~seqbench.models.minrnn`), ``lru`` (:mod:`~seqbench.models.lru`), ``mamba``
(:mod:`~seqbench.models.mamba`), ``slstm`` (:mod:`~seqbench.models.slstm`, whose gated
feed-forward network is the second branch), ``mlstm`` (:mod:`~seqbench.models.mlstm`).

**State.** A flat tuple of tensors (so truncated BPTT can detach it): first the *summary*,
(L, B, H), each layer's residual stream at each example's last valid step, then the mixers'
own states stacked over layers (e.g. ``h`` (L, B, H) for minGRU; ``h`` (L, B, E, N) and the
convolution's last inputs for Mamba). Padding steps leave every state unchanged, so the final
state is taken at each example's own length. ``top_state`` is the normalised summary of the
top layer, which equals ``out`` at the last valid step; ``layer_states`` is the summary (what
an encoder-decoder bridges to its decoder, and what attention queries with).

**Decoders.** ``initial_state(h)`` turns a bridge's vectors h (L, B, H) into a state: each
layer's mixer reads ``LayerNorm(h_l)`` as one step from a zero state (a virtual first input),
so the encoder's summary enters the decoder's recurrence through the mixer's own weights.

Bidirectional cores are not offered: each family is a causal recurrence.

>>> import torch
>>> core = ModernCore(ModernCell("mamba", (("state_size", 4),)), input_size=3, hidden_size=8, num_layers=2)
>>> out, state = core(torch.randn(2, 5, 3), torch.tensor([5, 2]))
>>> tuple(out.shape), tuple(core.top_state(state).shape), [tuple(s.shape) for s in state]
((2, 5, 8), (2, 8), [(2, 2, 8), (2, 2, 16, 4), (2, 2, 16, 3)])
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

State = tuple[torch.Tensor, ...]


def _mixer(family: str, size: int, options: dict[str, Any]) -> tuple[nn.Module, nn.Module | None]:
    """The family's mixer of width ``size`` and its feed-forward branch (or None)."""
    if family in ("mingru", "minlstm"):
        from seqbench.models.minrnn import MinGRU, MinLSTM

        return (MinGRU if family == "mingru" else MinLSTM)(size, **options), None
    if family == "lru":
        from seqbench.models.lru import LRU

        options = dict(options)
        options["state_size"] = options.get("state_size") or size
        return LRU(size, **options), None
    if family == "mamba":
        from seqbench.models.mamba import Mamba

        return Mamba(size, **options), None
    if family == "slstm":
        from seqbench.models.slstm import SLSTM, GatedMLP

        return SLSTM(size, **options), GatedMLP(size)
    if family == "mlstm":
        from seqbench.models.mlstm import MLSTM

        return MLSTM(size, **options), None
    raise ValueError(f"unknown modern family {family!r}; one of {', '.join(MIXERS)}")


MIXERS = ("mingru", "minlstm", "lru", "mamba", "slstm", "mlstm")


@dataclass(frozen=True)
class ModernCell:
    """What the adapters receive as ``cell`` for a modern family: its name and mixer options.

    Calling it builds the core, with the signature of :func:`~seqbench.models.cores.make_core`.
    """

    family: str
    options: tuple[tuple[str, Any], ...] = ()

    def __call__(self, input_size: int, hidden_size: int, num_layers: int = 1, bidirectional: bool = False,
                 dropout: float = 0.0) -> ModernCore:
        if bidirectional:
            raise ValueError(f"{self.family} is a causal recurrence: no bidirectional core")
        return ModernCore(self, input_size, hidden_size, num_layers, dropout)


class ModernCore(nn.Module):
    """A stack of ``num_layers`` residual blocks of one modern family (see the module docstring)."""

    directions = 1

    def __init__(self, cell: ModernCell, input_size: int, hidden_size: int, num_layers: int = 1,
                 dropout: float = 0.0) -> None:
        super().__init__()
        self.family, self.hidden_size, self.num_layers = cell.family, hidden_size, num_layers
        self.input = nn.Linear(input_size, hidden_size)
        self.norms = nn.ModuleList(nn.LayerNorm(hidden_size) for _ in range(num_layers))
        blocks = [_mixer(cell.family, hidden_size, dict(cell.options)) for _ in range(num_layers)]
        self.mixers = nn.ModuleList(mixer for mixer, _ in blocks)
        ffns = [ffn for _, ffn in blocks]
        self.ffns = nn.ModuleList(ffns) if all(f is not None for f in ffns) else None
        self.ffn_norms = (nn.ModuleList(nn.LayerNorm(hidden_size) for _ in range(num_layers))
                          if self.ffns is not None else None)
        self.final_norm = nn.LayerNorm(hidden_size)
        self.dropout = nn.Dropout(dropout)

    @property
    def output_size(self) -> int:
        return self.hidden_size

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None,
                state: State | None = None) -> tuple[torch.Tensor, State]:
        """x (B, T, I) -> outputs (B, T, H), zero at padding, and the state after each example's length."""
        batch, steps, _ = x.shape
        valid = None
        if lengths is not None and not bool((lengths == steps).all()):
            valid = torch.arange(steps, device=x.device)[None, :] < lengths.to(x.device)[:, None]  # (B, T)
        r = self.input(x)  # (B, T, H)
        summaries, mixer_states = [], []
        for layer in range(self.num_layers):
            layer_state = None if state is None else tuple(s[layer] for s in state[1:])
            y, new_state = self.mixers[layer](self.norms[layer](r), valid, layer_state)
            r = r + self.dropout(y)
            if self.ffns is not None:
                r = r + self.dropout(self.ffns[layer](self.ffn_norms[layer](r)))
            mixer_states.append(new_state)
            summaries.append(self._last(r, lengths, None if state is None else state[0][layer]))
        out = self.final_norm(r)
        if valid is not None:
            out = out * valid[:, :, None]
        stacked = tuple(torch.stack(parts) for parts in zip(*mixer_states))
        return out, (torch.stack(summaries), *stacked)

    @staticmethod
    def _last(r: torch.Tensor, lengths: torch.Tensor | None, before: torch.Tensor | None) -> torch.Tensor:
        """r (B, T, H) at each example's last valid step (B, H); a length of 0 keeps ``before``."""
        if lengths is None:
            return r[:, -1]
        lengths = lengths.to(r.device)
        last = r[torch.arange(r.shape[0], device=r.device), (lengths - 1).clamp(min=0)]
        empty = (lengths == 0)[:, None]
        return torch.where(empty, before if before is not None else torch.zeros_like(last), last)

    def top_state(self, state: State) -> torch.Tensor:
        """The top layer's output at each example's last valid step: (B, H)."""
        return self.final_norm(state[0][-1])

    def layer_states(self, state: State) -> torch.Tensor:
        """Each layer's summary vector: (L, B, H)."""
        return state[0]

    def initial_state(self, h: torch.Tensor, c: torch.Tensor | None = None) -> State:
        """A decoder's starting state from bridge vectors h (L, B, H): each mixer reads LayerNorm(h_l) once."""
        mixer_states = [self.mixers[layer](self.norms[layer](h[layer])[:, None, :])[1]
                        for layer in range(self.num_layers)]
        return (h, *(torch.stack(parts) for parts in zip(*mixer_states)))
