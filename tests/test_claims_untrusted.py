"""Claims files are untrusted input: YAML alias bombs, wrong types, huge files and many claims are
each refused in one line with exit status 2, before any work; ``seqbench leaderboard --score`` refuses
a score that names no metric of the records, before anything is written."""

from __future__ import annotations

import pytest
import yaml

from conftest import run_cli
from seqbench.boards.claims import MAX_BYTES, MAX_CLAIMS, evaluate, load_claims
from seqbench.core.errors import SeqbenchError
from test_claims import PARITY, Board, board_dir

GOOD = {"id": "q", "kind": "better", "task": "parity", "model": "lstm", "than": "gru"}


def refused(tmp_path, text: str) -> str:
    """The one line ``seqbench claims`` prints for a claims file holding ``text`` (exit status 2)."""
    folder = board_dir(tmp_path, PARITY, [])
    (folder / "claims.yaml").write_text(text)
    done = run_cli("claims", str(folder), check=False)
    assert done.returncode == 2 and not done.stdout, done.stdout[-500:]
    assert done.stderr.startswith("seqbench: error: ") and done.stderr.count("\n") == 1, done.stderr
    return done.stderr


def test_a_yaml_alias_bomb_is_refused_before_it_expands(tmp_path):
    levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'] + [
        f"{b}: &{b} [{','.join([f'*{a}'] * 9)}]" for a, b in zip("abcdefgh", "bcdefghi")]
    bomb = "\n".join(levels) + "\nclaims: [{id: x, kind: count, at_least: 0, task: *i}]\n"
    assert len(bomb) < 600
    assert "line 2: alias *a: a claims file may not use anchors and aliases" in refused(tmp_path, bomb)


def test_a_merge_key_alias_is_refused_too(tmp_path):
    text = "claims:\n  - &base {id: a, kind: ranks, last: transformer}\n  - {<<: *base, id: b}\n"
    assert "alias *base" in refused(tmp_path, text)


@pytest.mark.parametrize("field, value, message", [
    ("kind", ["better"], "claim 'q': kind ['better']: not a claim kind"),
    ("where", [1, 2], "claim 'q': where [1, 2]: must be a mapping of knob names to values"),
    ("where", {"length": {"a": 1}}, "claim 'q': where {'length': {'a': 1}}: must be a mapping"),
    ("task", {"parity": 1}, "claim 'q': task {'parity': 1}: must be a name or a non-empty list of names"),
    ("model", [], "claim 'q': model []: must be a name"),
    ("than", 3, "claim 'q': than 3: must be a name"),
    ("says", ["a"], "claim 'q': says ['a']: must be a string"),
    ("score", None, "claim 'q': score None: must be a one-line string"),
    ("of", ["mean"], "claim 'q': of ['mean']: must be a one-line string"),
    ("seeds", 2.5, "claim 'q': seeds 2.5: must be a whole number >= 0"),
    ("seeds", True, "claim 'q': seeds True: must be a whole number >= 0"),
    ("from", {"a": 1}, "claim 'q': from {'a': 1}: must be a one-line string"),
    ("runs", 1, "claim 'q': runs 1: must be a one-line string"),
    ("task", "par\nity", "claim 'q': task 'par\\nity': must be a name"),
])
def test_every_common_field_is_type_checked(field, value, message):
    with pytest.raises(SeqbenchError) as caught:
        evaluate(Board(PARITY), [{**GOOD, field: value}])
    assert message in str(caught.value) and "\n" not in str(caught.value)


