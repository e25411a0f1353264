"""Test sets that test: no evaluation input occurs in training (measured), and finite spaces are stated.

The measurement draws the training stream of the committed board's largest run (``trainer=converge``:
5,000 steps of batch 32, 160,000 examples) for every built-in task, 8,192 examples at a time (the
distribution of a run's batches of 32, drawn faster), and counts the examples of the shared
evaluation sets (500 val, 2,000 test and 2,000 test_ood, or a finite split whole) whose input
occurs in it, exactly: zero for every task that partitions its input space.
"""

import itertools
import math
import platform

import numpy as np
import pytest

from seqbench import TASKS, make_task
from seqbench.conformance.task_checks import CHECKS, check_partition, count_overlap
from seqbench.core.errors import ConfigError
from seqbench.engine.evaluation import make_eval_sets
from seqbench.core.partition import partition_of
from seqbench.core.spaces import README_BEGIN, README_END, readme_table
from seqbench.tasks.parity import Parity
from seqbench.tasks.text_lm import pydoc_topics

from conftest import ROOT, builtin_names

RUN = 5_000 * 32  #: the largest committed run: trainer=converge, 5,000 steps of batch 32
#: tasks that do not partition and whose sources can repeat an input: the share of each evaluation set
#: found in RUN training examples stays below this (measured: 2 of 2,000 test examples each)
REPEATS = {"grammar_lm": 0.002, "text_lm": 0.002}


@pytest.mark.slow
@pytest.mark.parametrize("name", builtin_names(TASKS))
def test_no_evaluation_input_occurs_in_a_runs_training_stream(name):
    task = make_task(name)
    sets = make_eval_sets(task)
    found = count_overlap(task, RUN, sets)
    assert set(found) == set(task.splits[1:])
    limit = REPEATS.get(name, 0.0)
    assert all(count <= limit * sets[split].size for split, count in found.items()), found
    if task.partition == "hash":
        assert not any(found.values()), found


def test_every_task_partitions_or_says_why_not():
    for name in builtin_names(TASKS):
        task = make_task(name)
        assert task.partition in ("hash", "none"), name
        assert (task.partition == "none") == bool(task.partition_reason), name
        if task.partition == "hash":
            space = task.input_space()
            assert space is not None and space.sizes, name  # every discrete built-in states its space
    assert check_partition in CHECKS  # seqbench check TASK runs it, on plugins too


def test_short_lengths_are_enumerated_exactly():
    """Against brute force: every bit string of every length, assigned by the task's own partition."""
    task = make_task("parity", length=10)
    table = partition_of(task)
    for length in range(1, 11):
        strings = np.array(list(itertools.product((1, 2), repeat=length)))  # token ids of "0", "1"
        parts = task.input_parts(strings, np.full(len(strings), length))
        counts = tuple(int((parts == part).sum()) for part in (0, 1, 2))
        if length == 1:  # two strings: too few for both sides
            assert counts == (2, 0, 0)
        elif 2**length <= 256:  # enumerated: exactly ceil(5 %) each
            held = math.ceil(0.05 * 2**length)
            assert counts == table.counts[length] == (2**length - 2 * held, held, held), length
        else:  # a hash spreads the rest about evenly
            assert abs(counts[1] / 2**length - 0.05) < 0.02 and abs(counts[2] / 2**length - 0.05) < 0.02


def test_evaluation_keeps_the_generators_mix_of_lengths():
    test = make_eval_sets(make_task("parity"))["test"]
    per_length = np.bincount(test.lengths.numpy(), minlength=17)
    assert per_length[1] == 0  # length 1: train only
    assert per_length[2:].min() > 90 and per_length[2:].max() < 180  # 2,000 over 15 lengths, 133 each
    strings = {tuple(row[:n]) for row, n in zip(test.inputs.tolist(), test.lengths.tolist())}
    assert len(strings) > 600  # lengths 2-8 hold 1 to 13 test strings each, the longer ones hundreds


def test_a_space_too_small_to_split_is_one_line_naming_task_split_and_space():
    with pytest.raises(ConfigError) as refused:
        make_task("parity", length=1)  # two strings: no val and no test
    message = str(refused.value)
    assert "task 'parity'" in message and "split 'val'" in message and "2 inputs" in message
    assert "\n" not in message

    class Tiny(Parity):  # a plugin that does not state its space: found out when it is drawn
        name = "tiny"

        def input_space(self):
            return None

    task = Tiny(length=2)
    with pytest.raises(ConfigError) as unfilled:
        for split in ("val", "test"):
            task.sample(task.eval_rng(split), 200, split)
    message = str(unfilled.value)
    assert "task 'tiny'" in message and "cannot be filled" in message and "input space" in message
    assert "\n" not in message


