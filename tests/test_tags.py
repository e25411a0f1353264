"""Tags (issue 22.5): tasks say what they are; ``seqbench tasks --tag`` and grids choose by tag."""

import json

import numpy as np
import pytest

from seqbench import TASKS
from seqbench.cli import commands
from seqbench.cli.overrides import tagged_tasks, untagged_tasks
from seqbench.core.errors import ConfigError, UnknownNameError
from seqbench.core.spec import KINDS, Classes, TaskSpec, Tokens
from seqbench.core.tags import check_tags, select, tags_of, task_tags
from seqbench.core.task import SequenceTask, length_knobs, padding_mask, to_batch

from conftest import builtin_names, run_cli

FAMILIES = {"algorithmic", "memory", "language", "image", "chomsky"}
LEVELS = {"regular", "context_free", "context_sensitive"}


class Plain(SequenceTask):
    """A plugin's task as plugins were written before tags: it declares none."""

    name = "acme_plain"
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


class Tagged(Plain):
    name = "acme_tagged"
    tags = frozenset({"acme", "toy"})


@pytest.fixture
def plugins():
    """Two plugin tasks registered for the test, one tagged and one not; removed after it."""
    for cls in (Plain, Tagged):
        TASKS.register(cls.name, cls, source="acme-tasks")
    try:
        yield
    finally:
        for cls in (Plain, Tagged):
            TASKS.unregister(cls.name)


def test_every_built_in_task_has_one_family_and_its_kind():
    tags = task_tags(TASKS)
    for name in builtin_names(TASKS):
        held = tags[name]
        assert len(held & FAMILIES) == 1, (name, held)
        assert held & set(KINDS) == {TASKS.get(name)().kind}, name  # the kind, from the spec, added by itself
        assert TASKS.get(name)().describe()["tags"] == sorted(held)


def test_the_fifteen_chomsky_tasks_each_have_their_level():
    chomsky = select(TASKS, ["chomsky"])
    assert len(chomsky) == 15
    for name in chomsky:
        held = tags_of(TASKS.get(name))
        assert held & LEVELS == {TASKS.get(name).level.replace("-", "_")}, name  # exactly one, the declared level
    levels = ("regular", "context_free", "context_sensitive")
    assert [len(select(TASKS, ["chomsky", level])) for level in levels] == [4, 4, 7]
    assert not any(tags_of(TASKS.get(name)) & LEVELS for name in select(TASKS, without=["chomsky"]))


@pytest.mark.parametrize("tags, error", [
    ("chomsky", "must be a collection of tags"),
    (("Chomsky",), "tag 'Chomsky' must be a lowercase identifier"),
    (("two words",), "must be a lowercase identifier"),
    (("1st",), "must be a lowercase identifier"),
    ((3,), "tag 3 must be a lowercase identifier"),
    (("tagging",), "tag 'tagging' is a kind"),
])
def test_bad_tags_are_refused_by_name(tags, error):
    with pytest.raises(ConfigError, match=error):
        check_tags("task acme", tags)
    bad = type("Bad", (Plain,), {"name": "acme_bad", "tags": tags})
    with pytest.raises(ConfigError, match="task acme_bad: "):  # a plugin with bad tags is not registered
        TASKS.register("acme_bad", bad)
    assert "acme_bad" not in TASKS


