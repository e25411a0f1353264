"""One experiment, end to end: build the task and model, fit, and write its result record.

This is what ``seqbench run`` calls for every job of a grid, and it is usable without Hydra.
One path leads from options to record:

1. :func:`validate_experiment` checks the options once, into a frozen
   :class:`~seqbench.runs.plan.Plan` (a bad one raises :class:`~seqbench.core.errors.SeqbenchError`
   and leaves no ``result.json``);
2. :func:`execute` runs the plan: :func:`build_model` seeds (the one place a run sets its seed)
   and builds the model, :func:`~seqbench.engine.train.fit_config` trains with the plan's
   :class:`~seqbench.engine.trainer_options.TrainerConfig` and checks nothing again; what the
   run finds goes into an :class:`Outcome`;
3. :func:`build_record` makes the record of (plan, outcome), for training runs and
   gradient-flow probes alike.

Every outcome writes a record: ``ok``, ``diverged`` (non-finite loss or gradient), ``not_applicable``
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
import sys
import traceback
from dataclasses import dataclass, field, fields, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import torch
from torch import nn

from seqbench.core.errors import NotApplicableError, SeqbenchError
from seqbench.engine.loggers import make_logger, run_name
from seqbench.core.memory import peak_rss_mb, reset_peak
from seqbench.models import count_parameters
from seqbench.runs.resources import check_run_fits
from seqbench.core.record import RESULT_FILE, RunRecord, read_result, write_result
from seqbench.engine.evaluation import baseline_scores, make_eval_sets
from seqbench.runs.plan import Plan, validate_experiment  # noqa: F401 - validate_experiment: re-exported
from seqbench.runs.task_facts import facts_of
from seqbench.engine.training_state import (PARTIAL_FILE, STATE_FILE, TrainingState, continues, discard_state,
                                             load_state, save_state)
from seqbench.engine.train import RECORD, FitResult, fit_config, seeded

OOM_HINT = "out of memory: try a smaller trainer.batch_size or model.hidden_size"
#: A record's ``stop_reason`` when the step cap stopped a run that was still improving.
BUDGET_LIMITED = "the step cap, still improving (budget-limited)"
#: The fit result's fields a gradient-flow probe's record carries (it scores no lengths, intervals or baselines).
PROBE_FIT_FIELDS = ("status", "error", "metrics", "steps", "best_step", "train_seconds", "history")


def resolve_device(device: str, job_number: int = 0) -> str:
    """A plan's checked device on this machine: ``cuda`` becomes ``cuda:(job number mod GPU count)``;
    ``cpu`` stays. Refused when CUDA is asked for and this machine has none (known only here)."""
    if device.startswith("cuda"):
        if not torch.cuda.is_available():
            raise SeqbenchError(f"device={device!r}: CUDA is not available on this machine; use device=cpu")
        if device == "cuda" and torch.cuda.device_count() > 1:
            return f"cuda:{job_number % torch.cuda.device_count()}"
    return device


def completed(out_dir: str | Path, identity: str) -> RunRecord | None:
    """The ``ok`` record of the same configuration already in ``out_dir``, or None (redo it)."""
    try:
        record = read_result(Path(out_dir) / RESULT_FILE)
    except (ValueError, RecursionError):
        return None
    return record if record.status == "ok" and record.config_hash == identity else None


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


@dataclass
class Outcome:
    """What a run or a gradient-flow probe found beyond its plan; :func:`build_record` makes the
    record of it. Filled as the run goes, so a run that fails half-way keeps what it found before.

    Every field but ``fit`` and ``created`` is the :class:`~seqbench.core.record.RunRecord` field
    of the same name, and None leaves that field as the plan gives it (or at its default).

    >>> Outcome(status="failed", error="boom").n_params is None  # not built: the record keeps its default
    True
    """

    created: str = field(default_factory=_now)  #: when the run started (UTC, ISO 8601)
    fit: FitResult | None = None  #: what training produced, carried field by field
    status: str | None = None  #: a failure's status (failed, not_applicable), over the fit's
    error: str | None = None
    traceback: str | None = None
    device: str | None = None  #: the device used, with its name: ``cuda:0 (NVIDIA H200)``
    model_params: dict[str, Any] | None = None  #: the built model's options (with a param_budget's hidden size)
    n_params: int | None = None
    task_facts: dict[str, Any] | None = None  #: the task's facts with its first test example
    split_sizes: dict[str, int] | None = None  #: split -> examples scored
    baselines: dict[str, dict[str, dict[str, float | None]]] | None = None  #: split -> baseline -> metric -> value
    baseline_intervals: dict[str, dict[str, dict[str, list[float | None]]]] | None = None
    reference_baseline: str | None = None
    weights: str | None = None  #: the saved weights' file name (save_model)
    gradflow: dict[str, Any] | None = None  #: a probe's section
    config_hash: str | None = None  #: a probe's own hash (its plan's and its own options)
    peak_rss_mb: float | None = None
    peak_rss_scope: str | None = None
    resumed: list[dict[str, Any]] | None = None  #: the saved states the run went on from (step, file, commit)


def build_record(plan: Plan, outcome: Outcome | None = None, record_type: str = "run") -> RunRecord:
    """The record of ``plan`` and what its run found (``outcome``): the one place a record is built,
    for training runs (``record_type="run"``) and gradient-flow probes (``"gradflow"``) alike.

    The plan gives what was run, where and with which code (task, model, label, seed, options,
    identity, facts); the outcome's fit result is carried field by field (:class:`FitResult`'s
    ``record`` metadata names a field the record spells otherwise; a probe keeps
    :data:`PROBE_FIT_FIELDS`); then every outcome field that is set. The status is a failure's,
    else the fit's, else ``ok`` for a probe that did not train (it has no trainer either), else
    ``failed``. Without an outcome, the record of a run that has not started.

    >>> from seqbench.runs.plan import validate_experiment
    >>> plan = validate_experiment({"name": "parity", "length": 4}, {"name": "gru"}, {"steps": 5}, seed=2)
    >>> record = build_record(plan, Outcome(status="failed", error="disk full"))
    >>> record.task, record.seed, record.trainer_params["steps"], record.status, record.config_hash == plan.identity
    ('parity', 2, 5, 'failed', True)
    """
    outcome = Outcome() if outcome is None else outcome
    task, fit = plan.task, outcome.fit
    record = RunRecord(
        task=task.name, model=plan.definition.name, model_label=plan.label, seed=plan.seed, record_type=record_type,
        task_version=task.version, kind=task.kind, task_params=dict(task.params), model_params=dict(plan.model_options),
        trainer_params=plan.trainer.as_dict(), config_hash=plan.identity, primary_metric=task.spec.primary_metric,
        higher_is_better=task.spec.higher_is_better, lengths=_pair(task.spec.lengths),
        ood_lengths=_pair(task.spec.ood_lengths), device=plan.device, task_facts=facts_of(task),
        created=outcome.created, versions=versions(), git_commit=git_commit(),
    )
    if fit is not None:
        for f in fields(fit):
            name = f.metadata.get(RECORD, f.name)
            if name is not None and (record_type == "run" or name in PROBE_FIT_FIELDS):
                setattr(record, name, getattr(fit, f.name))
        if record.budget_limited:
            record.stop_reason = BUDGET_LIMITED
    elif record_type == "gradflow":  # a probe at initialisation only
        record.status, record.trainer_params = "ok", None
    for f in fields(outcome):
        value = getattr(outcome, f.name)
        if f.name not in ("fit", "created") and value is not None:
            setattr(record, f.name, value)
    return record


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
    outcome = Outcome(peak_rss_scope=reset_peak())
    try:
        model_module = _train(outcome, plan, job_number, out_dir, extend)
        if plan.save_model:
            from seqbench.runs.checkpoint import save_weights

            outcome.weights = save_weights(model_module, out_dir).name
    except NotApplicableError as exc:
        outcome.status, outcome.error = "not_applicable", str(exc)
    except torch.OutOfMemoryError as exc:
        outcome.status, outcome.error = "failed", f"{OOM_HINT} ({str(exc).splitlines()[0]})"
    except SeqbenchError as exc:
        outcome.status, outcome.error = "failed", str(exc)
    except Exception as exc:  # noqa: BLE001 - a job records its own failure; the grid goes on
        message = f"{type(exc).__name__}: {exc}"
        if isinstance(exc, MemoryError) or _allocation_failure(exc):
            message = f"{OOM_HINT} ({message.splitlines()[0]})"
        outcome.status, outcome.error, outcome.traceback = "failed", message, traceback.format_exc()
    outcome.peak_rss_mb = peak_rss_mb()
    record = build_record(plan, outcome)
    write_result(out_dir, record)
    if outcome.fit is not None:  # the run ended and its record says so: its snapshot is spent
        discard_state(out_dir, PARTIAL_FILE)
    return record


def build_model(plan: Plan) -> nn.Module:
    """The plan's model, its initial weights drawn from the plan's seed: the one place a run (or a
    probe) sets its seed. The random streams are left where the seed put them
    (:func:`~seqbench.engine.train.seeded`), so training draws what a freshly seeded run draws."""
    with seeded(plan.seed, plan.trainer.threads):
        return plan.definition.build_checked(plan.task.spec, dict(plan.model_options))


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


def _interrupted(plan: Plan, out_dir: str | Path) -> TrainingState | None:
    """The snapshot (``partial.pt``) a killed run of this very plan left in ``out_dir``, if any; one
    that cannot be read is said, and the run starts over."""
    state = load_state(out_dir, PARTIAL_FILE)
    if state is None and (Path(out_dir) / PARTIAL_FILE).exists():
        print(f"[seqbench] {Path(out_dir) / PARTIAL_FILE}: unreadable, so the run starts over", file=sys.stderr,
              flush=True)
    return state if state is not None and state.identity == plan.identity else None


def _went_on(state: TrainingState) -> list[dict[str, Any]]:
    """The record's ``resumed``: the continuations ``state`` carries, and this one."""
    return [*state.resumed, {"step": state.step, "from": PARTIAL_FILE if state.identity else STATE_FILE,
                             "git_commit": state.git_commit}]


