"""``seqbench gradflow KEY=VALUE ...``: the gradient-flow probe from the command line.

Hydra composes ``conf/gradflow.yaml`` (the normal config plus a ``gradflow`` node) with the
overrides; :func:`seqbench.analysis.gradflow.run_gradflow` does the work. The command prints a table of
``||dLoss/dh_t||`` at initialisation and after training, and writes into the output folder
``result.json`` (the usual record plus a ``gradflow`` section) and ``gradflow.png``.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from omegaconf import DictConfig, OmegaConf

from seqbench.core.errors import ConfigError

if TYPE_CHECKING:
    from seqbench.core.record import RunRecord

USAGE = """usage: seqbench gradflow [KEY=VALUE ...]

Measures ||dLoss/dh_t|| for every time step t of a recurrent model (first layer), at
initialisation and after training, and ||dLoss/dW_hh||; for every recurrent model, the modern
families included, also ||dLoss/dx_t|| (x_t the recurrent core's input at step t). Hydra overrides as in `seqbench run`:
  task=parity model=rnn_sigmoid seed=0 trainer.steps=300
  gradflow.length=100            sequence length of the probe (null: the task's own lengths)
  gradflow.batch_size=64         examples in the probe batch
  gradflow.recurrent_scale=1.0   multiply every W_hh at initialisation (try 4 with model=rnn_relu)
  gradflow.train=true            false: probe at initialisation only
  gradflow.out_dir=DIR           default outputs/gradflow/<date>/<time>_<task>_<model>
"""


def compose_config(argv: list[str]) -> DictConfig:
    """The composed ``gradflow`` config for these overrides (ConfigError on a bad one)."""
    from hydra import compose, initialize_config_module
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    from seqbench.cli.overrides import check_overrides
    from seqbench.cli.run import register_configs

    register_configs()
    check_overrides(argv)
    try:
        with initialize_config_module(config_module="seqbench.conf", version_base="1.3"):
            # the Hydra node carries the model's preset name (stacked_lstm, mamba_signed), the record's label
            return compose(config_name="gradflow", overrides=argv, return_hydra_config=True)
    except (HydraException, OmegaConfBaseException) as exc:
        raise ConfigError(str(exc).splitlines()[0]) from None


def main(argv: list[str]) -> int:
    if any(a in ("-h", "--help") for a in argv):
        print(USAGE)
        return 0
    if any(a.startswith("-") for a in argv):
        raise ConfigError(f"{next(a for a in argv if a.startswith('-'))}: seqbench gradflow runs one "
                          f"configuration; it takes KEY=VALUE overrides only")
    cfg = compose_config(argv)
    record = gradflow_record(cfg)
    name = record.model_label or record.model  # the preset: stacked_lstm, mamba_signed
    out_dir = Path(cfg.gradflow.out_dir or default_out_dir(record.task, name))
    from seqbench.analysis.curves import plot_gradient_profiles
    from seqbench.analysis.gradflow import shown_profile
    from seqbench.core.record import write_result

    section = record.gradflow
    norms, prefix, quantity = shown_profile(section["init"])
    profiles = {f"{when} (first/last {section[when][prefix + 'first_last_ratio']:.2e})": section[when][norms]
                for when in ("init", "trained") if when in section}
    title = f"{name} on {record.task}: W_hh x {section['recurrent_scale']:g}, seed {record.seed}"
    section["plot"] = plot_gradient_profiles(profiles, out_dir / "gradflow.png", title, quantity).name
    path = write_result(out_dir, record)
    print(table(section))
    print(f"[seqbench] gradflow {name} on {record.task}: {record.status} -> {path}, "
          f"{out_dir / section['plot']}")
    return 0 if record.status == "ok" else 1


def gradflow_record(cfg: DictConfig) -> RunRecord:
    """Build the task and model from ``cfg``, run the probe, and return the result record.

    The same path as a training run: options checked once into a plan, the seed set once
    (:func:`~seqbench.runs.experiment.build_model`), the record built by
    :func:`~seqbench.runs.experiment.build_record` (``record_type="gradflow"``).
    """
    from seqbench.analysis.gradflow import run_gradflow, with_length
    from seqbench.runs.experiment import Outcome, build_model, build_record, validate_experiment
    from seqbench.models import count_parameters
    from seqbench.core.registry import TASKS

    task_cfg = OmegaConf.to_container(cfg.task, resolve=True)
    model_cfg = OmegaConf.to_container(cfg.model, resolve=True)
    options = OmegaConf.to_container(cfg.gradflow, resolve=True)
    knobs = [k.name for k in TASKS.get(task_cfg["name"]).knobs]
    task_cfg = {"name": task_cfg["name"], **with_length(knobs, {k: v for k, v in task_cfg.items() if k != "name"},
                                                        options["length"])}
    trainer = OmegaConf.to_container(cfg.trainer, resolve=True)
    label = cfg.hydra.runtime.choices.get("model") if "hydra" in cfg else None
    plan = validate_experiment(task_cfg, model_cfg, trainer, cfg.seed, cfg.device, label=label)
    outcome = Outcome()
    model = build_model(plan)  # the initial weights depend on the seed
    out = run_gradflow(plan.task, model, seed=plan.seed, batch_size=options["batch_size"],
                       recurrent_scale=options["recurrent_scale"],
                       trainer=plan.trainer if options["train"] else None, device=plan.device)
    # the probe's own options change its result too: two probes differing only in them are two runs
    probe = json.dumps([plan.identity, {"batch_size": int(options["batch_size"]), "train": bool(options["train"]),
                                        "recurrent_scale": float(options["recurrent_scale"])}],
                       sort_keys=True, default=str)
    outcome.config_hash = hashlib.sha256(probe.encode()).hexdigest()[:16]
    outcome.model_params, outcome.n_params = model.build_options, count_parameters(model)
    outcome.fit, outcome.gradflow = out.get("fit"), out["gradflow"]
    return build_record(plan, outcome, record_type="gradflow")


def default_out_dir(task: str, model: str) -> Path:
    now = _dt.datetime.now()
    return Path("outputs") / "gradflow" / now.strftime("%Y-%m-%d") / f"{now.strftime('%H-%M-%S')}_{task}_{model}"


def table(section: dict[str, Any], rows: int = 10) -> str:
    """Norms at about ``rows`` evenly spaced steps (first and last included), then the summary:
    ||dLoss/dh_t|| for a classic cell, ||dLoss/dx_t|| (the core's input) for a modern family.

    >>> init = {"step_norms": [1e-4, 1e-2, 1.0], "first_last_ratio": 1e-4, "per_step_factor": 0.01,
    ...         "weight_hh_grad_norm": 0.5, "input_per_step_factor": 0.02}
    >>> print(table({"init": init}, rows=2))
    ||dLoss/dh_t||      at init
    ----------------  ---------
    t=1               1.000e-04
    t=3               1.000e+00
    first/last        1.000e-04
    per step          1.000e-02
    |dL/dW_hh|        5.000e-01
    per step (x_t)    2.000e-02
    >>> modern = {"step_norms": None, "input_norms": [1e-2, 1.0], "input_first_last_ratio": 1e-2,
    ...           "input_per_step_factor": 0.01}
    >>> print(table({"init": modern}))
    ||dLoss/dx_t||      at init
    ----------------  ---------
    t=1               1.000e-02
    t=2               1.000e+00
    first/last        1.000e-02
    per step          1.000e-02
    """
    from tabulate import tabulate

    from seqbench.analysis.gradflow import shown_profile

    phases = [w for w in ("init", "trained") if w in section]
    norms, prefix, quantity = shown_profile(section["init"])
    state = quantity == "h_t"
    steps = len(section["init"][norms])
    shown = sorted({round(i * (steps - 1) / max(rows - 1, 1)) for i in range(rows)})
    body = [[f"t={t + 1}", *[section[w][norms][t] for w in phases]] for t in shown]
    body += [["first/last", *[section[w][f"{prefix}first_last_ratio"] for w in phases]],
             ["per step", *[section[w][f"{prefix}per_step_factor"] for w in phases]]]
    if state:
        body.append(["|dL/dW_hh|", *[section[w]["weight_hh_grad_norm"] for w in phases]])
        if section["init"].get("input_per_step_factor") is not None:
            body.append(["per step (x_t)", *[section[w]["input_per_step_factor"] for w in phases]])
    headers = [f"||dLoss/d{quantity}||",
               *[f"at {w}" if w == "init" else "after training" for w in phases]]
    return tabulate(body, headers=headers, floatfmt=".3e")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
