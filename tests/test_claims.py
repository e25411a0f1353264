"""`seqbench claims`: each claim kind passes and fails on synthetic records, the exit status, the
one-line errors, and every committed board's claims.yaml holds."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import ROOT, run_cli
from docs_text import blocks, section
from seqbench.boards.aggregate import seed_interval
from seqbench.boards.claims import Board, evaluate
from seqbench.boards.seed_needs import seed_dependent, split_cells
from seqbench.core.errors import SeqbenchError
from seqbench.core.record import RunRecord, load_results, write_result

BOARDS = sorted(p.parent for p in (ROOT / "leaderboards").glob("*/claims.yaml"))


def record(task, model, seed, value, width=0.02, metric="accuracy", split="test", status="ok", **extra):
    """A run whose ``split/metric`` is ``value`` with the interval value -+ width."""
    higher = metric != "mse" and not metric.startswith("excess_bits")
    fields = dict(task=task, model=extra.pop("base", model), model_label=model, seed=seed, status=status,
                  primary_metric=extra.pop("primary", metric), higher_is_better=higher,
                  config_hash=f"{task}-{model}-{seed}-{json.dumps(extra.get('task_params', {}), sort_keys=True)}")
    if status == "ok":
        fields["metrics"] = {split: {metric: value}}
        fields["intervals"] = {split: {metric: [value - width, value + width]}}
    return RunRecord(**fields, **extra)


def board_dir(tmp_path: Path, records: list[RunRecord], claims: list[dict]) -> Path:
    folder = tmp_path / "board"
    for r in records:
        write_result(folder / "raw" / r.config_hash, r)
    (folder / "claims.yaml").write_text(yaml.safe_dump({"claims": claims}, sort_keys=False))
    return folder


def judge(records, *claims):
    return [o.passed for o in evaluate(Board(records), list(claims))]


PARITY = [record("parity", m, s, v + 0.01 * s) for m, v in [("lstm", 0.95), ("gru", 0.94), ("transformer", 0.55)]
          for s in range(3)]
for r in PARITY:
    r.baselines = {"test": {"chance": {"accuracy": 0.5}}}


def test_better_tied_not_better():
    assert judge(PARITY, {"id": "a", "kind": "better", "task": "parity", "model": ["lstm", "gru"], "than": "transformer"},
                 {"id": "b", "kind": "better", "task": "parity", "model": "lstm", "than": "gru"},
                 {"id": "c", "kind": "tied", "task": "parity", "model": "lstm", "than": "gru"},
                 {"id": "d", "kind": "tied", "task": "parity", "model": "lstm", "than": "transformer"},
                 {"id": "e", "kind": "not_better", "task": "parity", "model": "transformer", "than": "lstm"},
                 {"id": "f", "kind": "not_better", "task": "parity", "model": "lstm", "than": "transformer"}) == \
        [True, False, True, False, True, False]


def test_lower_is_better_metrics_compare_the_other_way():
    runs = [record("adding", m, s, v, metric="mse", width=0.005) for m, v in [("lstm", 0.02), ("rnn_sigmoid", 0.17)]
            for s in range(3)]
    assert judge(runs, {"id": "a", "kind": "better", "task": "adding", "model": "lstm", "than": "rnn_sigmoid"},
                 {"id": "b", "kind": "better", "task": "adding", "model": "rnn_sigmoid", "than": "lstm"}) == [True, False]


def test_at_least_and_at_most_with_values_baselines_and_statistics():
    runs = [record("adding", m, s, v + 0.001 * s, metric="mse", width=0.004) for m, v in [("gru", 0.05), ("rnn_sigmoid", 0.165)]
            for s in range(3)]
    for r in runs:
        r.baselines = {"test": {"constant_1": {"mse": 1 / 6}}}
    below = {"id": "x", "kind": "at_most", "task": "adding", "score": "test/mse", "baseline": "constant_1"}
    assert judge(runs, {**below, "model": "gru"}, {**below, "id": "y", "model": "rnn_sigmoid"}) == [True, False]
    # the mean is below 1/6 but the interval is not: only "of: mean" passes
    assert judge(runs, {**below, "model": "rnn_sigmoid", "of": "mean"}) == [True]
    above = {"id": "z", "kind": "at_least", "task": "parity", "model": "lstm"}
    assert judge(PARITY, {**above, "value": 0.9}, {**above, "id": "z2", "value": 0.96},
                 {**above, "id": "z3", "value": 0.96, "of": "some_seed"},
                 {**above, "id": "z4", "value": 0.96, "of": "every_seed"},
                 {**above, "id": "z5", "value": 0.96, "of": "best_seed"}) == [True, False, True, False, True]


def test_near_baseline_and_margin():
    claim = {"id": "a", "kind": "near_baseline", "task": "parity", "baseline": "chance"}
    assert judge(PARITY, {**claim, "model": "transformer"}, {**claim, "id": "b", "model": "lstm"},
                 {**claim, "id": "c", "model": "transformer", "margin": 0.1}) == [False, False, True]
    assert judge(PARITY, {**claim, "model": "transformer", "margin": 0.01}) == [False]


def test_near_baseline_overlaps_the_baselines_own_interval():
    runs = [record("copy_memory", "lstm", s, 0.180, metric="cross_entropy", width=0.006) for s in range(3)]
    for r in runs:
        r.baselines = {"test": {"memoryless": {"cross_entropy": 0.1733}}}
        r.baseline_intervals = {"test": {"memoryless": {"cross_entropy": [0.170, 0.178]}}}
    claim = {"id": "a", "kind": "near_baseline", "task": "copy_memory", "model": "lstm", "score": "test/cross_entropy"}
    assert judge(runs, {**claim, "baseline": "memoryless"}, {**claim, "id": "b", "value": 0.1733}) == [True, False]


def test_reaches_floor():
    runs = [record("markov_lm", "lstm", s, 0.004, metric="excess_bits_per_char", width=0.003, primary="bits_per_char")
            for s in range(3)]
    runs += [record("markov_lm", "rnn_sigmoid", s, 0.2, metric="excess_bits_per_char", width=0.01, primary="bits_per_char")
             for s in range(3)]
    claim = {"id": "a", "kind": "reaches_floor", "task": "markov_lm"}
    assert judge(runs, {**claim, "model": "lstm"}, {**claim, "id": "b", "model": "rnn_sigmoid"},
                 {**claim, "id": "c", "model": "lstm", "margin": 0.001}) == [True, False, False]


def test_equals_scores_and_fields():
    claim = {"id": "a", "kind": "equals", "task": "parity", "model": "lstm"}
    assert judge(PARITY, {**claim, "value": 0.96}, {**claim, "id": "b", "value": 0.95},
                 {**claim, "id": "c", "value": 0.95, "of": "some_seed"},
                 {**claim, "id": "d", "value": {"lstm": 0.97}, "of": "best_seed"},
                 {**claim, "id": "e", "field": "status", "value": "ok"},
                 {**claim, "id": "f", "field": "seed", "value": 0}) == [True, False, True, True, True, False]


def test_grows_with_forms():
    runs = []
    for side in (8, 16, 32, 64):
        knobs = {"height": side, "width": side}
        runs.append(record("shapes", "mlp", 0, 0.9, task_params=knobs, n_params=100 + 3 * side * side))
        runs.append(record("shapes_rows", "lstm", 0, 0.9, task_params=knobs, n_params=500 + 12 * side))
    grows = {"id": "a", "kind": "grows_with", "model": "*"}
    assert judge(runs, {**grows, "task": "shapes", "knob": "height*width", "form": "affine"},
                 {**grows, "id": "b", "task": "shapes_rows", "knob": "height*width", "form": "affine"},
                 {**grows, "id": "c", "task": "shapes_rows", "knob": "height*width", "form": "sublinear"},
                 {**grows, "id": "d", "task": "shapes", "knob": "height*width", "form": "sublinear"},
                 {**grows, "id": "e", "task": "shapes_rows", "knob": "width", "form": "affine"},
                 {**grows, "id": "f", "task": "shapes_rows", "knob": "width", "form": "constant"},
                 {**grows, "id": "g", "task": "shapes", "knob": "height"}) == [True, False, True, False, True, False, True]
    # where selects one size: a field claim on one run
    assert judge(runs, {"id": "h", "kind": "equals", "task": "shapes", "model": "mlp", "where": {"height": 8},
                        "field": "n_params", "value": 292}) == [True]


def test_identical_fields_across_runs():
    runs = [record("parity", m, s, 0.9, dataset_fingerprint={"test": "abc"}) for m in ("lstm", "gru") for s in range(2)]
    claim = {"id": "a", "kind": "identical", "field": "dataset_fingerprint.test"}
    assert judge(runs, claim) == [True]
    runs[-1].dataset_fingerprint = {"test": "abd"}
    assert judge(runs, claim, {**claim, "id": "b", "model": "lstm"}) == [False, True]


def test_count_runs_whose_field_lies_in_a_range():
    """``count`` with ``field``, ``low`` and ``high``: the runs whose field is a number in the range."""
    claim = {"kind": "count", "task": "parity", "model": "lstm", "field": "metrics.test.accuracy"}
    assert judge(PARITY, {"id": "a", **claim, "low": 0.955, "high": 0.97, "equals": 2},  # 0.96 and 0.97 of 0.95-0.97
                 {"id": "b", **claim, "low": 0.95, "high": 0.95, "equals": 1},
                 {"id": "c", **claim, "low": 0.99, "high": 1.0, "equals": 0},
                 {"id": "d", **claim, "low": 0.9, "high": 1.0, "per": "cell", "at_least": 4}) == [True, True, True, False]
    for keys, message in [({"low": 0.9}, "key 'low' without 'high': a range needs both"),
                          ({"low": 0.9, "high": 1, "value": 1}, "key 'low': kind count takes 'value' or 'low' and 'high', not both"),
                          ({"low": 1.0, "high": 0.9}, "low 1.0 is above high 0.9"),
                          ({}, "field: kind count needs 'value'")]:
        with pytest.raises(SeqbenchError, match=message):
            judge(PARITY, {"id": "x", **claim, **keys, "equals": 1})
    with pytest.raises(SeqbenchError, match="key 'low': kind count reads it only with 'field'"):
        judge(PARITY, {"id": "y", "kind": "count", "task": "parity", "low": 0.1, "high": 0.2, "equals": 1})
    assert "runs with metrics.test.accuracy from 0.955 to 0.97 == 2" in \
        evaluate(Board(PARITY), [{"id": "a", **claim, "low": 0.955, "high": 0.97, "equals": 2}])[0].numbers[0]


def test_ranks_and_count():
    runs = PARITY + [record("sort", m, s, v) for m, v in [("lstm", 0.9), ("gru", 0.7), ("transformer", 0.5)]
                     for s in range(3)]
    assert judge(runs, {"id": "a", "kind": "ranks", "order": ["lstm", "transformer"]},
                 {"id": "b", "kind": "ranks", "last": "transformer"},
                 {"id": "c", "kind": "ranks", "first": "lstm"},  # tied with gru on parity, better on sort
                 {"id": "d", "kind": "ranks", "first": "gru"},
                 {"id": "e", "kind": "count", "status": "ok", "equals": 18},
                 {"id": "f", "kind": "count", "per": "cell", "at_least": 3},
                 {"id": "g", "kind": "count", "per": "cell", "at_least": 4}) == [True, True, True, False, True, True, False]


def test_ranks_beyond_doubt_reads_the_resampled_orderings():
    # lstm and gru tie on parity, lstm leads on sort: a resample drawing parity twice (1 in 4) ties them,
    # so lstm is ahead of gru on the observed means but not beyond doubt; both are always ahead of the transformer
    runs = PARITY + [record("sort", m, s, v) for m, v in [("lstm", 0.9), ("gru", 0.7), ("transformer", 0.5)]
                     for s in range(3)]
    assert judge(runs, {"id": "a", "kind": "ranks", "order": ["lstm", "transformer"], "beyond_doubt": True},
                 {"id": "b", "kind": "ranks", "order": ["gru", "transformer"], "beyond_doubt": True},
                 {"id": "c", "kind": "ranks", "order": ["lstm", "gru"], "beyond_doubt": False},
                 {"id": "d", "kind": "ranks", "order": ["lstm", "gru"], "beyond_doubt": True},
                 {"id": "e", "kind": "ranks", "order": ["lstm", "gru", "transformer"], "beyond_doubt": True},
                 {"id": "f", "kind": "ranks", "order": ["lstm", "transformer"], "beyond_doubt": False},
                 {"id": "g", "kind": "ranks", "order": ["gru", "lstm"], "beyond_doubt": False}) == [
        True, True, True, False, False, False, False]
    with pytest.raises(SeqbenchError, match="beyond_doubt: only with 'order'"):
        judge(runs, {"id": "h", "kind": "ranks", "first": "lstm", "beyond_doubt": True})
    with pytest.raises(SeqbenchError, match=r"order \['lstm'\]: must name at least 2 models"):
        judge(runs, {"id": "i", "kind": "ranks", "order": ["lstm"]})


def test_ranks_on_another_score_read_the_models_that_have_it():
    # the mlp has no test_ood (no weights for longer inputs): ranked on test_ood, the others are, as on the page
    runs = [record(t, m, s, v, split="test_ood") for t in ("parity", "sort")
            for m, v in [("lstm", 0.9), ("transformer", 0.6)] for s in range(3)]
    runs += [record(t, "mlp", s, 0.8) for t in ("parity", "sort") for s in range(3)]
    assert judge(runs, {"id": "a", "kind": "ranks", "score": "test_ood/primary", "order": ["lstm", "transformer"],
                        "shared": 2},
                 {"id": "b", "kind": "ranks", "score": "test_ood/primary", "last": "transformer", "value": [2.0, 2.0, 2.0]},
                 {"id": "c", "kind": "ranks", "score": "test_ood/primary", "last": "transformer", "value": [2.0, 1.0, 2.0]},
                 {"id": "d", "kind": "ranks", "score": "test_ood/primary", "first": "lstm", "value": 1}) == [True, True, False, True]


def test_a_quoted_baseline_is_checked_against_the_records():
    assert judge(PARITY, {"id": "a", "kind": "baseline_equals", "task": "parity", "baseline": "chance", "value": 0.5},
                 {"id": "b", "kind": "baseline_equals", "task": "parity", "baseline": "chance", "value": 0.55},
                 {"id": "c", "kind": "baseline_equals", "task": "parity", "baseline": "chance",
                  "value": [0.5, 0.5, 0.5]}) == [True, False, True]
    with pytest.raises(SeqbenchError, match="baseline 'chanse': not on parity/test.*did you mean 'chance'"):
        judge(PARITY, {"id": "d", "kind": "baseline_equals", "task": "parity", "baseline": "chanse", "value": 0.5})
    with pytest.raises(SeqbenchError, match="kind baseline_equals needs 'baseline'"):
        judge(PARITY, {"id": "e", "kind": "baseline_equals", "task": "parity", "value": 0.5})
    with pytest.raises(SeqbenchError, match="key 'model': not read by kind baseline_equals"):
        judge(PARITY, {"id": "f", "kind": "baseline_equals", "task": "parity", "model": "lsmt", "baseline": "chance",
                       "value": 0.5})
    banded = [record("parity", "lstm", s, 0.9, baselines={"test": {"majority": {"accuracy": 0.5}}},
                     baseline_intervals={"test": {"majority": {"accuracy": [0.45, 0.55]}}}) for s in range(2)]
    claim = {"kind": "baseline_equals", "task": "parity", "baseline": "majority"}
    assert judge(banded, {**claim, "id": "g", "value": [0.5, 0.45, 0.55]}, {**claim, "id": "h", "value": [0.5, 0.55, 0.45]},
                 {**claim, "id": "j", "value": 0.5}) == [True, False, True]


def reversal(model, seed, symbols):
    """A reverse_string-like run on test_ood that gets ``symbols`` of each string's n output symbols
    right and guesses the rest, at n = 41, 107, 500 (``None``: a model whose excess holds, 0.2, as
    strings grow)."""
    values = {str(2 * n): (0.7 if symbols is None else 0.5 + symbols / (2 * n)) for n in (41, 107, 500)}
    r = record("reverse", model, seed, sum(values.values()) / 3, split="test_ood", task_params={"length": 40})
    r.by_length = {"test_ood": {"metric": "accuracy", "values": values, "counts": dict.fromkeys(values, 250)}}
    r.baselines = {"test_ood": {"chance": {"accuracy": 0.5}}}
    return r


def test_inverse_length_reads_a_fixed_count_right_at_every_length():
    runs = [reversal("lstm", s, 20 + s) for s in range(3)] + [reversal("gru", s, None) for s in range(3)]
    claim = {"kind": "inverse_length", "task": "reverse", "score": "test_ood/primary", "baseline": "chance"}
    assert judge(runs, {"id": "a", **claim, "model": "lstm", "low": 19.5, "high": 22.5},
                 {"id": "b", **claim, "model": "lstm", "low": 20.5, "high": 22.5},  # seed 0 has 20
                 {"id": "c", **claim, "model": "gru", "low": 0, "high": 60},  # 0.2 x 1000 = 200 at length 500
                 {"id": "d", **{k: v for k, v in claim.items() if k != "baseline"}, "model": "lstm", "value": 0.5,
                  "low": 19.5, "high": 22.5},
                 {"id": "e", **claim, "model": "lstm", "low": 19.5, "high": 22.5, "seeds": 4}) == [
        True, False, False, True, False]
    for r in runs:
        r.metrics["test_ood"]["cross_entropy"] = 0.6
    with pytest.raises(SeqbenchError, match="no test_ood cross_entropy by length to read"):
        judge(runs, {"id": "f", "kind": "inverse_length", "task": "reverse", "score": "test_ood/cross_entropy",
                     "value": 0.69, "model": "lstm", "low": 0, "high": 1})
    with pytest.raises(SeqbenchError, match="exactly one of 'value' and 'baseline'"):
        judge(runs, {"id": "g", **claim, "model": "lstm", "value": 0.5, "low": 0, "high": 1})
    with pytest.raises(SeqbenchError, match="key 'of': not read by kind inverse_length"):
        judge(runs, {"id": "h", **claim, "model": "lstm", "of": "mean", "low": 0, "high": 1})
    with pytest.raises(SeqbenchError, match="low 2 is above high 1"):
        judge(runs, {"id": "i", **claim, "model": "lstm", "low": 2, "high": 1})


def test_a_claim_with_length_reads_the_score_at_that_one_length():
    """``length`` reads each run's by-length score and its interval: the reversal runs above get
    20 + seed symbols right, so at input length 41 (82 scored positions) they score 0.5 + k / 82."""
    runs = [reversal("lstm", s, 20 + s) for s in range(3)] + [reversal("gru", s, None) for s in range(3)]
    for r in runs:
        r.by_length["test_ood"]["intervals"] = {k: [v - 0.03, v + 0.03] for k, v in r.by_length["test_ood"]["values"].items()}
    claim = {"kind": "at_least", "task": "reverse", "score": "test_ood/primary", "length": 82}
    assert judge(runs, {"id": "a", **claim, "model": "lstm", "of": "every_seed", "value": 0.5 + 20 / 82 - 1e-9},
                 {"id": "b", **claim, "model": "lstm", "of": "every_seed", "value": 0.5 + 21 / 82},  # seed 0 is below
                 {"id": "c", **claim, "model": "gru", "value": 0.6},  # 0.7 at every length, interval within 0.03
                 {"id": "d", **claim, "kind": "at_most", "length": 1000, "model": "lstm", "of": "every_seed",
                  "value": 0.5 + 22 / 1000 + 1e-9},
                 {"id": "e", **claim, "kind": "equals", "model": "lstm", "of": "best_seed", "value": round(0.5 + 22 / 82, 3)},
                 {"id": "f", **claim, "kind": "better", "model": "gru", "length": 1000, "than": "lstm"},
                 {"id": "g", **claim, "kind": "better", "model": "lstm", "than": "gru"},  # 0.74 to 0.77 against 0.7
                 {"id": "g2", **claim, "kind": "better", "model": "lstm", "length": 214, "than": "gru"}) == [
        True, False, True, True, True, True, True, False]
    with pytest.raises(SeqbenchError, match=r"length 80: not a length of reverse/test_ood \(82, 214, 1000\); did you mean 82\?"):
        judge(runs, {"id": "h", **claim, "model": "lstm", "length": 80, "value": 0.5})
    with pytest.raises(SeqbenchError, match="baselines are scored on the whole split, not per length"):
        judge(runs, {"id": "i", **claim, "model": "lstm", "baseline": "chance"})
    with pytest.raises(SeqbenchError, match="length 0: must be a whole number >= 1"):
        judge(runs, {"id": "j", **claim, "model": "lstm", "length": 0, "value": 0.5})
    with pytest.raises(SeqbenchError, match="key 'length': not a key of kind count"):
        judge(runs, {"id": "k", "kind": "count", "task": "reverse", "length": 82, "equals": 6})
    for r in runs:
        r.metrics["test_ood"]["cross_entropy"] = 0.6
    with pytest.raises(SeqbenchError, match="has no test_ood cross_entropy by length"):
        judge(runs, {"id": "l", **claim, "score": "test_ood/cross_entropy", "model": "lstm", "value": 0.5})


def test_a_claim_over_several_lengths_holds_at_each_of_them():
    """A list or a ``{from, to}`` range of lengths is one claim judged at each length: the reversal
    runs above score 0.5 + k / (2n) at n = 41, 107 and 500 symbols (the GRU 0.7 throughout), so
    "at least 0.7" holds for the LSTM at 82 positions and fails from 214 on; a range reads only the
    lengths each task's split holds, and a cell with no ok run fails the claim, as at one length."""
    runs = [reversal("lstm", s, 20 + s) for s in range(3)] + [reversal("gru", s, None) for s in range(3)]
    for r in runs:
        r.by_length["test_ood"]["intervals"] = {k: [v - 0.03, v + 0.03] for k, v in r.by_length["test_ood"]["values"].items()}
    copies = [reversal("lstm", s, 20 + s) for s in range(3)]  # a second task scored at other lengths: 83, 215, 1001
    for r in copies:
        r.task, r.config_hash = "copy", f"copy-{r.seed}"
        r.by_length["test_ood"]["values"] = {str(int(k) + 1): v for k, v in r.by_length["test_ood"]["values"].items()}
    failed = [record("reverse", "rnn", s, 0.5, split="test_ood", status="failed") for s in range(3)]
    claim = {"kind": "at_least", "task": "reverse", "score": "test_ood/primary", "of": "every_seed"}
    assert judge(runs + copies + failed,
                 {"id": "a", **claim, "model": "gru", "length": {"from": 1, "to": 1000}, "value": 0.7},
                 {"id": "b", **claim, "model": "lstm", "length": {"from": 1, "to": 100}, "value": 0.7},  # only 82
                 {"id": "c", **claim, "model": "lstm", "length": {"from": 1, "to": 214}, "value": 0.7},  # 214 fails
                 {"id": "d", **claim, "model": "lstm", "length": [82, 1000], "value": 0.5},
                 {"id": "e", **claim, "kind": "at_most", "model": "lstm", "length": [1000, 82], "value": 0.6},  # 82 fails
                 {"id": "f", **claim, "kind": "better", "model": "gru", "length": {"from": 200, "to": 1000},
                  "than": "lstm"},
                 {"id": "g", **claim, "task": ["reverse", "copy"], "model": "lstm", "length": {"from": 82, "to": 1001},
                  "value": 0.5},  # each task at its own three lengths
                 {"id": "h", **claim, "model": "rnn", "length": {"from": 1, "to": 1000}, "value": 0.5}) == [
        True, True, False, True, False, True, True, False]
    (outcome,) = evaluate(Board(runs), [{"id": "j", **claim, "model": "lstm", "length": [214, 82, 82], "value": 0.6}])
    assert not outcome.passed and [line for line in outcome.numbers if line.startswith("test_ood")] == [
        "test_ood/primary at length 82 every_seed >= 0.6", "test_ood/primary at length 214 every_seed >= 0.6"]
    assert outcome.numbers[-1].startswith("✗ ")  # 0.5 + 20 / 214 < 0.6 for seed 0
    (both,) = evaluate(Board(runs + copies), [{"id": "k", **claim, "task": ["reverse", "copy"], "model": "lstm",
                                               "length": {"from": 82, "to": 1001}, "value": 0.5}])
    assert both.passed and [line.split(": ")[0] for line in both.numbers if not line.startswith("test_ood")] == [
        "reverse"] * 3 + ["copy"] * 3
    with pytest.raises(SeqbenchError, match=r"length \{from: 300, to: 400\}: no length of reverse/test_ood in that "
                                            r"range \(its runs hold 82, 214, 1000\)"):
        judge(runs, {"id": "l", **claim, "model": "lstm", "length": {"from": 300, "to": 400}, "value": 0.5})
    with pytest.raises(SeqbenchError, match=r"length 80: not a length of reverse/test_ood"):
        judge(runs, {"id": "m", **claim, "model": "lstm", "length": [82, 80], "value": 0.5})
    for bad in ({"from": 9, "to": 3}, {"from": 1}, {"from": 1, "to": 5, "by": 2}, [], [82, 0], "82", [True], 3.0):
        with pytest.raises(SeqbenchError, match="length .*: must be a whole number >= 1 .*, a non-empty list of them, or"):
            judge(runs, {"id": "n", **claim, "model": "lstm", "length": bad, "value": 0.5})


