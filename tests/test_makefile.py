"""``make demo`` on a fresh checkout says what it is doing before the minute-long install (issue 21)."""

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_the_install_step_announces_itself_before_pip(tmp_path):
    venv = tmp_path / "venv"  # not there yet: make plans the whole install (-n: nothing is run)
    done = subprocess.run(["make", "-n", f"VENV={venv}", "demo"], cwd=ROOT, capture_output=True, text=True,
                          check=True)
    lines = done.stdout.splitlines()
    first_pip = next(i for i, line in enumerate(lines) if "pip install" in line)
    announced = [i for i, line in enumerate(lines) if "[seqbench] installing into" in line]
    assert announced and announced[0] < first_pip, done.stdout
    assert f"installing into {venv} (first run only, about a minute)" in lines[announced[0]]
    assert lines[announced[0]].startswith("echo ")  # printed as a message (the recipe line is silent)
