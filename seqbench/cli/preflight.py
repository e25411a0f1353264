"""Check a run or a whole sweep before its first job starts.

``seqbench run`` composes the configuration the way Hydra will (the same config loader, the
same sweep expansion as Hydra's basic sweeper), then refuses, on one line and before anything
is written:

- a configuration Hydra cannot compose (``trainer=banana``, ``task=``, an unparsable override);
- a key seqbench does not read (``+foo=bar``; ``+task.foo=1`` is an unknown task knob);
- a removed group (``~task``), a seed outside [0, 2**32 - 1], an invalid knob, option or device,
  naming every bad job of a sweep;
- two jobs of a sweep that would write into the same folder, or a job folder outside the sweep
  folder;
- an output folder that is a file, lies below a file, or cannot be written.

The basic sweeper's jobs and those of ``hydra/sweeper=select`` (every job of its grid, though stage 2
runs one rate per cell) are checked one by one. Other sweepers (Optuna) choose their jobs while
they run; for them only the shared configuration is checked.

Checking a job is building its :class:`~seqbench.runs.plan.Plan` (:func:`job_plan`, the one check
of its options). The plans are kept for the jobs: a job that runs in this process takes its own
plan and checks nothing again; a job in another process (a joblib worker) or one the preflight
could not see (Optuna) builds its plan the same way, once.

>>> from seqbench.cli.run import register_configs
>>> register_configs()
>>> plan = preflight(["-m", "task=parity", "seed=0,1"])
>>> plan.n_jobs, plan.subdirs
(2, ['seed=0,task=parity', 'seed=1,task=parity'])
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from seqbench.core.errors import ConfigError, SeqbenchError, closest
from seqbench.cli.hydra_internals import BASIC_SWEEPER, compose_once_per_choice, expand_grid, share_repository
from seqbench.cli.overrides import hydra_error_message

if TYPE_CHECKING:
    from seqbench.runs.plan import Plan as RunPlan  # this module's Plan is the sweep's

#: The top-level keys of seqbench's configuration (besides ``hydra``).
TOP_LEVEL_KEYS = ("task", "model", "trainer", "seed", "device", "resume", "save_model", "logger")
REQUIRED_GROUPS = ("task", "model", "trainer")
#: hydra/sweeper=select: the basic sweeper's grid, run in two stages (:mod:`seqbench.cli.stages`).
SELECT_SWEEPER = "hydra_plugins.seqbench_select_sweeper.select_sweeper.SelectSweeper"
#: Bad jobs named in full in a sweep's refusal (the rest are counted).
NAMED_JOBS = 5
#: The plans the preflight built, by job (:func:`job_settings` as JSON): each job takes its own.
_checked: dict[str, RunPlan] = {}


@dataclass
class Plan:
    """What a checked run or sweep will do."""

    multirun: bool
    output_dir: str
    n_jobs: int | None = None  # None: a sweeper that picks its jobs while it runs
    subdirs: list[str] = field(default_factory=list)
    trainer_choice: str | None = None
    launcher: str | None = None


def split_flags(argv: list[str]) -> tuple[bool, list[str], bool]:
    """(multirun, overrides, checkable): Hydra's flags apart from the overrides.

    ``checkable`` is False for flags that change what Hydra does (``--cfg``, ``--help``,
    ``--config-dir``...): those runs go to Hydra unchecked.
    """
    multirun = any(a in ("-m", "--multirun") for a in argv)
    rest = [a for a in argv if a not in ("-m", "--multirun")]
    checkable = not any(a.startswith("-") and "=" not in a for a in rest)
    return multirun, [a for a in rest if not a.startswith("-")], checkable


def preflight(argv: list[str]) -> Plan | None:
    """Check ``seqbench run ARGV`` completely; raise ConfigError, else return the plan."""
    from hydra import initialize_config_module
    from hydra.core.global_hydra import GlobalHydra
    from hydra.errors import HydraException
    from hydra.types import RunMode
    from omegaconf.errors import OmegaConfBaseException

    multirun, overrides, checkable = split_flags(argv)
    _checked.clear()  # plans of an earlier run of this process: their files may have changed since
    if not checkable:
        return None
    GlobalHydra.instance().clear()
    try:
        with initialize_config_module(config_module="seqbench.conf", version_base="1.3"):
            loader = GlobalHydra.instance().config_loader()
            share_repository(loader)  # one config cache for every job (seqbench.cli.hydra_internals)
            mode = RunMode.MULTIRUN if multirun else RunMode.RUN
            try:
                with compose_once_per_choice(loader):  # jobs differing only in values: one merge
                    master = loader.load_configuration("config", overrides, run_mode=mode)
                    if not multirun:
                        return _check_run(master, overrides)
                    return _check_sweep(loader, master, overrides)
            except (HydraException, OmegaConfBaseException) as exc:
                raise ConfigError(hydra_error_message(exc, overrides)) from None
    finally:
        GlobalHydra.instance().clear()


def _check_run(cfg: Any, overrides: list[str]) -> Plan:
    _with_hydra_config(cfg)
    check_job(cfg, overrides)
    out = str(cfg.hydra.run.dir)
    if cfg.get("resume") and (reason := _replaces(cfg, out)):
        raise ConfigError(_replacing_message([f"{out} ({reason})"], f"move its result.json away or choose another "
                                                                    "hydra.run.dir"))
    check_output_dir(out, "hydra.run.dir")
    return Plan(False, out, 1, trainer_choice=cfg.hydra.runtime.choices.get("trainer"))


def _check_sweep(loader: Any, master: Any, overrides: list[str]) -> Plan:
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from omegaconf import OmegaConf, open_dict

    sweep_dir = str(master.hydra.sweep.dir)
    plan = Plan(True, sweep_dir, trainer_choice=master.hydra.runtime.choices.get("trainer"),
                launcher=master.hydra.runtime.choices.get("hydra/launcher"))
    sweeper = master.hydra.sweeper.get("_target_")
    if sweeper not in (BASIC_SWEEPER, SELECT_SWEEPER):
        _with_hydra_config(master)
        _check_top_level(master, overrides)
        check_output_dir(sweep_dir, "hydra.sweep.dir")
        return plan
    params = [f"{k}={v}" for k, v in (master.hydra.sweeper.params or {}).items()]
    task_overrides = OmegaConf.to_container(master.hydra.overrides.task, resolve=False)
    parsed = OverridesParser.create(config_loader=loader).parse_overrides(params + list(task_overrides))
    jobs = expand_grid(parsed)
    names = _job_names(jobs)
    bad: list[str] = []
    folders: dict[str, int] = {}
    replacing: list[str] = []  # resume=true: jobs whose folder holds an ok record of another configuration
    cache: dict[str, Any] = {}  # validate_experiment's known: one check per (task, model, trainer, device)
    for index, job in enumerate(jobs):
        cfg = loader.load_sweep_config(master, list(job))
        with open_dict(cfg.hydra):
            cfg.hydra.job.num = index
            cfg.hydra.job.id = f"preflight_{index}"
        _with_hydra_config(cfg)
        try:
            check_job(cfg, list(job), cache)
        except SeqbenchError as exc:
            bad.append(f"#{index} ({names[index]}): {exc}")
            continue
        subdir = _job_folder(cfg, names[index])
        if subdir in folders:
            other = folders[subdir]
            raise ConfigError(f"jobs #{other} ({names[other]}) and #{index} ({names[index]}) would both write to "
                              f"{os.path.join(sweep_dir, subdir)}; nothing was run (give each job its own "
                              f"hydra.sweep.subdir, or drop the repeated value)")
        folders[subdir] = index
        plan.subdirs.append(subdir)
        if cfg.get("resume") and (reason := _replaces(cfg, os.path.join(sweep_dir, subdir))):
            replacing.append(f"{subdir} ({reason})")
    _with_hydra_config(master)
    if bad:
        raise ConfigError(f"{len(bad)} of {len(jobs)} jobs have an invalid configuration, nothing was run: "
                          + _named(bad))
    if replacing:
        raise ConfigError(_replacing_message(replacing, f"move those folders out of {sweep_dir} or choose another "
                                                         "hydra.sweep.dir"))
    check_output_dir(sweep_dir, "hydra.sweep.dir")
    if sweeper == SELECT_SWEEPER:  # every job was checked; stage 2 runs one rate per cell
        from seqbench.cli.stages import stage_sizes

        plan.n_jobs = sum(stage_sizes(jobs))
    else:
        plan.n_jobs = len(jobs)
    return plan


def _replaces(cfg: Any, out_dir: str) -> str | None:
    """Why resuming the checked job ``cfg`` in ``out_dir`` would replace the ok record there, or None
    (:func:`seqbench.runs.replacement.replaced_by`)."""
    from seqbench.runs.replacement import replaced_by

    return replaced_by(out_dir, _checked[_key(job_settings(cfg))])


def _replacing_message(replacing: list[str], remedy: str) -> str:
    return (f"resume=true: {len(replacing)} ok record{'s' if len(replacing) > 1 else ''} made under another "
            "configuration would be trained again and replaced; nothing was run: " + _named(replacing)
            + " (resume skips records of the same configuration, redoes failed ones and takes a larger "
            f"trainer.steps or trainer.min_steps; to keep these records, {remedy})")


def _named(items: list[str]) -> str:
    """The first :data:`NAMED_JOBS` of ``items`` joined by '; ', then how many more there are."""
    more = f"; and {len(items) - NAMED_JOBS} more" if len(items) > NAMED_JOBS else ""
    return "; ".join(items[:NAMED_JOBS]) + more


def _with_hydra_config(cfg: Any) -> None:
    from hydra.core.hydra_config import HydraConfig

    HydraConfig.instance().set_config(cfg)


def _job_names(jobs: list[list[str]]) -> list[str]:
    """Each job named by the overrides that differ between jobs (all of them when none do)."""
    varying = {i for i in range(len(jobs[0]) if jobs else 0) if len({job[i] for job in jobs}) > 1}
    return [" ".join(o for i, o in enumerate(job) if i in varying) or " ".join(job) or "no overrides"
            for job in jobs]


def _job_folder(cfg: Any, name: str) -> str:
    """The job's folder relative to the sweep folder; refused when it is not strictly inside."""
    subdir = str(cfg.hydra.sweep.subdir)
    normal = os.path.normpath(subdir)
    if not subdir.strip() or os.path.isabs(subdir) or normal == "." or normal.split(os.sep)[0] == "..":
        raise ConfigError(f"job ({name}): hydra.sweep.subdir={subdir!r} is not a folder inside hydra.sweep.dir; "
                          "every job needs its own folder there")
    return normal


