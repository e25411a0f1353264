"""Claims as code: each sentence a README makes about a board, as a check over its result files.

A board's ``claims.yaml`` lists claims; each has an ``id``, the sentence it checks (``says``),
a ``kind`` (:data:`KINDS`) and the kind's keys. A claim selects runs by ``task``, ``model``
(the label: ``bilstm``; a list, or ``"*"`` for every model of the task) and ``where`` (task
knobs), reads a ``score`` ``SPLIT/METRIC`` (``test/primary`` by default; ``primary`` is the
task's primary metric) and aggregates the ``ok`` seeds with :func:`seqbench.boards.aggregate.seed_interval`
(the runs' own intervals inside). ``of`` says which number is judged: ``interval`` (the
conservative bound), ``mean``, ``low``, ``high``, ``best_seed``, ``every_seed`` or ``some_seed``;
``seeds: N`` fails a cell with fewer ok seeds; ``length: L`` (the kinds that compare scores) reads
each run's score at the one length ``L`` of the split, with its interval over that length's examples
(``by_length``: "0.96 at 41 symbols, chance at 500"); ``length: [L1, L2]`` or ``length: {from: A, to: B}``
(each task's split's lengths from ``A`` to ``B`` that its runs were scored at) holds the claim at each
of those lengths, judged in increasing order ("at least 0.97 up to 13 symbols" is one claim, not one
per length). The kinds, one function each: ``better``, ``tied``,
``not_better`` (intervals compared), ``at_least`` / ``at_most`` (a value or a baseline on the same
examples), ``near_baseline``, ``reaches_floor``, ``equals`` (a quoted number or record field),
``baseline_equals`` (a quoted baseline),
``grows_with`` (a field against a knob), ``inverse_length`` (an excess that falls as 1 / length),
``identical`` (a field equal across runs), ``ranks`` (mean ranks), ``count`` (runs), ``bounded``
and ``share`` (a record field over runs), ``selection`` (learning rates chosen on val),
``separates`` (a task's headroom), ``faster`` (learning curves) and ``gradient`` (``seqbench
gradflow`` probes). ``from: FOLDER`` limits a claim to the records below ``DIR/FOLDER`` (a board
may hold several grids); ``from`` beside ``claims`` at the top of the file is every claim's default.
Claims see each cell's runs at its learning rate selected on val (:mod:`seqbench.boards.selection`), as the
tables do; ``runs: all`` reads every rate tried (``count``, ``share`` over the whole grid), ``runs: probes``
the ``seqbench gradflow`` probes (their count, commit or sizes). A file::

    claims:
      - id: bilstm-best-pos_tagging
        says: "the bidirectional LSTM is best on `pos_tagging`"
        kind: better
        task: pos_tagging
        model: bilstm
        than: "*"          # every other model of the task

>>> from seqbench.core.record import RunRecord
>>> runs = [RunRecord(task="parity", model=m, seed=s, status="ok", primary_metric="accuracy",
...                   higher_is_better=True, metrics={"test": {"accuracy": a + s / 100}},
...                   intervals={"test": {"accuracy": [a + s / 100 - 0.01, a + s / 100 + 0.01]}},
...                   baselines={"test": {"chance": {"accuracy": 0.5}}})
...         for m, a in [("lstm", 0.97), ("transformer", 0.5)] for s in range(3)]
>>> board = Board(runs)
>>> [o.passed for o in evaluate(board, [
...     {"id": "a", "kind": "better", "task": "parity", "model": "lstm", "than": "transformer"},
...     {"id": "b", "kind": "near_baseline", "task": "parity", "model": "transformer", "baseline": "chance"},
...     {"id": "c", "kind": "at_least", "task": "parity", "model": "transformer", "value": 0.9}])]
[True, True, False]
>>> evaluate(board, [{"id": "d", "kind": "better", "task": "parity", "model": "lstn", "than": "transformer"}])
Traceback (most recent call last):
...
seqbench.core.errors.SeqbenchError: claim 'd': model 'lstn': not on task parity (lstm, transformer); did you mean 'lstm'?
"""

from __future__ import annotations

import math
import reprlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from seqbench.boards.aggregate import better as better_cell
from seqbench.boards.lookup import Board, Est, apart, as_list, field_value, length_curve, problem
from seqbench.core.errors import SeqbenchError
from seqbench.core.record import RunRecord, load_results
OF = ("interval", "mean", "low", "high", "best_seed", "every_seed", "some_seed")
COMMON = {"id", "says", "kind", "task", "model", "where", "score", "of", "seeds", "from", "runs"}
MAX_BYTES = 1 << 20  #: the largest claims file read: claims files are untrusted input
MAX_CLAIMS = 2000  #: the most claims one file may hold


@dataclass
class Outcome:
    """One claim judged: PASS or FAIL, with the numbers that decided it."""

    id: str
    says: str
    kind: str
    passed: bool
    numbers: list[str] = field(default_factory=list)


def _scored(claim: dict) -> str:
    """The score a claim reads, as its criterion line shows it: ``test_ood/primary at length 41``."""
    return str(claim.get("score", "test/primary")) + (f" at length {claim['length']}" if "length" in claim else "")


def _cells(board: Board, claim: dict, scored: bool = True) -> list[tuple[str, str]]:
    return [(task, model) for task in board.tasks(claim) for model in board.models(claim, task, scored=scored)]


def _judge(board: Board, claim: dict, criterion: str, cell: Callable[[str, str], tuple[bool, str]],
           per_task: bool = False):
    """Apply ``cell(task, model) -> (ok, numbers)`` to every selected cell (``per_task``: once per
    task); the claim passes when all do, and there is at least one. Lines of failing cells start with ``✗``."""
    lines, passed = [criterion], True
    cells = [(t, "*") for t in board.tasks(claim)] if per_task else _cells(board, claim)
    for task, model in cells:
        ok, text = cell(task, model)
        passed &= bool(ok)
        lines.append(("" if ok else "✗ ") + text)
    if not cells:  # a claim about nothing proves nothing
        return False, [*lines, "✗ no run of the board matches the claim (its task, model, from and runs)"]
    return passed, lines


def _enough(claim: dict, *ests: Est) -> bool:
    return all(e.n >= int(claim.get("seeds", 1)) and e.n for e in ests)


