"""A run's validated configuration (:class:`Plan`) and the check that builds it, without torch.

``seqbench run`` checks every job of a sweep before the first starts; this module lets it do so
without importing torch (2 s of CPU), which only the jobs that train need.

>>> plan = validate_experiment({"name": "parity", "length": 8}, {"name": "gru"}, {"steps": 10}, seed=3)
>>> plan.task.params["length"], plan.model_options["hidden_size"], plan.trainer["steps"], len(plan.identity)
(8, 64, 10, 16)
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from seqbench.core.errors import ConfigError
from seqbench.core.options import check_seed, validate_knobs
from seqbench.engine.loggers import check_logger
from seqbench.models import ModelDef, model_def
from seqbench.core.registry import TASKS
from seqbench.core.task import Task
from seqbench.engine.trainer_options import TRAINER_OPTIONS


@dataclass(frozen=True)
class Plan:
    """A validated configuration: the built task, the model's definition and checked options."""

    task: Task
    definition: ModelDef
    model_options: dict[str, Any]
    trainer: dict[str, Any]
    seed: int
    device: str
    label: str
    save_model: bool
    logger: str = "none"  #: where the learning curve also goes (seqbench.engine.loggers): none, tensorboard

    @property
    def identity(self) -> str:
        """A stable hash of everything that changes this run's result or what it writes: the
        task (name, version, resolved knobs, the content of any file it reads), the model and
        its options, the trainer, seed, device, ``save_model``, the label and a logger other than
        ``none`` (it writes event files; ``none`` leaves the hash of earlier runs as it was)."""
        blob = json.dumps({
            "task": [self.task.name, self.task.version, self.task.params, self.task.data_digest()],
            "model": [self.definition.name, self.model_options], "trainer": self.trainer, "seed": self.seed,
            "device": self.device, "save_model": self.save_model, "label": self.label,
            **({"logger": self.logger} if self.logger != "none" else {}),
        }, sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


def validate_experiment(task: dict[str, Any], model: dict[str, Any], trainer: dict[str, Any], seed: int = 0,
                        device: str = "cpu", label: str | None = None, save_model: bool = False,
                        logger: str = "none") -> Plan:
    """Check a configuration without training or writing anything; raise SeqbenchError if bad.

    ``task`` and ``model`` are plain mappings with a ``name`` and the knobs or options to set;
    ``logger`` is one of :data:`seqbench.engine.loggers.LOGGERS`.
    """
    task_knobs = {k: v for k, v in task.items() if k != "name"}
    model_opts = {k: v for k, v in model.items() if k != "name"}
    task_cls = TASKS.get(task["name"])
    definition = model_def(model["name"])
    trainer_opts = validate_knobs("trainer", TRAINER_OPTIONS, dict(trainer))
    built = task_cls(**task_knobs)
    options = definition.validate(model_opts)
    if device != "cpu" and not device.startswith("cuda"):
        raise ConfigError(f"device={device!r}: must be 'cpu', 'cuda' or 'cuda:N'")
    return Plan(built, definition, options, trainer_opts, check_seed(seed), device, label or definition.name,
                bool(save_model), check_logger(logger))
