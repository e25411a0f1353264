"""Model weights on disk: written atomically, read back without unpickling code.

``torch.load(..., weights_only=True)`` only accepts tensors and plain containers, so a model
file from someone else cannot run code when it is loaded.

>>> import tempfile, torch
>>> from seqbench import make_model, make_task
>>> task = make_task("parity")
>>> model = make_model("gru", task.spec, hidden_size=4)
>>> path = save_weights(model, tempfile.mkdtemp())
>>> copy = make_model("gru", task.spec, hidden_size=4)
>>> _ = copy.load_state_dict(load_weights(path))
>>> all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), copy.state_dict().values()))
True
"""

from __future__ import annotations

import os
from pathlib import Path

import torch
from torch import nn

WEIGHTS_FILE = "model.pt"


def save_weights(model: nn.Module, folder: str | os.PathLike) -> Path:
    """Write ``model``'s state dict to ``folder/model.pt`` whole or not at all (:mod:`seqbench.core.atomic`)."""
    from seqbench.core.atomic import write_with

    path = Path(folder) / WEIGHTS_FILE
    write_with(path, lambda handle: torch.save({k: v.detach().cpu() for k, v in model.state_dict().items()}, handle))
    return path


def load_weights(path: str | os.PathLike) -> dict[str, torch.Tensor]:
    """A state dict from ``path``; refuses anything but tensors (never unpickles code)."""
    return torch.load(path, map_location="cpu", weights_only=True)


def load_run(folder: str | os.PathLike) -> tuple[object, nn.Module]:
    """Rebuild the task and trained model of a run folder (``result.json`` + ``model.pt``)."""
    from seqbench.core.registry import make_task
    from seqbench.models import make_model
    from seqbench.core.record import RESULT_FILE, read_result

    folder = Path(folder)
    record = read_result(folder / RESULT_FILE)
    task = make_task(record.task, **record.task_params)
    model = make_model(record.model, task.spec, **record.model_params)
    model.load_state_dict(load_weights(folder / WEIGHTS_FILE))
    return task, model.eval()
