"""``seqbench generate`` checks memory before drawing, as ``seqbench run`` does (issue 21, item 7).

The machine's available memory is pinned, so the verdicts do not depend on the machine running
the tests.
"""

import pytest

from seqbench import make_task
from seqbench.cli.generate import longest_example
from seqbench.runs.resources import ResourceError, check_examples_fit, examples_bytes

from conftest import run_cli

AVAILABLE = 16 * 10**9  #: what the tests pretend this machine has


@pytest.fixture
def sixteen_gb(monkeypatch):
    monkeypatch.setattr("seqbench.runs.resources.machine_memory", lambda: {"total": AVAILABLE, "available": AVAILABLE})


def test_a_hopeless_generate_is_refused_in_one_line_before_any_work(tmp_path, sixteen_gb):
    out = tmp_path / "p.jsonl"
    result = run_cli("generate", "parity", "length=100000", "--n", "100000", "--out", str(out), check=False)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith("seqbench: error: does not fit in memory: 100,000 examples of up to 100,000 steps")
    assert "16.0 GB is available; try --n=" in result.stderr
    assert not list(tmp_path.iterdir())  # nothing written, not even a card


def test_the_suggested_n_fits(tmp_path, sixteen_gb):
    task = make_task("parity", length=100000)
    steps = longest_example(task, "test")
    with pytest.raises(ResourceError) as info:
        check_examples_fit(task.spec, 100_000, steps)
    suggested = int(str(info.value).split("--n=")[1].split()[0])
    check_examples_fit(task.spec, suggested, steps)  # fits: nothing raised
    with pytest.raises(ResourceError):
        check_examples_fit(task.spec, suggested + 1, steps)


def test_a_run_out_of_memory_after_the_estimate_is_the_same_one_line(tmp_path, sixteen_gb, monkeypatch):
    def exhausted(*args, **kwargs):
        raise MemoryError("Unable to allocate 9.31 GiB for an array")

    monkeypatch.setattr("seqbench.runs.export.export", exhausted)
    result = run_cli("generate", "parity", "--n", "10", "--out", str(tmp_path / "p.jsonl"), check=False)
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert "does not fit in memory" in result.stderr and "try a smaller --n" in result.stderr


def test_small_exports_pass_and_a_bad_split_is_named_first(tmp_path, sixteen_gb):
    run_cli("generate", "parity", "length=8", "--n", "10", "--out", str(tmp_path / "p.jsonl"))
    assert (tmp_path / "p.jsonl").read_text().count("\n") == 10
    result = run_cli("generate", "parity", "length=100000", "--split", "dev", "--n", "100000",
                     "--out", str(tmp_path / "q.jsonl"), check=False)
    assert result.returncode == 2 and "split='dev'" in result.stderr


@pytest.mark.parametrize("name, knobs, split, steps", [
    ("parity", {"length": 10}, "test", 10),
    ("parity", {"length": 10}, "test_ood", 20),  # ood_length defaults to 2 x length
    ("reverse", {"length": 5}, "test", 5 + 11),  # the input, then the decoded output (up to 2 x 5 + <eos>)
    ("reverse", {"length": 5}, "test_ood", 10 + 11),
    ("digits", {}, "test_ood", 1),  # an image: one step in, one class out (test_ood shifts the noise)
])
def test_the_longest_example_of_a_split(name, knobs, split, steps):
    assert longest_example(make_task(name, **knobs), split) == steps


def test_run_and_generate_count_examples_alike():
    """The run's estimate of its evaluation sets is the same per-example size generate uses."""
    from seqbench.runs.resources import EVAL_SPLITS, estimate

    task = make_task("parity", length=16)
    need = estimate(1000, task.spec, {"eval_size": 512}, {"hidden_size": 8})
    steps = task.spec.max_input_length
    assert need.parts["evaluation sets"] == examples_bytes(task.spec, EVAL_SPLITS * 512, steps)
