"""Leaderboard tables computed from ``result.json`` records only.

:func:`results_frame` flattens records into one row per run (the raw ``results.csv``);
:func:`task_table` aggregates a task's runs per model over seeds (mean, std and n; the std
of a single seed is missing, never 0) and appends the task's baseline rows;
:func:`render_markdown` joins the tables into ``leaderboard.md``.

>>> records = [{"task": "parity", "model": "lstm", "seed": s, "status": "ok", "primary_metric": "accuracy",
...             "higher_is_better": True, "metrics": {"test": {"accuracy": a}}} for s, a in [(0, 0.9), (1, 1.0)]]
>>> table = task_table(results_frame(records), "parity")
>>> table.loc[0, "model"], table.loc[0, "accuracy ↑"], int(table.loc[0, "n"])  # best in bold
('lstm', '**0.950 ± 0.071**', 2)
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pandas as pd

from seqbench.metrics import HIGHER_IS_BETTER

RUN_COLUMNS = ["task", "task_label", "kind", "model", "model_label", "seed", "status", "primary_metric",
               "higher_is_better", "n_params", "steps", "train_seconds", "tokens_per_second", "error", "path"]


def _label(name: str, params: dict[str, Any], varying: list[str]) -> str:
    shown = [f"{k}={params.get(k)}" for k in varying]
    return f"{name} ({', '.join(shown)})" if shown else name


def _varying(records: list[dict], group: str, params: str) -> dict[str, list[str]]:
    """For each task (or model) name, the parameter keys whose values differ between runs."""
    values: dict[str, dict[str, set]] = {}
    for r in records:
        for key, value in (r.get(params) or {}).items():
            values.setdefault(r[group], {}).setdefault(key, set()).add(json.dumps(value, sort_keys=True))
    return {name: sorted(k for k, v in keys.items() if len(v) > 1) for name, keys in values.items()}


def results_frame(records: list[dict[str, Any]]) -> pd.DataFrame:
    """One row per run: identity, status, cost, and ``split/metric`` columns."""
    task_vary = _varying(records, "task", "task_params")
    model_vary = {}
    for task in {r["task"] for r in records}:
        for name, keys in _varying([r for r in records if r["task"] == task], "model", "model_params").items():
            model_vary[(task, name)] = keys
    rows = []
    for r in records:
        row = {c: r.get(c) for c in RUN_COLUMNS}
        row["task_label"] = _label(r["task"], r.get("task_params") or {}, task_vary.get(r["task"], []))
        row["model_label"] = _label(r["model"], r.get("model_params") or {}, model_vary.get((r["task"], r["model"]), []))
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
        row["n"] = len(ok)
        row["params"] = int(group["n_params"].dropna().iloc[0]) if group["n_params"].notna().any() else None
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


def to_markdown(table: pd.DataFrame) -> str:
    return table.astype(object).where(table.notna(), "").to_markdown(index=False)  # via tabulate


def render_markdown(frame: pd.DataFrame, records: list[dict], skipped: list[tuple[str, str]]) -> str:
    """The whole ``leaderboard.md``: one section per task, then any skipped files."""
    parts = ["# seqbench leaderboard", "",
             "Test-split metrics, mean ± std over seeds (n = runs with status ok; std of one seed is n/a).",
             "↑ higher is better, ↓ lower is better; the best model on the primary metric is in bold.", ""]
    for task_label in sorted(frame["task_label"].unique()):
        runs = frame[frame["task_label"] == task_label]
        kind = runs["kind"].dropna().iloc[0] if runs["kind"].notna().any() else "?"
        primary = runs["primary_metric"].dropna().iloc[0] if runs["primary_metric"].notna().any() else "?"
        parts += [f"## {task_label} ({kind}; primary metric: {primary})", "",
                  to_markdown(task_table(frame, task_label, records)), ""]
        failures = runs[runs["status"].isin(["failed", "diverged", "not_applicable"])]
        for _, run in failures.iterrows():
            parts.append(f"- {run['model_label']} seed {run['seed']}: **{run['status']}**: {run['error']}")
        if len(failures):
            parts.append("")
    if skipped:
        parts += ["## Skipped result files", ""] + [f"- `{path}`: {reason}" for path, reason in skipped] + [""]
    return "\n".join(parts)


def build(folders: list[str], out: str | None = None) -> tuple[str, pd.DataFrame, list[tuple[str, str]]]:
    """Load every result below ``folders``; write ``leaderboard.md`` and ``results.csv`` to ``out``."""
    from seqbench.results import load_results

    records, skipped = load_results(folders)
    frame = results_frame(records)
    markdown = render_markdown(frame, records, skipped) if len(frame) else "# seqbench leaderboard\n\nNo results found.\n"
    if out is not None:
        target = Path(out)
        target.mkdir(parents=True, exist_ok=True)
        (target / "leaderboard.md").write_text(markdown, encoding="utf-8")
        frame.drop(columns=["path"]).to_csv(target / "results.csv", index=False)
    return markdown, frame, skipped
