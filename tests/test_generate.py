"""``seqbench generate``: deterministic dataset files, their cards, and clear errors."""

import hashlib
import json
import subprocess
import sys

import numpy as np
import pytest

from seqbench import ConfigError, make_task
from seqbench.cli.generate import main
from seqbench.runs.export import card_path, columns, export

from conftest import run_cli

FORMATS = (".jsonl", ".parquet", ".npz")

WRITE_ALL = """
import sys
from seqbench.cli.generate import main
for suffix in {formats!r}:
    main(["captioning", "max_objects=4", "--split", "val", "--n", "50", "--seed", "3", "--out", sys.argv[1] + suffix])
    main(["grammar_lm", "task.length=12", "--split", "test_ood", "--n", "20", "--out", sys.argv[1] + "_lm" + suffix])
"""


@pytest.mark.slow
def test_two_processes_write_byte_identical_files(tmp_path, monkeypatch):
    """A fresh process and this one (the same script, run in-process) write the same bytes."""
    script = WRITE_ALL.format(formats=FORMATS)
    for run in ("a", "b"):
        (tmp_path / run).mkdir()
    subprocess.run([sys.executable, "-c", script, str(tmp_path / "a" / "data")], check=True, capture_output=True)
    monkeypatch.setattr(sys, "argv", ["-c", str(tmp_path / "b" / "data")])
    exec(compile(script, "<WRITE_ALL>", "exec"), {"__name__": "__main__"})
    written = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert len(written) == 12 and written == sorted(p.name for p in (tmp_path / "b").iterdir())
    for name in written:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_the_command_line_writes_a_card_that_describes_the_file(tmp_path):
    out = tmp_path / "sub" / "caps.jsonl"
    result = run_cli("generate", "captioning", "max_objects=2", "--split", "test", "--n", "40", "--seed", "5",
                          "--out", str(out))
    card = json.loads(card_path(out).read_text(encoding="utf-8"))
    task = make_task("captioning", max_objects=2)
    batch = task.sample(task.rng(5, "test"), 40, "test")
    assert card["fingerprint"] == batch.fingerprint() and card["fingerprint"] in result.stdout
    assert card["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
    assert {k: card[k] for k in ("task", "version", "kind", "split", "seed", "n", "file", "format")} == {
        "task": "captioning", "version": task.version, "kind": "one_to_many", "split": "test", "seed": 5, "n": 40,
        "file": "caps.jsonl", "format": "jsonl"}
    assert card["knobs"] == task.params and card["output_symbols"] == list(task.spec.output.symbols)
    assert card["command"] == "seqbench generate captioning max_objects=2 --split test --n 40 --seed 5 --out caps.jsonl"
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 40 and all(set(row) == set(card["fields"]) for row in rows)
    words = card["output_symbols"]
    assert [words[i] for i in rows[0]["targets"]][-1] == "<eos>"


def _rebuild(rows, key, width):
    """Padded array (n, width, ...) from jsonl rows, the way a user without seqbench would."""
    first = np.asarray(rows[0][key])
    out = np.zeros((len(rows), width) + first.shape[1:], dtype=first.dtype)
    for i, row in enumerate(rows):
        out[i, : len(row[key])] = row[key]
    return out


@pytest.mark.parametrize("name, knobs", [("parity", {"length": 6}), ("reverse", {"length": 5}),
                                         ("bracket_depth", {"length": 8}), ("digits", {}), ("number_words", {}),
                                         ("markov_lm", {"length": 9}), ("captioning", {}), ("text_lm", {})])
def test_every_format_holds_the_same_examples(tmp_path, name, knobs):
    pyarrow = pytest.importorskip("pyarrow.parquet")
    task = make_task(name, **knobs)
    cards = {s: export(task, "test", 12, 1, tmp_path / f"d{s}") for s in FORMATS}
    assert len({c["fingerprint"] for c in cards.values()}) == 1
    batch = task.sample(task.rng(1, "test"), 12, "test")
    arrays = batch.numpy()
    rows = [json.loads(line) for line in (tmp_path / "d.jsonl").read_text().splitlines()]
    assert pyarrow.read_table(tmp_path / "d.parquet").to_pylist() == rows
    with np.load(tmp_path / "d.npz", allow_pickle=False) as npz:
        assert set(npz.files) == set(arrays) == set(cards[".npz"]["fields"])
        for key, value in arrays.items():
            np.testing.assert_array_equal(npz[key], value)
    assert set(rows[0]) == set(cards[".jsonl"]["fields"]) == set(columns(task, batch))
    inputs = arrays["inputs"]
    if task.spec.is_sequence_input:  # rows hold each input's first `length` steps
        np.testing.assert_array_equal([r["length"] for r in rows], arrays["lengths"])
        np.testing.assert_array_equal(_rebuild(rows, "inputs", inputs.shape[1]), inputs)
    else:
        np.testing.assert_array_equal(np.array([r["inputs"] for r in rows], dtype=inputs.dtype), inputs)
    targets = arrays["targets"]
    if targets.ndim == 1:
        np.testing.assert_array_equal([r["targets"] for r in rows], targets)
    else:  # masked positions beyond each kept row are padding
        np.testing.assert_array_equal(_rebuild(rows, "targets", targets.shape[1]),
                                      np.where(arrays["target_mask"], targets, 0))


@pytest.mark.parametrize("argv, message", [
    (["parity", "--out", "x.csv"], "unknown suffix '.csv'; use one of .jsonl, .npz, .parquet"),
    (["paritty", "--out", "x.jsonl"], "unknown task 'paritty'; did you mean 'parity'?"),
    (["parity", "lenght=5", "--out", "x.jsonl"], "task.lenght: unknown key; did you mean 'task.length'?"),
    (["parity", "length=0", "--out", "x.jsonl"], "task.length=0: must be an integer in [1, 100000]"),
    (["parity", "length", "--out", "x.jsonl"], "'length': knob overrides are KEY=VALUE"),
    (["parity", "--split", "dev", "--out", "x.jsonl"], "split='dev'"),
    (["parity", "--n", "0", "--out", "x.jsonl"], "n=0: must be an integer >= 1"),
    (["captioning", "--split", "test_ood", "--out", "x.npz"], "has splits train, val, test"),
])
def test_user_errors_are_config_errors(tmp_path, monkeypatch, argv, message):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as info:
        main(argv)
    assert message in str(info.value) and "\n" not in str(info.value)
    assert not list(tmp_path.iterdir())  # nothing half-written

