"""The shapes tasks (two views of one generator) and the image-scaling experiment built on them."""

import sys

import numpy as np
import pytest
from hydra import compose, initialize_config_module

from seqbench import make_task
from seqbench.conformance.task_checks import check_task
from seqbench.core.errors import ConfigError
from seqbench.runs.experiment import run_experiment
from seqbench.analysis.scaling import build as build_scaling
from seqbench.tasks.shapes import REACH

from conftest import ROOT


@pytest.mark.parametrize("name", ["shapes", "shapes_rows"])
def test_both_views_conform(name):
    assert check_task(make_task(name, height=12, width=20)) == []


@pytest.mark.parametrize("split", ["train", "val", "test"])
def test_same_seed_same_images_in_both_views(split):
    knobs = dict(height=9, width=14, channels=3, noise=0.2)
    flat, rows = make_task("shapes", **knobs), make_task("shapes_rows", **knobs)
    a = flat.sample(flat.rng(5, split), 16, split)
    b = rows.sample(rows.rng(5, split), 16, split)
    assert tuple(a.inputs.shape) == (16, 9 * 14 * 3) and tuple(b.inputs.shape) == (16, 9, 14 * 3)
    assert (b.inputs.reshape(16, -1) == a.inputs).all() and (a.targets == b.targets).all()
    assert b.lengths.tolist() == [9] * 16
    c = flat.sample(flat.rng(6, split), 16, split)
    assert not (c.inputs == a.inputs).all()


def test_knobs_are_validated_with_their_range():
    with pytest.raises(ConfigError, match=r"task\.height=2: must be an integer in \[4, 8192\]"):
        make_task("shapes", height=2)
    with pytest.raises(ConfigError, match=r"task\.noise=-1\.0: must be a number in \[0, 10\]"):
        make_task("shapes_rows", noise=-1.0)
    with pytest.raises(ConfigError, match=r"task\.min_size=0\.8: must be <= task\.max_size=0\.5"):
        make_task("shapes", min_size=0.8, max_size=0.5)
    task = make_task("shapes", height=10)
    assert task.width == 10 and task.params["width"] == 10 and task.spec.input.size == 300


def test_classes_are_balanced_and_drawn_with_equal_area():
    task = make_task("shapes", height=96, channels=1, noise=0.0, min_size=0.6, max_size=0.6)
    batch = task.sample(task.rng(0, "train"), 400)
    labels = batch.targets.numpy()
    assert np.bincount(labels, minlength=4).min() > 70  # 400 draws over 4 classes
    lit = (batch.inputs.numpy() > 0).sum(1)
    areas = [lit[labels == k].mean() for k in range(4)]
    r = 0.6 * 96 / (2 * REACH)  # every shape has the area of a disc of radius r
    assert np.allclose(areas, np.pi * r * r, rtol=0.01)  # only the outline tells the classes apart
    values = batch.inputs.numpy()
    assert values.min() == 0.0 and values[values > 0].min() >= 0.5 and values.max() <= 1.0  # colour in [0.5, 1]


def test_shapes_stay_inside_the_image():
    task = make_task("shapes", height=32, width=48, channels=1, noise=0.0, min_size=1.0, max_size=1.0, position=1.0)
    batch = task.sample(task.rng(1, "train"), 200)
    lit = (batch.inputs.numpy() > 0).sum(1)
    r = 1.0 * 32 / (2 * REACH)  # as large as the shorter side allows, anywhere: never clipped
    assert lit.min() > 0.9 * np.pi * r * r and abs(lit.mean() / (np.pi * r * r) - 1) < 0.02


def _python_lines_run(task, n: int = 64) -> int:
    """How many lines of seqbench's own Python (seqbench/, tasks/) drawing ``n`` examples runs."""
    ours = (str(ROOT / "seqbench"), str(ROOT / "tasks"))
    count = 0

    def count_lines(frame, event, arg):
        nonlocal count
        count += event == "line"
        return count_lines

    def enter(frame, event, arg):
        return count_lines if frame.f_code.co_filename.startswith(ours) else None

    sys.settrace(enter)
    try:
        task.sample(task.rng(0, "train"), n)
    finally:
        sys.settrace(None)
    return count


@pytest.mark.parametrize("name", ["shapes", "shapes_rows"])
def test_generation_is_vectorised(name):
    """No Python line runs once per pixel: an image 256 times larger runs the very same lines
    (the pixels are numpy's work). The speed itself is measured in bench/ (generation_vs_naive)."""
    small, large = (_python_lines_run(make_task(name, height=h)) for h in (8, 128))
    assert 0 < small == large


@pytest.mark.parametrize("experiment, task, model", [("image_scaling_mlp", "shapes", "mlp"),
                                                      ("image_scaling_lstm", "shapes_rows", "lstm")])
def test_scaling_experiments_pair_each_model_with_its_view(experiment, task, model):
    from seqbench.cli.run import register_configs

    register_configs()
    with initialize_config_module("seqbench.conf", version_base="1.3"):
        cfg = compose("config", overrides=[f"experiment={experiment}"], return_hydra_config=True)
    assert (cfg.task.name, cfg.model.name) == (task, model)
    heights = [int(h) for h in str(cfg.hydra.sweeper.params["task.height"]).split(",")]
    assert heights[:6] == [8, 16, 32, 64, 128, 256]
    assert cfg.trainer.threads == 1 and cfg.hydra.sweep.dir.startswith("leaderboards/image_scaling/raw")


@pytest.mark.slow
def test_scaling_report_from_real_runs(tmp_path, monkeypatch):
    from seqbench.core import memory
    # the machine's memory is given, not read from this host: the 8192x8192 mlp (412 GB) never fits
    monkeypatch.setattr(memory, "machine_memory", lambda: {"total": 64 * 10**9, "available": 48 * 10**9})
    trainer = {"steps": 2, "eval_every": 1, "eval_size": 16, "batch_size": 8, "threads": 1}
    run_experiment({"name": "shapes", "height": 12}, {"name": "mlp", "hidden_size": 16}, trainer,
                   out_dir=tmp_path / "mlp")
    run_experiment({"name": "shapes_rows", "height": 12}, {"name": "lstm", "hidden_size": 8}, trainer,
                   out_dir=tmp_path / "lstm")
    run_experiment({"name": "shapes", "height": 8192}, {"name": "mlp", "hidden_size": 16}, trainer,
                   out_dir=tmp_path / "mlp8192")
    text = build_scaling([tmp_path], tmp_path / "out")
    assert {p.name for p in (tmp_path / "out").iterdir()} == {"scaling.md", "scaling.csv", "scaling.png"}
    assert "`mlp` trained up to 12x12" in text and "`lstm` trained up to 12x12" in text
    assert "`mlp` at 8192x8192: not_applicable: does not fit in memory" in text
    import pandas as pd

    table = pd.read_csv(tmp_path / "out" / "scaling.csv")
    measured = table[table["source"] == "measured"].dropna(subset=["n_params"])
    assert (measured["n_params"] == measured["n_params_calc"]).all()  # calculator == built model
    hd = table[table["source"] == "calculated"].set_index("model")
    assert (hd["features"] == 6_220_800).all()
