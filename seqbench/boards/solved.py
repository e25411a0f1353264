"""What a task's scores mean beyond their ranks: which models *solve* it, and whether any model
does better than ignoring the input.

**Solved.** The Chomsky-hierarchy paper calls a task solved by an architecture when its accuracy
averaged over the test lengths reaches 90 %, and it reports the maximum over seeds. A board given
a threshold (``seqbench leaderboard --solved 0.9``) marks both readings for its score: the best
seed at or above the threshold (the paper's), and the mean over seeds at or above it (every seed,
in expectation).

**Beyond the input-ignoring baselines.** A model that collapses to the most frequent answer can
rank first on a task no model learns. Every record carries baselines scored on the same examples;
those that never read the input's symbols (:data:`INPUT_IGNORING`: chance, the majority class or tag, the
population majority, the most likely symbol at each output position) give the floor a model must
clear. A model clears it when it is :func:`~seqbench.boards.aggregate.better` than the best such
baseline on the score's split and the task's primary metric: beyond the metric's equivalence margin
and beyond its own interval. A task where no model does is flagged.

>>> scores = [0.95, 0.94, 0.80, 0.52, 0.50, 0.51]  # seeds 0-2 of model a, then of model b
>>> frame = pd.DataFrame({"task_label": ["t"] * 6, "model_label": ["a"] * 3 + ["b"] * 3,
...     "status": ["ok"] * 6, "primary_metric": ["accuracy"] * 6, "higher_is_better": [True] * 6,
...     "test_ood/accuracy": scores, "test_ood/length_mean": scores})
>>> solved_by(frame, "t", "test_ood/length_mean", 0.9)  # a's best seed reaches 0.9, its mean (0.897) not
(['a'], [])
>>> clears(frame, "t", "test_ood", {"majority": 0.5}, margin=0.005)
['a']
"""

from __future__ import annotations

import pandas as pd

from seqbench.boards.aggregate import better
from seqbench.boards.tables import _fmt, estimate, runs_of, score_column
from seqbench.core.record import RunRecord
from seqbench.core.spec import metric_margin

#: Baselines that never read the input's content: generic ones (:mod:`seqbench.core.baselines`:
#: ``chance`` and the memoryless predictors fitted on training data) and the population values the
#: Chomsky family computes in closed form (``majority_exact``, ``memoryless_exact``, and
#: ``position_prior_exact``, which knows the string's length and the output position, not its symbols).
INPUT_IGNORING = frozenset({"chance", "majority", "unigram", "position_frequency", "mean",
                            "majority_exact", "memoryless_exact", "position_prior_exact"})


def _cell_runs(frame: pd.DataFrame, task_label: str) -> dict[str, pd.DataFrame]:
    runs = frame[(frame["task_label"] == task_label) & (frame["status"] == "ok")]
    return {model: group for model, group in runs.groupby("model_label", sort=True)}


def _higher(frame: pd.DataFrame, task_label: str) -> bool:
    values = frame.loc[frame["task_label"] == task_label, "higher_is_better"].dropna()
    return bool(values.iloc[0]) if len(values) else True


def _primary(frame: pd.DataFrame, task_label: str) -> str | None:
    values = frame.loc[frame["task_label"] == task_label, "primary_metric"].dropna()
    return str(values.iloc[0]) if len(values) else None


def check_threshold(threshold: float, score: str, records: list[RunRecord]) -> None:
    """Refuse, in one line, a threshold outside the range of the score's metric (``--solved 90`` for an
    accuracy, which no model can reach): the metric's floor and ceiling from the registry.

    >>> check_threshold(90, "test_ood/length_mean", [RunRecord(task="t", model="m", seed=0, primary_metric="accuracy")])
    Traceback (most recent call last):
    ...
    seqbench.core.errors.ConfigError: --solved=90: test_ood/length_mean of accuracy lies in [0, 1]; a share is written 0.9, not 90
    """
    from seqbench.core.errors import ConfigError
    from seqbench.core.spec import metric_spec

    for primary in sorted({r.primary_metric for r in records if r.primary_metric}):
        metric = score.partition("/")[2]
        spec = metric_spec(primary if metric in ("", "primary") else metric, primary)
        low = spec.floor if spec is not None and spec.floor is not None else (0.0 if spec and spec.ceiling == 1 else None)
        high = spec.ceiling if spec is not None else None
        if (low is not None and threshold < low) or (high is not None and threshold > high):
            shown = f"[{low:g}, {high:g}]" if low is not None and high is not None else \
                (f">= {low:g}" if low is not None else f"<= {high:g}")
            hint = "; a share is written 0.9, not 90" if high == 1 and threshold > 1 else ""
            raise ConfigError(f"--solved={threshold:g}: {score} of {primary} lies in {shown}{hint}")