def test_seeds_requirement_and_missing_runs_fail():
    runs = PARITY[:1] + [record("parity", "rnn_tanh", 0, 0.5, status="failed")]
    claim = {"id": "a", "kind": "at_least", "task": "parity", "value": 0.5}
    assert judge(runs, {**claim, "model": "lstm"}, {**claim, "id": "b", "model": "lstm", "seeds": 3},
                 {**claim, "id": "c", "model": "rnn_tanh"}) == [True, False, False]


@pytest.mark.parametrize("claim, message", [
    ({"kind": "beter", "task": "parity", "model": "lstm", "than": "gru"}, "claim 'x': kind 'beter': not a claim kind"),
    ({"kind": "better", "task": "partiy", "model": "lstm", "than": "gru"}, "did you mean 'parity'?"),
    ({"kind": "better", "task": "parity", "model": "lstn", "than": "gru"},
     "claim 'x': model 'lstn': not on task parity (gru, lstm, transformer); did you mean 'lstm'?"),
    ({"kind": "better", "task": "parity", "model": "lstm", "than": "gru", "score": "test/accuracyy"},
     "no metric 'accuracyy' on parity/test (accuracy); did you mean 'accuracy'?"),
    ({"kind": "better", "task": "parity", "model": "lstm", "than": "gru", "score": "tset/accuracy"}, "did you mean 'test'?"),
    ({"kind": "near_baseline", "task": "parity", "model": "lstm", "baseline": "chanse"}, "did you mean 'chance'?"),
    ({"kind": "better", "task": "parity", "model": "lstm"}, "kind better needs 'than'"),
    ({"kind": "at_least", "task": "parity", "model": "lstm"}, "exactly one of 'value' and 'baseline'"),
    ({"kind": "better", "task": "parity", "model": "lstm", "than": "gru", "thn": 1}, "did you mean 'than'?"),
    ({"kind": "at_least", "task": "parity", "model": "lstm", "value": 1, "of": "meen"}, "did you mean 'mean'?"),
    ({"kind": "equals", "task": "parity", "model": "lstm", "value": 1, "where": {"lenght": 3}}, "where 'lenght'"),
    ({"kind": "at_least", "task": "parity", "model": "lstm", "value": "high"}, "value 'high': must be a number"),
    ({"kind": "near_baseline", "task": "parity", "model": "lstm", "value": 0.5, "margin": "5%"}, "margin '5%'"),
])
def test_malformed_claims_are_one_line_errors_naming_the_claim(claim, message):
    with pytest.raises(SeqbenchError) as caught:
        evaluate(Board(PARITY), [{"id": "x", **claim}])
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_command_exit_status_table_and_json(tmp_path):
    good = {"id": "lstm-beats-transformer", "says": "LSTM beats the transformer", "kind": "better", "task": "parity",
            "model": "lstm", "than": "transformer"}
    folder = board_dir(tmp_path, PARITY, [good])
    done = run_cli("claims", str(folder))
    assert "lstm-beats-transformer" in done.stdout and "PASS" in done.stdout and "1 of 1 claims pass" in done.stdout
    bad = {**good, "id": "gru-beats-lstm", "model": "gru", "than": "lstm"}
    (folder / "claims.yaml").write_text(yaml.safe_dump({"claims": [good, bad]}))
    done = run_cli("claims", str(folder), check=False)
    assert done.returncode == 1 and "FAIL" in done.stdout and "1 FAIL" in done.stdout
    outcomes = json.loads(run_cli("claims", str(folder), "--json", check=False).stdout)
    assert [(o["id"], o["passed"]) for o in outcomes] == [("lstm-beats-transformer", True), ("gru-beats-lstm", False)]
    other = tmp_path / "other.yaml"
    other.write_text(yaml.safe_dump({"claims": [good]}))
    assert run_cli("claims", str(folder), "--claims", str(other)).returncode == 0


