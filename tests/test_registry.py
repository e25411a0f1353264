"""One registry, entry points, clear errors, and a third-party plugin end to end."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from seqbench import MODELS, TASKS, make_model, make_task
from seqbench.core.errors import DuplicateNameError, UnknownNameError
from seqbench.tasks.parity import Parity

from conftest import ROOT, SMOKE, Result, builtin_names, cli_session, once_per_run

PLUGIN = '''
import numpy as np
from seqbench import Classes, Knob, SequenceTask, TaskSpec, Tokens
from seqbench.core.task import length_knobs, padding_mask, to_batch


class CountMod3(SequenceTask):
    """How many ones, modulo 3.

    >>> import numpy as np
    >>> task = CountMod3(length=4)
    >>> task.sample(np.random.default_rng(0), 1).targets.shape
    torch.Size([1])
    """

    name = "acme_count"
    kind = "many_to_one"
    description = "bits -> number of ones mod 3"
    tags = frozenset({"acme", "counting"})
    knobs = length_knobs(length=8)

    def build_spec(self):
        return TaskSpec("many_to_one", Tokens(("<pad>", "0", "1")), Classes(3), "accuracy",
                        lengths=(self.min_length, self.length), ood_lengths=(self.length + 1, self.ood_length))

    def generate(self, rng, n, split):
        lengths = self.sample_lengths(rng, n, split)
        mask = padding_mask(lengths, int(lengths.max()))
        bits = (rng.random(mask.shape) < 0.5) & mask
        return to_batch(np.where(mask, bits + 1, 0), bits.sum(1) % 3, lengths)


class Impostor(CountMod3):
    name = "parity"
'''


@pytest.fixture(scope="module")
def plugin_site(tmp_path_factory):
    return _plugin_site(tmp_path_factory)


def _plugin_site(tmp_path_factory) -> dict[str, str]:
    """A third-party distribution on sys.path that registers tasks and a model only through entry
    points: a working task, a broken one, one that claims a built-in's name, and a model."""
    site = tmp_path_factory.mktemp("plugin") / "site"
    (site / "acme_tasks").mkdir(parents=True)
    (site / "acme_tasks" / "__init__.py").write_text(PLUGIN)
    info = site / "acme_tasks-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-tasks\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(textwrap.dedent("""
        [seqbench.tasks]
        acme_count = acme_tasks:CountMod3
        acme_broken = acme_tasks.missing_module:Nothing
        parity = acme_tasks:Impostor

        [seqbench.models]
        acme_gru = seqbench.models.recurrent:gru
    """))
    return {"PYTHONPATH": str(site)}


@pytest.fixture(scope="session")
def plugin_session(tmp_path_factory):
    """The plugin's commands, run one after another in one fresh process that finds it (once
    per test run, whichever worker asks first)."""

    def run_them() -> dict:
        site = _plugin_site(tmp_path_factory)
        out = tmp_path_factory.mktemp("plugin_runs")
        commands = {
            "tasks": ["tasks", "--json"],
            "tagged": ["tasks", "--tag", "acme", "--json"],
            "check": ["check", "acme_count"],
            "run": ["run", "task=acme_count", "model=gru", *SMOKE, f"hydra.run.dir={out / 'run'}"],
            "sweep": ["run", "-m", "task=glob(acme*)", "model=gru", *SMOKE, f"hydra.sweep.dir={out / 'sweep'}"],
            "check_broken": ["check", "acme_broken"],
        }
        results = cli_session(*commands.values(), env=site)
        return {"out": str(out), "results": {k: [r.returncode, r.stdout, r.stderr] for k, r in zip(commands, results)}}

    done = once_per_run(tmp_path_factory, "acme_plugin", run_them)
    return Path(done["out"]), {k: Result(*r) for k, r in done["results"].items()}


def test_unknown_names_list_the_known_and_the_closest():
    with pytest.raises(UnknownNameError) as error:
        make_task("revrese")
    message = str(error.value)
    assert "did you mean 'reverse'?" in message and "parity" in message
    with pytest.raises(UnknownNameError, match="did you mean 'lstm'"):
        make_model("lstn", make_task("parity").spec)


def test_a_duplicate_name_is_an_error():
    with pytest.raises(DuplicateNameError, match="task 'parity' is already registered by 'seqbench'"):
        TASKS.register("parity", Parity)


def test_built_ins_register_through_the_entry_point_group():
    """The built-ins are exactly seqbench's own entry points, into its own modules."""
    from importlib.metadata import distribution

    own = distribution("seqbench").entry_points
    for registry, group in ((TASKS, "seqbench.tasks"), (MODELS, "seqbench.models")):
        declared = {ep.name: ep.value for ep in own if ep.group == group}
        assert set(builtin_names(registry)) == set(declared), group
        assert all(value.startswith(group + ".") for value in declared.values()), declared
    assert {"parity", "reverse", "markov_lm"} <= set(builtin_names(TASKS))
    assert {"lstm", "gru", "rnn_tanh", "rnn_relu", "rnn_sigmoid", "mlp"} <= set(builtin_names(MODELS))


