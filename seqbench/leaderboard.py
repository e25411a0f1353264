"""Leaderboard tables computed from ``result.json`` records only.

:func:`results_frame` flattens records into one row per run (the raw ``results.csv``);
:func:`task_table` aggregates a task's runs per model over seeds (mean, std and n; the std
of a single seed is missing, never 0) and appends the task's baseline rows;
:func:`overview` ranks models across tasks. :mod:`seqbench.report` renders these tables as
``leaderboard.md``/``.html`` with plots.

>>> from seqbench.results import RunRecord
>>> records = [RunRecord(task="parity", model="lstm", seed=s, status="ok", primary_metric="accuracy",
...                      higher_is_better=True, metrics={"test": {"accuracy": a}}) for s, a in [(0, 0.9), (1, 1.0)]]
>>> table = task_table(results_frame(records), "parity")
>>> table.loc[0, "model"], table.loc[0, "accuracy ↑"], int(table.loc[0, "n"]), bool(table.loc[0, "_best"])
('lstm', '0.950 ± 0.071', 2, True)
"""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Any

import pandas as pd

from seqbench.spec import METRICS

if TYPE_CHECKING:
    from seqbench.results import RunRecord

RUN_COLUMNS = ["task", "task_label", "kind", "model", "model_label", "seed", "status", "primary_metric",
               "higher_is_better", "n_params", "steps", "train_seconds", "tokens_per_second", "error"]


def run_label(name: str, params: dict[str, Any], varying: list[str]) -> str:
    """``name (key=value, ...)`` for the keys that vary between the runs being compared."""
    shown = [f"{k}={params.get(k)}" for k in varying]
    return f"{name} ({', '.join(shown)})" if shown else name


def varying_keys(pairs: list[tuple[str, dict[str, Any]]]) -> dict[str, list[str]]:
    """For each name of (name, params) pairs, the parameter keys whose values differ between them.

    >>> varying_keys([("lstm", {"hidden_size": 8, "dropout": 0.0}), ("lstm", {"hidden_size": 16, "dropout": 0.0})])
    {'lstm': ['hidden_size']}
    """
    values: dict[str, dict[str, set]] = {}
    for name, params in pairs:
        for key, value in params.items():
            values.setdefault(name, {}).setdefault(key, set()).add(json.dumps(value, sort_keys=True, default=str))
    return {name: sorted(k for k, v in keys.items() if len(v) > 1) for name, keys in values.items()}


def results_frame(records: list[RunRecord]) -> pd.DataFrame:
    """One row per run: identity, status, cost, and ``split/metric`` columns.

    Models are named by their label (the preset, e.g. ``bilstm``) plus the options that differ
    between runs of the same label on the same task; ``run`` is the run's position in ``records``.
    """
    task_vary = varying_keys([(r.task, r.task_params) for r in records])
    model_vary = {}
    for task in {r.task for r in records}:
        pairs = [(r.model_label, r.model_params) for r in records if r.task == task]
        for name, keys in varying_keys(pairs).items():
            model_vary[(task, name)] = [k for k in keys if k != "hidden_size" or "param_budget" not in keys]
    rows = []
    for index, r in enumerate(records):
        row = {c: getattr(r, c) for c in RUN_COLUMNS if c not in ("task_label", "model_label")}
        row["run"] = index
        row["task_label"] = run_label(r.task, r.task_params, task_vary.get(r.task, []))
        row["model_label"] = run_label(r.model_label, r.model_params, model_vary.get((r.task, r.model_label), []))
        for split, values in r.metrics.items():
            for metric, value in values.items():
                row[f"{split}/{metric}"] = value
        rows.append(row)
    frame = pd.DataFrame(rows, columns=None if rows else [*RUN_COLUMNS, "run"])
    return frame.sort_values(["task_label", "model_label", "seed"], kind="stable").reset_index(drop=True)


