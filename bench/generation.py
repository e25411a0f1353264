"""``generation_vs_naive`` and generation's share of a training step, for every registered task.

- ratio: examples per second of the task's vectorised generator (``task.sample``) divided by
  those of its per-example reference in :mod:`naive`, both drawing ``n`` training examples at
  the task's default knobs.
- share: the time to draw one training batch (trainer defaults: 64 examples) divided by the
  time of one training step of the default model (``lstm``, default options) on that task,
  the step including the draw, as in :func:`seqbench.fit`.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

import numpy as np
import torch

from naive import REFERENCES
from timing import ratio_figure, seconds_per_call, stats
from seqbench import make_model, make_task
from seqbench.core.registry import TASKS
from seqbench.engine.trainer_options import TRAINER_OPTIONS

DEFAULTS = {k.name: k.default for k in TRAINER_OPTIONS}


def generation_figures(n: int, repeats: int, share_steps: int, device: str = "cpu",
                       min_seconds: float = 0.05) -> dict[str, Any]:
    """Per task: the vectorised/naive ratio and the share of a step; median ratio over tasks.
    ``min_seconds``: how long each timed draw repeats (shorter in the smoke mode: noisier)."""
    tasks, problems = TASKS.load_all()
    per_task: dict[str, Any] = {}
    for name in sorted(tasks):
        try:
            task = make_task(name)
        except Exception as exc:  # noqa: BLE001 - a task that does not build is reported, not fatal
            per_task[name] = {"error": f"{type(exc).__name__}: {exc}"}
            continue
        entry: dict[str, Any] = {"kind": task.kind}
        entry.update(_ratio(task, n, repeats, min_seconds))
        try:
            entry.update(_share(task, share_steps, device, min_seconds))
        except Exception as exc:  # noqa: BLE001
            entry["share_error"] = f"{type(exc).__name__}: {exc}"
        per_task[name] = entry
    ratios = [e["ratio"]["median"] for e in per_task.values() if isinstance(e.get("ratio"), dict)]
    shares = [e["share_of_step"] for e in per_task.values() if "share_of_step" in e]
    return {
        "median_over_tasks": statistics.median(ratios) if ratios else None,
        "tasks_with_reference": len(ratios),
        "no_reference": sorted(k for k, e in per_task.items() if e.get("ratio") == "no reference"),
        "max_share_of_step": max(shares) if shares else None,
        "examples": n,
        "tasks": per_task,
        "load_problems": [str(p) for p in problems],
    }


def _ratio(task, n: int, repeats: int, min_seconds: float = 0.05) -> dict[str, Any]:
    naive = REFERENCES.get(task.name)
    if naive is None:
        return {"ratio": "no reference"}

    def vectorised() -> float:  # examples per second
        rng = task.rng(0, "train")
        return n / seconds_per_call(lambda: task.sample(rng, n, "train"), min_seconds=min_seconds)

    def per_example() -> float:
        rng = task.rng(0, "train")
        started = time.perf_counter()
        naive(task, rng, n, "train")
        return n / (time.perf_counter() - started)

    figure = ratio_figure(vectorised, per_example, repeats)
    return {"ratio": {k: figure[k] for k in ("median", "min", "max", "repeats", "values")},
            "vectorised_examples_per_s": figure["a"]["median"],
            "naive_examples_per_s": figure["b"]["median"]}


def _share(task, steps: int, device: str, min_seconds: float = 0.05) -> dict[str, Any]:
    """Seconds to draw one default training batch, and its share of one training step."""
    batch_size = DEFAULTS["batch_size"]
    rng = task.rng(0, "train")
    draw = seconds_per_call(lambda: task.sample(rng, batch_size, "train"), min_seconds=min_seconds)
    torch.manual_seed(0)
    model = make_model("lstm", task.spec).to(device).train()
    optimizer = torch.optim.Adam(model.parameters(), lr=DEFAULTS["lr"])
    params = list(model.parameters())

    def step() -> None:
        batch = task.sample(rng, batch_size, "train").to(device)
        optimizer.zero_grad(set_to_none=True)
        task.loss(model(batch), batch).backward()
        torch.nn.utils.clip_grad_norm_(params, DEFAULTS["clip_value"])
        optimizer.step()

    step()  # warm-up
    times = []
    for _ in range(steps):
        started = time.perf_counter()
        step()
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        times.append(time.perf_counter() - started)
    step_seconds = float(np.median(times))
    return {"draw_seconds": draw, "step_seconds": step_seconds, "share_of_step": draw / step_seconds,
            "step_times": stats(times)["values"]}
