"""The catalogue's decoder and language-model tasks: captioning, grammar_lm, text_lm."""

import json
import math
import pickle
import re
from collections import defaultdict

import numpy as np
import pytest
import torch

from seqbench import ConfigError, make_task
from seqbench.conformance.task_checks import check_task
from seqbench.core.pdfa import from_word_graph
from seqbench.tasks.captioning import COLOURS, COUNTS, PLURALS, SHAPES, SIZES
from seqbench.tasks.grammar_lm import ADJECTIVES, DETERMINERS, INTRANSITIVE, NOUNS, TRANSITIVE, sentence_graph



# ------------------------------------------------------------------------------ captioning
def caption_of(features, knobs):
    """The caption of a feature vector, decoded and phrased without the task's code."""
    S, C, Z, K = knobs["n_shapes"], knobs["n_colours"], knobs["n_sizes"], knobs["max_count"]
    groups = []
    for index in np.flatnonzero(features):  # ascending index = canonical order
        kind, count = divmod(int(index), K)
        shape, rest = divmod(kind, C * Z)
        colour, size = divmod(rest, Z)
        words = [COUNTS[count + 1], SIZES[size], COLOURS[colour], SHAPES[shape] if count == 0 else PLURALS[shape]]
        groups.append(" ".join(w for w in words if w))
    return groups[0] if len(groups) == 1 else " , ".join(groups[:-1]) + " and " + groups[-1]


@pytest.mark.slow
@pytest.mark.parametrize("knobs", [{}, {"n_sizes": 1, "max_count": 1, "max_objects": 4},
                                   {"n_shapes": 8, "n_colours": 8, "n_sizes": 5, "max_count": 9,
                                    "min_objects": 8, "max_objects": 8}])
def test_captions_say_what_the_scene_vector_holds(knobs):
    task = make_task("captioning", **knobs)
    assert check_task(task) == []
    batch = task.sample(task.rng(0, "test"), 300, "test")
    words = task.spec.output.symbols
    for x, y, m in zip(batch.inputs.numpy(), batch.targets.tolist(), batch.target_mask.tolist()):
        said = [words[t] for t, keep in zip(y, m) if keep]
        assert said[-1] == "<eos>" and " ".join(said[:-1]) == caption_of(x, task.params)
        assert task.params["min_objects"] <= x.sum() <= task.params["max_objects"]
    assert batch.target_mask.sum(1).max() <= task.spec.max_output_length


def test_caption_lengths_reach_the_declared_maximum():
    task = make_task("captioning", n_shapes=1, n_colours=1, n_sizes=2, max_objects=2, min_objects=2)
    batch = task.sample(task.rng(0, "train"), 64)  # the two kinds: plain and small
    assert int(batch.target_mask.sum(1).max()) == task.spec.max_output_length == 9  # 3 + and + 4 + eos


def test_caption_vocabulary_follows_the_knobs():
    words = make_task("captioning", max_count=1, max_objects=2, n_sizes=1).spec.output.symbols
    assert "circles" not in words and "," not in words and "small" not in words and "and" in words
    assert words[:2] == ("<pad>", "<eos>")


