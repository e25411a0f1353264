"""A run's validated configuration (:class:`Plan`) and the check that builds it, without torch.

:func:`validate_experiment` is the one place a run's options are checked: task knobs, model
options, trainer options (into a :class:`~seqbench.engine.trainer_options.TrainerConfig`), seed,
device and logger. Everything after it (``seqbench run``'s jobs, :func:`seqbench.runs.experiment.execute`,
the training loop, the gradient-flow probe) receives the frozen plan and checks nothing again.
``seqbench run`` checks every job of a sweep before the first starts; this module lets it do so
without importing torch (2 s of CPU), which only the jobs that train need.

>>> plan = validate_experiment({"name": "parity", "length": 8}, {"name": "gru"}, {"steps": 10}, seed=3)
>>> plan.task.params["length"], plan.model_options["hidden_size"], plan.trainer.steps, len(plan.identity)
(8, 64, 10, 16)
>>> known = {}  # a sweep's jobs: those that differ only in their seed share one check
>>> a, b = (validate_experiment({"name": "parity"}, {"name": "gru"}, {}, seed=s, known=known) for s in (0, 1))
>>> c = validate_experiment({"name": "parity"}, {"name": "lstm"}, {}, known=known)  # and one task per task knobs
>>> (a.seed, b.seed), a.task is b.task is c.task, len(known)  # 2 checks, 1 task
((0, 1), True, 3)
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from seqbench.core.errors import ConfigError, SeqbenchError
from seqbench.core.options import check_seed
from seqbench.engine.loggers import check_logger
from seqbench.models import ModelDef, model_def
from seqbench.core.registry import TASKS
from seqbench.core.task import Task
from seqbench.engine.trainer_options import TrainerConfig
from seqbench.runs.resources import check_file_fits


@dataclass(frozen=True)
class Plan:
    """A validated configuration: the built task, the model's definition and checked options.

    Frozen: a run reads it and never changes or re-checks it (a record gets copies of its
    mappings). Build it with :func:`validate_experiment`.
    """

    task: Task
    definition: ModelDef
    model_options: dict[str, Any]  #: option -> value, checked by the model's definition
    trainer: TrainerConfig
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
        ``none`` (it writes event files; ``none`` leaves the hash of earlier runs as it was; so do
        trainer options added later, at the value that behaves as before: :func:`hashed_trainer`)."""
        blob = json.dumps({
            "task": [self.task.name, self.task.version, self.task.params, self.task.data_digest()],
            "model": [self.definition.name, self.model_options], "trainer": hashed_trainer(self.trainer.as_dict()),
            "seed": self.seed,
            "device": self.device, "save_model": self.save_model, "label": self.label,
            **({"logger": self.logger} if self.logger != "none" else {}),
        }, sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


def hashed_trainer(options: dict[str, Any]) -> dict[str, Any]:
    """The trainer options a run's identity hashes: all, but those added after runs were recorded
    (:data:`seqbench.core.setup.LATER_DEFAULTS`) while at the value that behaves as those runs did,
    so ``resume=true`` finds the runs of a grid started before the option existed.

    >>> hashed_trainer({"steps": 10, "smooth": 1}), hashed_trainer({"steps": 10, "smooth": 3})
    ({'steps': 10}, {'steps': 10, 'smooth': 3})
    """
    from seqbench.core.setup import at_later_default

    return {k: v for k, v in options.items() if not at_later_default(k, v)}


def validate_experiment(task: dict[str, Any], model: dict[str, Any], trainer: dict[str, Any], seed: int = 0,
                        device: str = "cpu", label: str | None = None, save_model: bool = False,
                        logger: str = "none", known: dict[str, Any] | None = None) -> Plan:
    """Check a configuration without training or writing anything; raise SeqbenchError if bad.

    ``task`` and ``model`` are plain mappings with a ``name`` and the knobs or options to set;
    ``trainer`` maps trainer options to values (the rest take their defaults); ``logger`` is one
    of :data:`seqbench.engine.loggers.LOGGERS`. The checks run cheapest first: seed, logger, then
    a file the task would read that memory cannot hold, then the task, model, trainer and device.

    ``known`` (a dict the caller keeps, empty at first) remembers each checked (task, model,
    trainer, device) and its outcome, and each built task: the jobs of a sweep that differ only in
    seed, label, ``save_model`` or logger are checked once, and the jobs with the same task knobs
    share one built task (its data is read once, and held once while the jobs wait).
    """
    seed, logger = check_seed(seed), check_logger(logger)
    key = json.dumps([task, model, trainer, device], sort_keys=True, default=str)
    setup = None if known is None else known.get(key)
    if setup is None:
        try:
            setup = _setup(task, model, trainer, device, {} if known is None else known)
        except SeqbenchError as exc:
            if known is not None:
                known[key] = exc
            raise
        if known is not None:
            known[key] = setup
    elif isinstance(setup, SeqbenchError):
        raise setup.with_traceback(None)  # a remembered refusal: its message, without the first job's frames
    return dataclasses.replace(setup, seed=seed, label=label or setup.definition.name, save_model=bool(save_model),
                               logger=logger)


def _setup(task: dict[str, Any], model: dict[str, Any], trainer: dict[str, Any], device: str,
           known: dict[str, Any]) -> Plan:
    """The seed-independent part of :func:`validate_experiment`: the task built (or taken from
    ``known``), the options checked."""
    task_key = "task " + json.dumps(task, sort_keys=True, default=str)
    built = known.get(task_key)
    if built is None and isinstance(task.get("path"), str):  # a task that reads a file: refuse one memory cannot hold
        check_file_fits(task["path"])
    task_knobs = {k: v for k, v in task.items() if k != "name"}
    model_opts = {k: v for k, v in model.items() if k != "name"}
    task_cls = TASKS.get(task["name"])
    definition = model_def(model["name"])
    trainer_config = TrainerConfig.of(trainer)
    if built is None:
        try:
            built = known[task_key] = task_cls(**task_knobs)
        except MemoryError:
            raise ConfigError(f"task={task['name']}: its data does not fit in memory (lower task.max_bytes or "
                              "the task's size knobs)") from None
    options = definition.validate(model_opts)
    if device != "cpu" and not device.startswith("cuda"):
        raise ConfigError(f"device={device!r}: must be 'cpu', 'cuda' or 'cuda:N'")
    return Plan(built, definition, options, trainer_config, 0, device, definition.name, False)
