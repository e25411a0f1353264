"""``logger=tensorboard``: each run's learning curve as TensorBoard event files, equal to result.json's history."""

from __future__ import annotations

import os

import pytest

from conftest import run_cli
from seqbench.core.errors import ConfigError
from seqbench.runs.experiment import validate_experiment
from seqbench.core.record import read_result


def tensorboard_or_skip():
    try:
        import tensorboard  # noqa: F401 - the optional dependency (in the test extra)
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("tensorboard is not installed (pip install 'seqbench[tensorboard]')")
        pytest.skip("tensorboard is not installed")


def scalars(folder) -> dict[str, list[tuple[int, float]]]:
    """What TensorBoard's Scalars dashboard reads from a run folder: tag -> [(step, value)]."""
    from tensorboard.backend.event_processing.plugin_event_accumulator import EventAccumulator
    from tensorboard.util import tensor_util

    accumulator = EventAccumulator(str(folder))
    accumulator.Reload()
    tags = sorted(accumulator.PluginTagToContent("scalars"))  # the tags the Scalars dashboard lists
    return {tag: [(e.step, tensor_util.make_ndarray(e.tensor_proto).item()) for e in accumulator.Tensors(tag)]
            for tag in tags}


@pytest.mark.slow
def test_a_sweep_writes_every_runs_curve_named_by_task_model_and_seed(tmp_path):
    tensorboard_or_skip()
    sweep = tmp_path / "sweep"
    run_cli("run", "-m", "task=parity", "task.length=4", "model=gru,bilstm", "model.hidden_size=8", "trainer=smoke",
            "trainer.steps=4", "trainer.eval_every=2", "seed=0,1", "logger=tensorboard", f"hydra.sweep.dir={sweep}")
    results = sorted(sweep.rglob("result.json"))
    assert len(results) == 4
    names = set()
    for path in results:
        record = read_result(path)
        runs = list((path.parent / "tensorboard").iterdir())
        assert [r.name for r in runs] == [f"parity.{record.model_label}.seed{record.seed}"]
        names.add(runs[0].name)
        logged = scalars(runs[0])
        expected: dict[str, list[tuple[int, float]]] = {}
        for row in record.history:
            for key, value in row.items():
                if key != "step" and value is not None:
                    split, _, metric = key.partition("_")
                    expected.setdefault(f"{split}/{metric}", []).append((row["step"], value))
        assert logged == expected  # same steps, same values, bit for bit
        assert {"train/loss", "val/accuracy"} <= set(logged) and [s for s, _ in logged["train/loss"]] == [2, 4]
    assert names == {f"parity.{m}.seed{s}" for m in ("gru", "bilstm") for s in (0, 1)}


def test_logger_is_off_by_default_and_part_of_the_identity_only_when_on(tmp_path):
    args = ({"name": "parity", "length": 4}, {"name": "gru", "hidden_size": 8}, {"steps": 2})
    plain = validate_experiment(*args)
    assert plain.logger == "none" and plain.identity == validate_experiment(*args, logger="none").identity
    tensorboard_or_skip()
    assert validate_experiment(*args, logger="tensorboard").identity != plain.identity


def test_an_unknown_logger_is_one_line_with_the_closest_name(tmp_path):
    with pytest.raises(ConfigError, match="did you mean 'tensorboard'"):
        validate_experiment({"name": "parity"}, {"name": "gru"}, {}, logger="tensorbord")
    result = run_cli("run", "task=parity", "logger=tensorbord", f"hydra.run.dir={tmp_path / 'run'}", check=False)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "seqbench: error: logger='tensorbord': must be one of none, tensorboard; did you mean 'tensorboard'?"]
    assert not (tmp_path / "run").exists()
