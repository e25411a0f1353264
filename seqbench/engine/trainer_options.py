"""The trainer's options, declared once (``seqbench.engine.train.fit`` reads them; the CLI offers them as
``trainer.*``), and :class:`TrainerConfig`, the typed, frozen value they are validated into. A module
of its own so the command line can check a configuration without torch.

>>> [k.name for k in TRAINER_OPTIONS][:3]
['steps', 'batch_size', 'lr']
>>> config = TrainerConfig.of({"steps": 10, "lr": 0.01})  # validated here, once; defaults filled
>>> config.steps, config.lr, config.threads, list(config.as_dict())[:3]
(10, 0.01, 1, ['steps', 'batch_size', 'lr'])
>>> TrainerConfig.of({"lr": -1})
Traceback (most recent call last):
...
seqbench.core.errors.ConfigError: trainer.lr=-1: must be a number in [1e-08, 10]
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

from seqbench.core.options import Knob, validate_knobs

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
    Knob("min_steps", 0, low=0, high=10_000_000,
         help="the plateau rule stops no run before this step unless val reached the metric's ceiling: a run "
              "still on its start-up plateau (at chance, not yet learning) has not converged"),
    Knob("smooth", 1, low=1, high=1000,
         help="the plateau rule reads the mean of the last N evaluations (1: each alone), so that a model "
              "whose val score jitters around chance does not pass for one that improves"),
    Knob("checkpoint", "best", choices=("best", "latest_best", "last"),
         help="the parameters scored on every split: best (the best val evaluation; ties keep the earliest), "
              "latest_best (ties keep the latest: a run held at the val ceiling scores its last evaluation "
              "there) or last (the final ones, as the Chomsky-hierarchy paper scores; a diverged run keeps "
              "its best)"),
    Knob("tbptt", None, low=1, high=1_000_000, type=int, optional=True,
         help="truncated backpropagation through time: chunk length k (tagging and lm)"),
    Knob("threads", 1, low=1, high=1024,
         help="torch CPU threads; 1 keeps numbers identical under every launcher and lets parallel "
              "jobs use one core each (raise it for one big model)"),
)


@dataclass(frozen=True)
class TrainerConfig:
    """The trainer's options, validated (:meth:`of`): one typed field per :data:`TRAINER_OPTIONS` knob,
    in the same order. Build it with :meth:`of`, never directly: the knobs check the values.
    ``as_dict()`` is what a record stores as ``trainer_params`` and what a run's identity hashes."""

    steps: int
    batch_size: int
    lr: float
    clip: str  #: "norm", "value" or "none"
    clip_value: float
    eval_every: int
    eval_size: int
    val_size: int
    eval_batch_size: int
    target: float | None
    stop_at_ceiling: bool
    patience: int | None
    min_delta: float
    min_steps: int
    smooth: int
    checkpoint: str  #: "best", "latest_best" or "last"
    tbptt: int | None
    threads: int

    @classmethod
    def of(cls, options: Mapping[str, Any]) -> TrainerConfig:
        """Validate ``options`` (a mapping of knob -> value; the rest take their defaults): the one
        place the trainer's options are checked. A bad one raises a one-line ConfigError."""
        return cls(**validate_knobs("trainer", TRAINER_OPTIONS, options))

    def as_dict(self) -> dict[str, Any]:
        """Knob -> value, in the order of :data:`TRAINER_OPTIONS` (a fresh dict each call)."""
        return asdict(self)


if [f.name for f in fields(TrainerConfig)] != [k.name for k in TRAINER_OPTIONS]:  # pragma: no cover
    raise AssertionError("TrainerConfig's fields must be TRAINER_OPTIONS' names, in their order")