def test_as_if_seeds_lists_the_claims_whose_verdict_rests_on_the_seed_count(tmp_path):
    """A tie that 5 seeds of the same spread would separate is listed; a "better" that holds at 3
    seeds, a best-seed claim and a quote are not; the exit status says whether any is."""
    runs = [record("parity", m, s, v + d, width=0.001) for m, v in [("lstm", 0.80), ("gru", 0.75), ("rnn_tanh", 0.50)]
            for s, d in enumerate([-0.02, 0.0, 0.02])]
    tie = {"id": "tie", "kind": "tied", "task": "parity", "model": "lstm", "than": "gru"}
    beats = {"id": "beats", "kind": "better", "task": "parity", "model": "lstm", "than": "rnn_tanh"}
    best = {"id": "best", "kind": "at_least", "task": "parity", "model": "gru", "of": "best_seed", "value": 0.77}
    quote = {"id": "quote", "kind": "equals", "task": "parity", "model": "gru", "of": "interval",
             "value": [0.75, 0.70, 0.80], "digits": 2}
    folder = board_dir(tmp_path, runs, [tie, beats, best, quote])
    assert run_cli("claims", str(folder)).returncode == 0  # all four hold as judged, at 3 seeds
    assert [(a.id, a.passed, b.passed) for a, b in seed_dependent(folder, 5)] == [("tie", True, False)]
    assert seed_dependent(folder, 3) == [] and seed_dependent(folder, 2) == []  # never wider than as judged
    values = [0.5, 0.7, 0.9]
    assert seed_interval(values, as_if_seeds=2) == seed_interval(values) == seed_interval(values, as_if_seeds=3)
    assert seed_interval(values, as_if_seeds=5)[1] > seed_interval(values)[1]
    done = run_cli("claims", str(folder), "--as-if-seeds", "5", check=False)
    assert done.returncode == 1 and "PASS -> FAIL" in done.stdout and "1 claim changes verdict" in done.stdout
    assert "| beats" not in done.stdout and "| best" not in done.stdout and "| quote" not in done.stdout
    listed = json.loads(run_cli("claims", str(folder), "--as-if-seeds", "5", "--json", check=False).stdout)
    assert [(o["id"], o["passed"], o["passed_as_if_5_seeds"]) for o in listed] == [("tie", True, False)]
    (folder / "claims.yaml").write_text(yaml.safe_dump({"claims": [beats, best]}))
    done = run_cli("claims", str(folder), "--as-if-seeds", "10")
    assert done.returncode == 0 and "0 claims change verdict" in done.stdout
    for bad in ("1", "x", "2.5"):
        done = run_cli("claims", str(folder), "--as-if-seeds", bad, check=False)
        assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
        assert f"--as-if-seeds: '{bad}': must be a whole number of at least 2" in done.stderr