def task_model_trainer(cfg: Any) -> tuple[dict, dict, dict]:
    from omegaconf import OmegaConf

    return tuple(OmegaConf.to_container(cfg[key], resolve=True) for key in REQUIRED_GROUPS)  # type: ignore


def check_job(cfg: Any, overrides: list[str], cache: dict | None = None) -> None:
    """Raise ConfigError for anything in one job's composed configuration that would fail it;
    else keep the job's plan for it (:func:`job_plan`). ``cache`` is
    :func:`~seqbench.runs.plan.validate_experiment`'s ``known``, shared by a sweep's jobs."""
    from seqbench.runs.plan import validate_experiment

    _check_top_level(cfg, overrides)
    settings = job_settings(cfg)
    try:
        plan = validate_experiment(**settings, known=cache)
    except SeqbenchError as exc:
        raise ConfigError(str(exc)) from None
    _checked[_key(settings)] = plan


def job_settings(cfg: Any) -> dict[str, Any]:
    """What :func:`~seqbench.runs.plan.validate_experiment` reads of a job's composed configuration
    (the Hydra configuration of the job must be set: the model's preset names the run)."""
    from hydra.core.hydra_config import HydraConfig

    task, model, trainer = task_model_trainer(cfg)
    label = HydraConfig.get().runtime.choices.get("model") or model["name"]  # bilstm, stacked_lstm, or the model
    return {"task": task, "model": model, "trainer": trainer, "seed": cfg.seed, "device": str(cfg.device),
            "label": label, "save_model": cfg.get("save_model", False), "logger": cfg.get("logger", "none")}


