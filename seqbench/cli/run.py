"""``seqbench run``: Hydra composes the configuration, :func:`run_experiment` does the work.

At start-up every registered task and model (built-in or plugin) gets a config node in
Hydra's ConfigStore with its knobs and defaults, so ``task=NAME`` works for a task that
only registered an entry point, and ``task=glob(*)`` sweeps include it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import hydra
from hydra.core.config_store import ConfigStore
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf

from seqbench.cli.overrides import job_dirname, tagged_tasks, untagged_tasks
from seqbench.core.registry import MODELS, TASKS
from seqbench.engine.trainer_options import TRAINER_OPTIONS

# conf/config.yaml names each job's folder ${seqbench.dirname:${hydra.job.override_dirname}}: one
# safe folder name per job (registered at import, so launcher workers that import this module
# to run a job resolve it too).
OmegaConf.register_new_resolver("seqbench.dirname", job_dirname, replace=True)
# A grid's tasks by tag, in a sweeper's params: ``task: ${seqbench.tagged:chomsky}`` (the tasks tagged
# chomsky; several tags: all of them), ``task: ${seqbench.untagged:chomsky}`` (every task but those).
OmegaConf.register_new_resolver("seqbench.tagged", tagged_tasks, replace=True)
OmegaConf.register_new_resolver("seqbench.untagged", untagged_tasks, replace=True)
#: Set by ``seqbench run`` for a checked sweep: its number of jobs, for the ``[ k/N]`` progress.
SWEEP_SIZE_VARIABLE = "SEQBENCH_SWEEP_SIZE"

if TYPE_CHECKING:
    from seqbench.core.record import RunRecord

_registered = False


def register_configs() -> None:
    """Store a config node for every registered task and model, and the trainer's defaults."""
    global _registered
    if _registered:
        return
    store = ConfigStore.instance()
    tasks, task_problems = TASKS.load_all()
    models, model_problems = MODELS.load_all()
    for problem in task_problems + model_problems:
        print(f"seqbench: warning: {problem}", file=sys.stderr)
    for name, cls in tasks.items():
        store.store(group="task", name=name, node={"name": name, **{k.name: k.default for k in cls.knobs}})
    for name, definition in models.items():
        store.store(group="model", name=name, node={"name": name, **{k.name: k.default for k in definition.options}})
    store.store(group="trainer", name="base", node={k.name: k.default for k in TRAINER_OPTIONS})
    # hydra/sweeper=select (learning-rate selection, then seeds). Hydra finds plugins by walking the
    # hydra_plugins package, which an editable install's path hook hides: register it by hand.
    from hydra.core.plugins import Plugins
    from hydra_plugins.seqbench_select_sweeper.select_sweeper import SelectSweeper

    Plugins.instance().register(SelectSweeper)
    _registered = True


def job(cfg: DictConfig) -> tuple[str, float]:
    """One job of a run or sweep: write result.json into the job's output directory.

    Returns the status and the objective a hyperparameter sweeper optimises: the primary
    metric on ``val`` (never ``test``), NaN when the run did not finish ok.
    """
    from seqbench.cli.preflight import job_plan
    from seqbench.cli.workers import watch_launcher
    from seqbench.runs.experiment import completed, execute
    from seqbench.runs.replacement import adopt, adoptable, replaced_by

    watch_launcher()  # in a launcher's worker: stop when seqbench run is gone (kill -9)
    hydra_cfg = HydraConfig.get()
    out_dir = Path(hydra_cfg.runtime.output_dir)
    plan = job_plan(cfg)  # checked by the preflight (in this process) or here: once, either way
    job_number = hydra_cfg.job.get("num", 0) or 0
    label = f"{_prefix(job_number)} {plan.task.name} x {plan.label} seed {plan.seed}"
    if cfg.resume and (done := completed(out_dir, plan.identity)) is not None:
        print(f"{label}: skipped, ok result already in {out_dir}", flush=True)
        return "ok", _objective(done)
    if cfg.resume and (same := adoptable(out_dir, plan)) is not None:  # a larger min_steps it went past
        adopt(out_dir, same, plan)
        print(f"{label}: kept, ok result already in {out_dir} ({same.adopted['why']})", flush=True)
        return "ok", _objective(same)
    if cfg.resume and (why := replaced_by(out_dir, plan)) is not None:  # past the preflight: another sweeper
        print(f"{label}: NOT RUN: the ok record in {out_dir} was made under another configuration ({why}); "
              "kept as it is", flush=True)
        return "kept", float("nan")
    if _cannot_write:  # an earlier job of this process could not write even a short record: not run
        return _stopped()
    try:
        record = execute(plan, out_dir, job_number, extend=bool(cfg.resume))  # resume also extends a budget
    except OSError as exc:  # its result.json could not be written (a full disk, a read-only folder)
        return _unwritten(plan, out_dir, label, exc)
    where = "" if os.environ.get(SWEEP_SIZE_VARIABLE) else f" -> {out_dir / 'result.json'}"
    print(f"{label}: {_summary(record)}{where}", flush=True)
    return record.status, _objective(record)