def test_split_cells_are_those_a_claim_reads_through_its_interval_or_mean_whose_seeds_split(tmp_path):
    """A cell whose seeds split (0.52, 0.55, 0.93: a gap of 0.38) is listed when a claim reads its
    mean or interval, not when claims read only its best seed or count its runs; gaps under 0.1
    are one mode; a claim with ``length`` is read at that length."""
    runs = [record("parity", m, s, v, width=0.001) for m, values in [("lstm", [0.78, 0.80, 0.82]),
            ("gru", [0.70, 0.79, 0.88]), ("lru", [0.52, 0.55, 0.93])] for s, v in enumerate(values)]
    best = {"id": "best", "kind": "at_least", "task": "parity", "model": "lru", "of": "best_seed", "value": 0.9}
    runs_of = {"id": "runs", "kind": "count", "task": "parity", "model": "lru", "equals": 3}
    folder = board_dir(tmp_path, runs, [best, runs_of, {"id": "one-mode", "kind": "better", "task": "parity",
                                                         "model": "lstm", "than": "gru"}])
    assert split_cells(folder) == []  # gru's gaps are 0.09: one mode
    mean = {"id": "mean", "kind": "at_most", "task": "parity", "model": "lru", "of": "mean", "value": 0.7}
    tie = {"id": "tie", "kind": "tied", "task": "parity", "model": "lstm", "than": "lru"}
    (folder / "claims.yaml").write_text(yaml.safe_dump({"claims": [best, runs_of, mean, tie]}))
    assert [(c.task, c.model, c.n, round(c.gap, 2), c.claims) for c in split_cells(folder)] == \
        [("parity", "lru", 3, 0.38, ["mean", "tie"])]
    assert split_cells(folder, gap=0.5) == []
    lengths = [reversal("lstm", s, [20, 21, 35][s]) for s in range(3)]  # at 82: 0.744, 0.756, 0.927
    folder = board_dir(tmp_path / "lengths", lengths, [
        {"id": "at-82", "kind": "at_least", "task": "reverse", "model": "lstm", "score": "test_ood/primary",
         "length": 82, "of": "mean", "value": 0.5},
        {"id": "at-1000", "kind": "at_least", "task": "reverse", "model": "lstm", "score": "test_ood/primary",
         "length": 1000, "of": "mean", "value": 0.5}])
    assert [(c.model, c.claims) for c in split_cells(folder)] == [("lstm", ["at-82"])]


