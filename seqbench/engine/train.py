"""One trainer for every kind of task: ``fit(model, task, ...)``.

Nothing here knows a task or model by name. The task supplies batches, the loss and the
metrics; the model maps a batch to outputs. What differs by kind lives in small strategies:
decoders expose ``begin_step`` (scheduled teacher forcing, the
:class:`~seqbench.models.hooks.ScheduledModel` protocol), and the step itself is a
:class:`~seqbench.engine.steps.StepStrategy` the caller may pass (whole sequences, or truncated
backpropagation through time); by default it follows ``tbptt``.

>>> from seqbench import fit, make_model, make_task
>>> task = make_task("parity", length=4)
>>> model = make_model("gru", task.spec, hidden_size=8)
>>> result = fit(model, task, seed=0, steps=2, eval_every=1, eval_size=16, batch_size=8)
>>> result.status, sorted(result.metrics)
('ok', ['test', 'test_ood', 'val'])

:func:`fit` is the entry for a model you built: it checks its options into a
:class:`~seqbench.engine.trainer_options.TrainerConfig` and seeds. A run of a checked plan
(:mod:`seqbench.runs.experiment`) has both already: it seeds once with :func:`seeded`, builds its
model inside, and trains with :func:`fit_config`, which neither checks nor seeds again.
"""

from __future__ import annotations

import copy
import math
import random
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn

from seqbench.core.batch import Batch, count_tokens
from seqbench.engine.convergence import Plateau, plateau_for, steps_to, still_improving
from seqbench.engine.training_state import SNAPSHOT_SECONDS, TrainingState
from seqbench.engine.evaluation import evaluate, make_eval_sets, score_splits
from seqbench.engine.loggers import Logger
from seqbench.models.hooks import ScheduledModel
from seqbench.engine.optim import Adam
from seqbench.engine.steps import StepStrategy, choose_strategy
from seqbench.core.task import Task
from seqbench.engine.trainer_options import TrainerConfig

#: FitResult field metadata: the RunRecord field it is carried into (None: not recorded).
RECORD = "record"


@dataclass
class FitResult:
    """What training produced; :func:`seqbench.runs.experiment.build_record` carries it into the
    result record, field by field: each under its own name, or the one its ``record`` metadata
    names (``not_applicable`` -> ``not_applicable_splits``; ``state`` is not recorded)."""

    status: str  # "ok" or "diverged"
    metrics: dict[str, dict[str, float]]
    by_length: dict[str, dict[str, Any]]
    steps: int
    best_step: int
    train_seconds: float
    tokens_per_second: float
    history: list[dict[str, float]] = field(default_factory=list)
    error: str | None = None
    dataset_fingerprint: dict[str, str] = field(default_factory=dict)
    intervals: dict[str, dict[str, list[float]]] = field(default_factory=dict)  #: split -> metric -> [low, high]
    converged: bool = False  #: stopped by the plateau or the target, not by the step cap
    budget_limited: bool = False  #: stopped by the step cap while still improving
    stop_reason: str = ""
    steps_to: dict[str, int] = field(default_factory=dict)  #: fraction of the improvement -> first step
    not_applicable: dict[str, str] = field(default_factory=dict,  #: split -> why it was not scored
                                           metadata={RECORD: "not_applicable_splits"})
    state: TrainingState | None = field(default=None,  #: where a budget-limited run stopped (to continue it)
                                        metadata={RECORD: None})


def seed_everything(seed: int, threads: int = 1) -> None:
    """Seed Python, numpy and torch, and fix torch's thread count (every job, every launcher).

    Reductions in torch's CPU kernels are split by thread, so the thread count is part of what
    makes two runs give bit-identical numbers.
    """
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.set_num_threads(threads)


@contextmanager
def seeded(seed: int, threads: int = 1) -> Iterator[None]:
    """Seed every random stream once (:func:`seed_everything`) for a whole run; what the block
    draws (the model's initial weights) comes from the seeded streams, and on leaving it the
    streams are back where the seed put them, so training (:func:`fit_config`, right after) draws
    exactly what a freshly seeded run draws, whatever the preparation took.

    >>> with seeded(0):
    ...     weights = torch.rand(2)  # the initial weights: seed 0's first draws
    >>> bool(torch.equal(weights, torch.rand(2)))  # training starts from seed 0 again
    True
    """
    seed_everything(seed, threads)
    python, numpy = random.getstate(), np.random.get_state()
    devices = list(range(torch.cuda.device_count())) if torch.cuda.is_initialized() else []
    try:
        with torch.random.fork_rng(devices=devices):
            yield
    finally:
        random.setstate(python)
        np.random.set_state(numpy)


PROGRESS_SECONDS = 30.0  #: without a progress bar (not a terminal), one line on stderr this often


