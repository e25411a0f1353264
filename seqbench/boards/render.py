"""Render a leaderboard: markdown, HTML, CSV and figures, all from ``result.json`` records.

>>> import tempfile
>>> markdown, frame, skipped = build([tempfile.mkdtemp()])
>>> "No results found" in markdown
True
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from seqbench.boards.lookup import apart
from seqbench.boards.tables import (RANKING_MIN_STEPS, _arrow, cell, estimate, length_series, overview, overview_table,
                                  orderings_text, overview_scores, ranks_nothing, results_frame, runs_of,
                                  score_title, scored_frame, scored_tasks, separation_lines, task_table, unranked)
from seqbench.core.record import RunRecord
from seqbench.boards.selection import compared_runs
from seqbench.boards.selection import Choice
from seqbench.core.spec import metric_margin
from seqbench.runs.task_facts import facts_for

INTRO = ("Test-split metrics: the mean over seeds with its 95 % interval [low, high], which reflects both "
         "the seeds and the evaluation examples (n = runs with status ok). Every model and seed is scored on "
         "the same evaluation examples. ↑ higher is better, ↓ lower is better. Bold marks the best model on "
         "the task's primary metric and every model tied with it (the best is not better than it beyond the "
         "intervals and beyond the metric's equivalence margin). length_mean is the "
         "primary metric averaged uniformly over input lengths; excess_ is a model's difference from the "
         "task's reference predictor on the same examples. Baseline rows are computed by each task on the "
         "same examples: chance, memoryless predictors fitted on training data, the true source where it is "
         "known, and closed forms (population values) such as entropy floors.")


SMOKE_WARNING = (f"A smoke budget (every run capped below {RANKING_MIN_STEPS} steps): it shows that every job runs "
                 "end to end; its numbers are not converged and rank nothing, so no ranks are shown.")


def task_levels(records: list[RunRecord]) -> dict[str, str]:
    """Task name -> its ``level`` where the task declares one (the Chomsky-hierarchy family), as
    its records state it (:mod:`seqbench.runs.task_facts`)."""
    levels = {}
    for record in {r.task: r for r in records}.values():
        if level := facts_for(record).get("level"):
            levels[record.task] = level
    return levels


LEVEL_ORDER = ("regular", "context-free", "context-sensitive")


def sections(frame: pd.DataFrame, records: list[RunRecord], skipped: list[tuple[str, str]],
             score: str = "test/primary", best_seed: bool = False, solved: float | None = None,
             published: pd.DataFrame | None = None) -> list[dict]:
    """The leaderboard as a list of sections: a heading, lead lines, an optional table, note lines, figures.

    The HTML page also reads each section's ``role`` (``overview``, ``task`` or ``notes``), its
    ``id`` (a unique anchor) and, for tasks, the records behind the table (``runs``). The overview
    section holds one view per score (:func:`seqbench.boards.tables.overview_scores`, ``score``
    first) in ``views``, each a section of its own; the markdown prints them one after another,
    the page switches between them. A task section's ``lead`` says what separates its models
    (:func:`seqbench.boards.tables.separation_lines`). ``solved`` (a threshold on ``score``) adds the
    section of :mod:`seqbench.boards.solved`; ``published`` (:func:`seqbench.boards.published.read_published`)
    the published numbers beside the board's."""
    out: list[dict] = []
    levels = task_levels(records) if len(frame) else {}
    level_of = {label: levels.get(task) for label, task in zip(frame["task_label"], frame["task"])} if len(frame) else {}
    rank = {level: i for i, level in enumerate(LEVEL_ORDER)}
    labels = sorted(frame["task_label"].unique(), key=lambda t: (rank.get(level_of.get(t), -1), t)) if len(frame) else []
    ids = _anchors(labels)
    kinds = {}
    for task_label in labels:
        runs = frame[frame["task_label"] == task_label]
        kinds[task_label] = runs["kind"].dropna().iloc[0] if runs["kind"].notna().any() else "?"
    ranked = not ranks_nothing(records)
    if len(frame):
        views = []
        for shown in overview_scores(frame, score):
            if shown == score:  # the score chosen: every task, and every model with a score (as a `ranks` claim reads it)
                view = overview(scored_frame(frame, shown, tasks=False), shown, order=labels)
            else:  # another: the tasks and models that have it
                tasks = set(scored_tasks(frame, shown))
                view = overview(scored_frame(frame, shown), shown, order=[t for t in labels if t in tasks])
            view = view if ranked else unranked(view)
            table = overview_table(view)
            if any(level_of.values()):
                table.insert(1, "level", [level_of.get(t, "") or "" for t in table.iloc[:, 0]])
            ranking = " (#rank)" if ranked else ", not ranked: a smoke budget"
            views.append({"heading": f"Overview: {score_title(shown)} per task and model, mean over seeds "
                                     f"[95 % interval]{ranking}",
                          "table": table, "notes": [n for n in [orderings_text(view)] if n], "figures": [],
                          "overview": view, "score": shown, "label": shown.replace("/primary", "/primary metric"),
                          "id": "overview" if not views else f"overview-{safe_name(shown.replace('/', '-'))}"})
        views[0]["figures"] = ["overview.png"] if ranked else []
        out.append({**views[0], "role": "overview", "title": "Overview", "task_ids": ids, "kinds": kinds,
                    "views": views})
        what = score_title(score)
        if best_seed:
            best = overview(frame, score, best_seed=True, order=labels)
            out.append({"heading": f"Best seed: {what}, maximum over seeds (as the Chomsky-hierarchy paper reports)",
                        "table": overview_table(best), "notes": [], "figures": [], "role": "notes",
                        "id": "best-seed"})
        if solved is not None:
            from seqbench.boards.solved import SOLVED_NOTE, solved_table

            out.append({"heading": f"Solved: {what} at {solved:g} or beyond, and the input-ignoring baselines",
                        "table": solved_table(frame, records, labels, score, solved, level_of), "figures": [],
                        "notes": [SOLVED_NOTE], "role": "notes", "id": "solved", "title": "Solved"})
        if published is not None and len(published):
            from seqbench.boards.published import PUBLISHED_NOTE, published_table

            out.append({"heading": f"Published results beside ours: {what}",
                        "table": published_table(frame, published, score, solved), "figures": [],
                        "notes": [PUBLISHED_NOTE], "role": "notes", "id": "published", "title": "Published"})
        headroom = headroom_table(frame, labels)
        if len(headroom):
            out.append({"heading": "Headroom: the best and the worst model per task and split (primary metric)",
                        "table": headroom, "figures": [], "role": "notes", "id": "headroom", "title": "Headroom",
                        "notes": ["A task separates the models under this budget where the best model is better than "
                                  "the worst by the rule of ties and ranks: the difference of their means exceeds the "
                                  "metric's equivalence margin and the two cells' facing half-widths added in "
                                  "quadrature, on test or on test_ood (the task tables hold every "
                                  "model and the baselines)."]})
    for task_label in labels:
        runs = frame[frame["task_label"] == task_label]
        kind = kinds[task_label]
        primary = runs["primary_metric"].dropna().iloc[0] if runs["primary_metric"].notna().any() else "?"
        notes = [f"{run['model_label']} seed {run['seed']}: {run['status'].upper()}: {run['error']}"
                 for _, run in runs.iterrows() if run["status"] != "ok"]
        pairs = runs_of(records, frame, task_label)
        chosen = [r for r, _ in pairs]
        shift = facts_for(chosen[0]).get("ood_shift") if chosen else None
        notes = ([f"test_ood (the ood columns): {shift}"] if shift else []) + notes
        figures = [figure_name(task_label, "length")] if _has_ood(chosen) else []
        figures += [figure_name(task_label, "curves")] if _has_history(chosen) else []
        table = task_table(frame, task_label, records)
        if not ranked and "_best" in table:
            table["_best"] = False  # nothing is best under a budget that ranks nothing
        out.append({"heading": f"{task_label} ({kind}; primary metric: {primary})",
                    "lead": separation_lines(frame, task_label, (score, "test/primary", "test_ood/primary"))
                    if ranked else [],
                    "table": table, "notes": notes, "figures": figures,
                    "role": "task", "id": ids[task_label], "title": task_label, "kind": kind, "primary": primary,
                    "task": runs["task"].iloc[0], "task_params": chosen[0].task_params if chosen else {},
                    "runs": pairs})
    if skipped:
        out.append({"heading": "Skipped result files", "table": None,
                    "notes": [f"{path}: {reason}" for path, reason in skipped], "figures": [],
                    "role": "notes", "id": "skipped"})
    return out


