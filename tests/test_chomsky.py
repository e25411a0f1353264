"""The Chomsky-hierarchy family (tasks/chomsky/): conformance, labels re-derived independently,
determinism, levels, lengths and the exact baselines.

The label checks decode examples from generated batches and recompute every target with plain
per-example Python (lists, ``int``, ``eval``), written here without reusing the tasks' code, on
training lengths and on the longest ``test_ood`` lengths (up to 500 symbols).
"""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest

from seqbench import make_task
from seqbench.conformance.task_checks import check_task
from seqbench.cli import commands
from seqbench.core.errors import ConfigError

LEVELS = {
    "regular": ["even_pairs", "modular_arithmetic", "parity_check", "cycle_navigation"],
    "context-free": ["stack_manipulation", "reverse_string", "modular_arithmetic_brackets", "solve_equation"],
    "context-sensitive": ["duplicate_string", "missing_duplicate_string", "odds_first", "binary_addition",
                          "binary_multiplication", "compute_sqrt", "bucket_sort"],
}
NAMES = [name for names in LEVELS.values() for name in names]
ALIGNED = ["stack_manipulation", "reverse_string", "duplicate_string", "odds_first", "binary_addition",
           "binary_multiplication", "compute_sqrt", "bucket_sort"]


# ----------------------------------------------------------------- decoding batches into strings
def decoded(task, split: str, n: int, seed: int = 0):
    """Examples of ``split`` as (input symbols, label) or, for aligned tasks, (input symbols,
    scored output classes, number of blank steps, number of scored steps)."""
    batch = task.sample(task.rng(seed, split), n, split).numpy()
    symbols = task.spec.input.symbols
    out = []
    for i in range(n):
        steps = [symbols[t] for t in batch["inputs"][i][: batch["lengths"][i]]]
        if task.spec.kind == "many_to_one":
            out.append((steps, int(batch["targets"][i])))
            continue
        blanks = steps.index("?")
        mask = batch["target_mask"][i][: batch["lengths"][i]]
        assert not mask[:blanks].any(), "input steps are never scored"
        assert set(steps[blanks:]) == {"?"}, "after the string come only blank steps"
        scored = [int(c) for c, m in zip(batch["targets"][i], batch["target_mask"][i]) if m]
        assert mask[blanks: blanks + len(scored)].all(), "the scored steps are the first blank steps"
        out.append((steps[:blanks], scored, len(steps) - blanks, len(scored)))
    return out


def samples(name: str, **knobs):
    """A few hundred examples: training lengths, and test_ood whose grid reaches 500 symbols."""
    task = make_task(name, **knobs)
    return task, decoded(task, "test", 200) + decoded(task, "test_ood", 60)


# ----------------------------------------------------------------- conformance and registration
@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_every_chomsky_task_passes_the_conformance_checks(name):
    assert check_task(make_task(name)) == []


@pytest.mark.slow
def test_seqbench_check_passes_on_the_family(capsys):
    assert commands.check(NAMES) == 0
    assert capsys.readouterr().out.count("ok  ") == len(NAMES)


def test_seqbench_tasks_json_lists_the_fifteen_with_their_level(capsys):
    assert commands.tasks(["--json"]) == 0
    described = {d["name"]: d for d in json.loads(capsys.readouterr().out)}
    for level, names in LEVELS.items():
        for name in names:
            assert described[name]["level"] == level
            assert described[name]["kind"] == ("tagging" if name in ALIGNED else "many_to_one")
            assert "Deletang" in described[name]["description"]
            assert set(described[name]["knobs"]) >= {"min_length", "length", "ood_length", "ood_grid"}


@pytest.mark.parametrize("name", NAMES)
def test_same_seed_same_data_other_seed_other_data(name):
    task = make_task(name)
    for split in task.splits:
        first = task.sample(task.rng(3, split), 32, split).fingerprint()
        assert task.sample(task.rng(3, split), 32, split).fingerprint() == first
        assert task.sample(task.rng(4, split), 32, split).fingerprint() != first


@pytest.mark.parametrize("name", NAMES)
def test_golden_fingerprint_is_pinned(name):
    from test_golden import fingerprints, pinned

    version, prints = fingerprints(name)
    assert pinned()[name][str(version)] == prints