def _compare(board: Board, claim: dict, word: str, test: Callable[[Est, Est], bool]):
    """better / tied / not_better: every model against every ``than`` model on each task."""
    def cell(task, model):
        a = board.estimate(claim, task, model)
        pairs = [(b, _enough(claim, a, b) and test(a, b))
                 for b in (board.estimate(claim, task, other) for other in board.models(claim, task, "than") if other != model)]
        return all(ok for _, ok in pairs), f"{task}: {a} vs " + "; ".join(str(b) for b, _ in pairs)
    return _judge(board, claim, f"{_scored(claim)}: {word}", cell)


def _beats(a: Est, b: Est) -> bool:
    """``a`` better than ``b`` beyond doubt and beyond the metric's margin (:func:`seqbench.boards.aggregate.better`)."""
    return better_cell((a.mean, a.low, a.high), (b.mean, b.low, b.high), a.higher, a.margin)


def better(board, claim):
    """The model's whole interval is better than each ``than`` model's (beyond overlap)."""
    return _compare(board, claim, "interval better than", _beats)


def tied(board, claim):
    """Neither is better than the other beyond doubt and beyond the metric's margin."""
    return _compare(board, claim, "tied (neither better by the margin and beyond doubt)",
                    lambda a, b: not _beats(a, b) and not _beats(b, a))


def not_better(board, claim):
    """The model is not better beyond doubt than each ``than`` model (tied or worse)."""
    return _compare(board, claim, "not better beyond doubt than", lambda a, b: not _beats(a, b))


def _holds(values: list[float], test: Callable[[float], bool], of: str) -> bool:
    return (any if of == "some_seed" else all)(test(v) for v in values) if values else False


def _threshold(board, claim, above: bool):
    of, sign = claim.get("of", "interval"), ">=" if above else "<="
    label = claim.get("baseline", claim.get("value"))

    def cell(task, model):
        est = board.estimate(claim, task, model)
        value, low, high, shown = board.baseline(claim, task)
        if of == "interval":  # the conservative bounds: the whole interval beyond the baseline's
            ok = est.low >= high if above else est.high <= low
        else:
            ok = _holds(est.pick(of), lambda v: v >= value if above else v <= value, of)
        return ok and _enough(claim, est), f"{task}: {est}" + (f" vs {shown}" if "baseline" in claim else "")
    return _judge(board, claim, f"{_scored(claim)} {of} {sign} {label}", cell)


def at_least(board, claim):
    """``of`` (default: the whole interval) is at or above ``value`` or the ``baseline`` on the same examples."""
    return _threshold(board, claim, True)


def at_most(board, claim):
    """``of`` (default: the whole interval) is at or below ``value`` or the ``baseline`` ("below the 1/6 baseline")."""
    return _threshold(board, claim, False)


def near_baseline(board, claim):
    """The interval, widened by ``margin`` (default 0), overlaps the baseline's (or ``value``)."""
    margin = float(claim.get("margin", 0.0))

    def cell(task, model):
        est = board.estimate(claim, task, model)
        _, low, high, shown = board.baseline(claim, task)
        return _enough(claim, est) and est.low - margin <= high and low <= est.high + margin, f"{task}: {est} vs {shown}"
    criterion = f"{_scored(claim)} interval{f' +- {margin:g}' if margin else ''} overlaps " \
                f"{claim.get('baseline', claim.get('value'))}"
    return _judge(board, claim, criterion, cell)


def reaches_floor(board, claim):
    """A language model's excess (``test/excess_<primary>``: its score minus the true source's on the
    same examples, whose expected score is the entropy floor) has an interval that contains 0 or
    lies below ``margin`` (default 0.01)."""
    margin = float(claim.get("margin", 0.01))

    def cell(task, model):
        runs = board.runs(claim, task, ok=False)
        primary = next((r.primary_metric for r in runs if r.primary_metric), "primary")
        est = board.estimate(claim, task, model, claim.get("score", f"test/excess_{primary}"))
        return _enough(claim, est) and (est.low <= 0 <= est.high or est.high <= margin), f"{task}: {est}"
    return _judge(board, claim, f"excess interval contains 0 or lies below {margin:g}", cell)


def equals(board, claim):
    """A quoted number: ``of`` (default ``mean``) rounds to ``value`` at ``digits`` (default 3).
    ``value`` may map models to values; ``field`` reads a record field (``n_params``, ``status``) of
    every run, or of the runs with ``status``."""
    digits, of = int(claim.get("digits", 3)), claim.get("of", "mean")

    def same(got, want):
        numbers = all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in (got, want))
        return round(got, digits) == round(want, digits) if numbers else got == want

    def stated(model: str) -> Any:
        if not isinstance(claim["value"], dict):
            return claim["value"]
        if model not in claim["value"]:
            raise problem(claim, f"value: states no value for model '{model}'", model, sorted(claim["value"]))
        return claim["value"][model]

    if "field" in claim:  # every run of every selected cell, ok or not
        got = [(field_value(r, claim["field"]), stated(r.model_label)) for r in _every_run(board, claim)]
        differ = [str(g) for g, want in got if not same(g, want)]
        return bool(got) and not differ, [f"{claim['field']} == {claim['value']}: {len(got) - len(differ)} of "
                                          f"{len(got)} runs" + (f"; ✗ others: {', '.join(sorted(set(differ)))}" if differ else "")]

    def cell(task, model):
        want = stated(model)
        est = board.estimate(claim, task, model)
        if isinstance(want, list):  # a quoted "mean [low, high]"
            ok = [same(a, float(b)) for a, b in zip((est.mean, est.low, est.high), want)] == [True] * 3
        else:
            ok = _holds(est.pick(of), lambda v: same(v, float(want)), of)
        return _enough(claim, est) and ok, f"{task}: {est} ({want})"
    value = "the stated values" if isinstance(claim["value"], dict) else claim["value"]
    return _judge(board, claim, f"{_scored(claim)} {of} == {value} to {digits} digits", cell)


def baseline_equals(board, claim):
    """A quoted baseline: the ``baseline``'s score on the claim's split (``score``, default
    ``test/primary``; ``baseline_metric`` for another metric) rounds to ``value`` at ``digits``
    (default 3) on each task, or ``[value, low, high]`` with its interval over the examples."""
    digits = int(claim.get("digits", 3))
    want = as_list(claim["value"])

    def cell(task, _):
        value, low, high, shown = board.baseline(claim, task)
        got = [value, low, high][:len(want)]
        return all(round(a, digits) == round(float(b), digits) for a, b in zip(got, want)), f"{task}: {shown}"
    return _judge(board, claim, f"{claim.get('score', 'test/primary')} baseline {claim['baseline']} == {claim['value']} "
                                f"to {digits} digits", cell, per_task=True)


