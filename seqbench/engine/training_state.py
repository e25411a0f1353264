"""A run's training state, so that it continues where it stopped instead of starting over.

A run that reaches its step cap while still improving (``budget_limited``,
:mod:`seqbench.engine.convergence`) keeps, beside its ``result.json``, a ``state.pt``: the model and
optimiser at the last step, the best checkpoint so far, the learning curve, the stopping rule's
state and both random streams (the training data's and torch's). Run again with ``resume=true``
and a larger ``trainer.steps``, the run continues from that step: the steps already done are not
redone, and the result is the one a single run to the larger cap would give (on CPU, bit for
bit). Runs that converged keep no state: there is nothing left to do. The file is read with
``torch.load(weights_only=True)``, so a state file from someone else cannot run code.

A run in progress also saves its state every :data:`SNAPSHOT_SECONDS` (at its next evaluation),
as ``partial.pt`` with the run's identity: killed (a session's end, ``kill -9``, a power cut),
the same command with ``resume=true`` goes on from that evaluation, not from step 0, and the
result is again the uninterrupted run's, bit for bit on CPU. The file is removed once the run's
record is written (a run that raised keeps it). A record that went on from a saved state says so
in ``resumed``: the step, the file and the commit of the code that trained up to it.

>>> import tempfile
>>> state = TrainingState(step=3, model={}, optimizer={}, best_value=0.5, best_step=2, best_model=None,
...                       history=[{"step": 2, "val_accuracy": 0.5}], plateau={"best": 0.5, "best_step": 2,
...                       "waited": 1}, train_rng={}, torch_rng=None, tokens=10, train_seconds=0.1)
>>> folder = tempfile.mkdtemp()
>>> load_state(save_state(state, folder).parent).step
3
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

STATE_FILE = "state.pt"
#: A run in progress: its latest snapshot (removed when the run ends).
PARTIAL_FILE = "partial.pt"
#: How often a run in progress saves its state, at most (a snapshot of a 25k-parameter model is
#: about 0.4 MB and a few milliseconds; a kill loses at most this much training and one evaluation).
SNAPSHOT_SECONDS = 60.0


@dataclass
class TrainingState:
    """Everything :func:`seqbench.engine.train.fit` needs to go on from ``step``."""

    step: int
    model: dict[str, Any]  #: the model's state dict at ``step``
    optimizer: dict[str, Any]  #: Adam's state dict
    best_value: float
    best_step: int
    best_model: dict[str, Any] | None  #: the state dict of the best val checkpoint so far
    history: list[dict[str, float]]
    plateau: dict[str, Any]  #: the stopping rule's best level (the mean of its last ``smooth`` values), its step, evaluations waited
    train_rng: dict[str, Any]  #: the training stream's numpy bit-generator state
    torch_rng: Any  #: torch's CPU random state (dropout)
    tokens: int
    train_seconds: float
    identity: str = ""  #: a snapshot's run identity (:attr:`seqbench.runs.plan.Plan.identity`); "" for state.pt
    git_commit: str | None = None  #: the code that trained up to ``step`` (:func:`seqbench.runs.experiment.git_commit`)
    resumed: list[dict[str, Any]] = field(default_factory=list)  #: the continuations before this state (the record's ``resumed``)


def save_state(state: TrainingState, folder: str | os.PathLike, name: str = STATE_FILE) -> Path:
    """Write ``folder/name`` (``state.pt`` or ``partial.pt``) whole or not at all."""
    import torch

    from seqbench.core.atomic import write_with

    path = Path(folder) / name
    write_with(path, lambda handle: torch.save(asdict(state), handle))
    return path


def load_state(folder: str | os.PathLike, name: str = STATE_FILE) -> TrainingState | None:
    """The state saved in ``folder/name``, or None where there is none or it cannot be read."""
    import torch

    path = Path(folder) / name
    if not path.is_file():
        return None
    try:
        return TrainingState(**torch.load(path, map_location="cpu", weights_only=True))
    except Exception:  # noqa: BLE001 - an unreadable state only means starting over
        return None


def discard_state(folder: str | os.PathLike, name: str = STATE_FILE) -> None:
    """Remove a stale ``state.pt`` (the run it belonged to was redone or converged) or a finished
    run's ``partial.pt``."""
    try:
        (Path(folder) / name).unlink()
    except FileNotFoundError:
        pass


def continues(previous: Any, planned: Any) -> bool:
    """Whether ``planned`` (a run record about to train) is ``previous`` (a finished record) with
    only a larger step cap, and ``previous`` stopped budget-limited: then it can go on from there.

    >>> from seqbench.core.record import RunRecord
    >>> old = RunRecord(task="parity", model="gru", seed=0, status="ok", budget_limited=True,
    ...                 trainer_params={"steps": 20, "lr": 0.01})
    >>> new = RunRecord(task="parity", model="gru", seed=0, trainer_params={"steps": 40, "lr": 0.01})
    >>> continues(old, new), continues(old, RunRecord(**{**new.to_json(), "seed": 1}))
    (True, False)
    """
    from seqbench.core.setup import setup_key

    if previous.status != "ok" or not previous.budget_limited or previous.seed != planned.seed:
        return False
    old, new = dict(previous.trainer_params or {}), dict(planned.trainer_params or {})
    if old.pop("steps", None) is None or new.get("steps") is None or new["steps"] <= previous.steps:
        return False
    new.pop("steps")
    same_setup = setup_key(_with(previous, old), with_rate=True) == setup_key(_with(planned, new), with_rate=True)
    return same_setup and old.get("threads") == new.get("threads")  # threads change the numbers' last bits


def _with(record: Any, trainer: dict[str, Any]) -> Any:
    import dataclasses

    return dataclasses.replace(record, trainer_params=trainer)