def test_the_check_catches_a_task_that_evaluates_on_training_inputs():
    class Leaky(Parity):  # val drawn by the task itself, from the whole space
        name = "leaky"

        def split_size(self, split):
            return 64 if split == "val" else None

    failure = check_partition_failure(Leaky(length=6))
    assert "evaluation inputs occur in training" in failure and "of val's" in failure

    class Unexplained(Parity):
        name = "unexplained"
        partition = "none"

    assert "needs a partition_reason" in check_partition_failure(Unexplained())

    class Miscounted(Parity):
        name = "miscounted"

        def input_space(self):
            space = super().input_space()
            return type(space)({length: size // 2 for length, size in space.sizes.items()})

    assert "found more" in check_partition_failure(Miscounted(length=6))


def check_partition_failure(task) -> str:
    try:
        check_partition(task)
    except AssertionError as exc:
        return str(exc)
    return ""


def test_number_words_val_and_test_are_whole_finite_splits():
    task = make_task("number_words")
    sets = make_eval_sets(task)
    assert {split: batch.size for split, batch in sets.items()} == {"val": 82, "test": 164, "test_ood": 180}


def test_text_lm_evaluates_on_large_contiguous_portions_of_pythons_documentation():
    task = make_task("text_lm")
    assert task.source.startswith("pydoc_data.topics") and task.splits[-1] == "test_ood"
    text = "".join(task.symbols[i - 1] for i in task.ids)
    assert text == pydoc_topics()
    bounds = task.bounds
    assert bounds["train"][0] == 0 and bounds["train"][1] == bounds["val"][0] and bounds["val"][1] == bounds["test"][0]
    assert bounds["test"][1] == len(text)
    for split in ("val", "test"):
        low, high = bounds[split]
        assert len(text[low:high].encode("utf-8")) >= 40_000, split
    windows = make_eval_sets(task)["test"].inputs
    assert len({tuple(row) for row in windows.tolist()}) > 1_900  # 2,000 windows from 44,722 places
    lecture = make_task("text_lm", corpus="lecture")
    assert lecture.source.endswith("lecture.txt") and lecture.describe()["text"]["characters"] < 10_000


def test_readme_states_the_corpus_its_licence_and_size():
    readme = " ".join((ROOT / "docs" / "tasks.md").read_text().split())  # the task catalogue, lines joined
    assert "pydoc_data.topics" in readme and "PSF License Agreement" in readme and "corpus=lecture" in readme
    if platform.python_version() != "3.11.7":
        pytest.skip("the README's sizes are those of Python 3.11.7's documentation topics")
    from pydoc_data.topics import topics

    task = make_task("text_lm")
    raw = sum(len(text) for text in topics.values())
    test = task.bounds["test"][1] - task.bounds["test"][0]
    for number in (raw, len(task.ids), test):
        assert f"{number:,} characters" in readme, number


def test_readme_states_every_tasks_input_space_as_computed():
    readme = (ROOT / "docs" / "tasks.md").read_text()  # the task catalogue
    stated = readme.split(README_BEGIN, 1)[1].split(README_END, 1)[0].strip()
    assert stated == readme_table([make_task(name) for name in builtin_names(TASKS)]), (
        "docs/tasks.md's input-space table differs from the computed one: paste the output of "
        "seqbench.core.spaces.readme_table over it")


def test_the_dataset_card_states_the_space_and_the_lengths_too_small(tmp_path):
    from seqbench.runs.export import export

    card = export(make_task("parity"), "test", 4, seed=0, out=tmp_path / "p.jsonl")
    space = card["input_space"]
    assert space["space"]["total"] == sum(2**L for L in range(1, 17))
    assert [row["inputs"] for row in space["lengths"]] == [2**L for L in range(1, 17)]
    assert space["small"][0] == {"length": 1, "inputs": 2, "val": 0, "test": 0}
    assert "too few inputs for both sides" in card["test_sets"] and "train only" in card["test_sets"]
    assert export(make_task("adding"), "test", 2, seed=0, out=tmp_path / "a.jsonl")["input_space"]["reason"]