@pytest.mark.slow
def test_third_party_plugin_is_listed_checked_and_runs(plugin_session):
    out, done = plugin_session
    listed = done["tasks"]
    names = {t["name"] for t in json.loads(listed.stdout)}
    assert "acme_count" in names and "parity" in names
    # the broken plugin and the name thief are reported by name; everything else still loads
    assert "acme_broken" in listed.stderr and "ModuleNotFoundError" in listed.stderr
    assert "'parity' from 'acme-tasks'" in listed.stderr and "reuses the name" in listed.stderr
    tagged = json.loads(done["tagged"].stdout)  # its tags select it, its kind added to them
    assert [(t["name"], t["tags"]) for t in tagged] == [("acme_count", ["acme", "counting", "many_to_one"])]

    assert done["check"].returncode == 0 and "ok   acme_count" in done["check"].stdout

    assert done["run"].returncode == 0, done["run"].stderr
    record = json.loads((out / "run" / "result.json").read_text())
    assert record["status"] == "ok" and record["task"] == "acme_count"

    # a glob sweep over tasks includes the plugin's task
    assert done["sweep"].returncode == 0, done["sweep"].stderr
    runs = [p.parent.name for p in (out / "sweep").rglob("result.json")]
    assert len(runs) == 1 and "task=acme_count" in runs[0].split(",")


@pytest.mark.slow
def test_a_broken_plugin_fails_clearly_when_asked_for_by_name(plugin_session):
    _, done = plugin_session
    result = done["check_broken"]
    assert result.returncode == 1
    assert "acme_broken" in result.stdout + result.stderr and "ModuleNotFoundError" in result.stdout + result.stderr


SELECTION = """
from conftest import builtin_names
from seqbench import MODELS, TASKS
import json
print(json.dumps({"tasks": TASKS.names(), "builtin_tasks": builtin_names(TASKS),
                  "models": MODELS.names(), "builtin_models": builtin_names(MODELS)}))
"""

#: The tests that pin what the built-ins do; with a plugin installed they must still pass.
PINNED = ["tests/test_golden.py",
          "tests/test_registry.py::test_built_ins_register_through_the_entry_point_group",
          "tests/test_leaderboards.py::test_committed_leaderboard_has_three_seeds_per_cell_and_reports_what_it_lacks",
          "tests/test_tasks.py::test_core_covers_every_kind"]


@pytest.mark.slow
def test_tests_that_pin_the_built_ins_pass_with_a_plugin_installed(plugin_site):
    """Issue 11.10: a third-party plugin (tasks and a model, one of them broken, one claiming a
    built-in's name) installed next to seqbench does not break the project's own pinned tests."""
    env = {**os.environ, **plugin_site}
    env.pop("PYTEST_XDIST_WORKER", None)
    chosen = subprocess.run([sys.executable, "-c", SELECTION], cwd=ROOT / "tests", env=env, capture_output=True,
                            text=True, check=True).stdout
    chosen = json.loads(chosen)
    assert {"acme_count", "acme_broken"} <= set(chosen["tasks"]) and "acme_gru" in chosen["models"]
    assert chosen["builtin_tasks"] == builtin_names(TASKS)  # the same selection as without the plugin
    assert chosen["builtin_models"] == builtin_names(MODELS)
    pinned = subprocess.run([sys.executable, "-m", "pytest", "-q", "-o", "addopts=", "--import-mode=importlib",
                             "-p", "no:cacheprovider", *PINNED], cwd=ROOT, env=env, capture_output=True, text=True)
    assert pinned.returncode == 0, pinned.stdout[-3000:]
    assert " passed" in pinned.stdout.splitlines()[-1] and "failed" not in pinned.stdout.splitlines()[-1]