@pytest.mark.parametrize("claim, message", [
    ({"kind": "at_least", "task": "parity", "model": "lstm", "value": 0.5, "baseline_metric": 1}, "baseline_metric 1"),
    ({"kind": "at_least", "task": "parity", "model": "lstm", "baseline": ["chance"]}, "baseline ['chance']: must be a baseline name"),
    ({"kind": "near_baseline", "task": "parity", "model": "lstm", "value": float("nan")}, "value nan: must be a number"),
    ({"kind": "equals", "task": "parity", "model": "lstm", "value": "high"}, "value 'high': must be a number, [mean, low, high]"),
    ({"kind": "equals", "task": "parity", "model": "lstm", "value": [0.9, 0.8]}, "value [0.9, 0.8]: must be"),
    ({"kind": "equals", "task": "parity", "model": "lstm", "value": 0.9, "digits": "3"}, "digits '3': must be a whole number"),
    ({"kind": "equals", "task": "parity", "model": "lstm", "field": "status", "value": ["ok"]}, "value ['ok']: must be a value"),
    ({"kind": "grows_with", "task": "parity", "model": "lstm", "knob": ["length"]}, "knob ['length']"),
    ({"kind": "grows_with", "task": "parity", "model": "lstm", "knob": "length", "form": "flat"}, "form 'flat': not a form"),
    ({"kind": "ranks", "first": {"lstm": 1}}, "first {'lstm': 1}: must be a name or a non-empty list of names"),
    ({"kind": "ranks", "last": "lstm", "shared": -1}, "shared -1: must be a whole number >= 0"),
    ({"kind": "ranks", "order": ["lstm", "gru"], "beyond_doubt": "yes"}, "beyond_doubt 'yes': must be true or false"),
    ({"kind": "baseline_equals", "task": "parity", "baseline": "chance", "value": "half"}, "value 'half': must be a number or [value, low, high]"),
    ({"kind": "count", "equals": "3"}, "equals '3': must be a whole number >= 0"),
    ({"kind": "count", "equals": 3, "per": "task"}, "per 'task': not a grouping (all, cell)"),
    ({"kind": "count", "at_least": 1, "status": 0}, "status 0: must be a one-line string"),
    ({"kind": "identical", "field": ["seed"]}, "field ['seed']: must be a one-line string"),
    ({"kind": "bounded", "field": "n_params", "low": "1", "high": 2}, "low '1': must be a number"),
    ({"kind": "share", "field": "status", "value": {"a": 1}, "at_least": 0.5}, "value {'a': 1}: must be a value"),
    ({"kind": "selection", "rates": ["fast"]}, "rates ['fast']: must be a number or a non-empty list of numbers"),
    ({"kind": "selection", "rates": [0.1], "chosen": [1]}, "chosen [1]: must be a mapping"),
    ({"kind": "separates", "task": "parity", "baseline": {"parity": 1}}, "baseline {'parity': 1}: must be a baseline name"),
    ({"kind": "gradient", "model": "lstm", "at_most": "1"}, "at_most '1': must be a number"),
    ({"kind": "gradient", "model": "lstm", "at_most": 1, "when": ["init"]}, "when ['init']"),
    ({"kind": "gradient", "model": "lstm", "flatter_than": [1]}, "flatter_than [1]: must be a name"),
    ({"kind": "near_baseline", "task": "parity", "model": "lstm", "value": 0.5, "margin": "5%"}, "margin '5%'"),
    ({"kind": "faster", "task": "parity", "model": "lstm", "than": "gru", "seeds": "3"}, "seeds '3'"),
])
def test_every_field_of_every_kind_is_type_checked(claim, message):
    with pytest.raises(SeqbenchError) as caught:
        evaluate(Board(PARITY), [{"id": "q", **claim}])
    assert f"claim 'q': {message}" in str(caught.value) and "\n" not in str(caught.value)


@pytest.mark.parametrize("claim, message", [
    ({"id": ["q"], "kind": "ranks", "last": "lstm"}, "claim #2: id ['q']: must be a one-line string"),
    ({"id": "r", "kind": {"better": 1}}, "claim 'r': kind {'better': 1}: not a claim kind"),
    ({"id": "r", "kind": "ranks", "last": "lstm", 3: "x"}, "claim 'r': key 3: not a key of kind ranks"),
])
def test_ids_kinds_and_keys_of_the_wrong_type_name_the_claim(claim, message):
    with pytest.raises(SeqbenchError, match=r"^[^\n]*$") as caught:
        evaluate(Board(PARITY), [GOOD, claim])
    assert message in str(caught.value)


