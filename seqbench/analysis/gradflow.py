"""Gradient flow through time: how large is dLoss/dh_t, and dLoss/dx_t, at every step t?

The lecture's warm-up asks why a sigmoid recurrence makes gradients vanish and a ReLU one
makes them explode. Backpropagation through time multiplies one Jacobian
``dh_{t+1}/dh_t = diag(phi'(.)) W_hh`` per step, so the norm of dLoss/dh_t shrinks or grows
geometrically with the distance from the loss. :func:`probe` measures it on a real model and
batch.

torch's fused ``nn.RNN``/``nn.LSTM``/``nn.GRU`` never expose the per-step hidden states as
tensors of the graph (their ``output`` only carries the direct path to the head), so the
probe replaces the first recurrent core's forward, for one pass, by an unrolled loop over the
very same parameters (same names, same gate order, same length-aware final state) and keeps
the gradient of every first-layer state ``h_t``. The pass runs on a float64 copy of the
model, so a gradient of 1e-80 is measured instead of underflowing to zero.

The modern families (:class:`~seqbench.models.modern_core.ModernCore`: minGRU, minLSTM, LRU,
Mamba, sLSTM, mLSTM) keep their states inside parallel scans and residual blocks, so there is
no single ``h_t`` to read. What every recurrent model has is its core's input ``x_t`` (B, T, I),
and ``||dLoss/dx_t||`` answers the same question from the outside: how much the loss still
depends on step t. The probe records it for every model (``input_norms``); for a classic cell,
dLoss/dx_t = W_ih^T (phi'(a_t) * dLoss/dh_t), so both profiles shrink at about the same rate.

>>> import torch
>>> from seqbench import make_model, make_task
>>> task = make_task("parity", min_length=30, length=30)
>>> batch = task.sample(task.rng(0, "train"), 16)
>>> torch.manual_seed(0) and None
>>> sigmoid = probe(make_model("rnn_sigmoid", task.spec, hidden_size=16), task, batch)
>>> torch.manual_seed(0) and None
>>> gru = probe(make_model("gru", task.spec, hidden_size=16), task, batch)
>>> len(sigmoid.step_norms), sigmoid.first_last_ratio < 1e-10 < gru.first_last_ratio
(30, True)
"""

from __future__ import annotations

import contextlib
import copy
import math
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from seqbench.core.batch import Batch
from seqbench.core.errors import NotApplicableError
from seqbench.models.cores import RecurrentCore
from seqbench.models.modern_core import ModernCore
from seqbench.core.task import Task
from seqbench.engine.trainer_options import TrainerConfig

GRADFLOW_SCHEMA = 2  #: version of the ``gradflow`` section (2: ``input_norms``, modern families)

_ACTIVATIONS = {"tanh": torch.tanh, "relu": torch.relu, "sigmoid": torch.sigmoid}


def first_last_ratio(norms: list[float]) -> float:
    """norms[0] / norms[-1]: << 1 vanishing going back in time, >> 1 exploding (nan without norms).

    >>> first_last_ratio([1e-4, 1e-2, 1.0])
    0.0001
    """
    if not norms:
        return math.nan
    return norms[0] / norms[-1] if norms[-1] > 0 else math.inf


def per_step_factor(norms: list[float]) -> float:
    """The geometric mean change of the norm per step back in time (1: flat).

    >>> per_step_factor([1e-4, 1e-2, 1.0])
    0.01
    """
    steps, ratio = len(norms) - 1, first_last_ratio(norms)
    if steps < 1 or ratio in (0.0, math.inf):
        return math.nan
    return round(ratio ** (1 / steps), 12)