def headroom_table(frame: pd.DataFrame, labels: list[str]) -> pd.DataFrame:
    """Per task and split (``test``, ``test_ood``): the best and the worst model on the primary
    metric, mean over seeds [95 % interval], and whether the best is better than the worst
    (:func:`seqbench.boards.lookup.apart`: beyond the metric's margin, the interval of the difference
    excluding zero; the two cells' intervals may still overlap). Tasks with
    fewer than two scored models are left out.

    >>> frame = pd.DataFrame({"task_label": ["t"] * 4, "model_label": ["a", "a", "b", "b"],
    ...                       "status": ["ok"] * 4, "primary_metric": ["accuracy"] * 4,
    ...                       "higher_is_better": [True] * 4, "test/accuracy": [0.9, 0.92, 0.5, 0.52]})
    >>> headroom_table(frame, ["t"]).iloc[0].to_dict()["separates"]
    'yes'
    """
    rows = []
    for task_label in labels:
        runs = frame[(frame["task_label"] == task_label) & (frame["status"] == "ok")]
        if not runs["primary_metric"].notna().any():
            continue
        primary = runs["primary_metric"].dropna().iloc[0]
        higher = bool(runs["higher_is_better"].dropna().iloc[0]) if runs["higher_is_better"].notna().any() else True
        for split in ("test", "test_ood"):
            column = f"{split}/{primary}"
            if column not in runs or not runs[column].notna().any():
                continue
            scores = {label: estimate(group, column) for label, group in runs.groupby("model_label", sort=True)}
            scores = {label: e for label, e in scores.items() if e[0] == e[0]}  # (mean, low, high); NaN: not scored
            if len(scores) < 2:
                continue
            order = sorted(scores, key=lambda label: scores[label][0], reverse=higher)  # best first
            best, worst = scores[order[0]], scores[order[-1]]
            known = all(v == v for v in (*best, *worst))  # one seed and no example interval: n/a
            rows.append({"task": task_label, "split": split, "metric": f"{primary} {_arrow(primary)}".strip(),
                         "best": f"{order[0]} {cell(*best)}", "worst": f"{order[-1]} {cell(*worst)}",
                         "separates": ("yes" if apart(best, worst, higher, metric_margin(primary, primary)) else "no")
                         if known else "n/a"})
    return pd.DataFrame(rows)


