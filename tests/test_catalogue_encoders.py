"""The catalogue tasks: sentiment, adding, copy, sort, addition, pos_tagging, copy_memory.

Exact rules (every target recomputed from its input by independent code), closed-form
baselines, the bag-of-words argument for sentiment, and two small training races: an LSTM beats
the majority baseline on sentiment, and a bidirectional LSTM beats a unidirectional one on
pos_tagging (whose tags depend on the words to the right).
"""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np
import pytest
import torch

from seqbench import ConfigError, fit, make_model, make_task
from seqbench.models import count_parameters

NEW_TASKS = ("sentiment", "adding", "copy", "sort", "addition", "pos_tagging", "copy_memory")


# ----------------------------------------------------------------------------- knobs and shapes
@pytest.mark.parametrize("name", NEW_TASKS)
def test_defaults_build_and_have_a_version_and_longer_test_ood(name):
    task = make_task(name)
    assert task.version >= 1 and task.splits[-1] == "test_ood"
    train_high = task.spec.lengths[1]
    ood = task.sample(task.rng(0, "test_ood"), 8, "test_ood")
    assert int(ood.lengths.min()) > train_high


@pytest.mark.parametrize("name, knobs, message", [
    ("sentiment", {"label_noise": 0.7}, "task.label_noise=0.7: must be a number in [0, 0.5]"),
    ("sentiment", {"min_length": 3}, "task.min_length=3: must be an integer in [9, 100000]"),
    ("sentiment", {"vocab_size": 101}, "task.vocab_size=101: must be an integer in [4, 100]"),
    ("sentiment", {"negation_rate": -0.1}, "task.negation_rate=-0.1: must be a number in [0, 1]"),
    ("adding", {"min_length": 1}, "task.min_length=1: must be an integer in [2, 100000]"),
    ("copy_memory", {"delay": 0}, "task.delay=0: must be an integer in [1, 100000]"),
    ("copy_memory", {"delay": 50, "ood_delay": 50}, "task.ood_delay=50: must be > task.delay=50"),
    ("addition", {"digits": 4, "ood_digits": 3}, "task.ood_digits=3: must be > task.digits=4"),
    ("addition", {"min_digits": 5}, "task.min_digits=5: must be <= task.digits=3"),
    ("pos_tagging", {"min_length": 1}, "task.min_length=1: must be an integer in [2, 100000]"),
    ("sort", {"vocab_size": 27}, "task.vocab_size=27: must be an integer in [1, 26]"),
])
def test_knobs_are_validated_with_key_value_and_range(name, knobs, message):
    with pytest.raises(ConfigError) as error:
        make_task(name, **knobs)
    assert str(error.value) == message


# ----------------------------------------------------------------------------- seq2seq rules
def _decode(row, mask=None) -> list[int]:
    return [v for i, v in enumerate(row) if v > 1 and (mask is None or mask[i])]


def test_copy_and_sort_targets():
    for name, rule in (("copy", lambda s: s), ("sort", sorted)):
        task = make_task(name, length=9, vocab_size=6)
        batch = task.sample(task.rng(2, "test_ood"), 40, "test_ood")
        for x, y, n in zip(batch.inputs.tolist(), batch.targets.tolist(), batch.lengths.tolist()):
            assert [v + 1 for v in rule(x[:n])] + [1] == y[: n + 1]


def test_addition_targets_are_the_sums():
    task = make_task("addition", digits=4)
    digits = task.spec.input.symbols
    for split in ("train", "test_ood"):
        batch = task.sample(task.rng(0, split), 64, split)
        low, high = task.digit_range(split)
        for x, y, m, n in zip(batch.inputs.tolist(), batch.targets.tolist(), batch.target_mask.tolist(),
                              batch.lengths.tolist()):
            a, b = "".join(digits[v] for v in x[:n]).split("+")
            assert low <= len(a) <= high and low <= len(b) <= high
            assert (a == "0" or a[0] != "0") and (b == "0" or b[0] != "0")
            assert "".join(str(v - 2) for v in _decode(y, m)) == str(int(a) + int(b))
            assert y[sum(m) - 1] == 1  # EOS
    assert task.spec.max_output_length == task.ood_digits + 2


# ----------------------------------------------------------------------------- adding
def test_adding_has_two_markers_one_per_half_and_sums_them():
    task = make_task("adding", length=30)
    batch = task.sample(task.rng(0, "train"), 256)
    x, y, lengths = batch.inputs.numpy(), batch.targets.numpy(), batch.lengths.numpy()
    assert x.shape == (256, lengths.max(), 2)
    for row, target, n in zip(x, y, lengths):
        marked = np.flatnonzero(row[:, 1])
        assert len(marked) == 2 and marked[0] < n // 2 <= marked[1] < n
        assert (row[n:] == 0).all() and (row[:n, 0] >= 0).all() and (row[:n, 0] < 1).all()
        assert target == pytest.approx(row[marked, 0].sum(), abs=1e-6)