@dataclass
class GradientProfile:
    """What one probe pass measured; norms are Frobenius norms over the whole batch.

    ``step_norms`` and ``weight_hh_norm`` exist for the classic cells only (None for a modern
    family, whose states live inside its scans); ``input_norms`` for every recurrent model.
    """

    step_norms: list[float] | None  # ||dLoss/dh_t|| for t = 1..T (layer 0)
    weight_hh_norm: float | None  # ||dLoss/dW_hh|| of weight_hh_l0
    loss: float
    input_norms: list[float] = field(default_factory=list)  # ||dLoss/dx_t||, x the first core's input

    @property
    def first_last_ratio(self) -> float:
        """||dLoss/dh_1|| / ||dLoss/dh_T|| (nan for a modern family: see :attr:`input_first_last_ratio`)."""
        return first_last_ratio(self.step_norms or [])

    @property
    def per_step_factor(self) -> float:
        """The geometric mean change of ||dLoss/dh_t|| per step back (nan for a modern family).

        >>> GradientProfile([1e-4, 1e-2, 1.0], 0.5, 0.7).per_step_factor
        0.01
        """
        return per_step_factor(self.step_norms or [])

    @property
    def input_first_last_ratio(self) -> float:
        """||dLoss/dx_1|| / ||dLoss/dx_T||."""
        return first_last_ratio(self.input_norms)

    @property
    def input_per_step_factor(self) -> float:
        """The geometric mean change of ||dLoss/dx_t|| per step back.

        >>> GradientProfile(None, None, 0.7, [1e-2, 1.0]).input_per_step_factor
        0.01
        """
        return per_step_factor(self.input_norms)

    def summary(self) -> dict[str, Any]:
        """The record's numbers; the keys of a profile that was not measured are None."""
        state, inputs = self.step_norms is not None, bool(self.input_norms)
        ratio = self.first_last_ratio if state else None
        return {
            "steps": len(self.step_norms) if state else len(self.input_norms),
            "first_step_norm": self.step_norms[0] if state else None,
            "last_step_norm": self.step_norms[-1] if state else None,
            "first_last_ratio": ratio,
            "log10_first_last_ratio": math.log10(ratio) if ratio is not None and 0 < ratio < math.inf else None,
            "per_step_factor": self.per_step_factor if state else None,
            "weight_hh_grad_norm": self.weight_hh_norm,
            "input_first_last_ratio": self.input_first_last_ratio if inputs else None,
            "input_per_step_factor": self.input_per_step_factor if inputs else None,
            "loss": self.loss,
        }


def shown_profile(section: dict[str, Any]) -> tuple[str, str, str]:
    """(norms key, summary-key prefix, symbol) of the profile a probe's section leads with:
    dLoss/dh_t where it was measured (the classic cells), else dLoss/dx_t.

    >>> shown_profile({"step_norms": None, "input_norms": [0.1, 1.0]})
    ('input_norms', 'input_', 'x_t')
    """
    if section.get("step_norms") is not None:
        return "step_norms", "", "h_t"
    return "input_norms", "input_", "x_t"


def recurrent_cores(model: nn.Module) -> list[RecurrentCore]:
    """Every recurrent core of ``model`` in registration order (the encoder's first)."""
    return [m for m in model.modules() if isinstance(m, RecurrentCore)]


def sequence_cores(model: nn.Module) -> list[RecurrentCore | ModernCore]:
    """Every recurrent core of ``model``, classic or modern, in registration order."""
    return [m for m in model.modules() if isinstance(m, (RecurrentCore, ModernCore))]


def scale_recurrent(model: nn.Module, scale: float) -> None:
    """Multiply every recurrent weight matrix (``weight_hh_l*``) of ``model`` by ``scale``.

    Only the classic cells have one; NotApplicableError for a scale other than 1 on any other model.
    """
    if scale != 1 and not recurrent_cores(model):
        raise NotApplicableError(f"gradflow.recurrent_scale={scale:g} scales W_hh, which only the classic recurrent "
                                 f"cells have; {type(model).__name__} has none (use gradflow.recurrent_scale=1)")
    with torch.no_grad():
        for core in recurrent_cores(model):
            for name, parameter in core.rnn.named_parameters():
                if name.startswith("weight_hh_l"):
                    parameter.mul_(scale)