@pytest.mark.parametrize("setup, message", [
    (lambda d: d / "missing", "no such folder"),
    (lambda d: (d / "claims.yaml").unlink() or d, "no such claims file"),
    (lambda d: (d / "claims.yaml").write_text("claims: [\n") and d, "not valid YAML"),
    (lambda d: (d / "claims.yaml").write_text("- a\n") and d, "must be a mapping with a 'claims' list"),
    (lambda d: (d / "claims.yaml").write_text(yaml.safe_dump({"claims": [{"id": "q", "kind": "better", "task": "parity",
                                                                          "model": "lstn", "than": "gru"}]})) and d,
     "claims.yaml: claim 'q': model 'lstn'"),
])
def test_command_errors_are_one_line_with_status_2(tmp_path, setup, message):
    folder = setup(board_dir(tmp_path, PARITY, []))
    done = run_cli("claims", str(folder), check=False)
    assert done.returncode == 2 and message in done.stderr
    assert done.stderr.startswith("seqbench: error: ") and done.stderr.count("\n") == 1 and not done.stdout


@pytest.mark.slow
def test_claims_command_imports_no_torch(tmp_path):
    folder = board_dir(tmp_path, PARITY, [{"id": "a", "kind": "ranks", "last": "transformer"}])
    code = (f"from seqbench.cli import main\nassert main(['claims', {str(folder)!r}]) == 0\n"
            "import sys\nassert 'torch' not in sys.modules, 'torch imported'")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]


