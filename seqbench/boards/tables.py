"""Leaderboard tables computed from ``result.json`` records only.

:func:`results_frame` flattens records into one row per run (the raw ``results.csv``);
:func:`task_table` aggregates a task's runs per model over seeds (the mean with a 95 %
interval over seeds and examples, :mod:`seqbench.boards.aggregate`; models tied with the best are
marked) and appends the task's baseline rows; :func:`overview` ranks models across tasks. :mod:`seqbench.boards.render` renders these tables as
``leaderboard.md``/``.html`` with plots.

>>> from seqbench.core.record import RunRecord
>>> records = [RunRecord(task="parity", model="lstm", seed=s, status="ok", primary_metric="accuracy",
...                      higher_is_better=True, metrics={"test": {"accuracy": a}}) for s, a in [(0, 0.9), (1, 1.0)]]
>>> table = task_table(results_frame(records), "parity")
>>> table.loc[0, "model"], table.loc[0, "accuracy ↑"], int(table.loc[0, "n"]), bool(table.loc[0, "_best"])
('lstm', '0.950 [0.315, 1.000]', 2, True)
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import pandas as pd

from seqbench.boards.aggregate import (Margin, better, interval_ranks, rank_bootstrap, seed_interval,
                                       tied_with_best)
from seqbench.boards.cells import setup_labels
from seqbench.engine.convergence import budget_limited, converged
from seqbench.engine.exact_intervals import clip_to_range, record_interval
from seqbench.core.spec import metric_margin, metric_spec

if TYPE_CHECKING:
    from seqbench.core.record import RunRecord

RUN_COLUMNS = ["task", "task_label", "kind", "model", "model_label", "seed", "status", "primary_metric",
               "higher_is_better", "n_params", "steps", "train_seconds", "tokens_per_second", "error"]


def results_frame(records: list[RunRecord]) -> pd.DataFrame:
    """One row per run: identity, status, cost, and ``split/metric`` columns.

    Tasks and models are named by their label (the preset, e.g. ``bilstm``) plus whatever sets
    their setup apart from others of the same name (:func:`seqbench.boards.cells.setup_labels`);
    ``run`` is the run's position in ``records``.
    """
    labels = setup_labels(records)
    rows = []
    for index, r in enumerate(records):
        row = {c: getattr(r, c) for c in RUN_COLUMNS if c not in ("task_label", "model_label")}
        row["run"] = index
        row["lr"] = (r.trainer_params or {}).get("lr")
        row["converged"] = converged(r)  # not where it stopped while still improving
        row["budget_limited"] = budget_limited(r)
        row["task_label"], row["model_label"] = labels[index]
        for split, values in r.metrics.items():
            for metric, value in values.items():
                row[f"{split}/{metric}"] = value
                low, high = record_interval(r, split, metric)  # never zero width from data
                row[f"{split}/{metric}@low"], row[f"{split}/{metric}@high"] = low, high
        rows.append(row)
    frame = pd.DataFrame(rows, columns=None if rows else [*RUN_COLUMNS, "run", "lr", "converged", "budget_limited"])
    return frame.sort_values(["task_label", "model_label", "seed"], kind="stable").reset_index(drop=True)


def _fmt(value: float | None, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    return f"{value:.{digits}f}"


def cell(mean: float, low: float, high: float, digits: int = 3) -> str:
    """``0.950 [0.931, 0.968]``: a value with its 95 % interval. Values so small that ``digits``
    decimals would show at most one significant digit (an mse of 2.7e-05) get ``digits``
    significant digits instead.

    >>> cell(0.95, 0.931, 0.968), cell(float("nan"), 0, 0), cell(0.5, 0.5, 0.5)  # an exact value has no interval
    ('0.950 [0.931, 0.968]', 'n/a', '0.500')
    >>> cell(2.69e-05, 2.67e-05, 2.71e-05), cell(0.00146, 0.00135, 0.00156)
    ('2.69e-05 [2.67e-05, 2.71e-05]', '0.00146 [0.00135, 0.00156]')
    """
    if not math.isfinite(mean):
        return "n/a"
    small = 0 < max(abs(v) for v in (mean, low, high) if math.isfinite(v)) < 5 * 10 ** -digits
    form = f".{digits}g" if small else f".{digits}f"
    if not (math.isfinite(low) and math.isfinite(high)) or high - low <= 1e-12:  # none, or exact
        return f"{mean:{form}}"
    return f"{mean:{form}} [{low:{form}}, {high:{form}}]"


def metric_columns(frame: pd.DataFrame, split: str = "test") -> list[str]:
    """The metrics present for ``split``: the primary metric, length_mean, excess, then the rest."""
    names = [c.split("/", 1)[1] for c in frame.columns
             if c.startswith(f"{split}/") and "@" not in c and frame[c].notna().any()]
    primaries = [m for m in frame["primary_metric"].dropna().unique() if m in names]
    leading = primaries + [m for m in names if m == "length_mean" or m.startswith("excess_")]
    return leading + sorted(set(names) - set(leading))


def _arrow(metric: str, primary: str | None = None) -> str:
    spec = metric_spec(metric, primary)
    return spec.arrow if spec is not None and (spec.follows != "primary" or primary) else ""


def estimate(runs: pd.DataFrame, column: str) -> tuple[float, float, float]:
    """(mean over seeds, low, high) of one metric column of ok runs (see :mod:`seqbench.boards.aggregate`)."""
    if column not in runs:
        return float("nan"), float("nan"), float("nan")
    present = runs[runs[column].notna()]
    if not len(present):
        return float("nan"), float("nan"), float("nan")
    lows = present.get(f"{column}@low", pd.Series([None] * len(present))).tolist()
    highs = present.get(f"{column}@high", pd.Series([None] * len(present))).tolist()
    primary = present["primary_metric"].dropna().iloc[0] if "primary_metric" in present and present["primary_metric"].notna().any() else None
    return clip_to_range(column.split("/", 1)[-1], primary, seed_interval(present[column].astype(float).tolist(), lows, highs))


def task_table(frame: pd.DataFrame, task_label: str, records: list[RunRecord] | None = None) -> pd.DataFrame:
    """Models x metrics for one task: the mean over seeds with its 95 % interval (seeds and
    examples), n, cost and status; ``_best`` marks the best model on the primary metric and every
    model tied with it (:func:`seqbench.boards.aggregate.tied_with_best`: not worse beyond doubt and
    beyond the metric's margin); baseline rows, scored on the same examples, follow."""
    runs = frame[frame["task_label"] == task_label]
    metrics = metric_columns(runs)
    primary = runs["primary_metric"].dropna().iloc[0] if runs["primary_metric"].notna().any() else None
    higher = bool(runs["higher_is_better"].dropna().iloc[0]) if runs["higher_is_better"].notna().any() else True
    rows, primaries = [], []
    has_stop_rule = runs.loc[runs["status"] == "ok", "converged"].notna().any()  # a plateau rule ran: its column
    has_limited = bool(runs["budget_limited"].fillna(False).astype(bool).any())  # shown where any run was
    has_ood_length_mean = "test_ood/length_mean" in runs and runs["test_ood/length_mean"].notna().any()
    for label, group in runs.groupby("model_label", sort=True):
        ok = group[group["status"] == "ok"]
        row: dict[str, Any] = {"model": label}
        for m in metrics:
            row[f"{m} {_arrow(m)}".strip()] = cell(*estimate(ok, f"test/{m}"))
        if primary and f"test_ood/{primary}" in runs and runs[f"test_ood/{primary}"].notna().any():
            row[f"ood {primary} {_arrow(primary)}"] = cell(*estimate(ok, f"test_ood/{primary}"))
            if has_ood_length_mean:  # not where test_ood shifts something other than length
                row["ood length_mean"] = cell(*estimate(ok, "test_ood/length_mean"))
        row["n"] = str(len(ok))  # text: the baseline rows below leave these cells empty
        row["params"] = f"{int(group['n_params'].dropna().iloc[0]):,}" if group["n_params"].notna().any() else "n/a"
        row["lr"] = ", ".join(f"{v:g}" for v in sorted(group["lr"].dropna().unique()))
        if has_stop_rule:  # stopped by the plateau rule or the target, not the step cap
            row["converged"] = (f"{int(ok['converged'].fillna(False).astype(bool).sum())}/{len(ok)}"
                                if ok["converged"].notna().any() else "n/a")
        if has_limited:  # stopped by the step cap while still improving: more steps would likely change it
            row["budget-limited"] = f"{int(ok['budget_limited'].fillna(False).astype(bool).sum())}/{len(ok)}"
        row["train s"] = _fmt(ok["train_seconds"].mean(), 1) if len(ok) else "n/a"
        row["status"] = ", ".join(f"{s} {c}" for s, c in group["status"].value_counts().sort_index().items())
        rows.append(row)
        primaries.append(estimate(ok, f"test/{primary}") if primary else (float("nan"),) * 3)
    table = pd.DataFrame(rows)
    means, lows, highs = zip(*primaries) if primaries else ((), (), ())
    table["_best"] = tied_with_best(means, lows, highs, higher, metric_margin(primary, primary)) if len(table) else []
    baseline_rows = _baseline_rows(records or [], task_label, frame, metrics, primary)
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


def _baseline_rows(records: list[RunRecord], task_label: str, frame: pd.DataFrame, metrics: list[str],
                   primary: str | None = None) -> list[dict]:
    """One row per baseline: its value on the shared test examples with its interval (baselines are
    the same for every run of a task; older records that drew their own samples are averaged)."""
    values: dict[str, dict[str, list[float]]] = {}
    bands: dict[str, dict[str, list]] = {}
    ood: dict[str, float] = {}
    for r, _ in runs_of(records, frame, task_label):
        for name, scores in r.baseline_intervals.get("test", {}).items():
            for metric, band in scores.items():
                bands.setdefault(name, {}).setdefault(metric, band)
        if primary:
            for name, scores in r.baselines.get("test_ood", {}).items():
                if scores.get(primary) is not None:
                    ood.setdefault(name, scores[primary])
        for name, scores in r.baselines.get("test", {}).items():
            for metric, value in scores.items():
                if value is not None:
                    values.setdefault(name, {}).setdefault(metric, []).append(value)
    rows = []
    for name, scores in sorted(values.items()):
        row = {"model": f"baseline: {name}"}
        for m in metrics:
            v = scores.get(m)
            band = bands.get(name, {}).get(m) or [None, None]
            low, high = (float("nan"), float("nan")) if None in band else band
            row[f"{m} {_arrow(m)}".strip()] = cell(sum(v) / len(v), low, high) if v else ""
        if primary and name in ood:
            row[f"ood {primary} {_arrow(primary)}"] = _fmt(ood[name])
        rows.append(row)
    return rows


#: A board whose every run was capped below this many steps ranks nothing (``trainer=smoke``: 20).
RANKING_MIN_STEPS = 100


def ranks_nothing(records: list[RunRecord]) -> bool:
    """Whether the runs' budget is too small to rank anything: every run capped below
    :data:`RANKING_MIN_STEPS` steps (a smoke budget shows that jobs run, not what they learn).

    >>> from seqbench.core.record import RunRecord
    >>> ranks_nothing([RunRecord(task="t", model="m", seed=0, trainer_params={"steps": 20})])
    True
    """
    caps = [(r.trainer_params or {}).get("steps") for r in records]
    return bool(caps) and all(c is not None and c < RANKING_MIN_STEPS for c in caps)


def unranked(view: Overview) -> Overview:
    """The overview without ranks: its values and intervals only."""
    return view._replace(ranks=view.ranks.astype(float) * float("nan"), mean_rank=view.mean_rank * float("nan"),
                         rank_low=None, rank_high=None, ahead=None, tied=None)


#: the share of resamples of tasks and seeds in which a mean-rank ordering must hold to count as beyond doubt
BEYOND_DOUBT = 0.975


class Overview(NamedTuple):
    """Task x model primary metric (test): means over seeds, interval bounds, interval-aware ranks,
    and each model's mean rank over the tasks every model ran (``shared``)."""

    values: pd.DataFrame
    lows: pd.DataFrame
    highs: pd.DataFrame
    ranks: pd.DataFrame
    mean_rank: pd.Series
    shared: list[str]
    #: 95 % bootstrap interval of each mean rank over tasks and seeds (:func:`seqbench.boards.aggregate.rank_bootstrap`)
    rank_low: pd.Series | None = None
    rank_high: pd.Series | None = None
    #: model x model: share of resamples in which the row's mean rank is below the column's
    ahead: pd.DataFrame | None = None
    #: task x model: tied with the task's best (:func:`seqbench.boards.aggregate.tied_with_best`, within the
    #: metric's margin or the intervals); what the page paints as best, whatever the rank
    tied: pd.DataFrame | None = None

    def beyond_doubt(self, level: float = BEYOND_DOUBT) -> list[tuple[str, str]]:
        """(better, worse) pairs whose mean-rank order holds in at least ``level`` of the resamples."""
        if self.ahead is None:
            return []
        return [(a, b) for a in self.ahead.index for b in self.ahead.columns
                if a != b and self.ahead.loc[a, b] >= level]


def score_column(score: str, primary: str) -> str:
    """The frame column of a score ``SPLIT/METRIC``; ``primary`` stands for the task's primary metric.

    >>> score_column("test/primary", "accuracy"), score_column("test_ood/length_mean", "accuracy")
    ('test/accuracy', 'test_ood/length_mean')
    """
    split, _, metric = score.partition("/")
    return f"{split}/{primary if metric in ('', 'primary') else metric}"


def check_score(score: str, records: list[RunRecord]) -> None:
    """Refuse a score ``SPLIT/METRIC`` whose split is not val, test or test_ood, or whose metric no
    record has on that split (``primary`` always stands), with the closest known score: a typo
    would rank nothing.

    >>> from seqbench.core.record import RunRecord
    >>> check_score("test/acuracy", [RunRecord(task="t", model="m", seed=0, metrics={"test": {"accuracy": 1.0}})])
    Traceback (most recent call last):
    ...
    seqbench.core.errors.SeqbenchError: score 'test/acuracy': no metric 'acuracy' on test in these results (accuracy, primary); did you mean 'test/accuracy'?
    """
    from seqbench.core.record import SPLITS
    from seqbench.core.errors import SeqbenchError, closest

    if not records:
        return
    known = {f"{s}/primary" for s in SPLITS} | {f"{s}/{m}" for r in records for s, values in r.metrics.items()
                                                 for m in values if s in SPLITS}
    if score in known:
        return
    split, _, metric = score.partition("/")
    hint = closest(score, sorted(known))
    on_split = sorted(k.partition("/")[2] for k in known if k.startswith(f"{split}/"))
    why = (f"no metric '{metric}' on {split} in these results" + (f" ({', '.join(on_split)})" if len(on_split) <= 12 else "")
           if split in SPLITS else f"the split must be one of {', '.join(SPLITS)}")
    raise SeqbenchError(f"score '{score}': {why}" + (f"; did you mean '{hint}'?" if hint else ""))


def overview(frame: pd.DataFrame, score: str = "test/primary", best_seed: bool = False,
             order: list[str] | None = None) -> Overview:
    """The overview matrix of ``score`` (``SPLIT/METRIC``; by default each task's primary metric
    on ``test``; ``length_mean`` and ``excess_*`` keep the primary metric's direction).

    A model's rank on a task is 1 + the number of models whose interval is better beyond overlap
    (so tied models share a rank); the mean rank is taken over the tasks on which every compared
    model has a score, and a model without a score there has none. With ``best_seed`` each cell is
    the best seed's value instead (the Chomsky-hierarchy paper reports the maximum over seeds),
    without an interval. ``order`` sets the order of the task rows."""
    ok = frame[frame["status"] == "ok"]
    tasks = order or sorted(frame["task_label"].unique())
    models = sorted(frame["model_label"].unique())
    shape = dict(index=tasks, columns=models, dtype=float)
    values, lows, highs = (pd.DataFrame(float("nan"), **shape) for _ in range(3))
    higher = frame.groupby("task_label")["higher_is_better"].first().reindex(tasks).fillna(True)
    margins: dict[str, Margin] = {}
    for (task, model), runs in ok.groupby(["task_label", "model_label"]):
        primary = runs["primary_metric"].dropna()
        if not len(primary) or task not in values.index:
            continue
        column = score_column(score, primary.iloc[0])
        margins[task] = metric_margin(column.split("/", 1)[1], primary.iloc[0])
        if best_seed:  # the best seed's value, exact: ranked by the margin alone
            scores = runs[column].dropna() if column in runs else pd.Series(dtype=float)
            if len(scores):
                best = scores.max() if higher[task] else scores.min()
                values.loc[task, model] = lows.loc[task, model] = highs.loc[task, model] = best
        else:
            values.loc[task, model], lows.loc[task, model], highs.loc[task, model] = estimate(runs, column)
    ranks = pd.DataFrame(float("nan"), **shape)
    tied = pd.DataFrame(False, index=tasks, columns=models, dtype=bool)
    for task in tasks:
        ranks.loc[task] = interval_ranks(values.loc[task], lows.loc[task], highs.loc[task], bool(higher[task]),
                                         margins.get(task, 0.0))
        tied.loc[task] = tied_with_best(values.loc[task], lows.loc[task], highs.loc[task], bool(higher[task]),
                                        margins.get(task, 0.0))
    shared = [t for t in tasks if values.loc[t].notna().all()]
    mean_rank = ranks.loc[shared].mean(axis=0).sort_values() if shared else pd.Series(float("nan"), index=models)
    view = Overview(values, lows, highs, ranks, mean_rank, shared, tied=tied)
    if best_seed or not shared or len(models) < 2:
        return view
    seeds = {(task, model): runs[score_column(score, runs["primary_metric"].dropna().iloc[0])].dropna().tolist()
             for (task, model), runs in ok.groupby(["task_label", "model_label"]) if task in shared}
    halves = {(t, m): (highs.loc[t, m] - lows.loc[t, m]) / 2 for t in shared for m in models}
    drawn = sorted(shared)  # the resampling draws tasks in name order, whatever order the rows are shown in
    resampled, ahead = rank_bootstrap(seeds, halves, drawn, models, {t: bool(higher[t]) for t in drawn},
                                      {t: margins.get(t, 0.0) for t in drawn})
    low, high = np.percentile(resampled, [2.5, 97.5], axis=0)
    return view._replace(rank_low=pd.Series(low, index=models), rank_high=pd.Series(high, index=models),
                         ahead=pd.DataFrame(ahead, index=models, columns=models))


def scored_cells(frame: pd.DataFrame, score: str) -> list[tuple[str, str]]:
    """The (task label, model label) cells with a value of ``score`` (``SPLIT/METRIC``) in some ok run, sorted."""
    ok = frame[frame["status"] == "ok"] if len(frame) else frame
    found = []
    for (task, model), runs in ok.groupby(["task_label", "model_label"]):
        primary = runs["primary_metric"].dropna()
        column = score_column(score, primary.iloc[0]) if len(primary) else None
        if column in runs and runs[column].notna().any():
            found.append((task, model))
    return sorted(found)


def scored_frame(frame: pd.DataFrame, score: str, tasks: bool = True) -> pd.DataFrame:
    """The rows of the models (and, with ``tasks``, the tasks) that have ``score`` in some ok run:
    what an overview of that score ranks, on the page and in a ``ranks`` claim. A frame where no
    model has it is returned whole."""
    cells = scored_cells(frame, score)
    if not cells:
        return frame
    keep = frame["model_label"].isin({m for _, m in cells})
    return frame[keep & frame["task_label"].isin({t for t, _ in cells})] if tasks else frame[keep]


def scored_tasks(frame: pd.DataFrame, score: str) -> list[str]:
    """The task labels with a value of ``score`` (``SPLIT/METRIC``) in some ok run, sorted."""
    return sorted({task for task, _ in scored_cells(frame, score)})


def overview_scores(frame: pd.DataFrame, score: str = "test/primary") -> list[str]:
    """The scores the overview shows, ``score`` (the one ranked first, what ``--score`` chose) first:
    ``test/primary``, and where some run has a ``test_ood`` split, ``test_ood/primary`` and
    ``test_ood/length_mean`` (where runs have it).

    >>> from seqbench.core.record import RunRecord
    >>> records = [RunRecord(task="parity", model="lstm", seed=0, status="ok", primary_metric="accuracy",
    ...                      metrics={"test": {"accuracy": 1.0}, "test_ood": {"accuracy": 0.9}})]
    >>> overview_scores(results_frame(records)), overview_scores(results_frame(records), "test_ood/length_mean")
    (['test/primary', 'test_ood/primary'], ['test_ood/length_mean', 'test/primary', 'test_ood/primary'])
    """
    scores = [score, "test/primary"]
    scores += [s for s in ("test_ood/primary", "test_ood/length_mean") if scored_tasks(frame, s)]
    return list(dict.fromkeys(scores))


def score_title(score: str) -> str:
    """How a heading names a score: ``primary metric (test)``, ``test_ood/primary metric``, ``test_ood/length_mean``."""
    return "primary metric (test)" if score == "test/primary" else score.replace("/primary", "/primary metric")


def margin_text(metric: str, margin: Margin) -> str:
    """The equivalence margin in words: ``0.005 accuracy``, ``5 % of mse``.

    >>> margin_text("accuracy", (0.005, False)), margin_text("mse", (0.05, True)), margin_text("bleu", 0.0)
    ('0.005 accuracy', '5 % of mse', '0 bleu: intervals alone')
    """
    value, relative = margin if isinstance(margin, tuple) else (margin, False)
    if not value:
        return f"0 {metric}: intervals alone"
    return f"{value * 100:.3g} % of {metric}" if relative else f"{value:.3g} {metric}"


def separation_lines(frame: pd.DataFrame, task_label: str,
                     scores: tuple[str, ...] = ("test/primary", "test_ood/primary")) -> list[str]:
    """What separates a task's models, one line per score (``SPLIT/METRIC``, by default the primary
    metric on ``test`` and ``test_ood``) with two or more scored models: the best model and every
    model tied with it (:func:`seqbench.boards.aggregate.tied_with_best`, as the task table's bold
    marks them), and the models the best is better than, beyond the metric's margin and beyond
    doubt (:func:`seqbench.boards.aggregate.better`); or that no model separates from the others.
    Computed from the table's own estimates.

    >>> from seqbench.core.record import RunRecord
    >>> def run(model, seed, value):
    ...     return RunRecord(task="parity", model=model, seed=seed, status="ok", primary_metric="accuracy",
    ...                      higher_is_better=True, metrics={"test": {"accuracy": value}},
    ...                      intervals={"test": {"accuracy": [value - 0.01, min(value + 0.01, 1.0)]}})
    >>> frame = results_frame([run(m, s, v) for m, v in (("gru", 0.9), ("lstm", 0.91), ("mlp", 0.5)) for s in (0, 1)])
    >>> print(*separation_lines(frame, "parity"))
    test (accuracy ↑): best lstm 0.910, tied with gru 0.900; separated from the best beyond the margin (0.005 accuracy): mlp 0.500.
    >>> separation_lines(results_frame([run(m, s, 1.0) for m in ("gru", "lstm") for s in (0, 1)]), "parity")
    ['test (accuracy ↑): no model separates from the others beyond the margin (0.005 accuracy).']
    """
    runs = frame[(frame["task_label"] == task_label) & (frame["status"] == "ok")]
    if not runs["primary_metric"].notna().any():
        return []
    primary = runs["primary_metric"].dropna().iloc[0]
    higher = bool(runs["higher_is_better"].dropna().iloc[0]) if runs["higher_is_better"].notna().any() else True
    lines = []
    for column in dict.fromkeys(score_column(score, primary) for score in scores):
        split, metric = column.split("/", 1)
        margin = metric_margin(metric, primary)
        bound = margin_text(metric, margin)
        found = {label: estimate(group, column) for label, group in runs.groupby("model_label", sort=True)}
        found = {label: e for label, e in found.items() if e[0] == e[0]}  # NaN: not scored on this split
        if len(found) < 2:
            continue
        names = sorted(found, key=lambda label: -found[label][0] if higher else found[label][0])  # best first
        tied = tied_with_best(*zip(*(found[n] for n in names)), higher, margin)
        pairs = [(a, b) for a in names for b in names if a != b and better(found[a], found[b], higher, margin)]
        where = f"{split} ({metric} {_arrow(metric, primary)})".replace(" )", ")")
        shown = {label: f"{label} {cell(found[label][0], float('nan'), float('nan'))}" for label in names}
        if not pairs:
            lines.append(f"{where}: no model separates from the others beyond the margin ({bound}).")
            continue
        best = shown[names[0]] + (f", tied with {', '.join(shown[n] for n, t in zip(names[1:], tied[1:]) if t)}"
                                  if tied[1:].any() else "")
        below = [shown[n] for n, t in zip(names, tied) if not t]
        if below:
            lines.append(f"{where}: best {best}; separated from the best beyond the margin ({bound}): "
                         f"{', '.join(below)}.")
        else:  # every model tied with the best, though some separate from each other
            behind: dict[str, list[str]] = {}
            for a, b in pairs:
                behind.setdefault(b, []).append(a)
            lines.append(f"{where}: best {best}: no model separates from the best beyond the margin ({bound}), "
                         f"though some separate from each other: "
                         + "; ".join(f"{', '.join(ahead)} ahead of {b}" for b, ahead in behind.items()) + ".")
    return lines


def overview_table(view: Overview) -> pd.DataFrame:
    """The overview as a display table: value [interval] (rank) per cell, and a mean-rank row."""
    table = pd.DataFrame(index=view.values.index, columns=view.values.columns, dtype=object)
    for task in view.values.index:
        for model in view.values.columns:
            rank = view.ranks.loc[task, model]
            text = cell(view.values.loc[task, model], view.lows.loc[task, model], view.highs.loc[task, model])
            table.loc[task, model] = text if text == "n/a" or rank != rank else f"{text} (#{rank:.0f})"
    if view.ranks.notna().any().any():  # a board that ranks nothing has no mean rank either
        table.loc[mean_rank_label(view)] = [mean_rank_text(view, m) for m in view.values.columns]
    table.index.name = "task \\ model"
    return table.reset_index()


def mean_rank_label(view: Overview) -> str:
    """The mean-rank row's label: over how many tasks (those every model ran)."""
    tasks = f"{len(view.shared)} task{'' if len(view.shared) == 1 else 's'}"
    return f"mean rank over the {tasks} every model ran (lower is better) [95 % interval]"


def mean_rank_text(view: Overview, model: str) -> str:
    """``2.00 [1.62, 2.54]``: a model's mean rank with its bootstrap interval over tasks and seeds."""
    text = _fmt(view.mean_rank.get(model), 2)
    if view.rank_low is None or text == "n/a":
        return text
    return f"{text} [{view.rank_low[model]:.2f}, {view.rank_high[model]:.2f}]"


def orderings_text(view: Overview) -> str:
    """One sentence: which mean-rank orderings hold beyond doubt (97.5 % of resamples of tasks and seeds)."""
    pairs = view.beyond_doubt()
    if view.ahead is None:
        return ""
    if not pairs:
        return "No ordering of mean ranks holds in 97.5 % of resamples of tasks and seeds."
    return ("Mean-rank orderings that hold in at least 97.5 % of resamples of tasks and seeds: "
            + "; ".join(f"{a} ahead of {b}" for a, b in pairs) + ".")


def length_series(records: list[RunRecord], task_label: str,
                  frame: pd.DataFrame) -> tuple[dict[str, dict[int, float]], dict[str, dict[int, tuple[float, float]]]]:
    """Per model, the primary metric per input length (test and test_ood lengths joined): the mean
    over its ok runs, and the interval over seeds and examples at each length, kept inside the
    values the metric can take (three seeds of a short length can give an accuracy interval
    of [-0.8, 2.1]; it is shown as [0, 1])."""
    points: dict[str, dict[int, list[tuple]]] = {}
    metrics: dict[str, tuple[str, str | None]] = {}
    for r, model in runs_of(records, frame, task_label, ok_only=True):
        for split in ("test", "test_ood"):
            section = r.by_length.get(split, {})
            if section.get("metric"):
                metrics.setdefault(model, (section["metric"], r.primary_metric))
            bands = section.get("intervals", {})
            for length, value in section.get("values", {}).items():
                if value is not None:
                    low, high = bands.get(length) or bands.get(str(length)) or (None, None)
                    points.setdefault(model, {}).setdefault(int(length), []).append((value, low, high))
    curves: dict[str, dict[int, float]] = {}
    intervals: dict[str, dict[int, tuple[float, float]]] = {}
    for model, by_length in points.items():
        for length, triples in by_length.items():
            values, lows, highs = zip(*triples)
            mean, low, high = seed_interval(values, lows, highs)
            if model in metrics:
                mean, low, high = clip_to_range(*metrics[model], (mean, low, high))
            curves.setdefault(model, {})[length] = mean
            intervals.setdefault(model, {})[length] = (low, high)
    return curves, intervals
