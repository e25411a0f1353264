"""What a board grid will cost before it runs: CPU time per training step for each task x model.

A board's compute is its runs' training steps, almost all of it (``leaderboards/README.md``, the
Chomsky board's cost row). This measures one step (drawing the batch, forward, backward, norm
clipping, Adam) of every task x model of a board at its batch size and parameter budget, as CPU
time on one thread (``time.process_time``: other jobs on the machine slow it less than wall
time), after a few warm-up steps. Multiplied by the steps a run takes and the runs a cell has, it
is the grid's projection. Models are the registered families and the presets of ``conf/model``
(``bilstm``, ``stacked_lstm``, ``mamba_signed``); a task x model that cannot be built (a
bidirectional language model) is reported as not applicable.

    python bench/board_cost.py --tasks parity,sort --models lstm,mamba --batch 32 --budget 20000

prints one row per task x model (ms per step) and writes them with ``--json``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import torch
import yaml

from seqbench import make_model, make_task
from seqbench.core.errors import NotApplicableError
from seqbench.engine.optim import Adam
from seqbench.engine.steps import WholeSequence
from seqbench.engine.train import _clip, seed_everything
from timing import show

PRESETS = Path(__file__).resolve().parents[1] / "conf" / "model"


def model_options(name: str) -> tuple[str, dict[str, Any]]:
    """(family, options) of a model or preset name: ``bilstm`` -> ("lstm", {"bidirectional": True})."""
    path = PRESETS / f"{name}.yaml"
    if not path.exists():
        return name, {}
    preset = yaml.safe_load(path.read_text())
    family = next(d for d in preset.pop("defaults") if d != "_self_")
    return family, preset


def step_cost(task: Any, model_name: str, batch: int, budget: int, steps: int, warmup: int) -> float | None:
    """CPU ms of one training step (None where the model does not apply to the task)."""
    family, options = model_options(model_name)
    seed_everything(0, 1)
    try:
        model = make_model(family, task.spec, param_budget=budget, **options)
    except NotApplicableError:
        return None
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer, strategy, rng = Adam(params, lr=1e-3), WholeSequence(), task.rng(0, "train")

    def step() -> None:
        optimizer.zero_grad()
        strategy(model, task, task.sample(rng, batch, "train"))
        _clip(params, "norm", 1.0)
        optimizer.step()

    for _ in range(warmup):
        step()
    started = time.process_time()
    for _ in range(steps):
        step()
    return (time.process_time() - started) / steps * 1000


def board_cost(tasks: list[str], models: list[str], batch: int, budget: int, steps: int = 10,
               warmup: int = 3) -> dict[str, Any]:
    torch.set_num_threads(1)
    rows = {}
    for name in tasks:
        task = make_task(name)
        rows.update({f"{name}/{m}": step_cost(task, m, batch, budget, steps, warmup) for m in models})
    return {"batch": batch, "budget": budget, "steps": steps, "warmup": warmup, "ms_per_step": rows}


def cost_table(f: dict[str, Any]) -> list[str]:
    rows = [f"CPU ms per training step, batch {f['batch']}, {f['budget']:,} parameters, one thread "
            f"(mean of {f['steps']} steps after {f['warmup']})", "", "| task | model | ms per step |", "|---|---|---|"]
    for key, ms in f["ms_per_step"].items():
        task, model = key.split("/")
        rows.append(f"| {task} | {model} | {'n/a' if ms is None else f'{ms:.1f}'} |")
    done = [ms for ms in f["ms_per_step"].values() if ms is not None]
    rows.append(f"| all | all | {sum(done):.1f} (sum of {len(done)}) |")
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench/board_cost.py", description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", required=True, help="comma-separated task names")
    parser.add_argument("--models", required=True, help="comma-separated model or preset names")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--budget", type=int, default=20_000)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--json", help="also write the figures here")
    args = parser.parse_args(argv)
    result = board_cost(args.tasks.split(","), args.models.split(","), args.batch, args.budget, args.steps, args.warmup)
    return show(cost_table(result), result, args.json)


if __name__ == "__main__":
    sys.exit(main())