def inverse_length(board, claim):
    """A fixed amount right at every length: for each selected run, the excess of its per-length
    score on the claim's split (``by_length``, the task's primary metric) over the ``baseline`` (or
    ``value``) times the length, ``(score_L - baseline) x L``, lies in [``low``, ``high``] at every
    length ``L`` the split holds, so the excess falls as 1 / length. Where the output is as long as
    the input and the baseline is chance 1/2 (``reverse_string``: ``L`` counts both halves, 2n) it is
    ``k`` for a model that gets ``k`` of each string's n output symbols right and guesses the others
    (accuracy 1/2 + k / 2n: twice the symbols right beyond chance); a model that generalised would
    instead hold its excess as ``L`` grows and leave the band."""
    low, high = float(claim["low"]), float(claim["high"])

    def cell(task, model):
        split, metric = board.column(claim, task)
        base, _, _, shown = board.baseline(claim, task)
        runs = board.runs(claim, task, model, one_setup=True)
        counts = []
        for r in runs:
            curve = length_curve(r, split)
            if curve.get("metric") != metric or not curve.get("values"):
                raise problem(claim, f"{task} {model} seed {r.seed}: no {split} {metric} by length to read "
                                     f"(its by_length holds {curve.get('metric')!r}; score the primary metric)")
            counts.append([(float(v) - base) * int(length) for length, v in curve["values"].items()])
        flat = [c for run in counts for c in run]
        ok = bool(flat) and len(runs) >= int(claim.get("seeds", 1)) and low <= min(flat) and max(flat) <= high
        spans = "; ".join(f"{min(c):.1f} to {max(c):.1f}" for c in counts)
        return ok, f"{task} {model} (vs {shown}), each run over its lengths: {spans}"
    return _judge(board, claim, f"({claim.get('score', 'test/primary')} by length - "
                                f"{claim.get('baseline', claim.get('value'))}) x length in [{low:g}, {high:g}]", cell)


def grows_with(board, claim):
    """A record ``field`` (default ``n_params``) against a task ``knob`` (``height*width`` multiplies
    knobs) over the model's runs: ``form`` ``increasing`` (strictly), ``affine`` (exactly a + b knob,
    b > 0), ``sublinear`` (increasing, each step's slope below the one before) or ``constant``."""
    form, name = claim.get("form", "increasing"), claim.get("field", "n_params")

    def cell(task, model):
        points = {}
        for r in board.runs(claim, task, model):
            knob = 1.0
            for part in str(claim["knob"]).split("*"):
                if part not in r.task_params:
                    raise problem(claim, f"knob '{part}': not a knob of {task}", part, sorted(r.task_params))
                if not _is_number(r.task_params[part]):
                    raise problem(claim, f"knob '{part}': {task} has the value {_short(r.task_params[part])}, not a number")
                knob *= float(r.task_params[part])
            if r.get(name) is not None:
                points[knob] = float(r[name])
        x, y = (np.array(sorted(points)), np.array([points[k] for k in sorted(points)]))
        slopes = np.diff(y) / np.diff(x) if len(x) > 1 else np.array([])
        ok = len(x) > 2 and {
            "increasing": lambda: (slopes > 0).all(),
            "constant": lambda: (y == y[0]).all(),
            "affine": lambda: (slopes > 0).all() and np.allclose(slopes, slopes[0], rtol=1e-9, atol=0),
            "sublinear": lambda: (slopes > 0).all() and (np.diff(slopes) < 0).all(),
        }[form]()
        return ok, f"{task} {model}: " + ", ".join(f"{a:g}: {b:,.0f}" for a, b in zip(x, y))
    return _judge(board, claim, f"{name} against {claim['knob']}: {form}", cell)


def ranks(board, claim):
    """Mean ranks (:func:`seqbench.boards.tables.overview` on ``score``, over the tasks and models
    that have it, as the page's views read it) in the stated ``order``
    (strictly increasing, best first), or ``first`` / ``last`` among every model (a list: models
    sharing that mean rank, every other model strictly behind). ``value`` quotes the mean rank of
    the last model named, or ``[mean, low, high]`` with its 95 % interval over resamples of tasks
    and seeds (as the overview prints it).

    ``beyond_doubt`` (with ``order``) asks the resampling as well: ``true``, each model of the
    order is ahead of the next in at least 97.5 % of resamples of tasks and seeds (the orderings
    the board's overview names); ``false``, each is ahead of the next on the observed mean ranks
    and in fewer than 97.5 % of resamples: an order the board cannot tell apart from chance."""
    from seqbench.boards.tables import BEYOND_DOUBT, mean_rank_text, overview, results_frame, scored_frame

    tasks, score = board.tasks(claim), claim.get("score", "test/primary")
    view = overview(scored_frame(results_frame([r for r in board.records if r.task in tasks]), score), score)
    rank = view.mean_rank.dropna().to_dict()
    order = as_list(claim.get("order") or claim.get("first") or claim.get("last"))
    for name in order:
        if name not in rank:
            raise problem(claim, f"model '{name}': not ranked on this board", name, sorted(rank))
    if "order" in claim:
        ok = all(rank[a] < rank[b] for a, b in zip(order, order[1:]))
        if "beyond_doubt" in claim:  # each pair's share of resamples in which it holds
            shares = [float(view.ahead.loc[a, b]) for a, b in zip(order, order[1:])] if view.ahead is not None else []
            ok = ok and bool(shares) and all((share >= BEYOND_DOUBT) == claim["beyond_doubt"] for share in shares)
    else:  # first / last: one model, or several sharing that rank
        others = [v for m, v in rank.items() if m not in order]
        ok = len({rank[m] for m in order}) == 1 and all(
            rank[order[0]] < v if "first" in claim else rank[order[0]] > v for v in others)
    if "value" in claim:  # the named model's mean rank as quoted: a number, or [mean, low, high] with its interval
        model, digits = order[-1], int(claim.get("digits", 2))
        quoted = as_list(claim["value"])
        got = [rank[model]] + ([view.rank_low[model], view.rank_high[model]] if len(quoted) == 3 and view.rank_low is not None else [])
        ok = ok and len(got) == len(quoted) and all(round(float(a), digits) == round(float(b), digits) for a, b in zip(got, quoted))
    if "shared" in claim:  # over how many tasks every model ran
        ok = ok and len(view.shared) == int(claim["shared"])
    which = "order " + " < ".join(order) if "order" in claim else f"{'first' if 'first' in claim else 'last'}: {' = '.join(order)}"
    which += (f", mean rank {claim['value']}" if "value" in claim else "") + (f", {claim['shared']} shared" if "shared" in claim else "")
    if "beyond_doubt" in claim:
        which += (", each pair in at least" if claim["beyond_doubt"] else ", each pair in fewer than") + \
            f" {BEYOND_DOUBT * 100:g} % of resamples (" + \
            ", ".join(f"{share:.3f}" for share in shares) + ")"
    shown = ", ".join(f"{m} {mean_rank_text(view, m)}" for m, _ in sorted(rank.items(), key=lambda kv: kv[1]))
    if "value" in claim and len(as_list(claim["value"])) == 3 and view.rank_low is None:
        shown += "; ✗ no rank interval on this board (one model, or no task every model ran)"
    return bool(ok), [f"mean rank ({claim.get('score', 'test/primary')}, {len(view.shared)} shared tasks) {which}", shown]


