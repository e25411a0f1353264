"""Where a run's learning curve goes besides ``result.json``: nowhere, or TensorBoard.

:func:`fit <seqbench.engine.train.fit>` hands the logger every row it adds to the run's history
(``{"step", "train_loss", "val_<metric>"...}``). :class:`TensorBoardLogger` writes those rows as
scalars ``train/loss`` and ``val/<metric>`` (double precision, so they read back equal to
``result.json``) into ``<run folder>/tensorboard/<task>.<model label>.seed<seed>/``: TensorBoard
names a run by its folder, so ``tensorboard --logdir SWEEP`` lists every job of a grid by task,
model and seed. It needs the optional dependency (``pip install 'seqbench[tensorboard]'``),
imported only when such a logger is made.

>>> check_logger("none"), run_name("parity", "bi/lstm", 3)
('none', 'parity.bi_lstm.seed3')
>>> check_logger("tensorbord")
Traceback (most recent call last):
...
seqbench.core.errors.ConfigError: logger='tensorbord': must be one of none, tensorboard; did you mean 'tensorboard'?
>>> logger = make_logger("none", "unused", "run")
>>> logger.log({"step": 1, "train_loss": 0.5}); logger.close()
"""

from __future__ import annotations

import importlib.util
import math
import re
from pathlib import Path
from typing import Any, Protocol

from seqbench.core.errors import ConfigError, closest

LOGGERS = ("none", "tensorboard")
TENSORBOARD_FOLDER = "tensorboard"


class Logger(Protocol):
    """What the trainer calls: one history row per evaluation, and ``close`` at the end."""

    def log(self, row: dict[str, Any]) -> None: ...

    def close(self) -> None: ...


class NullLogger:
    """Logs nothing (``logger=none``, the default)."""

    def log(self, row: dict[str, Any]) -> None:
        pass

    def close(self) -> None:
        pass


class TensorBoardLogger:
    """Write history rows as TensorBoard scalars into ``folder`` (created on first use)."""

    def __init__(self, folder: str | Path) -> None:
        from torch.utils.tensorboard import SummaryWriter  # the optional dependency, only here

        self.folder = Path(folder)
        self._writer = SummaryWriter(log_dir=str(self.folder))

    def log(self, row: dict[str, Any]) -> None:
        step = int(row["step"])
        for key, value in row.items():
            if key == "step" or value is None or not math.isfinite(float(value)):
                continue
            self._writer.add_scalar(tag(key), float(value), step, new_style=True, double_precision=True)
        self._writer.flush()  # a run that dies later still leaves its curve so far

    def close(self) -> None:
        self._writer.close()


def tag(key: str) -> str:
    """TensorBoard's tag of a history key: ``train_loss`` -> ``train/loss``, ``val_accuracy`` -> ``val/accuracy``.

    >>> tag("train_loss"), tag("val_bits_per_char")
    ('train/loss', 'val/bits_per_char')
    """
    split, _, metric = key.partition("_")
    return f"{split}/{metric}" if metric else key


def run_name(task: str, label: str, seed: int) -> str:
    """The run's folder name below ``tensorboard/``: what TensorBoard shows for it (a safe name)."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", f"{task}.{label}.seed{seed}").lstrip(".")[:120] or "run"


def check_logger(name: Any) -> str:
    """``name`` if it is a known logger whose package is installed, else a one-line ConfigError."""
    if name not in LOGGERS:
        hint = closest(str(name), LOGGERS)
        raise ConfigError(f"logger={name!r}: must be one of {', '.join(LOGGERS)}"
                          + (f"; did you mean '{hint}'?" if hint else ""))
    if name == "tensorboard" and importlib.util.find_spec("tensorboard") is None:
        raise ConfigError("logger=tensorboard: the tensorboard package is not installed; "
                          "pip install 'seqbench[tensorboard]'")
    return name


def make_logger(name: str, out_dir: str | Path, run: str) -> Logger:
    """The logger ``name`` (a checked one: :func:`check_logger`, as a plan's) for a run writing into ``out_dir``."""
    if name == "tensorboard":
        return TensorBoardLogger(Path(out_dir) / TENSORBOARD_FOLDER / run)
    return NullLogger()
