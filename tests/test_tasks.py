"""Every registered task passes the conformance checks; tasks are deterministic and honest."""

import math
import os
import subprocess
import sys

import numpy as np
import pytest

from seqbench import TASKS, make_task
from seqbench.conformance.task_checks import check_task
from seqbench.core.errors import ConfigError
from seqbench.core.spec import KINDS

from conftest import builtin_names


@pytest.mark.slow
@pytest.mark.parametrize("name", TASKS.names())
def test_every_registered_task_conforms(name):
    assert check_task(make_task(name)) == []


def test_core_covers_every_kind():
    kinds = {TASKS.get(name)().kind for name in builtin_names(TASKS)}
    assert kinds == set(KINDS)


FINGERPRINTS = """
from seqbench import TASKS, make_task
for name in TASKS.names():
    task = make_task(name)
    print(name, *(task.sample(task.rng(7, split), 5, split).fingerprint() for split in task.splits))
"""


@pytest.mark.slow
def test_same_seed_same_data_across_processes():
    """Another process (its own hash seed, import order and global random state) draws the same data."""
    there = subprocess.run([sys.executable, "-c", FINGERPRINTS], capture_output=True, text=True, check=True,
                           env={**os.environ, "PYTHONHASHSEED": "random"}).stdout
    here = {}
    for name in TASKS.names():
        task = make_task(name)
        here[name] = [task.sample(task.rng(7, split), 5, split).fingerprint() for split in task.splits]
    expected = "".join(f"{name} {' '.join(prints)}\n" for name, prints in here.items())
    assert there == expected


def test_splits_use_independent_streams():
    task = make_task("parity", length=40, min_length=40)
    train = task.sample(task.rng(0, "train"), 200).inputs
    test = task.sample(task.rng(0, "test"), 200, "test").inputs
    shared = {tuple(r) for r in train.tolist()} & {tuple(r) for r in test.tolist()}
    assert not shared  # 2**40 strings: any overlap would mean the streams are the same


def test_generators_never_touch_global_random_state():
    np.random.seed(123)
    before = np.random.random()
    np.random.seed(123)
    for name in TASKS.names():
        task = make_task(name)
        task.sample(task.rng(0, "train"), 4)
    assert np.random.random() == before


def test_parity_labels_and_test_ood_lengths():
    task = make_task("parity", length=8)
    batch = task.sample(task.rng(0, "test_ood"), 64, "test_ood")
    assert batch.lengths.min() > 8 and batch.lengths.max() <= 16
    bits = (batch.inputs == 2).sum(1) % 2
    assert (bits == batch.targets).all()


def test_reverse_targets_are_reversed_inputs_then_eos():
    task = make_task("reverse", length=7, vocab_size=5)
    batch = task.sample(task.rng(3, "train"), 32)
    for x, y, n in zip(batch.inputs.tolist(), batch.targets.tolist(), batch.lengths.tolist()):
        assert [v + 1 for v in x[:n][::-1]] + [1] == y[: n + 1]


def test_bracket_depth_tags_count_open_brackets():
    task = make_task("bracket_depth", length=30, max_depth=3)
    batch = task.sample(task.rng(0, "train"), 50)
    steps = np.where(batch.inputs.numpy() == 1, 1, np.where(batch.inputs.numpy() == 2, -1, 0))
    depth = np.cumsum(steps, axis=1)
    mask = batch.target_mask.numpy()
    assert (depth[mask] == batch.targets.numpy()[mask]).all()
    assert depth.min() >= 0 and depth.max() <= 3


@pytest.mark.slow
def test_number_words_spells_the_number():
    from seqbench.tasks.number_words import CHARACTERS, words

    task = make_task("number_words", max_value=999_999)
    batch = task.sample(task.rng(0, "train"), 16)
    digits = batch.inputs.view(16, 6, 10).argmax(-1)
    for row, target, mask in zip(digits.tolist(), batch.targets.tolist(), batch.target_mask.tolist()):
        number = int("".join(map(str, row)))
        text = "".join(CHARACTERS[t - 2] for t, m in zip(target, mask) if m and t > 1)
        assert text == words(number)
    assert words(312) == "three hundred twelve"