@pytest.mark.slow
@pytest.mark.parametrize("board", BOARDS, ids=[b.name for b in BOARDS])
def test_every_committed_claim_holds(board):
    """Every sentence the READMEs make about a committed board, checked over its result files."""
    done = run_cli("claims", str(board), "--json", check=False)
    failing = [f"{o['id']} ({o['says']}): " + " / ".join([o["numbers"][0], *(n for n in o["numbers"] if n.startswith("✗"))])
               for o in json.loads(done.stdout or "[]") if not o["passed"]]
    assert done.returncode == 0 and not failing, done.stderr + "\n".join(failing)


@pytest.mark.slow
def test_the_chomsky_board_owes_no_seeds():
    """The coverage study's rules over issue 26's Chomsky board (leaderboards/README.md, "Seeds where
    the sentences need them"): every cell a sentence reads through its interval or mean, whose seeds
    split into modes, has 10 seeds, and no sentence's verdict rests on a 3-seed interval's width
    (5 seeds of the same spread would not change it). A new sentence that breaks either rule fails here
    until its cell has the seeds."""
    from seqbench.boards.seed_needs import MODE_SEEDS

    board = ROOT / "leaderboards" / "chomsky_past_ceiling"
    assert [(c.task, c.model, c.n) for c in split_cells(board) if c.n < MODE_SEEDS] == []
    assert [now.id for now, _ in seed_dependent(board, 5)] == []


