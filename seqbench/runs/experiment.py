"""One experiment, end to end: build the task and model, fit, and write its result record.

This is what ``seqbench run`` calls for every job of a grid, and it is usable without Hydra.
:func:`validate_experiment` checks a configuration before anything is written (a bad one
raises :class:`~seqbench.core.errors.SeqbenchError` and leaves no ``result.json``). After that, every
outcome writes a record: ``ok``, ``diverged`` (non-finite loss or gradient), ``not_applicable``
(the model refuses the task, with the reason) or ``failed`` (any other error, with its
message); an exception never escapes, so the rest of a grid goes on.

>>> import tempfile
>>> record = run_experiment({"name": "parity", "length": 4}, {"name": "gru", "hidden_size": 8},
...                         {"steps": 2, "eval_every": 1, "eval_size": 16, "batch_size": 8},
...                         seed=0, out_dir=tempfile.mkdtemp())
>>> record.status, record.task, record.model, record.primary_metric
('ok', 'parity', 'gru', 'accuracy')
"""

from __future__ import annotations

import datetime as _dt
import os
import platform
import subprocess
import traceback
from functools import lru_cache
from pathlib import Path
from typing import Any

import torch

from seqbench.core.errors import NotApplicableError, SeqbenchError
from seqbench.engine.loggers import make_logger, run_name
from seqbench.core.memory import peak_rss_mb, reset_peak
from seqbench.models import count_parameters
from seqbench.runs.resources import check_run_fits
from seqbench.core.record import RESULT_FILE, RunRecord, read_result, write_result
from seqbench.engine.evaluation import baseline_scores, make_eval_sets
from seqbench.runs.plan import Plan, validate_experiment  # noqa: F401 - validate_experiment: re-exported
from seqbench.runs.task_facts import facts_of
from seqbench.engine.training_state import TrainingState, continues, discard_state, load_state, save_state
from seqbench.engine.train import fit, seed_everything

OOM_HINT = "out of memory: try a smaller trainer.batch_size or model.hidden_size"


def resolve_device(device: str, job_number: int = 0) -> str:
    """``cuda`` becomes ``cuda:(job number mod GPU count)``; ``cpu`` stays."""
    if device.startswith("cuda"):
        if not torch.cuda.is_available():
            raise SeqbenchError(f"device={device!r}: CUDA is not available on this machine; use device=cpu")
        if device == "cuda" and torch.cuda.device_count() > 1:
            return f"cuda:{job_number % torch.cuda.device_count()}"
    elif device != "cpu":
        raise SeqbenchError(f"device={device!r}: must be 'cpu', 'cuda' or 'cuda:N'")
    return device


def completed(out_dir: str | Path, identity: str) -> RunRecord | None:
    """The ``ok`` record of the same configuration already in ``out_dir``, or None (redo it)."""
    try:
        record = read_result(Path(out_dir) / RESULT_FILE)
    except (ValueError, RecursionError):
        return None
    return record if record.status == "ok" and record.config_hash == identity else None


def describe_run(plan: Plan, record_type: str = "run") -> RunRecord:
    """The record of a run before it starts: what is run, where, with which code. The one place
    where a record's identity fields are filled (training runs and gradient-flow probes)."""
    task = plan.task
    return RunRecord(
        task=task.name, model=plan.definition.name, model_label=plan.label, seed=plan.seed, record_type=record_type,
        task_version=task.version, kind=task.kind, task_params=task.params, model_params=plan.model_options,
        trainer_params=plan.trainer, config_hash=plan.identity, primary_metric=task.spec.primary_metric,
        higher_is_better=task.spec.higher_is_better, lengths=_pair(task.spec.lengths),
        ood_lengths=_pair(task.spec.ood_lengths), device=plan.device, task_facts=facts_of(task),
        created=_dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        versions=versions(), git_commit=git_commit(),
    )


def _pair(value: tuple[int, int] | None) -> list[int] | None:
    return None if value is None else [int(v) for v in value]


def run_experiment(task: dict[str, Any], model: dict[str, Any], trainer: dict[str, Any], seed: int = 0,
                   device: str = "cpu", out_dir: str | Path = ".", job_number: int = 0,
                   save_model: bool = False, label: str | None = None, logger: str = "none",
                   extend: bool = False) -> RunRecord:
    """Run one (task, model, trainer, seed) and write ``out_dir/result.json``; return the record.

    The configuration is validated first (:func:`validate_experiment`): a bad one raises and
    writes nothing. ``label`` names the model in tables (a preset such as ``bilstm``);
    ``save_model`` also writes the selected weights as ``out_dir/model.pt``
    (see :mod:`seqbench.runs.checkpoint`); ``logger="tensorboard"`` also writes the learning curve as
    TensorBoard event files below ``out_dir/tensorboard/`` (see :mod:`seqbench.engine.loggers`);
    ``extend`` continues a budget-limited run of the same setup in ``out_dir`` to a larger
    ``steps`` (see :func:`execute`).
    """
    plan = validate_experiment(task, model, trainer, seed, device, label, save_model, logger)
    return execute(plan, out_dir, job_number, extend)


