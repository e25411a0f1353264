"""The documentation's own task and model plugins (docs/extending.md), installed as a package, leave the
pinned tests green."""

import os
import subprocess
import sys
import sysconfig

import pytest

from conftest import ROOT
from docs_text import blocks, section

#: tests that pin built-in data or promise start-up behaviour: what an installed plugin could break
PINNED = ["tests/test_startup.py", "tests/test_check_model.py::test_a_plugin_written_from_the_readme_passes",
          "tests/test_registry.py"]


def readme_block(heading: str, language: str, page: str = "docs/extending.md") -> str:
    """The one ``language`` block of the section ``heading`` of a documentation page."""
    found = blocks(section(page, heading), language)
    assert len(found) == 1, f"{page}, {heading}: {len(found)} {language} blocks"
    return found[0]


@pytest.mark.slow
def test_the_readmes_plugins_installed_leave_the_pinned_tests_green(tmp_path):
    package = tmp_path / "plugin" / "my_package"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "tasks.py").write_text(readme_block("Adding a task", "python"))
    (package / "models.py").write_text(readme_block("Adding a model", "python"))
    (tmp_path / "plugin" / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools>=69"]\nbuild-backend = "setuptools.build_meta"\n\n'
        '[project]\nname = "my-package"\nversion = "0.1"\n\n[tool.setuptools]\npackages = ["my_package"]\n\n'
        + readme_block("Adding a task", "toml") + "\n" + readme_block("Adding a model", "toml"))
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = next((venv / "lib").glob("python*/site-packages"))
    # seqbench and its dependencies from the test environment (its .pth files processed), the plugin installed
    (site / "deps.pth").write_text(f"import site; site.addsitedir({sysconfig.get_paths()['purelib']!r})\n")
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-build-isolation", "--no-index", "-q",
                    "--target", str(site), str(tmp_path / "plugin")], check=True, capture_output=True, timeout=600)
    python = str(venv / "bin" / "python")
    listed = subprocess.run([python, "-c", "from seqbench.cli import main; main(['models']); main(['tasks'])"],
                            capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert "mean_embedding" in listed.stdout and "count_mod3" in listed.stdout, listed.stdout + listed.stderr
    # a fresh pytest, not one that believes it is this run's xdist worker
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    done = subprocess.run([python, "-m", "pytest", "-q", "-n", "0", "-p", "no:randomly", *PINNED], cwd=ROOT,
                          capture_output=True, text=True, timeout=900, env=env)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
