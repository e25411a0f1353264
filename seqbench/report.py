"""Render a leaderboard: markdown, HTML, CSV and figures, all from ``result.json`` records.

>>> import tempfile
>>> markdown, frame, skipped = build([tempfile.mkdtemp()])
>>> "No results found" in markdown
True
"""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd

from seqbench.leaderboard import length_series, overview, overview_table, results_frame, runs_of, task_table
from seqbench.results import RunRecord

INTRO = ("Test-split metrics, mean ± std over seeds (n = runs with status ok; the std of one seed is "
         "n/a, never 0). ↑ higher is better, ↓ lower is better; the best model on the task's primary "
         "metric is in bold. Baseline rows are computed by each task: chance, memoryless predictors "
         "fitted on training data, and closed forms such as entropy floors.")


def sections(frame: pd.DataFrame, records: list[RunRecord], skipped: list[tuple[str, str]]) -> list[dict]:
    """The leaderboard as a list of sections: a heading, an optional table, note lines, figures."""
    out: list[dict] = []
    if len(frame):
        values, ranks, mean_rank = overview(frame)
        out.append({"heading": "Overview: primary metric (test) per task and model",
                    "table": overview_table(values, mean_rank), "notes": [], "figures": ["overview.png"]})
    for task_label in sorted(frame["task_label"].unique()) if len(frame) else []:
        runs = frame[frame["task_label"] == task_label]
        kind = runs["kind"].dropna().iloc[0] if runs["kind"].notna().any() else "?"
        primary = runs["primary_metric"].dropna().iloc[0] if runs["primary_metric"].notna().any() else "?"
        notes = [f"{run['model_label']} seed {run['seed']}: **{run['status']}**: {run['error']}"
                 for _, run in runs.iterrows() if run["status"] != "ok"]
        chosen = [r for r, _ in runs_of(records, frame, task_label)]
        figures = [figure_name(task_label, "length")] if _has_ood(chosen) else []
        figures += [figure_name(task_label, "curves")] if _has_history(chosen) else []
        out.append({"heading": f"{task_label} ({kind}; primary metric: {primary})",
                    "table": task_table(frame, task_label, records), "notes": notes, "figures": figures})
    if skipped:
        out.append({"heading": "Skipped result files", "table": None,
                    "notes": [f"`{path}`: {reason}" for path, reason in skipped], "figures": []})
    return out


def figure_name(task_label: str, what: str) -> str:
    return f"{what}_" + "".join(c if c.isalnum() or c in "-_" else "_" for c in task_label) + ".png"


def _has_history(records: list[RunRecord]) -> bool:
    return any(r.history and r.status == "ok" for r in records)


def _has_ood(records: list[RunRecord]) -> bool:
    return any(r.by_length.get("test_ood") for r in records)


def _display(table: pd.DataFrame) -> pd.DataFrame:
    return table.astype(object).where(table.notna(), "")


_MARKDOWN_SPECIAL = str.maketrans({"|": "\\|", "`": "\\`", "<": "&lt;", ">": "&gt;", "&": "&amp;", "*": "\\*",
                                   "_": "\\_", "[": "\\[", "]": "\\]", "\\": "\\\\"})


def escape_markdown(text: object) -> str:
    """Text safe inside a markdown table cell: one line, no table or emphasis syntax, no HTML.

    >>> escape_markdown("a|b\\n<script>`x`")
    'a\\\\|b &lt;script&gt;\\\\`x\\\\`'
    """
    return " ".join(str(text).split()).translate(_MARKDOWN_SPECIAL)


def render_markdown(parts: list[dict]) -> str:
    lines = ["# seqbench leaderboard", "", INTRO, ""]
    if not parts:
        lines += ["No results found.", ""]
    for part in parts:
        lines += [f"## {part['heading']}", ""]
        if part["table"] is not None:
            lines += [_display(part["table"]).to_markdown(index=False, disable_numparse=True), ""]  # via tabulate
        lines += [f"- {note}" for note in part["notes"]] + ([""] if part["notes"] else [])
    return "\n".join(lines)