def probe(model: nn.Module, task: Task, batch: Batch) -> GradientProfile:
    """Measure dLoss/dx_t (every recurrent model) and dLoss/dh_t (classic cells) at every step
    of the first recurrent core, on ``batch``.

    ``model`` is left untouched: the pass runs on a float64 copy in evaluation mode (no
    dropout; decoders decode greedily). Raises NotApplicableError for a model without a
    unidirectional recurrent core.
    """
    cores = sequence_cores(model)
    if not cores:
        raise NotApplicableError(f"the gradient-flow probe needs a recurrent model; {type(model).__name__} has no "
                                 f"recurrent core (the time steps of mlp and transformer models do not form a chain)")
    if cores[0].directions != 1:
        raise NotApplicableError("the gradient-flow probe follows one direction of time; use bidirectional=false")
    index = [m for m in model.modules()].index(cores[0])
    twin = copy.deepcopy(model).double().eval()
    core = [m for m in twin.modules()][index]
    batch = replace(batch, **{k: v.double() for k, v in vars(batch).items()
                              if isinstance(v, torch.Tensor) and v.is_floating_point()})
    classic = isinstance(core, RecurrentCore)
    with (unrolled(core) if classic else contextlib.nullcontext(None)) as states, core_inputs(core) as inputs:
        loss = task.loss(twin(batch), batch)
        loss.backward()
    grads = [x.grad if x.grad is not None else torch.zeros_like(x) for x in inputs]
    steps = torch.cat(grads, dim=1) if grads else None  # (B, T, I): a decoder's one-step calls in order
    input_norms = [float(steps[:, t].norm()) for t in range(steps.shape[1])] if steps is not None else []
    if not classic:
        return GradientProfile(None, None, float(loss.detach()), input_norms)
    norms = [float(h.grad.norm()) if h.grad is not None else 0.0 for h in states]
    w_hh = core.rnn.weight_hh_l0.grad
    return GradientProfile(norms, float(w_hh.norm()) if w_hh is not None else 0.0, float(loss.detach()), input_norms)


@contextlib.contextmanager
def core_inputs(core: nn.Module) -> Iterator[list[torch.Tensor]]:
    """Within the block, the input x (B, T, I) of every call of ``core`` becomes a leaf that keeps its
    gradient; yields the list that receives them, in call order (an encoder reads its sequence in one
    call, a decoder in evaluation mode one step per call). What feeds x (the embedding) gets no gradient."""
    inputs: list[torch.Tensor] = []

    def as_leaf(module: nn.Module, args: tuple[Any, ...]) -> tuple[Any, ...]:
        inputs.append(args[0].detach().requires_grad_(True))
        return (inputs[-1], *args[1:])

    handle = core.register_forward_pre_hook(as_leaf)
    try:
        yield inputs
    finally:
        handle.remove()


def with_length(knob_names: list[str], knobs: dict[str, Any], length: int | None) -> dict[str, Any]:
    """Task knobs with every sequence of the given ``length``: sets ``length`` and ``min_length``.

    >>> with_length(["min_length", "length", "ood_length"], {"length": 8}, 100)
    {'length': 100, 'min_length': 100}
    """
    if length is None:
        return dict(knobs)
    if "length" not in knob_names:
        raise NotApplicableError("gradflow.length needs a task with a `length` knob; set gradflow.length=null "
                                 "to probe the task's own lengths")
    return {**knobs, **{k: length for k in ("length", "min_length") if k in knob_names}}


def run_gradflow(task: Task, model: nn.Module, seed: int = 0, batch_size: int = 64, recurrent_scale: float = 1.0,
                 trainer: TrainerConfig | None = None, device: str = "cpu") -> dict[str, Any]:
    """Probe ``model`` at initialisation (W_hh scaled by ``recurrent_scale``), train it with
    :func:`~seqbench.engine.train.fit_config` when ``trainer`` (checked options, a plan's) is given,
    and probe it again. Training starts from the random streams as the caller left them: build the
    model with :func:`seqbench.runs.experiment.build_model`, which seeds them once.

    The probe batch (``batch_size`` examples of the ``test`` stream of ``seed``) is the same
    both times. Returns the record's ``gradflow`` section; with training also the fit result
    under ``"fit"``.
    """
    if task.kind == "one_to_one":
        raise NotApplicableError(f"task {task.name!r} is one_to_one: a recurrent model reads its input in one "
                                 f"step, so there is no chain of steps to backpropagate through")
    scale_recurrent(model, recurrent_scale)
    batch = task.sample(task.rng(seed, "test"), batch_size, "test")
    profiles = {"init": probe(model, task, batch)}
    out: dict[str, Any] = {}
    if trainer is not None:
        from seqbench.engine.train import fit_config

        out["fit"] = fit_config(model, task, trainer, seed=seed, device=device)
        profiles["trained"] = probe(model.cpu(), task, batch)
    out["gradflow"] = {
        "schema": GRADFLOW_SCHEMA, "layer": 0, "batch_size": batch.size, "recurrent_scale": recurrent_scale,
        "lengths": sorted({int(n) for n in batch.lengths.tolist()}) if batch.lengths is not None else None,
        **{when: {**p.summary(), "step_norms": p.step_norms, "input_norms": p.input_norms}
           for when, p in profiles.items()},
    }
    return out