def selection_section(choices: list[Choice]) -> dict:
    """The learning rate each cell was compared at, and the val scores it was chosen from."""
    rates = sorted({rate for c in choices for rate in c.scores})
    rows = []
    for c in choices:
        row = {"task": c.task, "model": c.model, "selected lr": f"{c.chosen:g}",
               "on": f"{c.metric} ({'↑' if c.higher_is_better else '↓'}), seed {', '.join(map(str, c.seeds))}"}
        for rate in rates:
            value = c.scores.get(rate, float("nan"))
            row[f"lr {rate:g}"] = "no score" if value is None else _number(value)  # failed, or not applicable
        rows.append(row)
    return {"heading": "Learning-rate selection: each task x model compared at the rate with the best val score",
            "table": pd.DataFrame(rows), "figures": [], "role": "notes", "id": "lr-selection",
            "notes": ["Where a task x model was trained at several learning rates, the rate with the best mean "
                      "validation score over the seeds every rate has (ties: the smaller rate; no score: the runs "
                      "failed or the model does not apply) is the one whose runs the tables compare; with "
                      "hydra/sweeper=select that is the first seed, run at every rate before the other seeds. "
                      "results.csv lists every run; its column selected is true for those."]}


def _number(value: float) -> str:
    return "" if value != value else f"{value:.4g}"