def render_html(parts: list[dict]) -> str:
    body = [f"<h1>seqbench leaderboard</h1><p>{html.escape(INTRO)}</p>"]
    for part in parts:
        body.append(f"<h2>{html.escape(part['heading'])}</h2>")
        if part["table"] is not None:
            body.append(_display(part["table"]).to_html(index=False, border=0, classes="board", escape=True))
        if part["notes"]:
            body.append("<ul>" + "".join(f"<li>{html.escape(n)}</li>" for n in part["notes"]) + "</ul>")
        body += [f'<p><img src="{html.escape(f)}" alt="{html.escape(f)}"></p>' for f in part["figures"]]
    style = ("body{font-family:sans-serif;margin:2em}table.board{border-collapse:collapse}"
             "table.board td,table.board th{padding:2px 8px;border-bottom:1px solid #ddd;text-align:right}"
             "table.board td:first-child{text-align:left}")
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>seqbench leaderboard</title>"
            f"<style>{style}</style></head><body>{''.join(body)}</body></html>\n")


def build(folders: list[str], out: str | None = None,
          copy_raw: bool = False) -> tuple[str, pd.DataFrame, list[tuple[str, str]]]:
    """Load every result below ``folders``; write the leaderboard into ``out`` when given.

    ``out`` receives ``leaderboard.md``, ``leaderboard.html``, ``results.csv`` (one row per run),
    ``overview.png`` (task x model heatmap of ranks), ``curves_<task>.png`` (learning curves) and
    ``length_<task>.png`` (accuracy by length) for tasks with a ``test_ood`` split. ``copy_raw`` also copies every record read into
    ``out/raw/`` (one folder per run), from which the same tables can be rebuilt.
    """
    from seqbench.results import load_results

    records, skipped = load_results(folders)
    probes = [r for r in records if r.get("record_type", "run") != "run"]
    records = [r for r in records if r.get("record_type", "run") == "run"]
    skipped = skipped + [(r["path"], f"not a training run ({r['record_type']} record)") for r in probes]
    if copy_raw and out is not None:
        records = _copy_raw(records, Path(out) / "raw")
    frame = results_frame(records)
    parts = sections(frame, records, skipped)
    markdown = render_markdown(parts)
    if out is not None:
        target = Path(out)
        target.mkdir(parents=True, exist_ok=True)
        (target / "leaderboard.md").write_text(markdown, encoding="utf-8")
        (target / "leaderboard.html").write_text(render_html(parts), encoding="utf-8")
        frame.drop(columns=["path"]).to_csv(target / "results.csv", index=False)
        if len(frame):
            _write_figures(target, frame, records)
    return markdown, frame, skipped


def _copy_raw(records: list[dict], target: Path) -> list[dict]:
    """Copy each record's file to ``target/<its run folder name>/result.json``; point records there."""
    import shutil

    copied = []
    for record in records:
        source = Path(record["path"])
        folder = target / source.parent.name
        if folder.exists() and (folder / source.name).resolve() != source.resolve():
            folder = target / f"{source.parent.parent.name}_{source.parent.name}"
        folder.mkdir(parents=True, exist_ok=True)
        if (folder / source.name).resolve() != source.resolve():
            shutil.copyfile(source, folder / source.name)
        copied.append({**record, "path": str(folder / source.name)})
    return copied


def _write_figures(target: Path, frame: pd.DataFrame, records: list[dict]) -> None:
    from seqbench.analysis import plots

    values, ranks, _ = overview(frame)
    plots.overview_heatmap(values, ranks, target / "overview.png")
    from seqbench.analysis.curves import plot_learning_curves

    for task_label in sorted(frame["task_label"].unique()):
        paths = set(frame.loc[frame["task_label"] == task_label, "path"])
        if _has_history(records, paths):
            runs = [r for r in records if r.get("path") in paths and r.get("history") and r["status"] == "ok"]
            plot_learning_curves(runs, target / figure_name(task_label, "curves"))
        if not _has_ood(records, paths):
            continue
        chosen = [r for r in records if r.get("path") in paths and (r.get("by_length") or {}).get("test")]
        if not chosen:
            continue
        metric = chosen[0]["by_length"]["test"]["metric"]
        train_max = (chosen[0].get("lengths") or [None, None])[1]
        plots.length_curves(length_series(records, task_label, frame), metric, train_max,
                            f"{task_label}: {metric} by input length", target / figure_name(task_label, "length"))
