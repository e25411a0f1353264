"""The fast commands import no heavy library, and the core imports no plotting.

Each check runs in a fresh interpreter (``sys.modules`` of this test process already holds
torch). No timing is asserted: ``bench/startup.py`` measures the start-up ratios.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

HEAVY = ("torch", "hydra", "omegaconf", "matplotlib", "pandas", "sklearn")


def imported_after(code: str) -> dict[str, bool]:
    """Run ``code`` in a new interpreter; which of HEAVY it left in ``sys.modules``."""
    probe = f"{code}\nimport json, sys\nprint(json.dumps({{m: m in sys.modules for m in {HEAVY!r}}}))"
    # the promise covers seqbench's own code: an installed plugin that imports torch at module level
    # (as the README's example model does) brings it in when listed, so only the built-ins load here
    env = {**os.environ, "SEQBENCH_DISABLE_PLUGIN_AUTOLOAD": "1"}
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("argv", [["--help"], ["tasks"], ["models"], ["tasks", "--json"], ["models", "--json"]])
def test_listing_commands_import_no_heavy_library(argv):
    loaded = imported_after(f"from seqbench.cli import main\nassert main({argv!r}) == 0")
    assert not any(loaded.values()), {m for m, v in loaded.items() if v}


def test_import_seqbench_is_light_and_names_resolve_on_use():
    assert not any(imported_after("import seqbench").values())
    loaded = imported_after("from seqbench import make_task\nmake_task('parity').spec")
    assert not loaded["torch"] and not loaded["matplotlib"]
    # (a name that needs torch brings it: test_the_core_imports_no_plotting, which imports fit)


@pytest.mark.slow
def test_the_core_imports_no_plotting():
    core = ("seqbench.core.spec", "seqbench.core.task", "seqbench.core.registry", "seqbench.models", "seqbench.engine.train",
            "seqbench.core.metrics", "seqbench.core.record", "seqbench.boards.tables", "seqbench.conformance.task_checks",
            "seqbench.conformance.model_checks", "seqbench.runs.experiment")
    # a name that needs torch brings it (checked in the child before anything else imports torch)
    loaded = imported_after("import sys\nfrom seqbench import fit\nassert 'torch' in sys.modules, 'fit without torch'\n"
                            + "\n".join(f"import {m}" for m in core) + "\nimport seqbench.models.mlp_net")
    assert not loaded["matplotlib"]


@pytest.mark.slow
def test_plotting_modules_switch_no_backend():
    code = ("import matplotlib\nbefore = matplotlib.rcParams._get('backend')\n"
            "import seqbench.analysis.plots, seqbench.analysis.curves, seqbench.analysis.scaling\n"
            "import sys\nassert 'matplotlib.pyplot' not in sys.modules\n"
            "assert matplotlib.rcParams._get('backend') == before, matplotlib.rcParams._get('backend')")
    imported_after(code)


@pytest.mark.slow
@pytest.mark.parametrize("module", ["seqbench.analysis.curves", "seqbench.analysis.scaling"])
def test_module_commands_shown_in_the_readme_run(module):
    done = subprocess.run([sys.executable, "-m", module, "--help"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"usage: python -m {module}")


@pytest.mark.slow
def test_checking_a_sweep_imports_no_torch(tmp_path):
    """``seqbench run -m`` checks every job before the first starts; under a launcher that runs
    the jobs elsewhere (joblib, submitit) its own process never needs torch."""
    code = ("from seqbench.cli.run import register_configs\nregister_configs()\n"
            "from seqbench.cli.preflight import preflight\n"
            "plan = preflight(['-m', 'task=parity,reverse', 'model=gru,transformer', 'model.param_budget=5000', "
            f"'trainer=smoke', 'hydra.sweep.dir={tmp_path / 'sweep'}'])\nassert plan.n_jobs == 4")
    loaded = imported_after(code)
    assert not loaded["torch"] and not loaded["matplotlib"]