def _field_matches(claim: dict, record: RunRecord) -> bool:
    if "field" not in claim:
        return True
    value = field_value(record, claim["field"])
    if "low" in claim:  # a number from low to high, both included
        return _is_number(value) and claim["low"] <= value <= claim["high"]
    return value == claim["value"]


def count(board, claim):
    """How many runs (with ``status``, any by default; with ``field`` equal to ``value``, or a
    number from ``low`` to ``high``: "three of its 10 seeds from 0.772 to 0.807"), ``per`` ``cell``
    (each task x model) or in all: ``equals`` or ``at_least`` a number."""
    per, status = claim.get("per", "all"), claim.get("status")
    want = claim.get("equals", claim.get("at_least"))
    test = (lambda n: n == want) if "equals" in claim else (lambda n: n >= want)
    groups: dict[str, int] = {} if per == "cell" else {"all": 0}  # no run at all counts 0 (a cell-wise count needs a cell)
    for task, model in _cells(board, claim, scored=False):
        key = f"{task} {model}" if per == "cell" else "all"
        groups[key] = groups.get(key, 0) + sum(status in (None, r.status) and _field_matches(claim, r)
                                               for r in board.runs(claim, task, model, ok=False))
    bad = {k: n for k, n in groups.items() if not test(n)} or ({} if groups else {"no cell": 0})
    shown = [f"✗ {k}: {n}" for k, n in bad.items()] or (
        [f"{len(groups)} cells: " + ", ".join(sorted({str(n) for n in groups.values()}))] if per == "cell"
        else [f"{sum(groups.values())} runs"])
    sign = "==" if "equals" in claim else ">="
    which = "" if "field" not in claim else (f" with {claim['field']} from {claim['low']} to {claim['high']}" if "low" in claim
                                              else f" with {claim['field']} == {claim['value']}")
    return not bad, [f"runs{' ' + status if status else ''}{which}{' per cell' if per == 'cell' else ''} {sign} {want}", *shown]


def identical(board, claim):
    """A record ``field`` has one value across every selected run of each task (seeds and models):
    ``dataset_fingerprint.test`` says every run was scored on the very same examples."""
    def cell(task, _):
        values = {str(field_value(r, claim["field"])) for m in board.models(claim, task, scored=False)
                  for r in board.runs(claim, task, m, ok=False) if claim.get("status") in (None, r.status)}
        return len(values) == 1 and "None" not in values, f"{task}: {len(values)} value(s) {', '.join(sorted(values))[:80]}"
    return _judge(board, claim, f"{claim['field']} identical across runs", cell,
                  per_task=True)


def _every_run(board, claim) -> list[RunRecord]:
    return [r for t, m in _cells(board, claim, scored=False) for r in board.runs(claim, t, m, ok=False)
            if claim.get("status") in (None, r.status)]


def bounded(board, claim):
    """Every selected run's record ``field`` lies in [``low``, ``high``] (``n_params`` near a budget)."""
    values = [field_value(r, claim["field"]) for r in _every_run(board, claim)]
    bad = [v for v in values if not isinstance(v, (int, float)) or not claim["low"] <= v <= claim["high"]]
    shown = f"{len(values) - len(bad)} of {len(values)} runs" + (
        f", range {min(values):,} to {max(values):,}" if values and not bad else f"; ✗ others: {sorted(set(map(str, bad)))[:5]}")
    return bool(values) and not bad, [f"{claim['field']} in [{claim['low']:,}, {claim['high']:,}]", shown]


def share(board, claim):
    """At least the fraction ``at_least`` of the selected runs (``status``: any) have ``field`` equal
    to ``value`` (``converged`` true on 90 % of runs)."""
    values = [field_value(r, claim["field"]) for r in _every_run(board, claim)]
    hits = sum(v == claim["value"] for v in values)
    fraction = hits / len(values) if values else 0.0
    return bool(values) and fraction >= float(claim["at_least"]), [
        f"{claim['field']} == {claim['value']} on at least {claim['at_least']:.0%} of runs",
        f"{hits} of {len(values)} runs ({fraction:.1%})"]


def selection(board, claim):
    """Every selected cell's learning rate was chosen on val from exactly the ``rates`` (the
    choices :mod:`seqbench.boards.selection` re-derives from the records); ``chosen`` (rate -> number of
    cells), when given, is how often each rate won."""
    cells = _cells(board, claim)
    chosen = {(c.task, c.model): c for c in board.choices}
    want = sorted(float(v) for v in as_list(claim["rates"]))
    missing = [f"{t} {m}" for t, m in cells if (t, m) not in chosen or sorted(chosen[(t, m)].scores) != want]
    counts = Counter(float(chosen[cell].chosen) for cell in cells if cell in chosen)
    shown = ", ".join(f"{rate:g} in {counts[rate]}" for rate in sorted(counts))
    stated = None if claim.get("chosen") is None else {float(k): v for k, v in claim["chosen"].items()}  # checked
    agree = stated is None or all(counts.get(rate, 0) == n for rate, n in stated.items()) and \
        set(counts) <= set(stated)
    lines = [f"each of {len(cells)} cells chose on val among {want}",
             f"chosen: {shown}" if not missing else f"✗ no such choice: {missing[:5]}"]
    if not agree:
        lines.append(f"✗ stated {stated}")
    return bool(cells) and not missing and agree, lines