#: The error that stopped this process's jobs: no record could be written (the sweep's later jobs are not run).
_cannot_write: list[Exception] = []
#: The process of ``seqbench run`` (jobs of the basic launcher run in it; a joblib worker is another process).
_launcher_pid: list[int] = []


def _stopped() -> tuple[str, float]:
    """A job after one that could not write any record: not run. In the launching process the
    sweep goes through its remaining jobs at once and :func:`run` reports the error in one line;
    in a launcher's worker process the job raises it (the launcher passes it on)."""
    if _launcher_pid != [os.getpid()]:
        raise _cannot_write[0]
    return "failed", float("nan")


def _unwritten(plan: Any, out_dir: Path, label: str, exc: OSError) -> tuple[str, float]:
    """A job whose ``result.json`` could not be written (``exc``): the job fails.

    When a short ``failed`` record (the error, without the metrics) can be written in its place,
    the grid goes on and the sweep ends with exit status 1. When even that cannot be written,
    the later jobs are not run and ``seqbench run`` stops with one line (:func:`_stopped`).
    Either way no temporary file is left (:mod:`seqbench.core.atomic`), and ``resume=true`` redoes
    the jobs without an ``ok`` record once the cause is fixed.

    For example, ``EFBIG`` on a huge record prints ``FAILED: cannot write .../result.json: [EFBIG]
    File too large`` and leaves a failed record; ``ENOSPC`` with not a byte left stops the sweep:
    ``seqbench: error: cannot write .../result.json: [ENOSPC] No space left on device; stopped: ...``.
    """
    from seqbench.core.atomic import cannot_write
    from seqbench.core.errors import SeqbenchError
    from seqbench.runs.experiment import Outcome, build_record
    from seqbench.core.record import RESULT_FILE, write_result

    error = cannot_write(out_dir / RESULT_FILE, exc)
    record = build_record(plan, Outcome(status="failed",
                                        error=f"{error} (the run's metrics were lost; resume=true runs it again)"))
    print(f"{label}: FAILED: {error}", flush=True)
    try:
        write_result(out_dir, record)
    except OSError:
        _cannot_write[:] = [SeqbenchError(f"{error}; stopped: no result can be written (the finished runs keep "
                                          "their result.json; once fixed, run the same command with resume=true)")]
        return _stopped()
    return record.status, _objective(record)


def _prefix(job_number: int) -> str:
    """``[ 12/54]`` for job 12 of a checked 54-job sweep, else ``[seqbench]``."""
    total = os.environ.get(SWEEP_SIZE_VARIABLE, "")
    if not total.isdigit():
        return "[seqbench]"
    return f"[{job_number + 1:>{len(total)}}/{total}]"


def _objective(record: RunRecord) -> float:
    value = record.primary("val") if record.status == "ok" else None
    return float("nan") if value is None else float(value)


def _summary(record: RunRecord) -> str:
    if record.status != "ok":
        return f"{record.status.upper()}: {record.error}"
    primary, value = record.primary_metric, record.primary("test")
    chance = record.baselines.get("test", {}).get("chance", {}).get(primary)
    shown = "n/a" if value is None else f"{value:.3f}"
    extra = f" (chance {chance:.3f})" if chance is not None else ""
    return f"ok, test {primary} {shown}{extra}, {record.train_seconds:.1f}s"


_statuses: list[str] = []