def test_number_words_evaluates_on_numbers_never_trained_on():
    """test_ood is the numbers whose hundreds digit h >= 1 and ones digit o have h + o divisible by
    5 (computed here from the rule, by hand), each once; val and test are 10 % and 20 % of the other
    820 numbers but 0 (the only one named with "zero"), each once, apart from each other; training
    draws only the rest; every word of an evaluated number's name occurs in training names (new
    numbers, not new words)."""
    from seqbench.tasks.number_words import CHARACTERS, words

    def decode(batch):
        digits = batch.inputs.view(batch.size, -1, 10).argmax(-1).tolist()
        return [int("".join(map(str, row))) for row in digits]

    task = make_task("number_words")
    held = {n for n in range(1000) if n // 100 >= 1 and (n // 100 + n % 10) % 5 == 0}
    assert len(held) == 180 and "test_ood" in task.splits
    sizes = {split: task.split_size(split) for split in ("val", "test", "test_ood")}
    assert sizes == {"val": 82, "test": 164, "test_ood": 180}  # ceil(10 % and 20 % of 819: all but 0), the 180
    evaluated = {split: decode(task.sample(task.eval_rng(split), size, split)) for split, size in sizes.items()}
    assert sorted(evaluated["test_ood"]) == sorted(held)
    assert all(len(set(numbers)) == len(numbers) for numbers in evaluated.values())  # each number once
    val, test = set(evaluated["val"]), set(evaluated["test"])
    assert not val & test and not (val | test) & held
    ood = task.sample(task.eval_rng("test_ood"), 180, "test_ood")
    for row, target, mask in zip(decode(ood), ood.targets.tolist(), ood.target_mask.tolist()):
        assert "".join(CHARACTERS[t - 2] for t, m in zip(target, mask) if m and t > 1) == words(row)
    trained = set(decode(task.sample(task.rng(0, "train"), 10_000)))
    assert trained == set(range(1000)) - held - val - test  # 10,000 draws of 574: each (missing one: p < 1e-4)
    assert 0 in trained  # "zero" names no other number: 0 is always trained
    assert set(decode(task.sample(task.rng(1, "train"), 10_000))) <= trained  # any seed: the same 574
    trained_words = {w for n in trained for w in words(n).split()}
    assert {w for n in val | test | held for w in words(n).split()} <= trained_words
    assert "test_ood" not in make_task("number_words", holdout=0).splits
    assert "test_ood" not in make_task("number_words", max_value=99).splits  # nothing to hold out
    with pytest.raises(ConfigError, match="task.holdout=1: holds out every number from 100 up"):
        make_task("number_words", holdout=1)
    with pytest.raises(ConfigError, match="n=181"):
        task.sample(task.eval_rng("test_ood"), 181, "test_ood")
    with pytest.raises(ConfigError, match="n=165: split 'test' of task 'number_words' has only 164"):
        task.sample(task.eval_rng("test"), 165, "test")


def test_digits_test_ood_is_the_test_images_under_pixel_noise():
    task = make_task("digits")
    assert task.split_size("test_ood") == task.split_size("test") == 360
    n = task.split_size("test")
    clean = task.sample(np.random.default_rng(3), n, "test")
    noisy = task.sample(np.random.default_rng(3), n, "test_ood")  # same images drawn, then noise
    assert noisy.targets.tolist() == clean.targets.tolist()
    noise = (noisy.inputs - clean.inputs).numpy()
    assert abs(noise.mean()) < 0.01 and abs(noise.std() - 0.25) < 0.01
    assert "test_ood" not in make_task("digits", ood_noise=0.0).splits


@pytest.mark.slow
def test_digits_reads_scikit_learns_file_as_load_digits_does(monkeypatch):
    """From the shipped file, not through load_digits (which would import scikit-learn and scipy):
    the same values; load_digits is the fallback only."""
    import sklearn.datasets
    from sklearn.datasets import load_digits

    from seqbench.tasks import digits

    data = load_digits()

    def refused():
        raise AssertionError("digits called load_digits although the shipped file is there")

    monkeypatch.setattr(sklearn.datasets, "load_digits", refused)
    digits._load.cache_clear()
    try:
        pixels, labels = digits._load()
    finally:
        digits._load.cache_clear()
    assert np.array_equal(pixels, (data.data / 16.0).astype(np.float32))
    assert np.array_equal(labels, data.target) and pixels.shape == (1797, 64)


def test_digits_split_is_fixed_and_disjoint():
    task = make_task("digits")
    sizes = {s: task.split_size(s) for s in ("train", "val", "test")}
    assert sum(sizes.values()) == 1797
    indices = {s: set(task._indices(s).tolist()) for s in ("train", "val", "test")}
    assert not indices["train"] & indices["val"] and not indices["train"] & indices["test"]
    assert not indices["val"] & indices["test"]
    test = task.sample(task.rng(0, "test"), sizes["test"], "test")
    assert sorted(test.targets.tolist()) == sorted(task.sample(task.rng(5, "test"), sizes["test"], "test").targets.tolist())


def test_markov_floor_matches_brute_force_enumeration():
    """The closed-form entropy floor equals the optimum computed over every possible stream."""
    from itertools import product

    task = make_task("markov_lm", length=4, vocab_size=3, order=2, concentration=0.7)
    P, V, k, T = task.transitions, 3, 2, 4
    start = task.start.reshape(V, V)  # stationary distribution of the first two symbols
    total = 0.0
    for seq in product(range(V), repeat=T + 1):
        p = start[seq[0], seq[1]]
        for t in range(2, T + 1):
            p *= P[seq[t - 2] * V + seq[t - 1], seq[t]]
        total -= p * math.log(p)  # H(X_0..X_T)
    h_first = -(start.sum(1) * np.log(start.sum(1))).sum()
    floor = (total - h_first) / T
    assert task.analytic_baselines("test")["entropy_floor"]["cross_entropy"] == pytest.approx(floor, rel=1e-9)


def test_markov_samples_follow_the_source():
    """Scoring samples with the true transition table gives the entropy floor (to sampling error)."""
    task = make_task("markov_lm", length=64, vocab_size=4, order=1)
    batch = task.sample(task.rng(0, "test"), 2000, "test")
    x = batch.inputs.numpy() - 1
    y = batch.targets.numpy() - 1
    nll = -np.log(task.transitions[x, y]).mean()
    floor = task.analytic_baselines("test")["entropy_floor"]["cross_entropy"]
    assert nll == pytest.approx(floor, abs=0.01)


def test_uniform_perplexity_equals_the_vocabulary_size():
    task = make_task("markov_lm", vocab_size=7)
    train = task.sample(task.rng(0, "train"), 8)
    chance = task.baselines(train, train)["chance"]
    assert chance["perplexity"] == pytest.approx(7.0)
    assert chance["bits_per_char"] == pytest.approx(math.log2(7))
