"""Property tests (hypothesis): any valid knobs give conforming batches; the leaderboard survives any JSON."""

import json

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from seqbench import TASKS
from seqbench.conformance.task_checks import check_task
from seqbench.core.errors import ConfigError
from seqbench.core.options import Knob
from seqbench.boards.render import build
from seqbench.core.record import load_results


def knob_values(knob: Knob) -> st.SearchStrategy:
    """Values inside the knob's declared range (numbers capped near the default to stay fast)."""
    kind = knob.value_type
    if knob.choices is not None:
        base = st.sampled_from(knob.choices)
    elif kind is bool:
        base = st.booleans()
    elif kind is int:
        low = int(knob.low) if knob.low is not None else 0
        default = knob.default if knob.default is not None else low + 8
        high = min(int(knob.high) if knob.high is not None else low + 64, max(4 * default, low + 8))
        base = st.integers(low, high)
    elif kind is float:
        low = knob.low if knob.low is not None else -10.0
        high = knob.high if knob.high is not None else 10.0
        base = st.floats(low, min(high, max(4 * (knob.default or 1.0), low + 1.0)), allow_nan=False)
    else:
        return st.just(knob.default)  # free text (a file path): keep the default
    return st.one_of(st.none(), base) if knob.optional else base


@pytest.mark.slow
@pytest.mark.parametrize("name", TASKS.names())
def test_any_valid_knobs_give_conforming_batches(name):
    task_cls = TASKS.get(name)
    strategy = st.fixed_dictionaries({k.name: knob_values(k) for k in task_cls.knobs})

    @settings(max_examples=6, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])
    @given(strategy)
    def check(values):
        try:
            task = task_cls(**values)
            for split in task.splits[1:3]:  # val and test: a space too small, or too skewed, to hold them
                task.sample(task.eval_rng(split), 16, split)  # out is refused when they are drawn
        except ConfigError:
            assume(False)  # a combination the task rejects (e.g. min_length > length, parity length=1)
        assert check_task(task) == [], values

    check()


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)
RECORDISH = st.fixed_dictionaries(
    {"schema": st.sampled_from([1, 2, 3, "2", None]), "task": st.sampled_from(["parity", "", 3]),
     "model": st.sampled_from(["lstm", "gru", None]), "seed": st.integers(-2, 2) | st.text(max_size=2),
     "status": st.sampled_from(["ok", "failed", "diverged", "weird"]),
     "metrics": st.dictionaries(st.sampled_from(["test", "val", "test_ood"]),
                                st.dictionaries(st.sampled_from(["accuracy", "mse"]),
                                                st.floats() | st.none() | st.text(max_size=2), max_size=2),
                                max_size=3)},
    optional={"primary_metric": JSON, "higher_is_better": JSON, "baselines": JSON, "by_length": JSON,
              "n_params": JSON, "train_seconds": JSON, "tokens_per_second": JSON, "model_params": JSON,
              "task_params": JSON, "kind": JSON, "error": JSON, "lengths": JSON},
)


@pytest.mark.slow
@settings(max_examples=30, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(files=st.lists(JSON | RECORDISH, min_size=1, max_size=3))
def test_leaderboard_survives_arbitrary_json(tmp_path_factory, files):
    folder = tmp_path_factory.mktemp("results")
    for i, content in enumerate(files):
        (folder / str(i)).mkdir()
        (folder / str(i) / "result.json").write_text(json.dumps(content))
    records, skipped, duplicates = load_results([folder])
    assert len(records) + len(skipped) + duplicates == len(files)
    markdown, frame, skipped_again = build([str(folder)], str(folder / "board"))
    assert "seqbench leaderboard" in markdown and len(skipped_again) == len(skipped)
