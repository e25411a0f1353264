"""One experiment, end to end: build the task and model, fit, and write its result record.

This is what ``seqbench run`` calls for every job of a grid, and it is usable without Hydra.
Every outcome writes a record: ``ok``, ``diverged`` (non-finite loss or gradient),
``not_applicable`` (the model refuses the task, with the reason) or ``failed`` (any other
error, with its message); an exception never escapes, so the rest of a grid goes on.

>>> import tempfile
>>> record = run_experiment({"name": "parity", "length": 4}, {"name": "gru", "hidden_size": 8},
...                         {"steps": 2, "eval_every": 1, "eval_size": 16, "batch_size": 8},
...                         seed=0, out_dir=tempfile.mkdtemp())
>>> record["status"], record["task"], record["model"], record["primary_metric"]
('ok', 'parity', 'gru', 'accuracy')
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import platform
import subprocess
import traceback
from functools import lru_cache
from pathlib import Path
from typing import Any

import torch

from seqbench.errors import NotApplicableError, SeqbenchError
from seqbench.memory import peak_rss_mb, reset_peak
from seqbench.models import count_parameters, model_def
from seqbench.registry import TASKS
from seqbench.results import RESULT_FILE, SCHEMA, read_result, write_result
from seqbench.train import TRAINER_OPTIONS, fit, make_eval_sets, seed_everything
from seqbench.knobs import validate_knobs

OOM_HINT = "out of memory: try a smaller trainer.batch_size or model.hidden_size"


def config_hash(task: dict, model: dict, trainer: dict, seed: int, device: str) -> str:
    """A stable hash of everything that determines a run's numbers."""
    blob = json.dumps({"task": task, "model": model, "trainer": trainer, "seed": seed, "device": device},
                      sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


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


def completed(out_dir: str | Path, digest: str) -> bool:
    """Whether ``out_dir`` already holds an ``ok`` record of the same configuration."""
    path = Path(out_dir) / RESULT_FILE
    if not path.exists():
        return False
    try:
        record = read_result(path)
    except ValueError:
        return False
    return record["status"] == "ok" and record.get("config_hash") == digest


def run_experiment(task: dict[str, Any], model: dict[str, Any], trainer: dict[str, Any], seed: int = 0,
                   device: str = "cpu", out_dir: str | Path = ".", job_number: int = 0,
                   save_model: bool = False) -> dict[str, Any]:
    """Run one (task, model, trainer, seed) and write ``out_dir/result.json``; return the record.

    ``task`` and ``model`` are plain mappings with a ``name`` and the knobs or options to set.
    ``save_model`` also writes the selected weights as ``out_dir/model.pt``
    (see :mod:`seqbench.checkpoint`).
    """
    task_knobs = {k: v for k, v in task.items() if k != "name"}
    model_opts = {k: v for k, v in model.items() if k != "name"}
    trainer = dict(trainer)
    record: dict[str, Any] = {
        "schema": SCHEMA, "task": task["name"], "model": model["name"], "seed": seed,
        "task_params": task_knobs, "model_params": model_opts, "trainer_params": trainer,
        "config_hash": config_hash(task, model, trainer, seed, device),
        "status": "failed", "error": None, "metrics": {}, "by_length": {}, "baselines": {},
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "versions": versions(), "git_commit": git_commit(), "device": device,
        "n_params": None, "steps": 0, "train_seconds": 0.0, "tokens_per_second": 0.0,
    }
    record["peak_rss_scope"] = reset_peak()
    try:
        model_module = _run(record, task["name"], task_knobs, model["name"], model_opts, trainer, seed, device,
                            job_number)
        if save_model:
            from seqbench.checkpoint import save_weights

            record["weights"] = save_weights(model_module, out_dir).name
    except NotApplicableError as exc:
        record.update(status="not_applicable", error=str(exc))
    except torch.OutOfMemoryError as exc:
        record.update(status="failed", error=f"{OOM_HINT} ({str(exc).splitlines()[0]})")
    except SeqbenchError as exc:
        record.update(status="failed", error=str(exc))
    except Exception as exc:  # noqa: BLE001 - a job records its own failure; the grid goes on
        message = f"{type(exc).__name__}: {exc}"
        if isinstance(exc, MemoryError) or "out of memory" in str(exc).lower():
            message = f"{OOM_HINT} ({message})"
        record.update(status="failed", error=message, traceback=traceback.format_exc())
    record["peak_rss_mb"] = peak_rss_mb()
    write_result(out_dir, record)
    return record


def _run(record: dict[str, Any], task_name: str, task_knobs: dict, model_name: str, model_opts: dict,
         trainer: dict, seed: int, device: str, job_number: int):
    # validate everything before any training starts
    task_cls = TASKS.get(task_name)
    definition = model_def(model_name)
    trainer_opts = validate_knobs("trainer", TRAINER_OPTIONS, trainer)
    task = task_cls(**task_knobs)
    record.update(task_version=task.version, kind=task.kind, task_params=task.params,
                  primary_metric=task.spec.primary_metric, higher_is_better=task.spec.higher_is_better,
                  lengths=task.spec.lengths, ood_lengths=task.spec.ood_lengths,
                  model_params=definition.validate(model_opts), trainer_params=trainer_opts)
    device = resolve_device(device, job_number)
    record["device"] = device if device == "cpu" else f"{device} ({torch.cuda.get_device_name(device)})"
    seed_everything(seed, trainer_opts["threads"])  # the model's initial weights depend on the seed
    model = definition.build(task.spec, **model_opts)
    record["model_params"] = model.build_options  # with the hidden size a param_budget chose
    record["n_params"] = count_parameters(model)
    eval_sets = make_eval_sets(task, seed, trainer_opts["eval_size"])
    result = fit(model, task, seed=seed, device=device, eval_sets=eval_sets, **trainer_opts)
    record.update(
        status=result.status, error=result.error, metrics=result.metrics, by_length=result.by_length,
        steps=result.steps, best_step=result.best_step, train_seconds=result.train_seconds,
        tokens_per_second=result.tokens_per_second, history=result.history,
        dataset_fingerprint=result.dataset_fingerprint,
    )
    record["baselines"] = task_baselines(task, seed, eval_sets)
    return model


def task_baselines(task, seed: int, eval_sets: dict) -> dict[str, dict[str, dict[str, float]]]:
    """Every baseline on every evaluation split: split -> baseline -> metric -> value.

    Fitted baselines see a training sample of 1,024 examples from the run's own train stream.
    """
    train = task.sample(task.rng(seed, "train"), 1024, "train")
    return {split: task.baselines(train, batch, split) for split, batch in eval_sets.items()}


@lru_cache(maxsize=1)
def versions() -> dict[str, str]:
    """Versions of the libraries behind the numbers (read from metadata: importing scikit-learn
    only for its version would cost every job two seconds)."""
    from importlib.metadata import PackageNotFoundError, version

    import seqbench

    out = {"seqbench": seqbench.__version__, "python": platform.python_version(), "torch": torch.__version__}
    for package in ("numpy", "scikit-learn"):
        try:
            out[package] = version(package)
        except PackageNotFoundError:
            out[package] = "not installed"
    return out


@lru_cache(maxsize=1)
def git_commit() -> str | None:
    """The commit of the seqbench checkout in use, or None outside a git checkout."""
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=Path(__file__).parent, capture_output=True,
                             text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None