def job_plan(cfg: Any) -> RunPlan:
    """The :class:`~seqbench.runs.plan.Plan` of a job's composed configuration: the one the
    preflight built for it when it ran in this process, else built (and so checked) here."""
    from seqbench.runs.plan import validate_experiment

    settings = job_settings(cfg)
    plan = _checked.pop(_key(settings), None)
    return validate_experiment(**settings) if plan is None else plan


def _key(settings: dict[str, Any]) -> str:
    return json.dumps(settings, sort_keys=True, default=str)


def _check_top_level(cfg: Any, overrides: list[str]) -> None:
    for group in REQUIRED_GROUPS:
        if cfg.get(group) is None or (group != "trainer" and "name" not in cfg[group]):
            raise ConfigError(f"{group}: missing; every run needs a {group} (was it removed with ~{group}?); "
                              f"choose one with {group}=NAME")
    for key in ("seed", "device"):
        if key not in cfg:
            raise ConfigError(f"{key}: missing (was it removed with ~{key}?); set it with {key}=VALUE")
    for key in cfg:
        if key not in TOP_LEVEL_KEYS and key != "hydra":
            given = next((o for o in overrides if o.lstrip("+~").split("=", 1)[0] == key), key)
            hint = closest(str(key), TOP_LEVEL_KEYS)
            did_you_mean = f"; did you mean '{hint}'?" if hint else ";"
            raise ConfigError(f"{given}: unknown key '{key}'{did_you_mean} seqbench reads only "
                              f"{', '.join(TOP_LEVEL_KEYS)} (and hydra.*)")


def check_output_dir(path: str, what: str) -> None:
    """Refuse an output folder that is a file, lies below a file, or cannot be written.

    Nothing is created: the nearest existing folder on the path gets a temporary file that
    is removed at once.
    """
    folder = Path(path)
    probe = folder
    while not probe.exists() and not probe.is_symlink() and probe != probe.parent:
        probe = probe.parent
    if not probe.is_dir():
        where = "is" if probe == folder else f"lies below {probe}, which is"
        raise ConfigError(f"{what}={path}: {where} a file, not a folder; choose a folder")
    try:
        with tempfile.TemporaryFile(dir=probe):
            pass
    except OSError as exc:
        raise ConfigError(f"{what}={path}: cannot write into {probe} ({exc.strerror or exc}); "
                          "choose a writable folder") from None