def separates(board, claim):
    """The task has headroom under this budget: on ``test`` or ``test_ood`` the best model is better
    than the worst beyond the metric's margin and beyond doubt (:func:`~seqbench.boards.lookup.apart`;
    not every model tied, at the ceiling or anywhere), and
    on one of them the best model is better than the ``baseline`` in the same sense (not every model at the
    baseline). ``baseline`` names one baseline, or maps tasks to one (default ``chance``)."""
    def cell(task, _):
        named = claim.get("baseline", "chance")
        name = named.get(task, "chance") if isinstance(named, dict) else named
        spread, above, lines = False, False, []
        for split in ("test", "test_ood"):
            scored = {**claim, "score": f"{split}/primary", "baseline": name}
            if not any(r.metrics.get(split) for r in board.runs(claim, task)):
                continue
            ests = [e for e in (board.estimate(scored, task, m) for m in board.models(claim, task)) if e.n]
            if len(ests) < 2:
                continue
            key = (lambda e: e.mean) if ests[0].higher else (lambda e: -e.mean)
            best, worst = max(ests, key=key), min(ests, key=key)
            value, low, high, shown = board.baseline(scored, task)
            spread |= apart((best.mean, best.low, best.high), (worst.mean, worst.low, worst.high), best.higher,
                            best.margin)
            above |= apart((best.mean, best.low, best.high), (value, low, high), best.higher, best.margin)
            lines.append(f"{split}: best {best}; worst {worst}; {shown}")
        return spread and above, f"{task}: " + " | ".join(lines)
    return _judge(board, claim, "best beyond worst, and best beyond the baseline, on test or test_ood", cell,
                  per_task=True)


def faster(board, claim):
    """The model learns faster than each ``than`` model: the area under its validation curve (the
    mean of val's primary metric over the evaluations) is better for every seed than for every
    seed of the other (beyond doubt over seeds). Every run must have been evaluated at the same
    steps (a fixed budget, not early stopping), or the claim fails saying so."""
    def area(run: RunRecord) -> float | None:
        values = [row.get(f"val_{run.primary_metric}") for row in run.history]
        return float(np.mean(values)) if values and None not in values else None

    def cell(task, model):
        higher = next((r.higher_is_better for r in board.runs(claim, task) if r.higher_is_better is not None), True)
        models = [model, *(m for m in board.models(claim, task, "than") if m != model)]
        steps = {tuple(row["step"] for row in r.history) for m in models for r in board.runs(claim, task, m)}
        if len(steps) > 1:  # a run that stopped early averages fewer points: not comparable
            return False, f"{task}: the runs were evaluated at different steps ({len(steps)} schedules)"
        mine = [a for r in board.runs(claim, task, model) if (a := area(r)) is not None]
        lines, ok = [], len(mine) >= int(claim.get("seeds", 1))
        for other in board.models(claim, task, "than"):
            if other == model:
                continue
            theirs = [a for r in board.runs(claim, task, other) if (a := area(r)) is not None]
            ok &= bool(theirs) and (min(mine, default=-math.inf) > max(theirs) if higher
                                   else max(mine, default=math.inf) < min(theirs))
            lines.append(f"{other} " + ", ".join(f"{v:.3f}" for v in theirs))
        return ok, f"{task}: {model} " + ", ".join(f"{v:.3f}" for v in mine) + " vs " + "; ".join(lines)
    return _judge(board, claim, "mean validation score over evaluations (per seed): every seed beyond every seed of",
                  cell)


def gradient(board, claim):
    """``seqbench gradflow`` probes of ``model`` (W_hh scaled by ``scale``, default 1) ``when``
    (``init`` or ``trained``): the per-step factor of ||dLoss/dh_t|| (``profile: state``, the default;
    the classic cells) or of ||dLoss/dx_t|| (``profile: input``, x_t the recurrent core's input; every
    recurrent model) (below 1: the gradient shrinks going back in time) is ``at_most`` /
    ``at_least`` a value, or ``flatter_than`` other models at their default W_hh (|log10 factor|
    smaller, every probe against every probe). The probes' task is whatever the board's probes
    used (``task`` is not read)."""
    when, scale, profile = claim.get("when", "init"), float(claim.get("scale", 1.0)), claim.get("profile", "state")
    key = "per_step_factor" if profile == "state" else "input_per_step_factor"

    def factors(model: str, scale: float) -> list[float]:
        probes = [r for r in board.gradflow if (r.model_label or r.model) == model
                  and float((r.gradflow or {}).get("recurrent_scale", 1.0)) == scale]
        if not probes:
            known = sorted({f"{r.model_label or r.model} x {(r.gradflow or {}).get('recurrent_scale', 1.0):g}"
                            for r in board.gradflow})
            raise problem(claim, f"model '{model}' (scale {scale:g}): no gradflow probe on this board", model, known)
        sections = [r.gradflow[when] for r in probes if when in (r.gradflow or {})]
        missing = [s for s in sections if s.get(key) is None]
        if missing:
            raise problem(claim, f"model '{model}': {len(missing)} of its probes have no {key} (profile: {profile}; "
                                 f"a modern family has no dLoss/dh_t, a probe of gradflow schema 1 no dLoss/dx_t)")
        return [float(s[key]) for s in sections]

    def steepness(value: float) -> float:
        return abs(math.log10(value)) if value > 0 else math.inf  # a zero gradient: vanished entirely

    lines, ok = [], True
    for model in as_list(claim["model"]):
        mine = factors(model, scale)
        if "at_most" in claim:
            good, what = bool(mine) and max(mine) <= float(claim["at_most"]), f"<= {claim['at_most']}"
        elif "at_least" in claim:
            good, what = bool(mine) and min(mine) >= float(claim["at_least"]), f">= {claim['at_least']}"
        else:
            theirs = {m: factors(m, 1.0) for m in as_list(claim["flatter_than"])}
            others = [steepness(v) for vs in theirs.values() for v in vs]
            good = bool(mine) and bool(others) and max(steepness(v) for v in mine) < min(others)
            what = "flatter than " + "; ".join(f"{m} " + ", ".join(f"{v:.3g}" for v in vs) for m, vs in theirs.items())
        ok &= good
        lines.append(("" if good else "✗ ") + f"{model} x {scale:g} ({when}): " + ", ".join(f"{v:.3g}" for v in mine)
                     + f" {what}")
    quantity = "||dLoss/dh_t||" if profile == "state" else "||dLoss/dx_t||"
    return ok, [f"per-step factor of {quantity} going back in time", *lines]


