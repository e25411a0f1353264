"""``seqbench run``: Hydra composes the configuration, :func:`run_experiment` does the work.

At start-up every registered task and model (built-in or plugin) gets a config node in
Hydra's ConfigStore with its knobs and defaults, so ``task=NAME`` works for a task that
only registered an entry point, and ``task=glob(*)`` sweeps include it.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import hydra
from hydra.core.config_store import ConfigStore
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf

from seqbench.registry import MODELS, TASKS
from seqbench.train import TRAINER_OPTIONS

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
    _registered = True


def job(cfg: DictConfig) -> tuple[str, float]:
    """One job of a run or sweep: write result.json into the job's output directory.

    Returns the status and the objective a hyperparameter sweeper optimises: the primary
    metric on ``val`` (never ``test``), NaN when the run did not finish ok.
    """
    from seqbench.experiment import completed, config_hash, run_experiment
    from seqbench.results import read_result

    hydra_cfg = HydraConfig.get()
    out_dir = Path(hydra_cfg.runtime.output_dir)
    task = OmegaConf.to_container(cfg.task, resolve=True)
    model = OmegaConf.to_container(cfg.model, resolve=True)
    trainer = OmegaConf.to_container(cfg.trainer, resolve=True)
    label = f"{task['name']} x {model['name']} seed {cfg.seed}"
    if cfg.resume and completed(out_dir, config_hash(task, model, trainer, cfg.seed, cfg.device)):
        print(f"[seqbench] {label}: skipped, ok result already in {out_dir}", flush=True)
        return "ok", _objective(read_result(out_dir / "result.json"))
    job_number = hydra_cfg.job.get("num", 0) or 0
    record = run_experiment(task, model, trainer, seed=cfg.seed, device=cfg.device, out_dir=out_dir,
                            job_number=job_number, save_model=cfg.save_model)
    print(f"[seqbench] {label}: {_summary(record)} -> {out_dir / 'result.json'}", flush=True)
    return record["status"], _objective(record)


def _objective(record: dict[str, Any]) -> float:
    if record["status"] != "ok":
        return float("nan")
    value = record["metrics"].get("val", {}).get(record["primary_metric"])
    return float("nan") if value is None else float(value)


def _summary(record: dict[str, Any]) -> str:
    if record["status"] != "ok":
        return f"{record['status'].upper()}: {record['error']}"
    primary = record["primary_metric"]
    value = record["metrics"]["test"][primary]
    chance = record.get("baselines", {}).get("test", {}).get("chance", {}).get(primary)
    extra = f" (chance {chance:.3f})" if chance is not None else ""
    return f"ok, test {primary} {value:.3f}{extra}, {record['train_seconds']:.1f}s"


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
    """``seqbench run [-m] overrides...``; exit 1 when any job did not end ``ok``."""
    register_configs()
    from seqbench.cli.overrides import check_overrides

    check_overrides(argv)
    _statuses.clear()
    _hydra(_app, argv, "seqbench-run")
    from seqbench.cli.callbacks import sweep_statuses

    statuses = sweep_statuses() or list(_statuses)  # a sweep's files, else the single run's status
    bad = [s for s in statuses if s not in ("ok", "not_applicable")]
    if bad:
        print(f"seqbench: {len(bad)} of {len(statuses)} runs did not finish ok "
              f"({', '.join(sorted(set(bad)))}); see their result.json", file=sys.stderr)
        return 1
    return 0