class _Snapshots:
    """Writes a run's snapshots as ``partial.pt``; a write that fails (a full disk) is said once and
    the run trains on without them."""

    def __init__(self, plan: Plan, out_dir: str | Path, resumed: list[dict[str, Any]]):
        self.plan, self.out_dir, self.resumed, self.failed = plan, out_dir, resumed, False

    def __call__(self, state: TrainingState) -> None:
        if self.failed:
            return
        try:
            save_state(replace(state, identity=self.plan.identity, git_commit=git_commit(), resumed=self.resumed),
                       self.out_dir, PARTIAL_FILE)
        except OSError as exc:
            self.failed = True
            print(f"[seqbench] {Path(self.out_dir) / PARTIAL_FILE}: not written ({exc}); the run goes on "
                  "without snapshots", file=sys.stderr, flush=True)


def _allocation_failure(exc: Exception) -> bool:
    text = str(exc).lower()
    return "out of memory" in text or "can't allocate memory" in text or "defaultcpuallocator" in text


def _train(outcome: Outcome, plan: Plan, job_number: int, out_dir: str | Path = ".", extend: bool = False) -> nn.Module:
    device = resolve_device(plan.device, job_number)
    outcome.device = device if device == "cpu" else f"{device} ({torch.cuda.get_device_name(device)})"
    model = build_model(plan)
    outcome.model_params = model.build_options  # with the hidden size a param_budget chose
    outcome.n_params = count_parameters(model)
    config = plan.trainer
    check_run_fits(model, plan.task.spec, config.as_dict())  # memory estimated before it is spent (H1)
    eval_sets = make_eval_sets(plan.task, config.eval_size, config.val_size)
    outcome.task_facts = facts_of(plan.task, eval_sets["test"])  # the first example every model is tested on
    name = f"{plan.task.name} x {plan.label} seed {plan.seed}"  # the run, in the progress lines
    resume_from = None
    if extend:  # the furthest saved state of this run: a budget-limited record's, or a killed run's snapshot
        saved = [s for s in (_continuation(build_record(plan, outcome), out_dir), _interrupted(plan, out_dir)) if s]
        resume_from = max(saved, key=lambda s: s.step) if saved else None
    if resume_from is not None:  # said once, so that a log shows which runs went on from a saved state
        outcome.resumed = _went_on(resume_from)
        print(f"[seqbench] {name}: continues from step {resume_from.step} "
              f"({'a snapshot of the run, killed' if resume_from.identity else 'a budget-limited run, to a larger cap'})",
              file=sys.stderr, flush=True)
    logger = make_logger(plan.logger, out_dir, run_name(plan.task.name, plan.label, plan.seed))
    try:
        result = fit_config(model, plan.task, config, seed=plan.seed, device=device, eval_sets=eval_sets,
                            progress=name, logger=logger,
                            resume_from=resume_from, snapshot=_Snapshots(plan, out_dir, outcome.resumed or []))
    finally:
        logger.close()  # fit closes it too; this covers a run that raised
    if result.state is not None:  # budget-limited: a larger cap can go on from here
        save_state(replace(result.state, git_commit=git_commit(), resumed=outcome.resumed or []), out_dir)
    else:
        discard_state(out_dir)
    outcome.fit = result
    outcome.split_sizes = {split: int(batch.size) for split, batch in eval_sets.items()}
    outcome.baselines, outcome.baseline_intervals = baseline_scores(plan.task, eval_sets)
    outcome.reference_baseline = plan.task.reference_baseline
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