#: kind -> (function, its own keys, the keys it requires)
KINDS: dict[str, tuple[Callable, set[str], set[str]]] = {
    "better": (better, {"than", "length"}, {"task", "model", "than"}),
    "tied": (tied, {"than", "length"}, {"task", "model", "than"}),
    "not_better": (not_better, {"than", "length"}, {"task", "model", "than"}),
    "at_least": (at_least, {"value", "baseline", "baseline_metric", "length"}, {"task", "model"}),
    "at_most": (at_most, {"value", "baseline", "baseline_metric", "length"}, {"task", "model"}),
    "near_baseline": (near_baseline, {"value", "baseline", "baseline_metric", "margin", "length"}, {"task", "model"}),
    "reaches_floor": (reaches_floor, {"margin"}, {"task", "model"}),
    "equals": (equals, {"value", "digits", "field", "status", "length"}, {"task", "model", "value"}),
    "baseline_equals": (baseline_equals, {"baseline", "baseline_metric", "value", "digits"}, {"task", "baseline", "value"}),
    "grows_with": (grows_with, {"field", "knob", "form"}, {"task", "model", "knob"}),
    "inverse_length": (inverse_length, {"value", "baseline", "low", "high"}, {"task", "model", "low", "high"}),
    "ranks": (ranks, {"order", "first", "last", "value", "digits", "shared", "beyond_doubt"}, set()),
    "identical": (identical, {"field", "status"}, {"field"}),
    "count": (count, {"status", "per", "equals", "at_least", "field", "value", "low", "high"}, set()),
    "faster": (faster, {"than"}, {"task", "model", "than"}),
    "separates": (separates, {"baseline"}, {"task"}),
    "bounded": (bounded, {"field", "low", "high", "status"}, {"field", "low", "high"}),
    "share": (share, {"field", "value", "at_least", "status"}, {"field", "value", "at_least"}),
    "selection": (selection, {"rates", "chosen"}, {"rates"}),
    "gradient": (gradient, {"when", "scale", "profile", "at_most", "at_least", "flatter_than"}, {"model"}),
}


#: kind -> (keys common to every kind that this kind does not read, why): refused, so none is ignored silently
NOT_READ: dict[str, tuple[tuple[str, ...], str]] = {
    "baseline_equals": (("model", "of", "seeds"), "a baseline belongs to the task, scored on its examples"),
    "inverse_length": (("of",), "it reads every selected run at every length"),
}


def _short(value: Any) -> str:
    """``value`` as an error message quotes it: one line, at most a few dozen characters."""
    return reprlib.repr(value)


def _is_name(value: Any) -> bool:
    """A one-line string of 1 to 200 characters (an id, a task, a model, a field, a score)."""
    return isinstance(value, str) and 0 < len(value) <= 200 and value.isprintable()


def _is_names(value: Any) -> bool:
    return _is_name(value) or isinstance(value, list) and bool(value) and all(map(_is_name, value))


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and not math.isnan(value)


def _is_whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _is_length(value: Any) -> bool:
    return _is_whole(value) and value >= 1


def _is_lengths(value: Any) -> bool:
    """A length, a non-empty list of lengths, or a range ``{from: A, to: B}`` with ``A <= B``."""
    if isinstance(value, dict):
        return set(value) == {"from", "to"} and all(map(_is_length, value.values())) and value["from"] <= value["to"]
    return _is_length(value) or isinstance(value, list) and bool(value) and all(map(_is_length, value))


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, (str, bool)) or _is_number(value)


def _is_quoted(value: Any) -> bool:
    """A quoted number, or a quoted ``[mean, low, high]``."""
    return _is_number(value) or isinstance(value, list) and len(value) == 3 and all(map(_is_number, value))


def _or_per_name(test: Callable[[Any], bool]) -> Callable[[Any], bool]:
    """``test``, or a non-empty mapping of names (models, tasks) to values that pass ``test``."""
    return lambda value: test(value) or isinstance(value, dict) and bool(value) and all(
        _is_name(k) and test(v) for k, v in value.items())


#: each key -> (what it must be, the test); ``value`` and ``baseline`` depend on the kind (:func:`_field_type`)
FIELDS: dict[str, tuple[str, Callable[[Any], bool]]] = {
    **{key: ("a one-line string of 1 to 200 characters", _is_name) for key in (
        "kind", "score", "of", "from", "runs", "baseline_metric", "field", "status", "knob", "form", "per", "when", "profile")},
    **{key: ("a name or a non-empty list of names", _is_names) for key in (
        "task", "model", "than", "flatter_than", "order", "first", "last")},
    **{key: ("a number", _is_number) for key in ("margin", "at_least", "at_most", "scale", "low", "high")},
    **{key: ("a whole number >= 0", _is_whole) for key in ("seeds", "digits", "equals", "shared")},
    "length": ("a whole number >= 1 (a length the split was scored at), a non-empty list of them, or "
               "{from: A, to: B} with 1 <= A <= B (every length of the split from A to B)", _is_lengths),
    "says": ("a string", lambda v: isinstance(v, str)),
    "beyond_doubt": ("true or false", lambda v: isinstance(v, bool)),
    "where": ("a mapping of knob names to values", lambda v: isinstance(v, dict) and all(
        _is_name(k) and (_is_scalar(x) or isinstance(x, list) and all(map(_is_scalar, x))) for k, x in v.items())),
    "rates": ("a number or a non-empty list of numbers",
              lambda v: _is_number(v) or isinstance(v, list) and bool(v) and all(map(_is_number, v))),
    "chosen": ("a mapping of each rate to the number of cells it won", lambda v: isinstance(v, dict)),
}