def _anchors(labels: list[str]) -> dict[str, str]:
    """A unique HTML id per task label: ``task-<safe name>``, numbered when two names collide."""
    ids: dict[str, str] = {}
    for label in labels:
        anchor, number = f"task-{safe_name(label)}", 2
        while anchor in ids.values():
            anchor, number = f"task-{safe_name(label)}-{number}", number + 1
        ids[label] = anchor
    return ids


#: The plots a board draws (:func:`figure_name`); those of an earlier board that are not drawn again are removed.
FIGURE_FILES = ("overview.png", "curves_*.png", "length_*.png")


def figure_name(task_label: str, what: str) -> str:
    """``length_parity.png``: a safe, bounded file name (the label is data, never a path)."""
    return f"{what}_{safe_name(task_label)}.png"


#: A learning curve is drawn from this many evaluations on: two points (a smoke budget's) show no shape.
CURVE_POINTS = 3


def _has_history(records: list[RunRecord]) -> bool:
    return any(len(r.history) >= CURVE_POINTS and r.status == "ok" for r in records)


def _has_ood(records: list[RunRecord]) -> bool:
    return any(r.by_length.get("test_ood") for r in records)


def _display(table: pd.DataFrame) -> pd.DataFrame:
    return table.astype(object).where(table.notna(), "")


_MARKDOWN_SPECIAL = str.maketrans({"|": "\\|", "`": "\\`", "<": "&lt;", ">": "&gt;", "&": "&amp;", "*": "\\*",
                                   "\\": "\\\\"})


def escape_markdown(text: object) -> str:
    """Text safe inside a markdown table cell: one line, no table or emphasis syntax, no HTML.

    >>> escape_markdown("a|b\\n<script>`x`")
    'a\\\\|b &lt;script&gt;\\\\`x\\\\`'
    """
    return " ".join(str(text).split()).translate(_MARKDOWN_SPECIAL).replace("](", "]\\(")  # no links either


def _cells(table: pd.DataFrame, escape, bold) -> pd.DataFrame:
    """Every cell and header escaped; the cell ``_best`` marks (in the ``emphasis`` column) made bold."""
    shown = _display(table.drop(columns=["_best"], errors="ignore")).map(escape)
    column = table.attrs.get("emphasis")
    if "_best" in table and column in shown:
        shown.loc[table["_best"].astype(bool), column] = shown.loc[table["_best"].astype(bool), column].map(bold)
    shown.columns = [escape(c) for c in shown.columns]
    return shown


def budget_line(records: list[RunRecord], total: int | None = None) -> str:
    """The training budget the runs used, stated once at the top of the leaderboard.

    >>> budget_line([RunRecord(task="t", model="m", seed=0, trainer_params={"steps": 200, "batch_size": 32,
    ...                                                                     "lr": 0.003, "eval_size": 200})])
    'Budget: steps 200, batch_size 32, lr 0.003, eval_size 200 (1 run).'
    """
    keys = ("steps", "patience", "min_delta", "smooth", "batch_size", "lr", "eval_size", "target", "checkpoint")
    seen: dict[str, set] = {k: set() for k in (*keys, "param_budget")}
    from seqbench.core.setup import at_later_default

    for r in records:
        for k in keys:
            value = (r.trainer_params or {}).get(k)
            if value is not None and not at_later_default(k, value):
                seen[k].add(value)
        if (r.model_params or {}).get("param_budget") is not None:
            seen["param_budget"].add(r.model_params["param_budget"])
    parts = [f"{k} {' or '.join(str(v) for v in sorted(values, key=str))}" for k, values in seen.items() if values]
    runs = f"{len(records)} run{'s' if len(records) != 1 else ''}"
    if total is not None and total != len(records):  # a learning rate was selected: the rest were tried
        runs = f"{len(records)} selected runs of {total}"
    return f"Budget: {', '.join(parts) if parts else 'not recorded'} ({runs})."


