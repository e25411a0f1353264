"""Every command and code example the README shows is run here (``make test`` runs in CI)."""

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, seqbench_cli

README = (ROOT / "README.md").read_text()


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.S)


def commands() -> list[str]:
    lines = [line.split("  #")[0].strip() for block in blocks("bash") for line in block.splitlines()]
    return [line for line in lines if line and not line.startswith("#")]


def test_readme_only_shows_commands_a_test_runs():
    for command in commands():
        assert command.split()[0] in ("make", "seqbench", "python"), command


def test_ci_runs_the_readmes_test_command():
    assert "make test" in commands()
    ci = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^make test$", ci, flags=re.M)


def test_quick_tour_commands_run_in_order(tmp_path):
    for command in commands():
        if command.startswith("seqbench "):
            seqbench_cli(*shlex.split(command)[1:], cwd=tmp_path)
    assert (tmp_path / "multirun" / "tour" / "leaderboard" / "leaderboard.md").exists()
    assert (tmp_path / "multirun" / "optuna" / "optimization_results.yaml").exists()


def test_python_examples_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for code in blocks("python"):
        namespace: dict = {}
        exec(compile(code, "README.md", "exec"), namespace)
        task_classes = [v for v in namespace.values() if isinstance(v, type) and hasattr(v, "generate")
                        and v.__module__ == namespace.get("__name__", "builtins") and getattr(v, "name", None)]
        for cls in task_classes:  # the plugin example must pass the conformance checks
            from seqbench.checks import check_task

            assert check_task(cls()) == [], cls


@pytest.mark.slow
def test_make_demo_runs_the_main_job():
    """The README's main job, verbatim, from the repository root (the venv already exists)."""
    venv_bin = Path(sys.executable).parent
    env = {"PATH": f"{venv_bin}:/usr/local/bin:/usr/bin:/bin", "HOME": str(Path.home())}
    if (ROOT / ".venv").exists() and Path(sys.executable).resolve().is_relative_to((ROOT / ".venv").resolve()):
        command = ["make", "demo"]
    else:  # running outside the Makefile's venv: use this interpreter's environment
        command = ["make", "demo", f"BIN={venv_bin}", f"STAMP={ROOT / 'pyproject.toml'}"]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1200)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    leaderboard = (ROOT / "outputs" / "smoke" / "leaderboard" / "leaderboard.md").read_text()
    from seqbench import TASKS

    for name in TASKS.names():
        assert f"## {name}" in leaderboard
    for model in ("rnn_tanh", "lstm", "gru"):
        assert f"| {model} " in leaderboard