def _field_type(kind: str, claim: dict, key: str) -> tuple[str, Callable[[Any], bool]]:
    """What ``key`` must be in a claim of ``kind`` (the docstrings of the kinds say why)."""
    if key == "value" and kind == "equals" and "field" in claim:
        return "a value, or a mapping of models to values", _or_per_name(_is_scalar)
    if key == "value" and kind == "baseline_equals":
        return "a number or [value, low, high]", _is_quoted
    if key == "value" and kind == "ranks":
        return "a number or [mean rank, low, high]", _is_quoted
    if key == "value" and kind == "equals":
        return "a number, [mean, low, high], or a mapping of models to those", _or_per_name(_is_quoted)
    if key == "value" and kind in ("share", "count"):
        return "a value (a string, a number, true, false or null)", _is_scalar
    if key == "value":
        return "a number", _is_number
    if key == "baseline" and kind == "separates":
        return "a baseline name, or a mapping of tasks to baseline names", _or_per_name(_is_name)
    if key == "baseline":
        return "a baseline name", _is_name
    return FIELDS[key]


def _check_types(claim: dict, kind: str) -> None:
    """Refuse a field whose value has the wrong type, naming the claim, the field and the type wanted."""
    for key, value in claim.items():
        if key != "id":
            what, test = _field_type(kind, claim, key)
            if not test(value):
                raise problem(claim, f"{key} {_short(value)}: must be {what}")


def _check_choices(claim: dict) -> None:
    """Refuse a field naming none of its choices (with the closest one)."""
    for key, choices, default, what in (
            ("of", OF, "interval", "a statistic"), ("per", ("all", "cell"), "all", "a grouping"),
            ("when", ("init", "trained"), "init", "a probe"),
            ("profile", ("state", "input"), "state", "a gradient profile (state: dLoss/dh_t, input: dLoss/dx_t)"),
            ("form", ("increasing", "affine", "sublinear", "constant"), "increasing", "a form")):
        if claim.get(key, default) not in choices:
            raise problem(claim, f"{key} '{claim[key]}': not {what}", claim[key], list(choices))


def _check_count_field(claim: dict) -> None:
    """A count's ``field`` goes with a ``value`` or a range ``low`` to ``high``, and they with it."""
    ranged = [key for key in ("low", "high") if key in claim]
    if "field" not in claim and ("value" in claim or ranged):
        raise problem(claim, f"key '{'value' if 'value' in claim else ranged[0]}': kind count reads it only with 'field' "
                             f"(the record field it counts)")
    if "field" in claim and "value" not in claim and not ranged:
        raise problem(claim, "field: kind count needs 'value' (runs whose field equals it) or 'low' and 'high' "
                             "(runs whose field lies in the range)")
    if "value" in claim and ranged:
        raise problem(claim, f"key '{ranged[0]}': kind count takes 'value' or 'low' and 'high', not both")
    if len(ranged) == 1:
        raise problem(claim, f"key '{ranged[0]}' without '{({'low', 'high'} - set(ranged)).pop()}': a range needs both")


def check_claim(claim: Any, position: int) -> None:
    """Raise SeqbenchError naming the claim and the closest valid name for a malformed claim:
    every field has its type checked (:data:`FIELDS`) before anything reads it."""
    if not isinstance(claim, dict) or "id" not in claim:
        raise SeqbenchError(f"claim #{position + 1}: must be a mapping with an 'id', 'says' and 'kind'")
    if not _is_name(claim["id"]):
        raise SeqbenchError(f"claim #{position + 1}: id {_short(claim['id'])}: must be {FIELDS['kind'][0]}")
    kind = claim.get("kind")
    if not _is_name(kind) or kind not in KINDS:
        raise problem(claim, f"kind {_short(kind)}: not a claim kind", kind, sorted(KINDS))
    _, own, required = KINDS[kind]
    for key in claim:
        if key not in COMMON | own:
            raise problem(claim, f"key {_short(key)}: not a key of kind {kind}", key, sorted(COMMON | own))
    _check_types(claim, kind)
    _check_choices(claim)
    for key in sorted(required - set(claim)):
        raise problem(claim, f"kind {kind} needs '{key}'")
    if kind in ("at_least", "at_most", "near_baseline", "inverse_length") and ("value" in claim) == ("baseline" in claim):
        raise problem(claim, f"kind {kind} needs exactly one of 'value' and 'baseline'")
    if "length" in claim and "baseline" in claim:
        raise problem(claim, "length: baselines are scored on the whole split, not per length; compare with a 'value'")
    if "length" in claim and "field" in claim:
        raise problem(claim, "length: a record field has no lengths; drop 'length' or 'field'")
    if kind == "gradient" and sum(k in claim for k in ("at_most", "at_least", "flatter_than")) != 1:
        raise problem(claim, "kind gradient needs exactly one of 'at_most', 'at_least' and 'flatter_than'")
    if kind == "count" and ("equals" in claim) == ("at_least" in claim):
        raise problem(claim, "kind count needs exactly one of 'equals' and 'at_least'")
    if kind == "count":
        _check_count_field(claim)
    if kind == "ranks" and sum(k in claim for k in ("order", "first", "last")) != 1:
        raise problem(claim, "kind ranks needs exactly one of 'order', 'first' and 'last'")
    if kind == "ranks" and "order" in claim and len(as_list(claim["order"])) < 2:
        raise problem(claim, f"order {_short(claim['order'])}: must name at least 2 models (best first)")
    unread, why = NOT_READ.get(kind, ((), ""))
    for key in unread:
        if key in claim:
            raise problem(claim, f"key '{key}': not read by kind {kind} ({why})")
    if "low" in claim and "high" in claim and claim["low"] > claim["high"]:  # every kind's range (count, bounded, inverse_length)
        raise problem(claim, f"low {claim['low']} is above high {claim['high']}")
    if kind == "ranks" and "beyond_doubt" in claim and "order" not in claim:
        raise problem(claim, "beyond_doubt: only with 'order' (each model ahead of the next)")
    if kind == "selection" and "chosen" in claim:
        try:
            counts = {float(k): v for k, v in claim["chosen"].items()}
        except (AttributeError, TypeError, ValueError):
            raise problem(claim, f"chosen {_short(claim['chosen'])}: must map each rate to the number of cells it won") from None
        if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in counts.values()):
            raise problem(claim, f"chosen {_short(claim['chosen'])}: each count must be a whole number >= 0")
    if claim.get("runs", "selected") not in ("selected", "all", "probes"):
        raise problem(claim, f"runs '{claim['runs']}': say selected (the runs the tables compare), all "
                             f"(every learning rate tried) or probes (seqbench gradflow's)", claim["runs"],
                      ["all", "probes", "selected"])
    if claim.get("runs") in ("all", "probes") and kind not in ("count", "share", "bounded", "identical", "equals"):
        raise problem(claim, f"runs '{claim['runs']}': only for kinds that read every run (count, share, bounded, "
                             f"identical, equals); {kind} compares cells at their selected rate")