def test_adding_constant_one_baseline_is_one_sixth_and_matches_a_big_sample():
    task = make_task("adding", length=20)
    derived = task.analytic_baselines("test")["constant_1"]["mse"]
    assert derived == pytest.approx(1 / 6, abs=1e-15)
    batch = task.sample(task.rng(0, "test"), 200_000, "test")
    empirical = float(((batch.targets.double() - 1.0) ** 2).mean())  # standard error about 4e-4
    assert empirical == pytest.approx(1 / 6, abs=2e-3)
    scored = task.summarize(task.score(torch.ones(batch.size), batch))["mse"]  # the metric code agrees
    assert scored == pytest.approx(empirical, rel=1e-5)


# ----------------------------------------------------------------------------- copy_memory
def test_copy_memory_layout():
    task = make_task("copy_memory", delay=100)
    batch = task.sample(task.rng(0, "train"), 8)
    symbols = task.spec.input.symbols
    assert tuple(batch.inputs.shape) == tuple(batch.targets.shape) == (8, 120)
    assert bool(batch.target_mask.all())
    for x, y in zip(batch.inputs.tolist(), batch.targets.tolist()):
        text = [symbols[v] for v in x]
        assert all(c in "abcdefgh" for c in text[:10])
        assert text[10:109] == ["-"] * 99 and text[109] == ":" and text[110:] == ["-"] * 10
        out = [task.spec.output.symbols[v] for v in y]
        assert out[:110] == ["-"] * 110 and out[110:] == text[:10]
    ood = task.sample(task.rng(0, "test_ood"), 2, "test_ood")
    assert ood.inputs.shape[1] == 2 * 100 + 20  # the default ood_delay is 2 x delay


def test_copy_memory_memoryless_baseline_is_the_closed_form():
    task = make_task("copy_memory")
    assert round(task.analytic_baselines("test")["memoryless"]["cross_entropy"], 4) == 0.1733
    for delay, copy_length, alphabet in ((1, 10, 8), (37, 10, 8), (250, 10, 8), (20, 4, 5)):
        task = make_task("copy_memory", delay=delay, copy_length=copy_length, alphabet=alphabet)
        for split, T in (("test", delay), ("test_ood", 2 * delay)):
            got = task.analytic_baselines(split)["memoryless"]
            assert got["cross_entropy"] == pytest.approx(copy_length * math.log(alphabet) / (T + 2 * copy_length),
                                                         rel=1e-6)
            assert got["accuracy"] == pytest.approx((T + copy_length + copy_length / alphabet) / (T + 2 * copy_length),
                                                    rel=1e-6)


# ----------------------------------------------------------------------------- sentiment
def reference_label(words: list[str]) -> int:
    """The documented rule, written independently of the generator."""
    from seqbench.tasks.sentiment import NEGATIVE, POSITIVE

    start = max((i + 1 for i, w in enumerate(words) if w == "but"), default=0)
    score = 0
    for j in range(start, len(words)):
        polarity = 1 if words[j] in POSITIVE else -1 if words[j] in NEGATIVE else 0
        if polarity == 0:
            continue
        k = j - 1
        if k >= start and words[k] in ("very", "really"):
            polarity, k = 2 * polarity, k - 1
        if k >= start and words[k] in ("not", "never"):
            polarity = -polarity
        score += polarity
    assert score != 0
    return int(score > 0)


def _reviews(task, batch) -> list[list[str]]:
    symbols = task.spec.input.symbols
    return [[symbols[v] for v in row[:n]] for row, n in zip(batch.inputs.tolist(), batch.lengths.tolist())]


def test_sentiment_labels_follow_the_documented_rule():
    task = make_task("sentiment", vocab_size=60, negation_rate=0.5, contrast_rate=0.5, intensifier_rate=0.5)
    for split in task.splits:
        batch = task.sample(task.rng(1, split), 400, split)
        assert [reference_label(r) for r in _reviews(task, batch)] == batch.targets.tolist()
    assert reference_label("good but boring".split()) == 1 - reference_label("boring but good".split())
    assert reference_label("very good bad".split()) == 1 - reference_label("good very bad".split())
    assert reference_label("not very good bad".split()) == 1 - reference_label("very good not bad".split())


def test_sentiment_label_noise_flips_training_labels_only():
    task = make_task("sentiment", label_noise=0.2)
    train = task.sample(task.rng(0, "train"), 4000)
    flipped = np.mean([reference_label(r) != y for r, y in zip(_reviews(task, train), train.targets.tolist())])
    assert flipped == pytest.approx(0.2, abs=0.03)
    test = task.sample(task.rng(0, "test"), 500, "test")
    assert [reference_label(r) for r in _reviews(task, test)] == test.targets.tolist()