@pytest.mark.parametrize("knobs, message", [
    ({"n_sizes": 6}, "task.n_sizes=6: must be an integer in [1, 5]"),
    ({"min_objects": 3, "max_objects": 2}, "task.min_objects=3: must be <= task.max_objects=2"),
    ({"n_shapes": 1, "n_colours": 1, "n_sizes": 1, "max_objects": 2}, "task.max_objects=2: must be <= n_shapes"),
    ({"max_count": 0}, "task.max_count=0: must be an integer in [1, 9]"),
])
def test_bad_caption_knobs_name_key_value_and_range(knobs, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        make_task("captioning", **knobs)


# ------------------------------------------------------------------------------ grammar_lm
TINY = dict(nouns=2, adjectives=1, verbs=1, p_adjective=0.3, p_transitive=0.6, zipf=1.0)


def brute_force_floor(knobs, T):
    """(H(X_0..X_T) - H(X_0)) / T by enumerating word sequences of the grammar, cut to T + 1 characters."""
    graph = sentence_graph(knobs["nouns"], knobs["adjectives"], knobs["verbs"], knobs["p_adjective"],
                           knobs["p_transitive"], knobs["zipf"])
    streams = defaultdict(float)
    pending = [("START", "", 1.0)]
    while pending:
        node, text, p = pending.pop()
        if len(text) >= T + 1:
            streams[text[: T + 1]] += p
            continue
        total = sum(q for _, q, _ in graph[node])
        pending += [(target, text + string, p * q / total) for string, q, target in graph[node]]
    first = defaultdict(float)
    for text, p in streams.items():
        first[text[0]] += p
    H = -sum(p * math.log(p) for p in streams.values())
    H0 = -sum(p * math.log(p) for p in first.values())
    assert sum(streams.values()) == pytest.approx(1.0)
    return (H - H0) / T


@pytest.mark.parametrize("T", [1, 4, 9, 15])
def test_grammar_floor_matches_brute_force_enumeration(T):
    task = make_task("grammar_lm", length=T, **TINY)
    floor = task.analytic_baselines("test")["entropy_floor"]["cross_entropy"]
    assert floor == pytest.approx(brute_force_floor(TINY, T), rel=1e-10, abs=1e-12)


def test_scoring_with_the_true_distribution_reaches_the_floor():
    task = make_task("grammar_lm", length=64)
    batch = task.sample(task.rng(0, "test"), 1500, "test")
    logits = torch.from_numpy(task.true_log_probs(batch.inputs.numpy())).float()
    records = task.score(logits, batch)
    ce = task.summarize(records)["cross_entropy"]
    stderr = (records["nll"] / records["tokens"]).std() / math.sqrt(batch.size)  # per-example mean NLL
    floor = task.analytic_baselines("test")["entropy_floor"]["cross_entropy"]
    assert abs(ce - floor) < 4 * stderr, (ce, floor, stderr)
    assert task.baselines(batch, batch)["unigram"]["cross_entropy"] > floor + 0.5


def test_grammar_floor_tends_to_the_entropy_rate():
    task = make_task("grammar_lm", length=20_000)
    out = task.analytic_baselines("test")
    assert out["entropy_floor"]["cross_entropy"] == pytest.approx(out["entropy_rate"]["cross_entropy"], rel=2e-3)
    short = make_task("grammar_lm", length=8).analytic_baselines("test")["entropy_floor"]["cross_entropy"]
    assert short != out["entropy_floor"]["cross_entropy"]


def test_grammar_streams_are_sentences_of_the_grammar():
    task = make_task("grammar_lm", length=200)
    batch = task.sample(task.rng(1, "train"), 20)
    symbols = task.spec.input.symbols
    noun, adj = "|".join(NOUNS[:6]), "|".join(ADJECTIVES[:4])
    det, iv, tv = "|".join(DETERMINERS), "|".join(INTRANSITIVE[:4]), "|".join(TRANSITIVE[:4])
    np_ = rf"(?:{det}) (?:(?:{adj}) )*(?:{noun})"
    sentence = re.compile(rf"{np_} (?:(?:{iv})|(?:{tv}) {np_})")
    for row in batch.inputs.tolist():
        text = "".join(symbols[i] for i in row)
        complete = text.split(". ")[:-1]  # the last sentence is cut off
        assert complete and all(sentence.fullmatch(s) for s in complete), text


def test_automaton_refuses_strings_that_would_make_it_nondeterministic():
    with pytest.raises(ValueError, match="prefix"):
        from_word_graph({"S": [("cat", 0.5, "S"), ("cats", 0.5, "S")]}, "S")
    with pytest.raises(ValueError, match="two nodes"):
        from_word_graph({"S": [("a ", 0.5, "S"), ("a ", 0.5, "T")], "T": [("b ", 1.0, "S")]}, "S")


# ------------------------------------------------------------------------------ text_lm
def test_default_text_windows_come_from_their_own_portion():
    task = make_task("text_lm")
    symbols = task.spec.input.symbols
    assert list(symbols[1:]) == sorted(symbols[1:]) and task.splits[-1] == "test_ood"
    text = "".join(symbols[i] for i in task.ids)
    portions = {s: text[a:b] for s, (a, b) in task.bounds.items()}
    assert portions["train"] + portions["val"] + portions["test"] == text
    for split in task.splits:
        batch = task.sample(task.rng(0, split), 50, split)
        assert batch.inputs.shape[1] == task.lengths_for(split)[0]
        assert (batch.inputs[:, 1:] == batch.targets[:, :-1]).all()
        for x, y in zip(batch.inputs.tolist(), batch.targets.tolist()):
            assert "".join(symbols[i] for i in x + y[-1:]) in portions[split]


@pytest.fixture
def text_file(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("Zwölf Boxkämpfer jagen Viktor quer über den großen Sylter Deich.\n" * 20, encoding="utf-8")
    return path


def test_any_utf8_file_sets_the_vocabulary_and_ood_windows(text_file):
    task = make_task("text_lm", path=str(text_file), length=20)
    assert task.spec.input.symbols == ("<pad>",) + tuple(sorted(set(text_file.read_text(encoding="utf-8"))))
    assert task.spec.ood_lengths == (40, 40) and check_task(task) == []
    N = len(text_file.read_text(encoding="utf-8"))
    room = N - int(0.9 * N) - 1  # the longest window of inputs the test portion holds
    assert make_task("text_lm", path=str(text_file), length=room - 10).spec.ood_lengths == (room, room)
    assert make_task("text_lm", path=str(text_file), length=room).splits == ("train", "val", "test")
    assert json.loads(json.dumps(task.describe()))["text"]["characters"] == len(text_file.read_text(encoding="utf-8"))


@pytest.mark.parametrize("content, knobs, message", [
    (None, {}, "no such file"),
    ("folder", {}, "not a regular file"),
    (b"", {}, "the file is empty"),
    (pickle.dumps({"a": [1.5, 2]}, protocol=4), {}, "not UTF-8 text"),
    (b"x" * 200, {"max_bytes": 100}, "200 bytes is more than task.max_bytes=100"),
    (b"abc" * 20, {"length": 10}, "task.length=10: the val portion"),
    (b"abc" * 100, {"length": 5, "ood_length": 40}, "task.ood_length=40: the test portion"),
])
def test_unusable_text_files_are_config_errors_naming_the_path(tmp_path, content, knobs, message):
    path = tmp_path / "data.txt"
    if content == "folder":
        path.mkdir()
    elif content is not None:
        path.write_bytes(content)
    with pytest.raises(ConfigError, match=re.escape(message)) as info:
        make_task("text_lm", path=str(path), **knobs)
    assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_max_bytes_can_be_raised(tmp_path):
    path = tmp_path / "big.txt"
    path.write_text("hello world. " * 100)
    assert make_task("text_lm", path=str(path), length=8, max_bytes=1300).spec.input.size == 10


# ------------------------------------------------------------------------------ training
@pytest.mark.slow
def test_catalogue_tasks_train_through_the_command_line(demo):
    """The demo grid (``make demo``, every task x rnn_tanh, lstm, gru) trains these through the CLI."""
    records = {r["task"]: r for r in demo.records if r["model"] == "lstm"}
    assert {"captioning", "grammar_lm", "text_lm"} <= set(records)
    assert all(records[t]["status"] == "ok" for t in ("captioning", "grammar_lm", "text_lm")), records
    assert "entropy_floor" in records["grammar_lm"]["baselines"]["test"]
    assert "test_ood" in records["text_lm"]["metrics"]


def test_text_lm_trains_on_a_named_file_and_a_missing_one_fails_clearly(tmp_path, text_file):
    from seqbench.cli.overrides import check_overrides
    from seqbench.runs.experiment import run_experiment

    check_overrides(["task=text_lm", f"task.path={text_file}", "model=lstm"])  # a valid key of text_lm
    trainer = {"steps": 6, "eval_every": 3, "eval_size": 32}
    ok = run_experiment({"name": "text_lm", "path": str(text_file), "length": 16}, {"name": "lstm"}, trainer,
                        out_dir=tmp_path / "ok")
    assert ok["status"] == "ok", ok["error"]
    assert json.loads((tmp_path / "ok" / "result.json").read_text())["task_params"]["path"] == str(text_file)
    from seqbench.core.errors import ConfigError

    with pytest.raises(ConfigError, match=r"task.path='.*nope.txt': no such file"):  # refused before any work
        run_experiment({"name": "text_lm", "path": str(tmp_path / "nope.txt")}, {"name": "lstm"}, trainer,
                       out_dir=tmp_path / "missing")
    assert not (tmp_path / "missing" / "result.json").exists()