def reaches(value: float, threshold: float, higher_is_better: bool) -> bool:
    """Whether ``value`` is at ``threshold`` or beyond it in the metric's better direction.

    >>> reaches(0.9, 0.9, True), reaches(0.2, 0.1, False)
    (True, False)
    """
    return value >= threshold if higher_is_better else value <= threshold


def solved_by(frame: pd.DataFrame, task_label: str, score: str, threshold: float) -> tuple[list[str], list[str]]:
    """(models whose best seed reaches ``threshold`` on ``score``, models whose mean over seeds does),
    each sorted by name; a lower-is-better metric must stay at or below it."""
    primary, higher = _primary(frame, task_label), _higher(frame, task_label)
    if primary is None:
        return [], []
    column = score_column(score, primary)
    best, mean = [], []
    for model, runs in _cell_runs(frame, task_label).items():
        values = runs[column].dropna().astype(float) if column in runs else pd.Series(dtype=float)
        if not len(values):
            continue
        if reaches(values.max() if higher else values.min(), threshold, higher):
            best.append(model)
        if reaches(values.mean(), threshold, higher):
            mean.append(model)
    return best, mean


def input_ignoring(records: list[RunRecord], split: str, metric: str) -> dict[str, float]:
    """Name -> value of every input-ignoring baseline the records give on ``split`` and ``metric``
    (every run of a task is scored on the same examples, so the first record that has one gives it)."""
    out: dict[str, float] = {}
    for record in records:
        for name, scores in (record.baselines or {}).get(split, {}).items():
            if name in INPUT_IGNORING and scores.get(metric) is not None:
                out.setdefault(name, float(scores[metric]))
    return out


def clears(frame: pd.DataFrame, task_label: str, split: str, baselines: dict[str, float],
           margin: float | tuple[float, bool] | None = None) -> list[str]:
    """The models :func:`~seqbench.boards.aggregate.better` than the best of ``baselines`` on
    ``split`` and the task's primary metric (mean over seeds with its interval against the
    baseline's value on the same examples), sorted by name."""
    primary, higher = _primary(frame, task_label), _higher(frame, task_label)
    if primary is None or not baselines:
        return []
    floor = max(baselines.values()) if higher else min(baselines.values())
    margin = metric_margin(primary, primary) if margin is None else margin
    column = f"{split}/{primary}"
    return [model for model, runs in _cell_runs(frame, task_label).items()
            if better(estimate(runs, column), (floor, floor, floor), higher, margin)]


def limited_runs(frame: pd.DataFrame, task_label: str) -> str:
    """``model k/n`` for every model with a run stopped at the cap while still improving (its score
    might still rise), or ``none``."""
    out = []
    for model, runs in _cell_runs(frame, task_label).items():
        limited = int(runs["budget_limited"].fillna(False).astype(bool).sum()) if "budget_limited" in runs else 0
        if limited:
            out.append(f"{model} {limited}/{len(runs)}")
    return ", ".join(out) or "none"


def solved_table(frame: pd.DataFrame, records: list[RunRecord], labels: list[str], score: str,
                 threshold: float, levels: dict[str, str] | None = None) -> pd.DataFrame:
    """One row per task: its level, the models that solve it (best seed; mean over seeds), the best
    input-ignoring baseline on the score's split, the models beyond it, a flag where none is, and
    the models with budget-limited runs (:func:`limited_runs`)."""
    split = score.partition("/")[0]
    rows = []
    for task_label in labels:
        primary = _primary(frame, task_label)
        if primary is None:
            continue
        best, mean = solved_by(frame, task_label, score, threshold)
        higher = _higher(frame, task_label)
        chosen = [record for record, _ in runs_of(records, frame, task_label)]
        floors = input_ignoring(chosen, split, primary)
        beyond = clears(frame, task_label, split, floors)
        name = (max if higher else min)(floors, key=floors.get) if floors else None
        at = "≥" if higher else "≤"
        rows.append({
            "task": task_label, "level": (levels or {}).get(task_label, ""),
            f"solved, best seed {at} {threshold:g}": ", ".join(best) or "none",
            f"solved, mean {at} {threshold:g}": ", ".join(mean) or "none",
            f"best input-ignoring baseline ({split} {primary})": f"{name} {_fmt(floors[name])}" if name else "n/a",
            "models beyond it": ", ".join(beyond) if name else "n/a",
            "flag": "no model beyond the input-ignoring baselines" if name and not beyond else "",
            "budget-limited runs": limited_runs(frame, task_label),
        })
    return pd.DataFrame(rows)


SOLVED_NOTE = ("A model solves a task when its score reaches the threshold: its best seed (the maximum "
               "over seeds, as the Chomsky-hierarchy paper reports) or its mean over seeds. A model is beyond "
               "the input-ignoring baselines (those that never read the input's symbols: chance, the majority "
               "answer, the most likely symbol at each position, fitted or exact) when its mean on the primary metric exceeds the best of them by "
               "more than the metric's margin and by more than its own interval; a flagged task ranks "
               "models that do no better than ignoring their input.")
