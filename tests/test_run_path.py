"""One path from options to record (issue 22.4).

Options are checked once, into a frozen :class:`~seqbench.runs.plan.Plan` (its trainer options a
:class:`~seqbench.engine.trainer_options.TrainerConfig`) that the rest of the run receives and never
checks again; the seed is set once (:func:`~seqbench.runs.experiment.build_model`); and one
function, :func:`~seqbench.runs.experiment.build_record`, builds the record of training runs and
gradient-flow probes alike, carrying the fit result field by field.
"""

from __future__ import annotations

import collections
import dataclasses
import functools
import importlib
import random
import sys

import numpy as np
import pytest
import torch

from seqbench.core.errors import ConfigError
from seqbench.core.record import RunRecord
from seqbench.engine import train
from seqbench.engine.trainer_options import TRAINER_OPTIONS, TrainerConfig
from seqbench.runs import experiment
from seqbench.runs.plan import validate_experiment

from conftest import SMOKE, run_cli

TASK, MODEL = {"name": "parity", "length": 4}, {"name": "gru", "hidden_size": 8}
TINY = {"steps": 4, "eval_every": 2, "eval_size": 16, "val_size": 16, "batch_size": 8}


def _count(monkeypatch: pytest.MonkeyPatch, counts: collections.Counter, function, label) -> None:
    """Count the calls of ``function`` in ``counts[label(args, kwargs)]``, wherever seqbench imported it."""

    @functools.wraps(function)
    def counted(*args, **kwargs):
        counts[label(args, kwargs)] += 1
        return function(*args, **kwargs)

    for module in list(sys.modules.values()):
        if getattr(module, "__name__", "").startswith("seqbench"):
            for name, value in list(vars(module).items()):
                if value is function:
                    monkeypatch.setattr(module, name, counted)


@pytest.fixture
def checks(monkeypatch):
    """Every check of an option and every seeding, counted: ``validate_knobs(trainer)``, ``check_seed``..."""
    from seqbench.core import options
    from seqbench.engine import loggers

    for module in ("seqbench.cli.preflight", "seqbench.cli.run"):  # imported before counting, as `seqbench run` has them
        importlib.import_module(module)
    counts: collections.Counter = collections.Counter()
    _count(monkeypatch, counts, options.validate_knobs, lambda a, k: f"validate_knobs({a[0]})")
    for function in (options.check_seed, loggers.check_logger, train.seed_everything):
        _count(monkeypatch, counts, function, lambda a, k, name=function.__name__: name)
    return counts


@pytest.fixture
def builds(monkeypatch):
    """Every record :func:`build_record` builds, with its type, in order."""
    built: list[tuple[str, RunRecord]] = []
    original = experiment.build_record

    def counted(plan, outcome=None, record_type="run"):
        record = original(plan, outcome, record_type)
        built.append((record_type, record))
        return record

    monkeypatch.setattr(experiment, "build_record", counted)
    return built


def test_training_runs_and_probes_are_recorded_by_one_function(tmp_path, builds):
    from seqbench.cli.gradflow import compose_config, gradflow_record

    run = experiment.run_experiment(TASK, MODEL, TINY, seed=0, out_dir=tmp_path / "run")
    probe = gradflow_record(compose_config(["task=parity", "task.length=4", "model=gru", "model.hidden_size=8",
                                            "trainer.steps=4", "trainer.eval_every=2", "trainer.eval_size=16",
                                            "trainer.val_size=16", "gradflow.batch_size=8"]))
    assert [(kind, record) for kind, record in builds] == [("run", run), ("gradflow", probe)]
    assert (run.status, run.record_type, probe.status, probe.record_type) == ("ok", "run", "ok", "gradflow")
    assert run.metrics and probe.metrics and probe.gradflow["trained"]


@pytest.mark.slow
def test_a_command_line_run_checks_every_option_once_and_seeds_once(tmp_path, checks, builds):
    run_cli("run", "task=parity", "model=gru", *SMOKE, f"hydra.run.dir={tmp_path / 'one'}")
    assert dict(checks) == {"validate_knobs(task)": 1, "validate_knobs(model)": 1, "validate_knobs(trainer)": 1,
                            "check_seed": 1, "check_logger": 1, "seed_everything": 1}
    assert [kind for kind, _ in builds] == ["run"]
    checks.clear()
    run_cli("run", "-m", "task=parity", "model=gru", *SMOKE, "seed=0,1", f"hydra.sweep.dir={tmp_path / 'sweep'}")
    assert dict(checks) == {"validate_knobs(task)": 1, "validate_knobs(model)": 1, "validate_knobs(trainer)": 1,
                            "check_seed": 2, "check_logger": 2, "seed_everything": 2}  # what varies: per job