def _lengths(board: Board, claim: dict, task: str) -> list[int]:
    """The lengths, in increasing order, at which a claim with a list or a range of lengths is
    judged on ``task``: the list, or every length of the task's split from ``from`` to ``to`` that
    the selected ok runs of its cells (``than`` models too) were scored at. A range that holds none
    of the lengths the runs have is an error; cells with no ok run yet are judged at ``from`` (they
    fail there as "no ok run", as a single length would)."""
    if isinstance(claim["length"], list):
        return sorted(set(claim["length"]))
    low, high = claim["length"]["from"], claim["length"]["to"]
    split, _ = board.column(claim, task)
    models = set(board.models(claim, task)) | (set(board.models(claim, task, "than")) if "than" in claim else set())
    found = {int(k) for model in models for r in board.runs(claim, task, model)
             for k in length_curve(r, split).get("values", {})}
    chosen = sorted(k for k in found if low <= k <= high)
    if found and not chosen:
        raise problem(claim, f"length {{from: {low}, to: {high}}}: no length of {task}/{split} in that range "
                             f"(its runs hold {', '.join(map(str, sorted(found)))})")
    return chosen or [low]


def _judge_claim(board: Board, claim: dict) -> tuple[bool, list[str]]:
    """Judge one claim; a claim over several lengths passes when it holds at each of them, each
    task of the claim at the lengths of its own split."""
    judge = KINDS[claim["kind"]][0]
    if not isinstance(claim.get("length"), (list, dict)):
        return judge(board, claim)
    passed, lines = True, []
    for task in board.tasks(claim):
        for length in _lengths(board, claim, task):
            ok, numbers = judge(board, {**claim, "task": task, "length": length})
            passed &= bool(ok)
            lines += numbers
    if not lines:  # a claim about nothing proves nothing
        return judge(board, claim)
    return passed, lines


def evaluate(board: Board, claims: list) -> list[Outcome]:
    """Check every claim's form first (one line for the first problem), then judge each."""
    ids = [c.get("id") if isinstance(c, dict) else None for c in claims]
    for position, claim in enumerate(claims):
        check_claim(claim, position)
        if ids.count(claim["id"]) > 1:
            raise problem(claim, "the id is used twice")
    outcomes = []
    for claim in claims:
        passed, numbers = _judge_claim(board.within(claim), claim)
        outcomes.append(Outcome(str(claim["id"]), str(claim.get("says", "")), claim["kind"], bool(passed), numbers))
    return outcomes


def _safe_yaml(text: str) -> Any:
    """``text`` read by yaml's SafeLoader, refusing aliases before they expand: a few hundred
    bytes of nested anchors (``&a [*b, *b, ...]``) stand for gigabytes (a "billion laughs")."""
    import yaml

    class Loader(yaml.SafeLoader):
        def compose_node(self, parent, index):
            if self.check_event(yaml.AliasEvent):
                event = self.peek_event()
                raise SeqbenchError(f"line {event.start_mark.line + 1}: alias *{event.anchor}: a claims file may "
                                    f"not use anchors and aliases (write each value out)")
            return super().compose_node(parent, index)

    return yaml.load(text, Loader=Loader)  # noqa: S506 - a SafeLoader


def _read_text(path: Path) -> str:
    """The file's text, refusing one over :data:`MAX_BYTES` before reading it whole."""
    with path.open("rb") as handle:
        raw = handle.read(MAX_BYTES + 1)
    if len(raw) > MAX_BYTES:
        raise SeqbenchError(f"over the limit of {MAX_BYTES:,} bytes for a claims file ({path.stat().st_size:,} bytes)")
    return raw.decode("utf-8")


def load_claims(path: str | Path) -> list:
    """The ``claims:`` list of a claims file (a one-line error for a missing or malformed file).
    Claims files are untrusted input: at most :data:`MAX_BYTES` bytes and :data:`MAX_CLAIMS`
    claims, no YAML aliases, no nesting too deep to read."""
    import yaml

    path = Path(path)
    if not path.is_file():
        raise SeqbenchError(f"{path}: no such claims file (a board's claims live in DIR/claims.yaml)")
    try:
        data = _safe_yaml(_read_text(path))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise SeqbenchError(f"{path}: not valid YAML: {' '.join(str(exc).split())}") from None
    except RecursionError:
        raise SeqbenchError(f"{path}: not valid YAML: nested too deeply") from None
    except SeqbenchError as exc:
        raise SeqbenchError(f"{path}: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("claims"), list):
        raise SeqbenchError(f"{path}: must be a mapping with a 'claims' list")
    if len(data["claims"]) > MAX_CLAIMS:
        raise SeqbenchError(f"{path}: {len(data['claims']):,} claims, over the limit of {MAX_CLAIMS:,} claims per file")
    unknown = sorted(set(data) - {"claims", "from"}, key=str)
    if unknown:
        raise SeqbenchError(f"{path}: key {_short(unknown[0])}: the file holds 'claims' and optionally 'from' "
                            f"(the folder every claim reads by default)")
    if "from" not in data:
        return data["claims"]
    return [{"from": data["from"], **c} if isinstance(c, dict) else c for c in data["claims"]]


def check_board(folder: str | Path, claims_file: str | Path | None = None,
                as_if_seeds: int | None = None) -> list[Outcome]:
    """Judge ``folder``'s claims (``folder/claims.yaml`` unless given) over every record below it;
    with ``as_if_seeds``, as if every cell had at least that many seeds of the same mean and spread
    (a projection: :func:`seqbench.boards.seed_needs.seed_dependent`)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise SeqbenchError(f"{folder}: no such folder")
    claims = load_claims(claims_file or folder / "claims.yaml")
    try:
        return evaluate(Board(load_results([folder]).records, folder, as_if_seeds), claims)
    except SeqbenchError as exc:
        raise SeqbenchError(f"{claims_file or folder / 'claims.yaml'}: {exc}") from None
