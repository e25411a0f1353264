"""A Hydra callback that collects the statuses of a sweep's jobs in the launching process.

Jobs under the joblib or submitit launchers run in other processes, so their return values
never reach ``seqbench run``; at the end of the sweep this callback reads their result files
instead, and ``seqbench run`` exits non-zero when any job failed or diverged.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig

_collected: list[str] = []


class SweepStatus(Callback):
    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        _collected.clear()
        self._started = True

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        from seqbench.results import load_results

        records, skipped = load_results([Path(config.hydra.sweep.dir)])
        _collected.extend(r["status"] for r in records)
        _collected.extend("failed" for _ in skipped)


def sweep_statuses() -> list[str]:
    """Statuses of the last sweep's jobs (empty after a single run); clears them."""
    out = list(_collected)
    _collected.clear()
    return out