def test_the_api_and_the_probe_check_once_and_seed_once(tmp_path, checks):
    from seqbench.cli.gradflow import compose_config, gradflow_record

    experiment.run_experiment(TASK, MODEL, TINY, seed=1, out_dir=tmp_path)
    assert checks["validate_knobs(trainer)"] == 1 and checks["seed_everything"] == 1
    checks.clear()
    gradflow_record(compose_config(["task=parity", "model=gru", "trainer.steps=2", "trainer.eval_every=1",
                                    "trainer.eval_size=8", "trainer.val_size=8", "gradflow.batch_size=4"]))
    assert checks["validate_knobs(trainer)"] == 1 and checks["seed_everything"] == 1


def test_an_invalid_option_fails_once_before_any_work_with_one_line(tmp_path, checks, builds, monkeypatch):
    def no_model(*args, **kwargs):
        raise AssertionError("a model was built for an invalid configuration")

    monkeypatch.setattr(experiment, "build_model", no_model)
    result = run_cli("run", "task=parity", "model=gru", *SMOKE, "trainer.lr=-1", f"hydra.run.dir={tmp_path / 'cli'}",
                     check=False)
    assert result.returncode == 2
    assert result.stderr == "seqbench: error: trainer.lr=-1: must be a number in [1e-08, 10]\n"
    assert checks["validate_knobs(trainer)"] == 1 and checks["seed_everything"] == 0 and builds == []
    assert not (tmp_path / "cli").exists()
    checks.clear()
    with pytest.raises(ConfigError, match=r"^trainer.lr=-1: must be a number in \[1e-08, 10\]$"):
        experiment.run_experiment(TASK, MODEL, {**TINY, "lr": -1}, out_dir=tmp_path / "api")
    assert checks["validate_knobs(trainer)"] == 1 and checks["seed_everything"] == 0 and builds == []
    assert not (tmp_path / "api").exists()


def test_the_plan_is_frozen_and_its_trainer_options_typed():
    plan = validate_experiment(TASK, MODEL, TINY, seed=3)
    assert isinstance(plan.trainer, TrainerConfig) and plan.trainer.steps == 4 and plan.trainer.lr == 1e-3
    assert [f.name for f in dataclasses.fields(TrainerConfig)] == [k.name for k in TRAINER_OPTIONS]
    assert plan.trainer.as_dict() == {k.name: getattr(plan.trainer, k.name) for k in TRAINER_OPTIONS}
    with pytest.raises(dataclasses.FrozenInstanceError):
        plan.trainer.steps = 5  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        plan.seed = 4  # type: ignore[misc]
    record = experiment.build_record(plan)
    record.trainer_params["steps"] = 99  # a record's mappings are its own: the plan stays as checked
    record.model_params["hidden_size"] = 99
    assert plan.trainer.steps == 4 and plan.model_options["hidden_size"] == 8


def test_every_field_of_the_fit_result_is_carried_into_the_record():
    plan = validate_experiment(TASK, MODEL, TINY)
    names = {f.name for f in dataclasses.fields(RunRecord)}
    carried = {f.name: f.metadata.get(train.RECORD, f.name) for f in dataclasses.fields(train.FitResult)}
    assert carried.pop("state") is None and set(carried.values()) <= names
    assert set(experiment.PROBE_FIT_FIELDS) <= set(carried.values())
    assert {f.name for f in dataclasses.fields(experiment.Outcome)} - {"fit"} <= names  # the rest: by name
    fit = train.FitResult(status="diverged", metrics={"val": {"accuracy": 0.5}}, by_length={"test": {"metric": "a"}},
                          steps=7, best_step=6, train_seconds=1.5, tokens_per_second=3.0, history=[{"step": 6}],
                          error="non-finite loss", dataset_fingerprint={"val": "f"}, intervals={"val": {"a": [0, 1]}},
                          converged=True, budget_limited=False, stop_reason="plateau", steps_to={"0.9": 6},
                          not_applicable={"test_ood": "why"})
    record = experiment.build_record(plan, experiment.Outcome(fit=fit))
    assert {name: getattr(record, name) for name in carried.values()} == {
        name: getattr(fit, field) for field, name in carried.items()}
    probe = experiment.build_record(plan, experiment.Outcome(fit=fit), record_type="gradflow")
    assert {name for name in carried.values() if getattr(probe, name) == getattr(record, name)} >= set(
        experiment.PROBE_FIT_FIELDS) and probe.by_length == {} and probe.stop_reason is None
    limited = experiment.build_record(plan, experiment.Outcome(fit=dataclasses.replace(fit, budget_limited=True)))
    assert limited.stop_reason == experiment.BUDGET_LIMITED
    failed = experiment.build_record(plan, experiment.Outcome(fit=fit, status="failed", error="disk full"))
    assert (failed.status, failed.error, failed.metrics) == ("failed", "disk full", fit.metrics)


def test_seeded_draws_the_weights_from_the_seed_and_leaves_training_at_the_seed():
    def draws():
        return random.random(), float(np.random.rand()), torch.rand(3).tolist()

    train.seed_everything(5)
    fresh = draws()
    with train.seeded(5):
        weights = draws()
        draws()  # anything else the preparation draws
    assert weights == fresh and draws() == fresh  # training starts where seed 5 starts
