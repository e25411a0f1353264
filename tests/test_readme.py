"""Every command and code example README.md and the documentation pages (docs/) show is run here
(``make test`` runs in CI). The site itself is built by tests/test_docs.py, which also runs its one
``mkdocs`` command."""

import re
import shlex

import pytest

from conftest import ROOT, run_cli
from docs_text import all_blocks


def blocks(language: str) -> list[str]:
    """Every block of one language in README.md, then in the docs pages."""
    return [block for _, block in all_blocks(language)]


def commands() -> list[str]:
    lines = [line.split("  #")[0].strip() for block in blocks("bash") for line in block.splitlines()]
    return [line for line in lines if line and not line.startswith("#")]


def test_readme_only_shows_commands_a_test_runs():
    for command in commands():
        assert command.split()[0] in ("make", "seqbench", "python", "mkdocs"), command


def test_ci_runs_the_readmes_test_command_and_the_slow_tests_it_leaves_out():
    assert "make test" in commands()
    ci = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^make test\nmake test-slow$", ci, flags=re.M)
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r'^test: .*\n\t.*pytest -q -m "not slow"$', makefile, flags=re.M)
    assert re.search(r"^test-slow: .*\n\t.*pytest -q -m slow$", makefile, flags=re.M)


def tour_groups() -> dict[str, list[str]]:
    """The documentation's ``seqbench`` commands, in order, grouped by the output folder they share
    (``multirun/tour``: the grid, then its leaderboard); a command that shares none is alone."""
    groups: dict[str, list[str]] = {}
    for number, command in enumerate(c for c in commands() if c.startswith("seqbench ")):
        folder = re.search(r"\b(?:multirun|outputs|data)/[^/\s]+", command)
        groups.setdefault(folder.group(0) if folder else f"{number:02d} {' '.join(command.split()[:2])}", []).append(command)
    return groups


def _outputs(command: str) -> list[str]:
    """The files and folders a command says it writes."""
    words = shlex.split(command)
    named = [words[i + 1] for i, w in enumerate(words[:-1]) if w == "--out"]
    return named + [w.split("=", 1)[1] for w in words if w.startswith(("hydra.sweep.dir=", "gradflow.out_dir="))]


@pytest.mark.slow
@pytest.mark.parametrize("group", list(tour_groups()))
def test_quick_tour_commands_run_in_order(tmp_path, group):
    """Each group of the documentation's commands runs in order in a fresh folder (in this process:
    ``seqbench.cli.main`` is what the ``seqbench`` script runs) and writes what it says."""
    for command in tour_groups()[group]:
        run_cli(*shlex.split(command)[1:], cwd=tmp_path)
        for path in _outputs(command):
            assert (tmp_path / path).exists(), (command, path)
    if group == "multirun/tour":
        assert (tmp_path / "multirun" / "tour" / "leaderboard" / "leaderboard.md").exists()
    if group == "multirun/optuna":
        assert (tmp_path / "multirun" / "optuna" / "optimization_results.yaml").exists()


def test_the_tour_runs_every_seqbench_command_of_the_readme():
    grouped = [c for group in tour_groups().values() for c in group]
    assert sorted(grouped) == sorted(c for c in commands() if c.startswith("seqbench "))
    assert {"multirun/tour", "multirun/optuna"} <= set(tour_groups())


@pytest.mark.slow
def test_python_examples_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    examples = all_blocks("python")
    assert len(examples) >= 4  # the quick tour, the export, the task and the model plugins
    for page, code in examples:
        namespace: dict = {}
        exec(compile(code, str(page.relative_to(ROOT)), "exec"), namespace)
        task_classes = [v for v in namespace.values() if isinstance(v, type) and hasattr(v, "generate")
                        and v.__module__ == namespace.get("__name__", "builtins") and getattr(v, "name", None)]
        for cls in task_classes:  # the plugin example must pass the conformance checks
            from seqbench.conformance.task_checks import check_task

            assert check_task(cls()) == [], cls


@pytest.mark.slow
def test_make_demo_runs_the_main_job(demo):
    """The README's main job, ``make demo``, from the repository root (the venv already exists;
    its folder is a temporary one, see the ``demo`` fixture)."""
    assert demo.result.returncode == 0, demo.result.stdout[-3000:] + demo.result.stderr[-3000:]
    leaderboard = (demo.folder / "leaderboard" / "leaderboard.md").read_text()
    tasks = {r["task"] for r in demo.records}
    assert len(demo.records) == 3 * len(tasks) and len(tasks) >= 6  # every task of experiment=smoke x 3 models
    for name in tasks:
        assert f"## {name}" in leaderboard
    for model in ("rnn_tanh", "lstm", "gru"):
        assert f"| {model} " in leaderboard