#: The folders whose uncommitted changes make a run's code differ from its commit.
CODE = ("seqbench", "conf", "tasks", "hydra_plugins")


def commit_of(root: Path) -> str | None:
    """The commit checked out at ``root``, with ``+dirty`` when a ``.py`` or ``.yaml`` file under
    :data:`CODE` differs from it (changed, added or untracked), or None outside a git checkout.
    Reads without taking git's optional index lock, so a commit made during a grid never fails on it.

    >>> import tempfile
    >>> commit_of(Path(tempfile.mkdtemp())) is None
    True
    """
    git = ["git", "--no-optional-locks"]
    try:
        head = subprocess.run([*git, "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=5,
                              check=False)
        if head.returncode != 0 or not head.stdout.strip():
            return None
        changed = subprocess.run([*git, "status", "--porcelain", "-z", "--untracked-files=all", "--", *CODE],
                                 cwd=root, capture_output=True, text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    paths = [entry[3:] for entry in changed.stdout.split("\0") if len(entry) > 3] if changed.returncode == 0 else []
    dirty = any(path.endswith((".py", ".yaml")) for path in paths)
    return head.stdout.strip() + ("+dirty" if dirty else "")


@lru_cache(maxsize=1)
def git_commit() -> str | None:
    """:func:`commit_of` the seqbench checkout in use (None for an installed wheel). Read once per
    process: what a process runs is what it loaded when it started."""
    return commit_of(Path(__file__).resolve().parents[2])
