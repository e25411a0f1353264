"""seqbench installed from a wheel (not editable) still finds its configs and built-in tasks."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT


@pytest.mark.slow
def test_wheel_install_into_a_fresh_venv_finds_tasks_and_configs(tmp_path):
    # build from a copy, so no build leftovers (an egg-info with stale entry points) land in the checkout
    source = tmp_path / "src"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", ".venv", "outputs", "multirun", "build", "dist", "*.egg-info", "__pycache__", ".hypothesis",
        "leaderboards"))
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(wheels), str(source)], check=True, capture_output=True, timeout=600)
    wheel = next(wheels.glob("seqbench-*.whl"))
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = next((venv / "lib").glob("python*/site-packages"))
    # dependencies come from the test environment; seqbench itself only from the wheel
    deps = [p for p in map(Path, sys.path) if p.name == "site-packages" and p.exists()]
    (site / "deps.pth").write_text("\n".join(str(p) for p in deps) + "\n")
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "-q",
                    "--target", str(site), str(wheel)], check=True, capture_output=True, timeout=600)
    python = venv / "bin" / "python"
    where = subprocess.run([str(python), "-c", "import seqbench, seqbench.conf, seqbench.tasks.parity as p; "
                            "import hydra_plugins.seqbench_select_sweeper.select_sweeper as s; "  # hydra/sweeper=select
                            "print(seqbench.__file__); print(p.__file__); print(s.__file__)"],
                           cwd=tmp_path, capture_output=True, text=True, check=True).stdout.split()
    assert all(str(site) in path for path in where), where  # not the checkout
    tool = [str(python), "-c", "import sys; from seqbench.cli import main; sys.exit(main())"]
    listed = subprocess.run([*tool, "tasks", "--json"], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert {"parity", "reverse", "markov_lm"} <= {t["name"] for t in json.loads(listed.stdout)}
    run = subprocess.run([*tool, "run", "task=parity", "trainer=smoke", "model=stacked_lstm",
                          f"hydra.run.dir={tmp_path / 'run'}"], cwd=tmp_path, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-2000:]
    record = json.loads((tmp_path / "run" / "result.json").read_text())
    assert record["status"] == "ok" and record["model_params"]["num_layers"] == 2