def execute(plan: Plan, out_dir: str | Path = ".", job_number: int = 0, extend: bool = False) -> RunRecord:
    """Train a validated plan and write its record (never raises on a failing run). With
    ``extend``, a budget-limited run of the same setup in ``out_dir`` stopped at a smaller cap is
    continued from its saved state (:mod:`seqbench.engine.training_state`) instead of started over."""
    record = describe_run(plan)
    record.peak_rss_scope = reset_peak()
    try:
        model_module = _train(record, plan, job_number, out_dir, extend)
        if plan.save_model:
            from seqbench.runs.checkpoint import save_weights

            record.weights = save_weights(model_module, out_dir).name
    except NotApplicableError as exc:
        record.status, record.error = "not_applicable", str(exc)
    except torch.OutOfMemoryError as exc:
        record.status, record.error = "failed", f"{OOM_HINT} ({str(exc).splitlines()[0]})"
    except SeqbenchError as exc:
        record.status, record.error = "failed", str(exc)
    except Exception as exc:  # noqa: BLE001 - a job records its own failure; the grid goes on
        message = f"{type(exc).__name__}: {exc}"
        if isinstance(exc, MemoryError) or _allocation_failure(exc):
            message = f"{OOM_HINT} ({message.splitlines()[0]})"
        record.status, record.error, record.traceback = "failed", message, traceback.format_exc()
    record.peak_rss_mb = peak_rss_mb()
    write_result(out_dir, record)
    return record


def _continuation(planned: RunRecord, out_dir: str | Path) -> TrainingState | None:
    """The saved state of the budget-limited run in ``out_dir`` that ``planned`` extends, if any."""
    try:
        previous = read_result(Path(out_dir) / RESULT_FILE)
    except (ValueError, RecursionError):
        return None
    if not continues(previous, planned):
        return None
    state = load_state(out_dir)
    return state if state is not None and state.step == previous.steps else None


def _allocation_failure(exc: Exception) -> bool:
    text = str(exc).lower()
    return "out of memory" in text or "can't allocate memory" in text or "defaultcpuallocator" in text


def _train(record: RunRecord, plan: Plan, job_number: int, out_dir: str | Path = ".", extend: bool = False):
    device = resolve_device(plan.device, job_number)
    record.device = device if device == "cpu" else f"{device} ({torch.cuda.get_device_name(device)})"
    seed_everything(plan.seed, plan.trainer["threads"])  # the model's initial weights depend on the seed
    model = plan.definition.build(plan.task.spec, **plan.model_options)
    record.model_params = model.build_options  # with the hidden size a param_budget chose
    record.n_params = count_parameters(model)
    check_run_fits(model, plan.task.spec, plan.trainer)  # memory estimated before it is spent (H1)
    eval_sets = make_eval_sets(plan.task, plan.trainer["eval_size"], plan.trainer["val_size"])
    record.task_facts = facts_of(plan.task, eval_sets["test"])  # the first example every model is tested on
    resume_from = _continuation(record, out_dir) if extend else None
    logger = make_logger(plan.logger, out_dir, run_name(plan.task.name, plan.label, plan.seed))
    try:
        result = fit(model, plan.task, seed=plan.seed, device=device, eval_sets=eval_sets,
                     progress=f"{plan.task.name} x {plan.label} seed {plan.seed}", logger=logger,
                     resume_from=resume_from, **plan.trainer)
    finally:
        logger.close()  # fit closes it too; this covers a run that raised
    if result.state is not None:  # budget-limited: a larger cap can go on from here
        save_state(result.state, out_dir)
    else:
        discard_state(out_dir)
    record.status, record.error = result.status, result.error
    record.metrics, record.by_length, record.history = result.metrics, result.by_length, result.history
    record.steps, record.best_step = result.steps, result.best_step
    record.train_seconds, record.tokens_per_second = result.train_seconds, result.tokens_per_second
    record.dataset_fingerprint = result.dataset_fingerprint
    record.intervals, record.not_applicable_splits = result.intervals, result.not_applicable
    record.split_sizes = {split: int(batch.size) for split, batch in eval_sets.items()}
    record.converged, record.stop_reason, record.steps_to = result.converged, result.stop_reason, result.steps_to
    record.budget_limited = result.budget_limited
    if result.budget_limited:
        record.stop_reason = "the step cap, still improving (budget-limited)"
    record.baselines, record.baseline_intervals = baseline_scores(plan.task, eval_sets)
    record.reference_baseline = plan.task.reference_baseline
    return model


@lru_cache(maxsize=1)
def versions() -> dict[str, str]:
    """Versions of the libraries behind the numbers (read from metadata: importing scikit-learn
    only for its version would cost every job two seconds)."""
    from importlib.metadata import PackageNotFoundError, version

    import seqbench

    out = {"seqbench": seqbench.__version__, "python": platform.python_version(), "torch": torch.__version__,
           "machine": machine()}
    for package in ("numpy", "scikit-learn"):
        try:
            out[package] = version(package)
        except PackageNotFoundError:
            out[package] = "not installed"
    return out


def machine() -> str:
    """The processor behind the timings, without the host's name: ``x86_64, 16 CPUs, <model name>``."""
    model = ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as handle:
            model = next((line.split(":", 1)[1].strip() for line in handle if line.startswith("model name")), "")
    except OSError:
        model = platform.processor()
    return ", ".join(p for p in (platform.machine(), f"{os.cpu_count()} CPUs", model) if p)


@lru_cache(maxsize=1)
def git_commit() -> str | None:
    """The commit of the seqbench checkout in use, or None outside a git checkout."""
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=Path(__file__).parent, capture_output=True,
                             text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None