def test_the_committed_boards_have_claims():
    assert {b.name for b in BOARDS} >= {"chomsky", "image_scaling"}


def test_the_readme_example_claim_holds_on_the_main_board():
    claims_section = section("docs/boards-and-claims.md", "Claims")
    example = yaml.safe_load(blocks(claims_section, "yaml")[0])["claims"]
    outcomes = evaluate(Board(load_results([ROOT / "leaderboards" / "main"]).records), example)
    assert [o.passed for o in outcomes] == [True]


def curve(model, seed, values):
    run = record("number_words", model, seed, values[-1], metric="token_accuracy")
    run.history = [{"step": 25 * (i + 1), "train_loss": 1.0, "val_token_accuracy": v} for i, v in enumerate(values)]
    return run


def test_faster_compares_the_area_under_every_seeds_validation_curve():
    runs = [curve("gru", s, [0.3 + s / 100, 0.8, 0.99]) for s in range(3)] + \
           [curve("gru_free_running", s, [0.2 + s / 100, 0.6, 0.99]) for s in range(3)]
    claim = {"id": "tf", "kind": "faster", "task": "number_words", "model": "gru", "than": "gru_free_running"}
    assert judge(runs, claim) == [True]
    runs[3].history[1]["val_token_accuracy"] = 0.95  # one free-running seed as fast as teacher forcing
    assert judge(runs, claim) == [False]
    assert judge(runs, {**claim, "model": "gru_free_running", "than": "gru"}) == [False]


def probe(model, seed, factor, scale=1.0):
    return RunRecord(task="parity", model=model, model_label=model, seed=seed, status="ok", record_type="gradflow",
                     gradflow={"recurrent_scale": scale, "init": {"per_step_factor": factor}},
                     config_hash=f"g-{model}-{scale}-{seed}")


def test_gradient_claims_read_the_gradflow_probes():
    probes = [probe("rnn_sigmoid", s, 0.14) for s in range(2)] + [probe("rnn_relu", s, 1.5, 4.0) for s in range(2)] \
        + [probe("lstm", s, 0.66 - s / 100) for s in range(2)] + [probe("rnn_tanh", 0, 0.5)]
    assert judge(probes,
                 {"id": "a", "kind": "gradient", "model": "rnn_sigmoid", "at_most": 0.2},
                 {"id": "b", "kind": "gradient", "model": "rnn_relu", "scale": 4, "at_least": 1.2},
                 {"id": "c", "kind": "gradient", "model": "lstm", "flatter_than": ["rnn_sigmoid", "rnn_tanh"]},
                 {"id": "d", "kind": "gradient", "model": "rnn_tanh", "flatter_than": "lstm"},
                 {"id": "e", "kind": "gradient", "model": "lstm", "at_most": 0.5}) == [True, True, True, False, False]
    with pytest.raises(SeqbenchError, match="no gradflow probe on this board.*did you mean"):
        judge(probes, {"id": "f", "kind": "gradient", "model": "rnn_relu", "at_least": 1.2})  # scale 1: none
    with pytest.raises(SeqbenchError, match="exactly one of"):
        judge(probes, {"id": "g", "kind": "gradient", "model": "lstm", "at_most": 1, "at_least": 0})


def test_gradient_claims_of_the_input_read_every_recurrent_family():
    """``profile: input`` reads ||dLoss/dx_t||, which a modern family has where it has no dLoss/dh_t."""
    lru = [RunRecord(task="parity", model="lru", model_label="lru", seed=s, status="ok", record_type="gradflow",
                     gradflow={"recurrent_scale": 1.0, "init": {"per_step_factor": None, "input_per_step_factor": 0.94}},
                     config_hash=f"g-lru-{s}") for s in range(2)]
    tanh = probe("rnn_tanh", 0, 0.53)
    tanh.gradflow["init"]["input_per_step_factor"] = 0.52
    runs = [*lru, tanh]
    assert judge(runs, {"id": "a", "kind": "gradient", "model": "lru", "profile": "input", "at_least": 0.9},
                 {"id": "b", "kind": "gradient", "model": "lru", "profile": "input", "flatter_than": "rnn_tanh"},
                 {"id": "c", "kind": "gradient", "model": "rnn_tanh", "profile": "input", "at_least": 0.6}) == [True, True, False]
    with pytest.raises(SeqbenchError, match="no per_step_factor .*modern family"):
        judge(runs, {"id": "d", "kind": "gradient", "model": "lru", "at_least": 0.9})
    with pytest.raises(SeqbenchError, match="profile 'inputs': not a gradient profile.*did you mean 'input'"):
        judge(runs, {"id": "e", "kind": "gradient", "model": "lru", "profile": "inputs", "at_least": 0.9})


def test_a_claim_about_no_run_fails():
    """Zero matching runs is not evidence: a count of 0 is tested as 0, and a check over no cell fails."""
    probes = [probe("lstm", s, 0.66) for s in range(3)]  # a folder of probes only: no training run
    assert judge(probes, {"id": "a", "kind": "count", "runs": "all", "equals": 70},
                 {"id": "b", "kind": "count", "runs": "all", "equals": 0},
                 {"id": "c", "kind": "count", "per": "cell", "equals": 5},
                 {"id": "d", "kind": "identical", "field": "git_commit"}) == [False, True, False, False]


def test_runs_probes_reads_the_gradflow_probes():
    probes = [probe("lstm", s, 0.66) for s in range(3)] + [probe("gru", 0, 0.68)]
    for r in probes:
        r.git_commit = "abc"
    assert judge([*PARITY, *probes], {"id": "a", "kind": "count", "runs": "probes", "equals": 4},
                 {"id": "b", "kind": "count", "runs": "probes", "model": "lstm", "equals": 3},
                 {"id": "c", "kind": "equals", "runs": "probes", "task": "parity", "model": "*", "field": "git_commit",
                  "value": "abc"},
                 {"id": "d", "kind": "count", "equals": 9}) == [True, True, True, True]
    with pytest.raises(SeqbenchError, match="runs 'probes': only for kinds that read every run"):
        judge(probes, {"id": "e", "kind": "better", "runs": "probes", "task": "parity", "model": "lstm", "than": "gru"})