# ----------------------------------------------------------------- the length protocol
@pytest.mark.parametrize("name", NAMES)
def test_paper_protocol_lengths_and_the_evaluation_grid(name):
    task = make_task(name)
    grid = task.ood_grid_lengths.tolist()
    assert len(grid) == 8 and grid[0] >= 41 and grid[-1] <= 500 and grid[-1] >= 499
    assert grid == sorted(set(grid))
    strings = [len(example[0]) for example in decoded(task, "test_ood", 64)]
    assert set(strings) == set(grid) and max(strings.count(L) for L in grid) == 64 // 8  # equal shares
    train = [len(example[0]) for example in decoded(task, "train", 400)]
    assert min(train) >= task.shortest and max(train) <= 40
    if name == "modular_arithmetic":
        assert all(L % 2 == 1 for L in train + grid)


@pytest.mark.parametrize("name, output_length", [
    ("reverse_string", lambda n: n), ("duplicate_string", lambda n: 2 * n), ("odds_first", lambda n: n),
    ("bucket_sort", lambda n: n), ("stack_manipulation", lambda n: n + 1), ("binary_addition", lambda n: n + 1),
    ("binary_multiplication", lambda n: n), ("compute_sqrt", lambda n: (n + 1) // 2),
])
def test_aligned_tasks_give_one_blank_step_per_output_symbol(name, output_length):
    task = make_task(name)
    for string, _, blanks, _ in decoded(task, "test", 100) + decoded(task, "test_ood", 16):
        assert blanks == output_length(len(string))
    steps = task.steps(task.train_lengths)
    assert task.spec.lengths == (steps.min(), steps.max())  # spec lengths count string + blanks


def test_config_errors_name_the_value_and_the_rule():
    with pytest.raises(ConfigError, match=r"task.min_length=1: must be an integer in \[3, 100000\]"):
        make_task("solve_equation", min_length=1)
    with pytest.raises(ConfigError, match=r"task.ood_length=40: must be > task.length=40"):
        make_task("parity_check", ood_length=40)
    with pytest.raises(ConfigError, match="no allowed input length in \\[2, 2\\] \\(allowed: odd lengths\\)"):
        make_task("modular_arithmetic", min_length=2, length=2)


# ----------------------------------------------------------------- labels, re-derived independently
def test_parity_check_counts_b():
    _, examples = samples("parity_check")
    for string, label in examples:
        assert label == string.count("b") % 2


def test_even_pairs_counts_unequal_neighbours():
    _, examples = samples("even_pairs")
    for string, label in examples:
        assert label == sum(1 for x, y in zip(string, string[1:]) if x != y) % 2


def test_cycle_navigation_walks_the_cycle():
    _, examples = samples("cycle_navigation")
    for string, label in examples:
        position = 0
        for action in string:
            position = (position + {"L": -1, "S": 0, "R": 1}[action]) % 5
        assert label == position


def test_modular_arithmetic_evaluates_with_precedence():
    _, examples = samples("modular_arithmetic")
    for string, label in examples:
        assert label == eval("".join(string)) % 5  # noqa: S307 - digits and + - * only


def test_modular_arithmetic_brackets_evaluates_the_expression():
    _, examples = samples("modular_arithmetic_brackets")
    assert any("*" in string for string, _ in examples)
    for string, label in examples:
        assert set(string) <= set("01234+-*()")
        assert label == eval("".join(string)) % 5  # noqa: S307


def test_solve_equation_label_is_the_unique_solution():
    _, examples = samples("solve_equation")
    for string, label in examples:
        text = "".join(string)
        left, right = text.split("=")
        assert text.count("x") == 1 and len(right) == 1
        solutions = [d for d in range(5) if eval(left.replace("x", f"({d})")) % 5 == int(right)]  # noqa: S307
        assert solutions == [label]


def test_missing_duplicate_string_label_is_the_other_copy():
    _, examples = samples("missing_duplicate_string")
    for string, label in examples:
        body = string[:-1] if len(string) % 2 else string
        assert string[len(body):] in ([], ["#"])
        half = len(body) // 2
        hole = body.index("_")
        other = hole + half if hole < half else hole - half
        restored = body[:hole] + [str(label)] + body[hole + 1:]
        assert restored[:half] == restored[half:] and restored[other] == str(label)


def test_missing_duplicate_string_is_solved_by_parity_alone():
    """``ww`` holds every 1 twice, so the ones that remain visible are odd exactly when the hidden
    bit is 1: the label is the parity of the visible ones, a regular function (a two-state
    automaton, parity_check's), at every length. A model that learns parity can solve this
    context-sensitive task without storing ``w``; the board reads its results with this in mind."""
    _, examples = samples("missing_duplicate_string")
    assert len(examples) == 260
    for string, label in examples:
        assert string.count("1") % 2 == label


@pytest.mark.slow
def test_reverse_string_duplicate_string_odds_first_bucket_sort():
    for name, rule in [("reverse_string", lambda s: s[::-1]), ("duplicate_string", lambda s: s + s),
                       ("odds_first", lambda s: s[0::2] + s[1::2]), ("bucket_sort", sorted)]:
        _, examples = samples(name)
        for string, scored, _, _ in examples:
            assert scored == [int(c) for c in rule(string)], name


def test_stack_manipulation_runs_the_actions():
    _, examples = samples("stack_manipulation")
    for string, scored, _, _ in examples:
        size = next((i for i, s in enumerate(string) if s not in "01"), len(string))
        assert size >= 1 and (size < len(string) or len(string) == 1)  # a stack, then actions
        stack = [int(s) for s in string[:size]]
        for action in string[size:]:
            if action == "pop":
                if stack:
                    stack.pop()
            else:
                stack.append({"push0": 0, "push1": 1}[action])
        assert scored == stack[::-1] + [2]


def _little_endian(bits) -> int:
    return sum(int(b) << k for k, b in enumerate(bits))


@pytest.mark.parametrize("name, op, combine", [("binary_addition", "+", lambda a, b: a + b),
                                               ("binary_multiplication", "*", lambda a, b: a * b)])
def test_binary_arithmetic(name, op, combine):
    _, examples = samples(name)
    for string, scored, _, _ in examples:
        cut = string.index(op)
        a, b = string[:cut], string[cut + 1:]
        assert a and b and _little_endian(a) > 0 and _little_endian(b) > 0
        result = combine(_little_endian(a), _little_endian(b))
        bits = []
        while result:
            bits.append(result & 1)
            result >>= 1
        assert scored == bits + [2]


def test_compute_sqrt_by_bisection():
    _, examples = samples("compute_sqrt")
    for string, scored, _, _ in examples:
        x = int("".join(string), 2)
        low, high = 0, x + 1  # the largest r with r * r <= x lies in [low, high)
        while high - low > 1:
            middle = (low + high) // 2
            low, high = (middle, high) if middle * middle <= x else (low, middle)
        assert x >= 1 and scored == [int(c) for c in format(low, "b").zfill((len(string) + 1) // 2)]


# ----------------------------------------------------------------- exact baselines
def test_majority_exact_values_from_first_principles():
    assert make_task("parity_check").analytic_baselines("test") == {"majority_exact": {"accuracy": 0.5}}
    even = make_task("even_pairs")  # length 1 is always class 0, longer strings are a fair coin
    assert even.analytic_baselines("test")["majority_exact"]["accuracy"] == pytest.approx((1 + 39 / 2) / 40)
    assert even.analytic_baselines("test_ood")["majority_exact"]["accuracy"] == pytest.approx(0.5)
    assert make_task("solve_equation").analytic_baselines("test_ood")["majority_exact"]["accuracy"] == pytest.approx(0.2)
    assert make_task("reverse_string").analytic_baselines("test") == {"memoryless_exact": {"accuracy": 0.5}}


@pytest.mark.parametrize("name, length", [("cycle_navigation", 3), ("modular_arithmetic", 5),
                                          ("modular_arithmetic_brackets", 9)])
def test_exact_label_distribution_matches_the_generator(name, length):
    """The closed form describes the generator over its whole input space (task.generate); a split
    draws from its part of that space only (a length of 27 strings gives val and test 2 each)."""
    task = make_task(name, min_length=length, length=length)
    labels = task.generate(task.rng(0, "train"), 20_000, "train").targets.numpy()
    empirical = np.bincount(labels, minlength=5) / len(labels)
    assert np.abs(empirical - task.label_probabilities(length)).max() < 0.015


def test_bucket_sort_position_prior_by_enumeration():
    from seqbench.tasks.chomsky.bucket_sort import _order_statistic_hits

    for n, k in [(1, 5), (3, 3), (4, 2)]:
        strings = [sorted(s) for s in itertools.product(range(k), repeat=n)]
        best = sum(max(sum(s[j] == v for s in strings) for v in range(k)) for j in range(n)) / len(strings)
        assert _order_statistic_hits(n, k) == pytest.approx(best)


def test_compute_sqrt_position_prior_by_enumeration_and_from_the_generator():
    """The closed form counts, for each bit of the root, the numbers whose root has it set; by
    enumeration for short numbers, and the generator's own examples agree with it."""
    import math

    from seqbench.tasks.chomsky.compute_sqrt import _root_bit_prior_hits

    for n in (1, 2, 5, 8):
        roots = [format(math.isqrt(x), "b").zfill((n + 1) // 2) for x in range(1, 2 ** n)]
        best = sum(max(sum(r[j] == "1" for r in roots), sum(r[j] == "0" for r in roots))
                   for j in range((n + 1) // 2)) / len(roots)
        assert _root_bit_prior_hits(n) == pytest.approx(best)
    # 20 bits, so that the inputs held out for val and test barely change the training distribution
    task = make_task("compute_sqrt")
    with task.fixed_length(20):  # one length: 10 scored bits an example
        data = task.sample(np.random.default_rng(0), 20_000).numpy()
    bits = data["targets"][data["target_mask"].astype(bool)].reshape(-1, 10)  # (examples, 10)
    ones = bits.mean(0)
    assert np.maximum(ones, 1 - ones).mean() == pytest.approx(_root_bit_prior_hits(20) / 10, abs=0.01)
    assert ones[0] == pytest.approx(0.75, abs=0.01)  # the top bit: root >= 2**9, x >= 2**18


# ----------------------------------------------------------------- the experiment presets
@pytest.mark.slow
def test_experiment_chomsky_is_the_board_grid_and_its_smoke_a_look_of_its_own():
    """The board: 15 tasks (by tag) x the classic, transformer and modern models at one parameter
    budget, two rates chosen on val (the select sweeper), 3 seeds, trainer=chomsky_converge at the
    paper's batch; the smoke: lstm and transformer, one seed, no rate grid, its own folder."""
    from pathlib import Path

    from importlib import import_module

    from omegaconf import OmegaConf

    import_module("seqbench.cli.run")  # registers ${seqbench.tagged:...}, which the grid's tasks use

    conf = Path(__file__).parents[1] / "conf"
    full = OmegaConf.load(conf / "experiment" / "chomsky.yaml")
    params = full.hydra.sweeper.params
    assert OmegaConf.to_container(params)["task"] == "${seqbench.tagged:chomsky}"  # the tasks by tag, not a list
    assert sorted(params.task.split(",")) == sorted(NAMES)
    assert params.model.split(",") == ["rnn_tanh", "rnn_relu", "lstm", "gru", "transformer", "mingru", "minlstm",
                                       "lru", "mamba", "mamba_signed", "slstm", "mlstm"]
    assert params["trainer.lr"] == "0.001,0.003" and params.seed == "range(3)"
    assert {"override /trainer": "chomsky_converge"} in full.defaults and {"override /hydra/sweeper": "select"} in full.defaults
    assert full.model.param_budget == 25000
    trainer = OmegaConf.load(conf / "trainer" / "chomsky_converge.yaml")
    assert (trainer.batch_size, trainer.clip, trainer.clip_value) == (128, "norm", 1.0)  # the paper's
    assert (trainer.stop_at_ceiling, trainer.checkpoint) == (False, "latest_best")  # trained on at val 1
    smoke = OmegaConf.load(conf / "experiment" / "chomsky_smoke.yaml")
    assert smoke.hydra.sweeper.params.model == "lstm,transformer" and "trainer.lr" not in smoke.hydra.sweeper.params
    assert smoke.hydra.sweep.dir != full.hydra.sweep.dir and smoke.trainer.batch_size == 128
    for name in NAMES:  # the smoke's shorter test_ood is a valid configuration of every task
        assert check_task(make_task(name, **smoke.task)) == []


def test_a_training_batch_has_one_length_as_in_the_paper_unless_mixed():
    """batch_lengths=one (the default): each training batch one string length, uniform over the
    training range across batches; evaluation splits and batch_lengths=mixed draw a length per example."""
    task = make_task("parity_check")
    rng = task.rng(0, "train")
    lengths = [set(task.sample(rng, 32).lengths.tolist()) for _ in range(200)]
    assert all(len(s) == 1 for s in lengths)
    drawn = [s.pop() for s in lengths]
    assert min(drawn) <= 3 and max(drawn) >= 38  # the whole range 1..40 is reached
    assert len(set(task.sample(task.rng(0, "val"), 32, "val").lengths.tolist())) > 1
    mixed = make_task("parity_check", batch_lengths="mixed")
    assert len(set(mixed.sample(mixed.rng(0, "train"), 32).lengths.tolist())) > 1