def test_an_equals_value_per_model_must_state_every_model():
    claim = {"id": "q", "kind": "equals", "task": "parity", "model": ["lstm", "gru"], "value": {"lstm": 0.96}}
    with pytest.raises(SeqbenchError, match="claim 'q': value: states no value for model 'gru'"):
        evaluate(Board(PARITY), [claim])


def test_wrong_types_in_a_claims_file_are_one_line_with_status_2(tmp_path):
    assert "claim 'a': kind ['better']: not a claim kind" in refused(
        tmp_path, "claims:\n  - {id: a, kind: [better], task: parity, model: lstm, than: gru}\n")
    assert "claim 'a': where [1, 2]: must be a mapping" in refused(
        tmp_path, "claims:\n  - {id: a, kind: better, task: parity, model: lstm, than: gru, where: [1, 2]}\n")
    assert "key 1: the file holds 'claims'" in refused(tmp_path, "claims: []\n1: x\nb: y\n")


def test_a_file_over_the_size_limit_is_refused_unread(tmp_path):
    text = "claims:\n" + "# padding\n" * (MAX_BYTES // 10 + 1)
    message = refused(tmp_path, text)
    assert f"over the limit of {MAX_BYTES:,} bytes for a claims file ({len(text):,} bytes)" in message


@pytest.mark.slow
def test_a_file_with_too_many_claims_is_refused(tmp_path):
    text = yaml.safe_dump({"claims": [{"id": f"c{i}", "kind": "count", "at_least": 0} for i in range(MAX_CLAIMS + 1)]})
    assert len(text.encode()) < MAX_BYTES
    assert f"{MAX_CLAIMS + 1:,} claims, over the limit of {MAX_CLAIMS:,} claims per file" in refused(tmp_path, text)


@pytest.mark.slow
def test_yaml_nested_too_deeply_is_one_line(tmp_path):
    assert "not valid YAML: nested too deeply" in refused(tmp_path, "claims: " + "[" * 5000 + "]" * 5000 + "\n")


def test_a_file_at_the_limits_still_loads(tmp_path):
    path = tmp_path / "claims.yaml"
    path.write_text(yaml.safe_dump({"claims": [{"id": f"c{i}", "kind": "count", "at_least": 0} for i in range(MAX_CLAIMS)]}))
    assert len(load_claims(path)) == MAX_CLAIMS


@pytest.mark.parametrize("score, message", [
    ("test/acuracy", "score 'test/acuracy': no metric 'acuracy' on test in these results (accuracy, primary); "
                     "did you mean 'test/accuracy'?"),
    ("val/accuracy", "score 'val/accuracy': no metric 'accuracy' on val in these results (primary); "
                     "did you mean 'test/accuracy'?"),
])
def test_leaderboard_refuses_a_score_no_record_has_before_writing(tmp_path, score, message):
    folder = board_dir(tmp_path, PARITY, [])
    out = tmp_path / "out"
    done = run_cli("leaderboard", str(folder), "--score", score, "--out", str(out), "--raw", check=False)
    assert done.returncode == 2 and not done.stdout and done.stderr.count("\n") == 1
    assert done.stderr.startswith(f"seqbench: error: {message}")
    assert not out.exists()


@pytest.mark.parametrize("score", ["test/accuracy", "test/primary", "test_ood/primary"])
def test_leaderboard_accepts_the_records_metrics_and_primary(tmp_path, score):
    done = run_cli("leaderboard", str(board_dir(tmp_path, PARITY, [])), "--score", score)
    assert done.returncode == 0 and "# seqbench leaderboard" in done.stdout