def fit(model: nn.Module, task: Task, seed: int = 0, device: str = "cpu",
        strategy: StepStrategy | None = None, eval_sets: dict[str, Batch] | None = None,
        progress: str | None = None, logger: Logger | None = None, resume_from: TrainingState | None = None,
        **options: Any) -> FitResult:
    """Train ``model`` on ``task`` with Adam; keep the best ``val`` checkpoint (``checkpoint``: best,
    latest_best or last, as :data:`~seqbench.engine.trainer_options.TRAINER_OPTIONS` says); score it on
    every split.

    Options are :data:`~seqbench.engine.trainer_options.TRAINER_OPTIONS`, checked here into a
    :class:`~seqbench.engine.trainer_options.TrainerConfig`; then every random stream is seeded with
    ``seed`` and :func:`fit_config` trains. The rest is :func:`fit_config`'s.
    """
    config = TrainerConfig.of(options)
    seed_everything(seed, config.threads)
    return fit_config(model, task, config, seed=seed, device=device, strategy=strategy, eval_sets=eval_sets,
                      progress=progress, logger=logger, resume_from=resume_from)


def fit_config(model: nn.Module, task: Task, config: TrainerConfig, seed: int = 0, device: str = "cpu",
               strategy: StepStrategy | None = None, eval_sets: dict[str, Batch] | None = None,
               progress: str | None = None, logger: Logger | None = None,
               resume_from: TrainingState | None = None,
               snapshot: Callable[[TrainingState], object] | None = None,
               snapshot_seconds: float | None = None) -> FitResult:
    """:func:`fit` with checked options (``config``) and random streams already seeded (:func:`seeded`):
    it checks and seeds nothing. ``seed`` picks the task's training stream.

    ``progress`` names the run in the progress line printed every :data:`PROGRESS_SECONDS` when no
    progress bar is shown. ``eval_sets`` (split -> batch) defaults to the task's shared
    :func:`~seqbench.engine.evaluation.make_eval_sets`. ``logger`` (:mod:`seqbench.engine.loggers`)
    receives every history row and is closed at the end. A non-finite loss or gradient ends the
    run with status ``diverged``, keeping the best checkpoint seen before it. ``resume_from`` (a
    :class:`~seqbench.engine.training_state.TrainingState` of the same run stopped at a smaller cap)
    continues from its step, as does a ``partial.pt`` snapshot of the same run; a run that ends
    budget-limited returns its state in ``state``. ``snapshot``, when given, receives the state at
    the first evaluation after every ``snapshot_seconds`` of wall time (default
    :data:`~seqbench.engine.training_state.SNAPSHOT_SECONDS`; it writes ``partial.pt``:
    :mod:`seqbench.engine.training_state`), so a killed run can go on from there.
    """
    dev = torch.device(device)
    model.to(dev).train()
    if strategy is None:
        strategy = choose_strategy(task, config.tbptt)
    optimizer = Adam(model.parameters(), lr=config.lr)  # torch's Adam update, without torch._dynamo's import
    if eval_sets is None:
        eval_sets = make_eval_sets(task, config.eval_size, config.val_size)
    train_rng = task.rng(seed, "train")
    primary, higher = task.spec.primary_metric, task.spec.higher_is_better
    params = [p for p in model.parameters() if p.requires_grad]

    best_value, best_step, best_state = -math.inf if higher else math.inf, 0, None
    latest = config.checkpoint == "latest_best"  # val ties move the best checkpoint to the later evaluation
    plateau = plateau_for(config.as_dict(), primary, higher)  # min_delta on the metric's scale (plateau.relative)
    history: list[dict[str, float]] = []
    status, error, last_finite, tokens, train_seconds, step = "ok", None, None, 0, 0.0, 0
    start = 0
    if resume_from is not None:  # the same run, stopped at a smaller cap: go on from where it stopped
        start, tokens, train_seconds = resume_from.step, resume_from.tokens, resume_from.train_seconds
        model.load_state_dict(resume_from.model)
        optimizer.load_state_dict(resume_from.optimizer)
        best_value, best_step, best_state = resume_from.best_value, resume_from.best_step, resume_from.best_model
        history = list(resume_from.history)
        plateau.best, plateau.best_step, plateau.waited = (resume_from.plateau[k] for k in ("best", "best_step", "waited"))
        plateau.seen = [v for row in history if (v := row.get(f"val_{primary}")) is not None and math.isfinite(v)]
        train_rng.bit_generator.state = resume_from.train_rng
        torch.set_rng_state(resume_from.torch_rng)
        last_finite = history[-1].get("train_loss") if history and history[-1]["step"] == start else None
    from tqdm.auto import tqdm  # progress bar on terminals only (disable=None)

    def state_now() -> TrainingState:  # everything needed to go on after this step, copied to the CPU
        return TrainingState(step, _on_cpu(model.state_dict()), _on_cpu(optimizer.state_dict()),
                             best_value, best_step, _on_cpu(best_state), list(history),
                             {"best": plateau.best, "best_step": plateau.best_step, "waited": plateau.waited},
                             train_rng.bit_generator.state, torch.get_rng_state(), tokens, train_seconds)

    bar = tqdm(total=config.steps, initial=start, disable=None, leave=False, desc=f"{task.name}")
    last_report, last_val = time.monotonic(), None  # a long job is never silent, bar or not
    last_snapshot, every = time.monotonic(), SNAPSHOT_SECONDS if snapshot_seconds is None else snapshot_seconds
    for step in range(start + 1, config.steps + 1):
        started = time.perf_counter()
        batch = task.sample(train_rng, config.batch_size, "train")
        batch_tokens = count_tokens(batch)  # counted before the copy to the device: no sync
        batch = batch.to(dev)
        if isinstance(model, ScheduledModel):
            model.begin_step(step - 1, config.steps)
        optimizer.zero_grad()
        loss = strategy(model, task, batch)
        grad_ok = math.isfinite(loss) and _clip(params, config.clip, config.clip_value)
        if not grad_ok:
            status = "diverged"
            what = "loss" if not math.isfinite(loss) else "gradient norm"
            error = f"non-finite {what} at step {step}; last finite loss {last_finite}"
            break
        optimizer.step()
        train_seconds += time.perf_counter() - started
        tokens += batch_tokens
        last_finite = loss
        bar.update(1)
        if bar.disable and time.monotonic() - last_report >= PROGRESS_SECONDS:
            last_report = time.monotonic()
            shown = "" if last_val is None else f", val {primary} {last_val:.3f}"
            print(f"[seqbench] {progress or task.name}: step {step}/{config.steps}, loss {loss:.3f}{shown}",
                  file=sys.stderr, flush=True)
        if step % config.eval_every == 0 or step == config.steps:
            val = evaluate(model, task, eval_sets["val"], dev, config.eval_batch_size)
            value = val[primary]
            history.append({"step": step, "train_loss": loss, **{f"val_{k}": _plain(v) for k, v in val.items()}})
            if logger is not None:
                logger.log(history[-1])
            bar.set_postfix(loss=f"{loss:.3f}", **{primary: f"{value:.3f}"})
            last_val = value
            better = (value > best_value) if higher else (value < best_value)
            if better or (latest and value == best_value):
                best_value, best_step = value, step
                best_state = copy.deepcopy(model.state_dict())
            if plateau.update(step, value):
                break
            if snapshot is not None and step < config.steps and time.monotonic() - last_snapshot >= every:
                snapshot(state_now())
                last_snapshot = time.monotonic()
    bar.close()
    if logger is not None:
        logger.close()
    limited = capped_while_improving(status, plateau, history, primary, higher, config)
    state = None
    if limited:  # what a larger cap needs to go on from here (seqbench.engine.training_state)
        state = state_now()
    if best_state is not None and (config.checkpoint != "last" or status != "ok"):
        model.load_state_dict(best_state)  # checkpoint=last scores the final parameters, unless they diverged
    scores = score_splits(model, task, eval_sets, dev, config.eval_batch_size)
    completed = step if status == "ok" else step - 1
    return FitResult(
        status=status, metrics=scores["metrics"], by_length=scores["by_length"], steps=completed, best_step=best_step,
        train_seconds=train_seconds, tokens_per_second=tokens / train_seconds if train_seconds else 0.0,
        history=history, error=error,
        dataset_fingerprint={split: b.fingerprint() for split, b in eval_sets.items()},
        intervals=scores["intervals"], not_applicable=scores["not_applicable"],
        converged=plateau.converged and status == "ok", stop_reason=plateau.reason if status == "ok" else "",
        budget_limited=limited, state=state,
        steps_to=steps_to(history, primary, higher),
    )