def render_markdown(parts: list[dict], budget: str = "") -> str:
    lines = ["# seqbench leaderboard", "", *([budget, ""] if budget else []), INTRO, ""]
    if not parts:
        lines += ["No results found.", ""]
    for part in [view for part in parts for view in part.get("views", [part])]:  # the overview: each view
        lines += [f"## {escape_markdown(part['heading'])}", ""]
        for line in part.get("lead", []):  # what separates the models, first
            lines += [escape_markdown(line), ""]
        if part["table"] is not None:
            table = _cells(part["table"], escape_markdown, lambda cell: f"**{cell}**")
            lines += [table.to_markdown(index=False, disable_numparse=True), ""]  # via tabulate
        lines += [f"- {escape_markdown(note)}" for note in part["notes"]] + ([""] if part["notes"] else [])
    return "\n".join(lines)


def render_html(parts: list[dict], budget: str = "", records: list[RunRecord] = ()) -> str:
    """The leaderboard page (:mod:`seqbench.boards.page`): sortable, filterable, with its plots beside it."""
    from seqbench.boards.page import render

    return render(parts, budget, INTRO, list(records))


def build(folders: list[str], out: str | None = None, copy_raw: bool = False, score: str = "test/primary",
          best_seed: bool = False, figures: bool = True, solved: float | None = None,
          published: pd.DataFrame | None = None) -> tuple[str, pd.DataFrame, list[tuple[str, str]]]:
    """Load every result below ``folders``; write the leaderboard into ``out`` when given.

    ``out`` receives ``leaderboard.md``, ``leaderboard.html``, ``results.csv`` (one row per run),
    ``overview.png`` (task x model heatmap of ranks), ``curves_<task>.png`` (learning curves) and
    ``length_<task>.png`` (accuracy by length) for tasks with a ``test_ood`` split. ``copy_raw``
    also copies every result file read into ``out/raw/`` (one folder per run), from which the
    same tables can be rebuilt. ``out`` inside an input folder is never read as input, and a
    run found several times (a ``raw/`` copy, a folder given twice) counts once. ``score``
    (``SPLIT/METRIC``) is what the overview ranks; ``best_seed`` adds the maximum over seeds;
    ``figures=False`` writes the tables only (the plots take most of the time); ``solved`` marks the
    models at or beyond that score and flags tasks no model beats the input-ignoring baselines on
    (:mod:`seqbench.boards.solved`); ``published`` puts published numbers beside the board's
    (:mod:`seqbench.boards.published`).

    ``out`` is written as a whole under a lock (:func:`seqbench.boards.files.write_board`): a kill
    or a full disk leaves the previous board, a second writer of the same folder is refused, a
    failed write raises :class:`seqbench.core.atomic.WriteError`; ``frame.attrs["files"]`` lists the
    files written. Text cells of ``results.csv`` are made safe to open in a spreadsheet
    (:mod:`seqbench.boards.csv_safe`).
    """
    from seqbench.boards.tables import check_score
    from seqbench.core.record import load_results

    loaded = load_results(folders, exclude=[out] if out is not None else [], record_type="run")
    records, skipped = loaded.records, list(loaded.skipped)
    check_score(score, records)  # a misspelled score fails before anything is written
    if solved is not None:
        from seqbench.boards.solved import check_threshold

        check_threshold(solved, score, records)
    if copy_raw and out is not None:
        records = _copy_raw(records, Path(out) / "raw")
    compared = compared_runs(records)  # repeats dropped, rows per setup, each cell at its rate selected on val
    every_run, records, choices = compared.every_run, compared.records, compared.choices
    frame = results_frame(records)
    parts = sections(frame, records, skipped, score, best_seed, solved, published)
    if choices:
        parts.append(selection_section(choices))
    if loaded.duplicates or compared.repeats:
        parts.append({"heading": "Duplicate result files", "table": None, "figures": [],
                      "notes": [f"{loaded.duplicates + compared.repeats} copies of runs already counted (the same "
                                f"setup, learning rate and seed; the newest is kept) were dropped"],
                      "role": "notes", "id": "duplicates"})
    budget = budget_line(records, len(every_run))
    if ranks_nothing(records):
        budget = f"{SMOKE_WARNING} {budget}"
    markdown = render_markdown(parts, budget)
    if out is not None:  # written as a whole, under a lock (seqbench.boards.files); the page last
        from seqbench.boards.files import write_board
        from seqbench.boards.csv_safe import spreadsheet_safe

        raw = results_frame(every_run)  # every run; `selected`: the runs the tables compare
        kept = {id(r) for r in records}
        raw["selected"] = [id(every_run[i]) in kept for i in raw["run"]]
        files = {"results.csv": spreadsheet_safe(raw.drop(columns=["run"])).to_csv(index=False),
                 "leaderboard.md": markdown, "leaderboard.html": render_html(parts, budget, records)}

        def draw(folder: Path) -> None:  # the plots, into the board's staging folder
            if len(frame):
                _write_figures(folder, frame, records, score)

        frame.attrs["files"] = write_board(out, files, draw if figures else None, FIGURE_FILES)  # for the CLI
    frame.attrs["duplicates"] = loaded.duplicates + compared.repeats  # how many copies of counted runs were dropped
    return markdown, frame, skipped