@hydra.main(version_base="1.3", config_path="pkg://seqbench.conf", config_name="config")
def _app(cfg: DictConfig) -> float:
    status, objective = job(cfg)
    _statuses.append(status)
    return objective  # what hydra-optuna-sweeper optimises


def _hydra(app, argv: list[str], prog: str) -> None:
    saved = sys.argv
    sys.argv = [prog, *argv]
    try:
        app()
    finally:
        sys.argv = saved


def run(argv: list[str]) -> int:
    """``seqbench run [-m] overrides...``; exit 1 when any job did not end ``ok``.

    The run or the whole sweep is checked first (:mod:`seqbench.cli.preflight`): a bad
    configuration, seed, output folder or two jobs sharing a folder stop it before any job
    starts. SIGINT, SIGTERM or SIGHUP ends the launcher's workers, and they stop by themselves
    when this process is killed outright (:mod:`seqbench.cli.workers`).
    """
    register_configs()
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    from seqbench.cli.callbacks import print_summary, sweep_statuses
    from seqbench.cli.overrides import check_overrides, hydra_error_message
    from seqbench.cli.preflight import preflight
    from seqbench.cli.workers import LAUNCHER_VARIABLE, launcher_identity, stop_children_on_signal
    from seqbench.core.errors import ConfigError

    check_overrides(argv)
    plan = preflight(argv)
    settings = {"HYDRA_FULL_ERROR": "1",  # Hydra's errors reach us as exceptions, not printed
                LAUNCHER_VARIABLE: launcher_identity()}  # the workers watch this process
    if plan is not None and plan.multirun and plan.n_jobs is not None:
        settings[SWEEP_SIZE_VARIABLE] = str(plan.n_jobs)
        print(f"[seqbench] {plan.n_jobs} jobs -> {plan.output_dir} (launcher: {plan.launcher})", flush=True)
    _statuses.clear()
    _cannot_write.clear()
    _launcher_pid[:] = [os.getpid()]
    sweep_statuses()
    with _environment(settings), stop_children_on_signal(), _composed_once(plan):
        try:
            _hydra(_app, argv, "seqbench-run")
        except (HydraException, OmegaConfBaseException) as exc:
            raise ConfigError(hydra_error_message(exc, [a for a in argv if not a.startswith("-")])) from None
        except ValueError as exc:
            if not str(exc).startswith("Only one of --run"):  # Hydra's check of its own flags
                raise
            raise ConfigError(str(exc)) from None
        except OSError as exc:  # Hydra's own files of a job (.hydra/*.yaml) could not be written
            from seqbench.core.atomic import describe
            from seqbench.core.errors import SeqbenchError

            if isinstance(exc, SeqbenchError):
                raise
            raise SeqbenchError(f"cannot write the run's files: {describe(exc)}") from None
    if _cannot_write:  # a job of this process could not write any record: the run stopped
        raise _cannot_write[0]
    statuses = sweep_statuses() or list(_statuses)  # a sweep's files, else the single run's status
    if plan is not None and plan.multirun:
        print_summary(plan)
    bad = [s for s in statuses if s not in ("ok", "not_applicable")]
    if bad:
        print(f"seqbench: {len(bad)} of {len(statuses)} runs did not finish ok "
              f"({', '.join(sorted(set(bad)))}); see their result.json", file=sys.stderr)
        return 1
    return 0


@contextmanager
def _composed_once(plan: Any) -> Iterator[None]:
    """Skip the sweeper's second composition of every job when the preflight composed and checked them all.

    Hydra's sweepers compose each job's configuration before launching it
    (``Sweeper.validate_batch_is_legal``), only to find composition errors early; the preflight
    has just done that and more, job by job, so the pass is skipped (about 0.08 s of CPU a job:
    40 s on the leaderboard grid). Sweeps the preflight cannot expand (Optuna) keep it.
    """
    if plan is None or not plan.multirun or plan.n_jobs is None:
        yield
        return
    from seqbench.cli.hydra_internals import skip_batch_validation

    with skip_batch_validation():
        yield


@contextmanager
def _environment(settings: dict[str, str]) -> Iterator[None]:
    """Set environment variables for the launch (workers inherit them); restore them after."""
    saved = {key: os.environ.get(key) for key in settings}
    os.environ.update(settings)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