def test_sentiment_defeats_every_bag_of_words_model():
    """Generated reviews with the same multiset of words but opposite labels exist, so no
    order-blind model reaches 100 %: its best accuracy on a sample is the majority label per multiset."""
    task = make_task("sentiment", vocab_size=4, min_length=9, length=9)  # words: good, bad, the, movie
    batch = task.sample(task.rng(0, "test"), 4000, "test")
    groups: dict[tuple, dict[int, list[str]]] = defaultdict(dict)
    for review, label in zip(_reviews(task, batch), batch.targets.tolist()):
        groups[tuple(sorted(review))].setdefault(label, review)
    clashes = [g for g in groups.values() if len(g) == 2]
    assert clashes
    positive, negative = clashes[0][1], clashes[0][0]
    assert sorted(positive) == sorted(negative) and positive != negative
    assert reference_label(positive) == 1 and reference_label(negative) == 0
    counts: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    for review, label in zip(_reviews(task, batch), batch.targets.tolist()):
        counts[tuple(sorted(review))][label] += 1
    best_bag_of_words = sum(max(c) for c in counts.values()) / batch.size
    assert best_bag_of_words < 0.95


@pytest.mark.slow
def test_lstm_beats_the_majority_baseline_on_sentiment():
    task = make_task("sentiment")
    torch.manual_seed(0)  # the initial weights too, not only fit's data: the test must not depend on order
    model = make_model("lstm", task.spec, hidden_size=32, embedding_size=16)
    result = fit(model, task, seed=0, steps=200, batch_size=32, lr=1e-2, eval_every=200, eval_size=512, threads=1)
    train = task.sample(task.rng(0, "train"), 2000)
    test = task.sample(task.rng(0, "test"), 512, "test")
    majority = task.baselines(train, test)["majority"]["accuracy"]
    accuracy = result.metrics["test"]["accuracy"]
    print(f"sentiment test accuracy: lstm {accuracy:.3f}, majority {majority:.3f}")
    assert accuracy > majority + 0.25


# ----------------------------------------------------------------------------- pos_tagging
def test_pos_grammar_is_unambiguous_but_needs_the_right_context():
    from seqbench.tasks.pos_tagging import SLOTS, clause_templates

    tags_of: dict[tuple, tuple] = {}
    for template in clause_templates():
        surface = tuple(SLOTS[s][0] for s in template)
        tags = tuple(SLOTS[s][1] for s in template)
        assert tags_of.setdefault(surface, tags) == tags  # the whole clause fixes every tag
    # same words up to and including position t, different tag at t: the right context decides
    by_prefix: dict[tuple, set] = defaultdict(set)
    for surface, tags in tags_of.items():
        for t in range(len(surface)):
            by_prefix[surface[: t + 1]].add(tags[t])
    ambiguous = {prefix[-1] for prefix, tags in by_prefix.items() if len(tags) > 1}
    assert ambiguous == {"NV", "AN"}


def test_pos_tags_of_ambiguous_words_follow_the_next_word():
    from seqbench.tasks.pos_tagging import LEXICON, TAGS, WORDS

    task = make_task("pos_tagging")
    batch = task.sample(task.rng(0, "train"), 500)
    words = np.array(("<pad>",) + WORDS)[batch.inputs.numpy()]
    tags = np.array(("<pad>",) + TAGS)[batch.targets.numpy()]
    nv, an, det = (np.isin(words, LEXICON[c].split()) for c in ("NV", "AN", "DET"))
    before = np.zeros_like(nv)
    before[:, :-1] = True
    nxt_det, nxt_tag = np.roll(det, -1, axis=1) & before, np.roll(tags, -1, axis=1)
    assert (tags[nv & nxt_det] == "VERB").all() and (tags[nv & before & (nxt_tag == "VERB")] == "NOUN").all()
    assert (tags[an & before & (nxt_tag == "VERB")] == "NOUN").all()
    assert (tags[an & before & np.isin(nxt_tag, ["ADJ", "NOUN"])] == "ADJ").all()
    # both readings occur right after a noun, with the same left neighbour class
    after_noun = nv & np.roll(np.isin(words, LEXICON["NOUN"].split()), 1, axis=1)
    assert {"NOUN", "VERB"} <= set(tags[after_noun])


@pytest.mark.slow
def test_bidirectional_lstm_beats_unidirectional_on_pos_tagging():
    task = make_task("pos_tagging", length=12)
    scores = {}
    for name, options in (("lstm", {"hidden_size": 46}), ("bilstm", {"hidden_size": 32, "bidirectional": True})):
        torch.manual_seed(0)  # initial weights independent of the tests that ran before
        model = make_model("lstm", task.spec, embedding_size=16, **options)
        result = fit(model, task, seed=0, steps=150, batch_size=32, lr=1e-2, eval_every=150, eval_size=256, threads=1)
        scores[name] = (result.metrics["test"]["accuracy"], count_parameters(model))
    print("pos_tagging test accuracy (params):", scores)
    (uni, uni_params), (bi, bi_params) = scores["lstm"], scores["bilstm"]
    assert abs(bi_params - uni_params) / uni_params < 0.15  # similar size, same steps
    assert bi > uni + 0.03