@contextlib.contextmanager
def unrolled(core: RecurrentCore) -> Iterator[list[torch.Tensor]]:
    """Within the block, ``core`` runs :func:`unrolled_forward`; yields the layer-0 states h_t.

    The list fills during the forward pass; each state keeps its gradient after backward.
    """
    states: list[torch.Tensor] = []
    core.forward = lambda x, lengths=None, state=None: unrolled_forward(core, x, lengths, state, states)
    try:
        yield states
    finally:
        del core.forward  # back to the class's forward


def unrolled_forward(core: RecurrentCore, x: torch.Tensor, lengths: torch.Tensor | None = None,
                     state: Any = None, trace: list[torch.Tensor] | None = None) -> tuple[torch.Tensor, Any]:
    """The core's forward as an explicit loop over steps, layers and gates.

    Same contract as :meth:`RecurrentCore.forward` for unidirectional cores: x (B, T, I) ->
    outputs (B, T, H) (zero at padding) and the final state (L, B, H) (a pair for the LSTM),
    taken at each example's own length. Layer-0 states are appended to ``trace``.
    """
    batch, steps, _ = x.shape
    if lengths is None:
        lengths = torch.full((batch,), steps, dtype=torch.long)
    valid = torch.arange(steps)[None, :] < lengths.cpu()[:, None]  # (B, T)
    valid = valid.to(x.device)
    rnn, cell, hidden = core.rnn, core.cell, core.hidden_size
    if state is None:
        zeros = x.new_zeros(core.num_layers, batch, hidden)
        state = (zeros, zeros) if cell == "lstm" else zeros
    h_all, c_all = state if cell == "lstm" else (state, None)
    finals_h, finals_c, layer_input = [], [], x
    for layer in range(core.num_layers):
        w_ih, w_hh = getattr(rnn, f"weight_ih_l{layer}"), getattr(rnn, f"weight_hh_l{layer}")
        b_ih, b_hh = getattr(rnn, f"bias_ih_l{layer}"), getattr(rnn, f"bias_hh_l{layer}")
        projected = layer_input @ w_ih.t() + b_ih  # (B, T, G*H), G gates
        h = h_all[layer]  # (B, H)
        c = c_all[layer] if c_all is not None else None
        outputs = []
        for t in range(steps):
            new_h, new_c = _cell_step(cell, projected[:, t], h, c, w_hh, b_hh)
            keep = valid[:, t, None]  # (B, 1)
            h = torch.where(keep, new_h, h)
            c = torch.where(keep, new_c, c) if c is not None else None
            if layer == 0 and trace is not None:
                h.retain_grad()
                trace.append(h)
            outputs.append(h * keep)  # h, not new_h: its gradient then has both paths (head and next step)
        finals_h.append(h)
        finals_c.append(c)
        layer_input = torch.stack(outputs, dim=1)  # (B, T, H)
        if layer < core.num_layers - 1 and getattr(rnn, "dropout", 0.0):
            layer_input = F.dropout(layer_input, rnn.dropout, training=core.training)
    final_h = torch.stack(finals_h)  # (L, B, H)
    return layer_input, ((final_h, torch.stack(finals_c)) if cell == "lstm" else final_h)


def _cell_step(cell: str, x_proj: torch.Tensor, h: torch.Tensor, c: torch.Tensor | None,
               w_hh: torch.Tensor, b_hh: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
    """One step of ``cell``: x_proj = x W_ih^T + b_ih (B, G*H), h (B, H) -> new (h, c)."""
    recurrent = h @ w_hh.t() + b_hh  # (B, G*H)
    if cell in _ACTIVATIONS:
        return _ACTIVATIONS[cell](x_proj + recurrent), None
    if cell == "lstm":  # torch's gate order: input, forget, cell, output
        i, f, g, o = (x_proj + recurrent).chunk(4, dim=-1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        return torch.sigmoid(o) * torch.tanh(c), c
    # GRU, torch's gate order: reset, update, new; the reset gate scales W_hn h + b_hn
    x_r, x_z, x_n = x_proj.chunk(3, dim=-1)
    h_r, h_z, h_n = recurrent.chunk(3, dim=-1)
    r, z = torch.sigmoid(x_r + h_r), torch.sigmoid(x_z + h_z)
    n = torch.tanh(x_n + r * h_n)
    return (1 - z) * n + z * h, None
