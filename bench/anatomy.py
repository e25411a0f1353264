"""Where a grid job's wall time goes: run in a fresh process, prints JSON (used by grid.py).

A grid process (the launching one, or each joblib worker) first pays for its imports, some of
them on first use (torch's optimizers import ``torch._dynamo``; the result record imports
scikit-learn for its version), then for the jobs themselves. This script times each part in
a fresh interpreter: the CLI's imports, the two lazy imports, the first job and the same job
again (warm), for one job of the smoke grid given as ``TASK MODEL`` arguments.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time

started = time.perf_counter()
marks: dict[str, float] = {}


def mark(name: str) -> None:
    global started
    now = time.perf_counter()
    marks[name] = round(now - started, 3)
    started = now


import seqbench.cli.run  # noqa: E402,F401  (what every grid process imports first)

mark("import seqbench.cli (torch, hydra, numpy, the registry)")
import torch._dynamo  # noqa: E402,F401  (torch.optim.Adam imports it on first use)

mark("import torch._dynamo (first torch optimizer)")
import sklearn  # noqa: E402,F401  (the result record asks for its version)

mark("import sklearn (result record)")
from importlib.resources import files  # noqa: E402

from omegaconf import OmegaConf  # noqa: E402

from seqbench.runs.experiment import run_experiment  # noqa: E402
from seqbench.engine.trainer_options import TRAINER_OPTIONS  # noqa: E402

task, model = (sys.argv[1:3] + ["reverse", "lstm"][len(sys.argv[1:3]):])[:2]
smoke = OmegaConf.to_container(OmegaConf.create(files("seqbench.conf").joinpath("trainer/smoke.yaml").read_text()))
smoke.pop("defaults", None)
trainer = {k.name: k.default for k in TRAINER_OPTIONS} | smoke  # what trainer=smoke composes
mark("import seqbench.runs.experiment")
for label in ("first job", "same job again (warm)"):
    with tempfile.TemporaryDirectory() as out:
        record = run_experiment({"name": task}, {"name": model}, trainer, seed=0, out_dir=out)
    mark(f"{label}: {task} x {model}")
    marks[f"{label}: of which training steps"] = round(record["train_seconds"], 3)
print(json.dumps(marks))
