"""Leaderboard tables computed from ``result.json`` records only.

:func:`results_frame` flattens records into one row per run (the raw ``results.csv``);
:func:`task_table` aggregates a task's runs per model over seeds (mean, std and n; the std
of a single seed is missing, never 0) and appends the task's baseline rows;
:func:`overview` ranks models across tasks. :mod:`seqbench.report` renders these tables as
``leaderboard.md``/``.html`` with plots.

>>> records = [{"task": "parity", "model": "lstm", "seed": s, "status": "ok", "primary_metric": "accuracy",
...             "higher_is_better": True, "metrics": {"test": {"accuracy": a}}} for s, a in [(0, 0.9), (1, 1.0)]]
>>> table = task_table(results_frame(records), "parity")
>>> table.loc[0, "model"], table.loc[0, "accuracy ↑"], int(table.loc[0, "n"])  # best in bold
('lstm', '**0.950 ± 0.071**', 2)
"""

from __future__ import annotations

import json
import math
from typing import Any

import pandas as pd

from seqbench.metrics import HIGHER_IS_BETTER

RUN_COLUMNS = ["task", "task_label", "kind", "model", "model_label", "seed", "status", "primary_metric",
               "higher_is_better", "n_params", "steps", "train_seconds", "tokens_per_second", "error", "path"]


def run_label(name: str, params: dict[str, Any], varying: list[str]) -> str:
    """``name (key=value, ...)`` for the keys that vary between the runs being compared."""
    shown = [f"{k}={params.get(k)}" for k in varying]
    return f"{name} ({', '.join(shown)})" if shown else name


def varying_keys(records: list[dict], group: str, params: str) -> dict[str, list[str]]:
    """For each task (or model) name, the parameter keys whose values differ between runs."""
    values: dict[str, dict[str, set]] = {}
    for r in records:
        for key, value in (r.get(params) or {}).items():
            values.setdefault(r[group], {}).setdefault(key, set()).add(json.dumps(value, sort_keys=True))
    return {name: sorted(k for k, v in keys.items() if len(v) > 1) for name, keys in values.items()}


def results_frame(records: list[dict[str, Any]]) -> pd.DataFrame:
    """One row per run: identity, status, cost, and ``split/metric`` columns."""
    task_vary = varying_keys(records, "task", "task_params")
    model_vary = {}
    for task in {r["task"] for r in records}:
        for name, keys in varying_keys([r for r in records if r["task"] == task], "model", "model_params").items():
            model_vary[(task, name)] = keys
    rows = []
    for r in records:
        row = {c: r.get(c) for c in RUN_COLUMNS}
        row["task_label"] = run_label(r["task"], r.get("task_params") or {}, task_vary.get(r["task"], []))
        row["model_label"] = run_label(r["model"], r.get("model_params") or {}, model_vary.get((r["task"], r["model"]), []))
        for split, values in (r.get("metrics") or {}).items():
            for metric, value in values.items():
                row[f"{split}/{metric}"] = value
        rows.append(row)
    frame = pd.DataFrame(rows, columns=None if rows else RUN_COLUMNS)
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
    return "↑" if HIGHER_IS_BETTER.get(metric, True) else "↓"


def task_table(frame: pd.DataFrame, task_label: str, records: list[dict] | None = None) -> pd.DataFrame:
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
    if primary and len(table) and f"_{primary}" in table:
        values = table[f"_{primary}"]
        if values.notna().any():
            best = values.idxmax() if higher else values.idxmin()
            column = f"{primary} {_arrow(primary)}"
            table.loc[best, column] = f"**{table.loc[best, column]}**"
    table = table[[c for c in table.columns if not c.startswith("_")]]
    baseline_rows = _baseline_rows(records or [], task_label, frame, metrics)
    if baseline_rows:
        table = pd.concat([table, pd.DataFrame(baseline_rows)], ignore_index=True)
    return table


def _baseline_rows(records: list[dict], task_label: str, frame: pd.DataFrame, metrics: list[str]) -> list[dict]:
    paths = set(frame.loc[frame["task_label"] == task_label, "path"])
    values: dict[str, dict[str, list[float]]] = {}
    for r in records:
        if r.get("path") not in paths:
            continue
        for name, scores in (r.get("baselines") or {}).get("test", {}).items():
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


def length_series(records: list[dict], task_label: str, frame: pd.DataFrame) -> dict[str, dict[int, float]]:
    """Mean per-length score of each model over its ok runs, test and test_ood lengths joined."""
    rows = frame[(frame["task_label"] == task_label) & (frame["status"] == "ok")]
    by_path = dict(zip(rows["path"], rows["model_label"]))
    sums: dict[str, dict[int, list[float]]] = {}
    for r in records:
        model = by_path.get(r.get("path"))
        if model is None:
            continue
        for split in ("test", "test_ood"):
            for length, value in ((r.get("by_length") or {}).get(split) or {}).get("values", {}).items():
                if value is not None:
                    sums.setdefault(model, {}).setdefault(int(length), []).append(value)
    return {m: {L: sum(v) / len(v) for L, v in points.items()} for m, points in sums.items()}
