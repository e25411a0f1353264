"""Shared fixtures: tiny budgets, temporary result folders, and the CLI as a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SMOKE = ["trainer=smoke", "trainer.steps=6", "trainer.eval_every=3", "trainer.eval_size=32"]


def seqbench_cli(*args: str, cwd: Path | None = None, env: dict | None = None, check: bool = True,
                 timeout: float = 600) -> subprocess.CompletedProcess:
    """Run ``seqbench ARGS`` as a new process, the way a user does."""
    full_env = {**os.environ, **(env or {})}
    full_env.pop("HYDRA_FULL_ERROR", None)
    result = subprocess.run([str(Path(sys.executable).parent / "seqbench"), *args], cwd=cwd, env=full_env, capture_output=True, text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f"seqbench {' '.join(args)} exited {result.returncode}\n"
                             f"stdout:\n{result.stdout[-3000:]}\nstderr:\n{result.stderr[-3000:]}")
    return result


@pytest.fixture
def cli():
    return seqbench_cli