def _plain(value: Any) -> Any:
    """A metric value as a Python number (numpy's are refused by a state file's safe loader)."""
    return float(value) if isinstance(value, (np.floating, np.integer)) else value


def _on_cpu(state: Any) -> Any:
    """A copy of a (nested) state dict with every tensor on the CPU: a snapshot costs no device memory."""
    if isinstance(state, torch.Tensor):
        return state.detach().to("cpu", copy=True)
    if isinstance(state, dict):
        return type(state)((k, _on_cpu(v)) for k, v in state.items())
    if isinstance(state, list):
        return [_on_cpu(v) for v in state]
    return copy.deepcopy(state)


def capped_while_improving(status: str, plateau: Plateau, history: list[dict], primary: str, higher: bool,
                           config: TrainerConfig) -> bool:
    """A run that ended ok at its step cap whose last ``patience`` evaluations still improved."""
    if status != "ok" or plateau.converged:
        return False
    return still_improving(history, primary, higher, config.patience, config.min_delta, plateau.relative,
                           config.smooth)


def _clip(params: list[torch.Tensor], how: str, value: float) -> bool:
    """Clip gradients in place; False when any gradient is not finite."""
    grads = [p.grad for p in params if p.grad is not None]
    if how == "norm":
        norm = torch.nn.utils.clip_grad_norm_(params, value)  # torch's foreach kernels, on CPU too
        return bool(torch.isfinite(norm))
    finite = all(bool(torch.isfinite(g).all()) for g in grads)
    if how == "value" and finite:
        torch.nn.utils.clip_grad_value_(params, value)
    return finite
