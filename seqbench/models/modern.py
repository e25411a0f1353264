"""The modern recurrent families: ``mingru``, ``minlstm``, ``lru``, ``mamba``, ``slstm``, ``mlstm``.

Written from the papers in plain PyTorch (CPU and GPU alike, no custom kernels):

=========  ====================================================================  ===========================
model      paper                                                                 recurrence
=========  ====================================================================  ===========================
mingru     Feng et al. 2024, "Were RNNs All We Needed?"                          linear, gates from x only
minlstm    Feng et al. 2024                                                      linear, gates from x only
lru        Orvieto et al. 2023, "Resurrecting Recurrent Neural Networks ..."     linear, complex diagonal
mamba      Gu and Dao 2023, "Mamba"; eigenvalues in [-1, 1]: Grazzi et al. 2025  linear, selective diagonal
slstm      Beck et al. 2024, "xLSTM"                                             nonlinear, memory mixing
mlstm      Beck et al. 2024, "xLSTM"                                             linear, matrix memory
=========  ====================================================================  ===========================

Each is a :class:`~seqbench.core.model_def.ModelDef` whose builder puts a
:class:`~seqbench.models.modern_core.ModernCore` (a stack of pre-norm residual blocks, one
mixer each) into the same adapters as the torch cells (:mod:`seqbench.models.adapters`), so
every kind is served: classify the final state, a head per step (tagging, lm, truncated BPTT
included), a decoder, an encoder-decoder (with ``attention`` if asked). Options shared with the
other recurrent families: ``hidden_size`` (the residual width H), ``embedding_size``,
``num_layers`` (blocks), ``dropout`` (on each block's output and before the head),
``param_budget``, and the decoder options; ``bidirectional`` is not offered (each is a causal
recurrence). The linear families take ``scan``: ``parallel`` (minGRU/minLSTM by a log-space
scan, LRU and Mamba by an exact chunked scan that allows complex and negative factors, see
:mod:`seqbench.models.scans`; mLSTM by the paper's parallel form, see
:mod:`seqbench.models.mlstm`), ``sequential`` (the step-by-step reference; same function, same
parameters) or ``auto`` (the default: the faster path of the device, sequential on a CPU for
the scans, where it is 1.7-2.1 x faster, and mLSTM's parallel form everywhere). The
``mamba_signed`` preset (``conf/model/mamba_signed.yaml``) is ``mamba`` with ``eigenvalue_min=-1``.

>>> from seqbench import make_model, make_task
>>> model = make_model("mamba", make_task("parity").spec, hidden_size=16, eigenvalue_min=-1.0)
>>> type(model).__name__, model.core.mixers[0].eigenvalue_min
('SequenceClassifier', -1.0)
>>> make_model("slstm", make_task("parity").spec, hidden_size=10, num_heads=4)
Traceback (most recent call last):
...
seqbench.core.errors.ConfigError: model.hidden_size=10: must be a multiple of model.num_heads=4 with at least 2 units per head (each head gets hidden_size / num_heads units, normalised together: one unit would normalise to a constant)
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from seqbench.core.errors import ConfigError
from seqbench.core.options import Knob
from seqbench.core.model_def import ModelDef
from seqbench.models.recurrent import RECURRENT_OPTIONS, build_recurrent
from seqbench.core.spec import TaskSpec

if TYPE_CHECKING:
    from torch import nn

#: the recurrent families' options, less ``bidirectional`` (a causal recurrence reads forwards only)
COMMON: tuple[Knob, ...] = tuple(
    Knob(k.name, k.default, k.low, k.high, k.choices,
         "residual blocks, each a recurrence (and its gating) around a pre-norm skip connection", k.type, k.optional)
    if k.name == "num_layers" else k
    for k in RECURRENT_OPTIONS if k.name != "bidirectional")

#: the linear families' scan (the same choices as seqbench.models.scans.SCANS, which imports torch)
SCAN = Knob("scan", "auto", choices=("auto", "parallel", "sequential"),
            help="auto (default): the faster path of the device (the scans: sequential on a CPU, parallel on an "
                 "accelerator; mLSTM's parallel form: parallel on both); "
                 "parallel: the scan over the whole sequence; sequential: the step-by-step reference "
                 "(same function and parameters)")


def _family(name: str, description: str, extra: tuple[Knob, ...],
            size_step: Any = None, size_min: Any = None, check: Any = None) -> ModelDef:
    mixer_options = tuple(k.name for k in extra)

    def build(spec: TaskSpec, o: dict[str, Any]) -> nn.Module:
        if check is not None:
            check(o)
        from seqbench.models.modern_core import ModernCell

        cell = ModernCell(name, tuple((k, o[k]) for k in mixer_options))
        return build_recurrent(cell, spec, {k: v for k, v in o.items() if k not in mixer_options})

    return ModelDef(name, description, COMMON + extra, build, size_step=size_step, size_min=size_min)


def _check_lru(o: dict[str, Any]) -> None:
    if not o["r_min"] < o["r_max"]:
        raise ConfigError(f"model.r_min={o['r_min']}, model.r_max={o['r_max']}: the ring needs r_min < r_max")


def _check_heads(o: dict[str, Any]) -> None:
    if o["hidden_size"] % o["num_heads"] or o["hidden_size"] < 2 * o["num_heads"]:
        raise ConfigError(f"model.hidden_size={o['hidden_size']}: must be a multiple of model.num_heads="
                          f"{o['num_heads']} with at least 2 units per head (each head gets hidden_size / "
                          f"num_heads units, normalised together: one unit would normalise to a constant)")


def _heads(o: dict[str, Any]) -> int:
    return o["num_heads"]


def _two_per_head(o: dict[str, Any]) -> int:
    """A parameter budget picks at least 2 units per head."""
    return 2 * o["num_heads"]


mingru = _family(
    "mingru", "minGRU (Feng et al. 2024): h = (1 - z) h + z g(W x), z from x only; log-space parallel scan",
    (SCAN,))
minlstm = _family(
    "minlstm", "minLSTM (Feng et al. 2024): normalised forget/input gates from x only; log-space parallel scan",
    (SCAN,))
lru = _family(
    "lru", "Linear Recurrent Unit (Orvieto et al. 2023): complex diagonal recurrence, exponential "
           "parameterisation, ring initialisation, gamma normalisation; parallel scan",
    (Knob("state_size", None, low=1, high=16_384, type=int, optional=True,
          help="complex states N per layer; null: hidden_size"),
     Knob("r_min", 0.0, low=0.0, high=0.999, help="ring initialisation: smallest eigenvalue magnitude"),
     Knob("r_max", 1.0, low=0.001, high=1.0, help="ring initialisation: largest eigenvalue magnitude"),
     Knob("max_phase", round(2 * math.pi, 4), low=1e-3, high=round(2 * math.pi, 4),
          help="ring initialisation: eigenvalue phases uniform in [0, max_phase]"),
     SCAN),
    check=_check_lru)
mamba = _family(
    "mamba", "Mamba block (Gu and Dao 2023): selective SSM with input-dependent dt, B, C, diagonal A, SiLU "
             "gating, short causal convolution; eigenvalue_min=-1: eigenvalues in [-1, 1] (Grazzi et al. 2025)",
    (Knob("state_size", 16, low=1, high=1024, help="SSM states N per inner channel"),
     Knob("expand", 2, low=1, high=16, help="inner width E = expand x hidden_size"),
     Knob("conv_kernel", 4, low=1, high=64, help="width of the causal depthwise convolution"),
     Knob("eigenvalue_min", 0.0, low=-1.0, high=0.0,
          help="state-transition eigenvalues in [eigenvalue_min, 1]: a = m + (1 - m) exp(dt A); 0: Mamba's "
               "exp(dt A) in [0, 1]; -1: 2 exp(dt A) - 1 in [-1, 1] (Grazzi et al. 2025; preset mamba_signed)"),
     SCAN))
slstm = _family(
    "slstm", "sLSTM (Beck et al. 2024, xLSTM): exponential input gate with normaliser and stabiliser states, "
             "heads with block-diagonal recurrent memory mixing, gated feed-forward; step by step",
    (Knob("num_heads", 4, low=1, high=64, help="heads (hidden_size must be a multiple): memory mixing within each"),),
    size_step=_heads, size_min=_two_per_head, check=_check_heads)
mlstm = _family(
    "mlstm", "mLSTM (Beck et al. 2024, xLSTM): a matrix memory per head, C = f C + i v k^T read as "
             "C q / max(|n^T q|, 1), exponential input gate with normaliser and stabiliser, no memory mixing, "
             "short causal convolution in front of q and k; "
             "the paper's parallel form (a causal T x T decay matrix)",
    (Knob("num_heads", 4, low=1, high=64,
          help="heads (hidden_size must be a multiple): each has its own (hidden_size / num_heads)^2 memory "
               "and scalar input and forget gates"),
     Knob("conv_kernel", 4, low=0, high=64,
          help="width of the causal depthwise convolution (with SiLU) in front of q and k, as xLSTM's mLSTM "
               "block; 0: none"),
     SCAN),
    size_step=_heads, size_min=_two_per_head, check=_check_heads)