def _fmt(value: float, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{value:.{digits}f}"


def metric_columns(frame: pd.DataFrame, split: str = "test") -> list[str]:
    """The metrics present for ``split``, primary metrics first."""
    names = [c.split("/", 1)[1] for c in frame.columns if c.startswith(f"{split}/") and frame[c].notna().any()]
    primaries = [m for m in frame["primary_metric"].dropna().unique() if m in names]
    return primaries + sorted(set(names) - set(primaries))


def _arrow(metric: str) -> str:
    return METRICS[metric].arrow if metric in METRICS else ""


def task_table(frame: pd.DataFrame, task_label: str, records: list[RunRecord] | None = None) -> pd.DataFrame:
    """Models x metrics for one task (mean ± std over seeds, n), plus baseline rows."""
    runs = frame[frame["task_label"] == task_label]
    metrics = metric_columns(runs)
    primary = runs["primary_metric"].dropna().iloc[0] if runs["primary_metric"].notna().any() else None
    higher = bool(runs["higher_is_better"].dropna().iloc[0]) if runs["higher_is_better"].notna().any() else True
    rows = []
    for label, group in runs.groupby("model_label", sort=True):
        ok = group[group["status"] == "ok"]
        row: dict[str, Any] = {"model": label}
        for m in metrics:
            values = ok[f"test/{m}"].dropna() if f"test/{m}" in ok else pd.Series(dtype=float)
            mean = values.mean() if len(values) else float("nan")
            std = values.std(ddof=1) if len(values) > 1 else float("nan")
            row[f"{m} {_arrow(m)}"] = f"{_fmt(mean)} ± {_fmt(std)}" if len(values) else "n/a"
            row[f"_{m}"] = mean
        if primary and f"test_ood/{primary}" in ok and runs[f"test_ood/{primary}"].notna().any():
            ood = ok[f"test_ood/{primary}"].dropna()
            row[f"ood {primary} {_arrow(primary)}"] = _fmt(ood.mean()) if len(ood) else "n/a"
        row["n"] = str(len(ok))  # text: the baseline rows below leave these cells empty
        row["params"] = f"{int(group['n_params'].dropna().iloc[0]):,}" if group["n_params"].notna().any() else "n/a"
        row["train s"] = _fmt(ok["train_seconds"].mean(), 1) if len(ok) else "n/a"
        row["tokens/s"] = f"{ok['tokens_per_second'].mean():,.0f}" if len(ok) else "n/a"
        row["status"] = ", ".join(f"{s} {c}" for s, c in group["status"].value_counts().sort_index().items())
        rows.append(row)
    table = pd.DataFrame(rows)
    table["_best"] = False
    if primary and len(table) and f"_{primary}" in table:
        values = pd.to_numeric(table[f"_{primary}"], errors="coerce")
        values = values.where(values.map(lambda v: math.isfinite(v) if v == v else False))  # never a non-finite best
        if values.notna().any():
            table.loc[values.idxmax() if higher else values.idxmin(), "_best"] = True
    table = table[[c for c in table.columns if not c.startswith("_") or c == "_best"]]
    baseline_rows = _baseline_rows(records or [], task_label, frame, metrics)
    if baseline_rows:
        table = pd.concat([table, pd.DataFrame(baseline_rows)], ignore_index=True)
        table["_best"] = table["_best"].fillna(False).astype(bool)
    table.attrs["emphasis"] = f"{primary} {_arrow(primary)}" if primary else None  # the column "_best" marks
    return table


def runs_of(records: list[RunRecord], frame: pd.DataFrame, task_label: str, ok_only: bool = False) -> list:
    """The records behind the frame's rows of one task (``frame["run"]`` indexes ``records``)."""
    rows = frame[frame["task_label"] == task_label]
    if ok_only:
        rows = rows[rows["status"] == "ok"]
    return [(records[i], label) for i, label in zip(rows["run"], rows["model_label"]) if i < len(records)]


def _baseline_rows(records: list[RunRecord], task_label: str, frame: pd.DataFrame, metrics: list[str]) -> list[dict]:
    values: dict[str, dict[str, list[float]]] = {}
    for r, _ in runs_of(records, frame, task_label):
        for name, scores in r.baselines.get("test", {}).items():
            for metric, value in scores.items():
                if value is not None:
                    values.setdefault(name, {}).setdefault(metric, []).append(value)
    rows = []
    for name, scores in sorted(values.items()):
        row = {"model": f"baseline: {name}"}
        for m in metrics:
            v = scores.get(m)
            row[f"{m} {_arrow(m)}"] = _fmt(sum(v) / len(v)) if v else ""
        rows.append(row)
    return rows


def overview(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series]:
    """(task x model mean primary metric, task x model rank, mean rank per model).

    Ranks are within each task (1 = best, ties share the average rank); a model that did not
    run ``ok`` on a task has no rank there, and its mean rank is over the tasks it ran.
    """
    ok = frame[frame["status"] == "ok"].copy()
    ok["primary"] = [row.get(f"test/{row['primary_metric']}") for _, row in ok.iterrows()]
    values = ok.pivot_table(index="task_label", columns="model_label", values="primary", aggfunc="mean",
                            dropna=False)
    tasks = sorted(frame["task_label"].unique())
    models = sorted(frame["model_label"].unique())
    values = values.reindex(index=tasks, columns=models)
    higher = frame.groupby("task_label")["higher_is_better"].first().reindex(tasks).fillna(True)
    ranks = pd.DataFrame({t: values.loc[t].rank(ascending=not bool(higher[t])) for t in tasks}).T
    ranks = ranks.reindex(index=tasks, columns=models)
    return values, ranks, ranks.mean(axis=0).sort_values()


def overview_table(values: pd.DataFrame, mean_rank: pd.Series) -> pd.DataFrame:
    """The overview as a display table: formatted values plus a mean-rank row."""
    table = values.map(lambda v: _fmt(v)).astype(object)
    table.loc["mean rank (lower is better)"] = [_fmt(mean_rank.get(m), 2) for m in values.columns]
    table.index.name = "task \\ model"
    return table.reset_index()


def length_series(records: list[RunRecord], task_label: str, frame: pd.DataFrame) -> dict[str, dict[int, float]]:
    """Mean per-length score of each model over its ok runs, test and test_ood lengths joined."""
    sums: dict[str, dict[int, list[float]]] = {}
    for r, model in runs_of(records, frame, task_label, ok_only=True):
        for split in ("test", "test_ood"):
            for length, value in r.by_length.get(split, {}).get("values", {}).items():
                if value is not None:
                    sums.setdefault(model, {}).setdefault(int(length), []).append(value)
    return {m: {L: sum(v) / len(v) for L, v in points.items()} for m, points in sums.items()}
