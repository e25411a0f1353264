"""The trainer's options, declared once (``seqbench.engine.train.fit`` reads them; the CLI offers them as
``trainer.*``). A module of its own so the command line can check a configuration without torch.

>>> [k.name for k in TRAINER_OPTIONS][:3]
['steps', 'batch_size', 'lr']
"""

from __future__ import annotations

from seqbench.core.options import Knob

TRAINER_OPTIONS: tuple[Knob, ...] = (
    Knob("steps", 1000, low=1, high=10_000_000, help="optimisation steps (the budget)"),
    Knob("batch_size", 64, low=1, high=65_536, help="examples per training step"),
    Knob("lr", 1e-3, low=1e-8, high=10.0, help="Adam learning rate"),
    Knob("clip", "norm", choices=("norm", "value", "none"), help="gradient clipping: global norm, per value, or off"),
    Knob("clip_value", 1.0, low=1e-6, high=1e6, help="the clipping threshold"),
    Knob("eval_every", 100, low=1, high=10_000_000, help="evaluate on val every N steps"),
    Knob("eval_size", 2000, low=1, high=1_000_000,
         help="examples in test and test_ood (shared by every model and seed; finite splits whole)"),
    Knob("val_size", 500, low=1, high=1_000_000, help="examples in val (model selection, early stopping)"),
    Knob("eval_batch_size", 256, low=1, high=65_536, help="examples per evaluation forward pass"),
    Knob("target", None, type=float, optional=True,
         help="stop early (converged) once val's primary metric reaches this value, e.g. a ceiling"),
    Knob("stop_at_ceiling", False,
         help="stop early (converged) once val's primary metric reaches its ceiling (accuracy 1), where it has one"),
    Knob("patience", None, low=1, high=1_000_000, type=int, optional=True,
         help="stop (converged) after this many evaluations without an improvement above min_delta"),
    Knob("min_delta", 0.0, low=0.0, high=1e6, help="the smallest change of val's primary metric that counts"),
    Knob("tbptt", None, low=1, high=1_000_000, type=int, optional=True,
         help="truncated backpropagation through time: chunk length k (tagging and lm)"),
    Knob("threads", 1, low=1, high=1024,
         help="torch CPU threads; 1 keeps numbers identical under every launcher and lets parallel "
              "jobs use one core each (raise it for one big model)"),
)
