"""One registry, entry points, clear errors, and a third-party plugin end to end."""

import json
import textwrap

import pytest

from seqbench import MODELS, TASKS, make_model, make_task
from seqbench.errors import DuplicateNameError, UnknownNameError
from seqbench.tasks.parity import Parity

from conftest import SMOKE, seqbench_cli

PLUGIN = '''
import numpy as np
from seqbench import Classes, Knob, SequenceTask, TaskSpec, Tokens
from seqbench.task import length_knobs, padding_mask, to_batch


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


@pytest.fixture
def plugin_site(tmp_path):
    """A third-party distribution on sys.path that registers tasks only through entry points."""
    site = tmp_path / "site"
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
    """))
    return {"PYTHONPATH": str(site)}


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
    from importlib.metadata import entry_points

    names = {ep.name for ep in entry_points(group="seqbench.tasks")}
    assert set(TASKS.names()) <= names
    assert {"lstm", "gru", "rnn_tanh", "rnn_relu", "rnn_sigmoid", "mlp"} <= set(MODELS.names())
    assert all(TASKS.source(n) == "seqbench" for n in TASKS.names())


def test_third_party_plugin_is_listed_checked_and_runs(plugin_site, tmp_path):
    listed = seqbench_cli("tasks", "--json", env=plugin_site)
    names = {t["name"] for t in json.loads(listed.stdout)}
    assert "acme_count" in names and "parity" in names
    # the broken plugin and the name thief are reported by name; everything else still loads
    assert "acme_broken" in listed.stderr and "ModuleNotFoundError" in listed.stderr
    assert "'parity' from 'acme-tasks'" in listed.stderr and "reuses the name" in listed.stderr

    checked = seqbench_cli("check", "acme_count", env=plugin_site)
    assert "ok   acme_count" in checked.stdout

    run_dir = tmp_path / "run"
    seqbench_cli("run", "task=acme_count", "model=gru", *SMOKE, f"hydra.run.dir={run_dir}", env=plugin_site)
    record = json.loads((run_dir / "result.json").read_text())
    assert record["status"] == "ok" and record["task"] == "acme_count"

    # a glob sweep over tasks includes the plugin's task
    sweep = tmp_path / "sweep"
    seqbench_cli("run", "-m", "task=glob(acme*)", "model=gru", *SMOKE, f"hydra.sweep.dir={sweep}", env=plugin_site)
    runs = [p.parent.name for p in sweep.rglob("result.json")]
    assert len(runs) == 1 and "task=acme_count" in runs[0].split(",")


def test_a_broken_plugin_fails_clearly_when_asked_for_by_name(plugin_site):
    result = seqbench_cli("check", "acme_broken", env=plugin_site, check=False)
    assert result.returncode == 1
    assert "acme_broken" in result.stdout + result.stderr