def safe_name(text: str, limit: int = 80) -> str:
    """A file or folder name from any text: ``[A-Za-z0-9._-]`` only, never ``.``/``..``, at most
    ``limit`` characters (a hash of the text keeps long names distinct).

    >>> safe_name("task=parity,model=lstm"), safe_name("../../etc"), len(safe_name("x" * 500))
    ('task_parity_model_lstm', '_.._etc', 80)
    """
    import hashlib

    name = "".join(c if c.isascii() and (c.isalnum() or c in "-_.") else "_" for c in text).lstrip(".") or "_"
    if len(name) > limit:
        name = name[: limit - 11] + "-" + hashlib.sha256(text.encode()).hexdigest()[:10]
    return name


def _copy_raw(records: list[RunRecord], target: Path) -> list[RunRecord]:
    """Copy each record's own file (where the reader found it, never a path from its content) to
    ``target/<folder>-<content hash>/result.json``; return the records pointing at the copies."""
    import dataclasses
    import hashlib

    from seqbench.core.atomic import make_folder, write_atomic

    make_folder(target)
    inside = target.resolve()
    copied = []
    for record in records:
        source = Path(record.source)
        if inside in source.resolve().parents:  # already a raw copy of this leaderboard
            copied.append(record)
            continue
        data = source.read_bytes()  # read once: the copy holds exactly the bytes its name hashes
        folder = target / f"{safe_name(source.parent.name, 60)}-{hashlib.sha256(data).hexdigest()[:12]}"
        write_atomic(folder / source.name, data)  # whole or not at all; a failure is one WriteError line
        copied.append(dataclasses.replace(record, source=folder / source.name))
    return copied


def _write_figures(target: Path, frame: pd.DataFrame, records: list[RunRecord], score: str = "test/primary") -> None:
    from seqbench.analysis import plots
    from seqbench.analysis.curves import plot_learning_curves

    if not ranks_nothing(records):  # a heatmap of ranks, where there are ranks; tied with the best: as the best
        view = overview(frame, score)
        plots.overview_heatmap(view.values, view.ranks.mask(view.tied, 1.0), target / "overview.png")
    for task_label in sorted(frame["task_label"].unique()):
        runs = [r for r, _ in runs_of(records, frame, task_label)]
        if _has_history(runs):
            plot_learning_curves([r for r in runs if r.history and r.status == "ok"],
                                 target / figure_name(task_label, "curves"))
        chosen = [r for r in runs if r.by_length.get("test")]
        if not _has_ood(runs) or not chosen:
            continue
        metric = chosen[0].by_length["test"]["metric"]
        train_max = (chosen[0].lengths or [None, None])[1]
        baselines = {name: scores[metric] for name, scores in chosen[0].baselines.get("test", {}).items()
                     if scores.get(metric) is not None}
        curves, bands = length_series(records, task_label, frame)
        plots.length_curves(curves, metric, train_max, f"{task_label}: {metric} by input length",
                            target / figure_name(task_label, "length"), bands=bands, baselines=baselines)