def test_from_limits_claims_to_a_folder_of_the_board(tmp_path):
    folder = board_dir(tmp_path, PARITY, [])
    for r in [record("parity", "lstm", s, 0.5) for s in range(3)]:  # a second grid: lstm at chance
        r.config_hash += "-other"
        write_result(folder / "ablation" / r.config_hash, r)
    claims = {"from": "raw", "claims": [
        {"id": "main", "kind": "better", "task": "parity", "model": "lstm", "than": "transformer"},
        {"id": "ablation", "from": "ablation", "kind": "at_most", "task": "parity", "model": "lstm", "value": 0.6,
         "of": "mean"}]}
    (folder / "claims.yaml").write_text(yaml.safe_dump(claims, sort_keys=False))
    assert run_cli("claims", str(folder)).returncode == 0  # each claim sees its own folder's lstm only
    claims["claims"][1]["from"] = "../elsewhere"
    (folder / "claims.yaml").write_text(yaml.safe_dump(claims, sort_keys=False))
    assert "not a folder of the board" in run_cli("claims", str(folder), check=False).stderr


def test_separates_needs_a_spread_and_a_model_beyond_the_baseline():
    def grid(values, ood=None):
        runs = []
        for model, value in values.items():
            for s in range(3):
                r = record("parity", model, s, value)
                if ood is not None:
                    r.metrics["test_ood"] = {"accuracy": ood[model]}
                    r.intervals["test_ood"] = {"accuracy": [ood[model] - 0.02, ood[model] + 0.02]}
                r.baselines = {"test": {"chance": {"accuracy": 0.5}}, "test_ood": {"chance": {"accuracy": 0.5}}}
                runs.append(r)
        return runs

    claim = {"id": "s", "kind": "separates", "task": "parity"}
    assert judge(grid({"lstm": 1.0, "gru": 1.0}), claim) == [False]  # every model at the ceiling
    assert judge(grid({"lstm": 0.5, "gru": 0.51}), claim) == [False]  # every model at chance
    assert judge(grid({"lstm": 1.0, "gru": 1.0}, ood={"lstm": 1.0, "gru": 0.7}), claim) == [True]  # test_ood separates
    assert judge(grid({"lstm": 0.9, "transformer": 0.5}), claim) == [True]


def test_bounded_share_and_selection_read_every_run_of_the_cells():
    runs = []
    for model, params, converged in [("lstm", 19_800, True), ("gru", 20_150, True), ("mlp", 24_000, False)]:
        for lr, val in [(0.001, 0.6), (0.01, 0.9)]:
            runs.append(record("parity", model, 0, 0.9, n_params=params, converged=converged,
                               trainer_params={"lr": lr}))
            runs[-1].metrics["val"] = {"accuracy": val}
    assert judge(runs, {"id": "a", "kind": "bounded", "task": "parity", "model": ["lstm", "gru"], "field": "n_params",
                        "low": 19_000, "high": 21_000},
                 {"id": "b", "kind": "bounded", "task": "parity", "model": "*", "field": "n_params",
                  "low": 19_000, "high": 21_000},
                 {"id": "c", "kind": "share", "task": "parity", "model": "*", "field": "converged", "value": True,
                  "at_least": 0.6},
                 {"id": "d", "kind": "share", "task": "parity", "model": "*", "field": "converged", "value": True,
                  "at_least": 0.9},
                 {"id": "e", "kind": "selection", "task": "parity", "model": "*", "rates": [0.001, 0.01]},
                 {"id": "f", "kind": "selection", "task": "parity", "model": "*", "rates": [0.001, 0.003, 0.01]},
                 {"id": "g", "kind": "selection", "task": "parity", "model": "*", "rates": [0.001, 0.01],
                  "chosen": {0.01: 3}},
                 {"id": "h", "kind": "selection", "task": "parity", "model": "*", "rates": [0.001, 0.01],
                  "chosen": {0.01: 2, 0.001: 1}}) == \
        [True, False, True, False, True, False, True, False]
    zero = {"id": "z", "kind": "selection", "task": "parity", "model": "*", "rates": [0.001, 0.01],
            "chosen": {"1e-2": 3, 0.001: 0}}  # YAML may give a rate as text; a rate may win no cell
    assert judge(runs, zero) == [True]
    for bad in ({0.01: 3.7}, [3], {"ten": 3}):
        with pytest.raises(SeqbenchError, match="claim 'z': chosen"):
            judge(runs, {**zero, "chosen": bad})


def test_runs_all_reads_every_rate_tried_and_selected_only_the_chosen_one():
    runs = []
    for lr, val, converged in [(0.001, 0.6, False), (0.01, 0.9, True)]:
        for seed in ((0, 1, 2) if lr == 0.01 else (0,)):
            runs.append(record("parity", "lstm", seed, 0.9, converged=converged, trainer_params={"lr": lr}))
            runs[-1].metrics["val"] = {"accuracy": val}
    claim = {"id": "c", "kind": "count", "task": "parity", "model": "lstm", "equals": 3}
    share = {"id": "s", "kind": "share", "task": "parity", "model": "lstm", "field": "converged", "value": True,
             "at_least": 1.0}
    assert judge(runs, claim, {**claim, "id": "c2", "runs": "all", "equals": 4}, share,
                 {**share, "id": "s2", "runs": "all"}) == [True, True, True, False]


def test_faster_refuses_curves_evaluated_at_different_steps_and_runs_all_only_reads_runs():
    runs = [curve("gru", s, [0.3, 0.8, 0.99]) for s in range(3)] + [curve("gru_free_running", s, [0.2, 0.6]) for s in
                                                                       range(3)]  # stopped early: fewer points
    claim = {"id": "tf", "kind": "faster", "task": "number_words", "model": "gru", "than": "gru_free_running"}
    outcome = evaluate(Board(runs), [claim])[0]
    assert not outcome.passed and "different steps" in outcome.numbers[1]
    with pytest.raises(SeqbenchError, match="runs 'all': only for kinds that read every run"):
        judge(PARITY, {"id": "x", "kind": "better", "task": "parity", "model": "lstm", "than": "gru", "runs": "all"})