def test_a_plugin_task_with_tags_is_selected_by_tag_and_one_without_still_works(plugins, capsys):
    assert tags_of(Plain) == {"many_to_one"} and tags_of(Tagged) == {"acme", "toy", "many_to_one"}
    assert select(TASKS, ["acme"]) == ["acme_tagged"] and select(TASKS, ["many_to_one", "toy"]) == ["acme_tagged"]
    assert tagged_tasks("acme") == "acme_tagged"
    assert {"acme_plain", "acme_tagged"} <= set(untagged_tasks("chomsky").split(","))
    assert "acme_tagged" not in untagged_tasks("acme").split(",")
    assert commands.tasks(["--tag", "acme", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(t["name"], t["tags"]) for t in listed] == [("acme_tagged", ["acme", "many_to_one", "toy"])]
    assert commands.tasks(["--tag", "many_to_one"]) == 0
    table = capsys.readouterr().out
    assert "acme_plain" in table and "acme_tagged" in table and "parity " in table and "reverse" not in table


def test_tasks_tag_lists_only_the_tasks_that_hold_every_tag():
    chomsky = json.loads(run_cli("tasks", "--tag", "chomsky", "--json").stdout)
    assert len(chomsky) == 15 and all("chomsky" in t["tags"] for t in chomsky)
    regular = json.loads(run_cli("tasks", "--tag", "chomsky", "--tag", "regular", "--json").stdout)
    assert sorted(t["name"] for t in regular) == ["cycle_navigation", "even_pairs", "modular_arithmetic",
                                                  "parity_check"]
    table = run_cli("tasks", "--tag", "image").stdout.splitlines()
    assert table[0].split()[:3] == ["task", "kind", "tags"]
    assert sorted(line.split()[0] for line in table[2:]) == ["digits", "shapes", "shapes_rows"]
    assert all(line.split()[2] == "image" for line in table[2:])  # the kind has its own column


def test_an_unknown_tag_is_one_line_naming_the_known_tags_and_the_closest():
    result = run_cli("tasks", "--tag", "chomksy", "--json", check=False)
    assert result.returncode == 2 and result.stdout == ""
    line, = result.stderr.strip().splitlines()
    assert line.startswith("seqbench: error: unknown tag 'chomksy'; did you mean 'chomsky'? Known tags: ")
    assert {"algorithmic", "context_free", "image", "many_to_one"} <= set(line.split(": ")[-1].split(", "))
    with pytest.raises(UnknownNameError, match="did you mean 'regular'"):
        select(TASKS, without=["regulr"])


@pytest.mark.parametrize("value, error", [
    ("${seqbench.tagged:chomksy}", "hydra.sweeper.params.task: unknown tag 'chomksy'; did you mean 'chomsky'?"),
    ("${seqbench.tagged:chomsky,image}", "hydra.sweeper.params.task: no task is tagged chomsky and image"),
    ("${seqbench.untagged:chomsky,algorithmic,memory,language,image}",
     "hydra.sweeper.params.task: every task is tagged chomsky or algorithmic or memory or language or image"),
], ids=["unknown", "none_tagged", "none_left"])
def test_a_grid_with_a_bad_tag_is_refused_before_any_job(value, error, tmp_path):
    from seqbench.cli.preflight import preflight
    from seqbench.cli.run import register_configs

    register_configs()
    with pytest.raises(ConfigError) as refused:
        preflight(["-m", "experiment=chomsky_smoke", f"hydra.sweeper.params.task='{value}'",
                   f"hydra.sweep.dir={tmp_path / 'grid'}"])
    assert str(refused.value).startswith(error) and "\n" not in str(refused.value)
    assert not (tmp_path / "grid").exists()


@pytest.mark.slow
def test_a_grid_by_tag_runs_and_resumes_under_either_form(tmp_path):
    """Two jobs chosen by tag run; the same grid written as a list finds them finished (resume=true)."""
    small = ["experiment=chomsky_smoke", "model=lstm", "trainer.steps=4", "trainer.eval_every=2",
             "trainer.eval_size=16", "trainer.val_size=16", "task.length=8", "task.ood_length=16",
             f"hydra.sweep.dir={tmp_path}"]
    by_tag = run_cli("run", "-m", "hydra.sweeper.params.task='${seqbench.tagged:context_free,many_to_one}'", *small)
    assert "[seqbench] 2 jobs" in by_tag.stdout and "2 ok" in by_tag.stdout
    by_list = run_cli("run", "-m", "hydra.sweeper.params.task='solve_equation,modular_arithmetic_brackets'", *small,
                      "resume=true")
    assert by_list.stdout.count("skipped, ok result already in") == 2
    assert sorted(p.parent.name.split(",task=")[1].split(",")[0] for p in tmp_path.rglob("result.json")) == [
        "modular_arithmetic_brackets", "solve_equation"]


def test_tags_of_a_task_that_cannot_be_built_are_its_declared_ones():
    class Broken(Tagged):
        name = "acme_broken"

        def build_spec(self):
            raise ConfigError("no defaults")

    assert tags_of(Broken) == {"acme", "toy"}
    assert Tagged().all_tags == {"acme", "toy", "many_to_one"}
    assert Tagged().sample(np.random.default_rng(0), 3).targets.shape[0] == 3
