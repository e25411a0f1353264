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
        from seqbench.core.record import load_results

        loaded = load_results([Path(config.hydra.sweep.dir)])
        _collected.extend(r.status for r in loaded.records)
        _collected.extend("failed" for _ in loaded.skipped)
        _last_records[:] = loaded.records


def sweep_statuses() -> list[str]:
    """Statuses of the last sweep's jobs (empty after a single run); clears them."""
    out = list(_collected)
    _collected.clear()
    return out


_last_records: list = []
SMOKE_NOTE = ("a smoke budget: it shows that every job runs end to end; its numbers are not converged "
              "and rank nothing")


def print_summary(plan: Any) -> None:
    """A sweep's closing lines: counts per status, the task x model overview of the test primary
    metric, the budget, and where the files are."""
    from collections import Counter

    records, _last_records[:] = list(_last_records), []
    counts = Counter(r.status for r in records)
    print(f"[seqbench] {len(records)} jobs finished in {plan.output_dir}: "
          + ", ".join(f"{n} {status}" for status, n in sorted(counts.items())), flush=True)
    if counts.get("ok"):
        try:
            from seqbench.boards.selection import compared_runs

            print(_overview(compared_runs(records).records), flush=True)  # each cell at its selected rate
        except Exception as exc:  # noqa: BLE001 - the summary is a courtesy; the results are written
            print(f"[seqbench] (no overview table: {type(exc).__name__}: {exc})", flush=True)
    budget = f"trainer={plan.trainer_choice}" if plan.trainer_choice else "the trainer settings"
    note = f": {SMOKE_NOTE}" if plan.trainer_choice == "smoke" else ""
    print(f"[seqbench] budget: {budget}{note}", flush=True)
    print(f"[seqbench] files: {plan.output_dir}/<job>/result.json; tables and plots: "
          f"seqbench leaderboard {plan.output_dir} --out DIR", flush=True)


def _overview(records: list) -> str:
    from tabulate import tabulate

    from seqbench.boards.tables import overview, results_frame

    view = overview(results_frame(records))  # compact: means only; the leaderboard shows the intervals
    table = view.values.map(lambda v: "n/a" if v != v else f"{v:.3f}")
    table.loc["mean rank (shared tasks)"] = [("n/a" if r != r else f"{r:.2f}") for r in
                                             view.mean_rank.reindex(table.columns)]
    return "test score of each task's primary metric (mean over seeds):\n" + tabulate(
        table.reset_index(names="task"), headers="keys", showindex=False, tablefmt="simple")
