"""A board renders from its records: what a page shows of a task does not move when the task's code does."""

from __future__ import annotations

from seqbench import make_task
from seqbench.core.record import RunRecord
from seqbench.runs.task_facts import facts_for, facts_of


def test_a_record_with_facts_shows_its_own_whatever_the_code_says_now():
    facts = {"description": "as it was", "version": 1, "level": None, "ood_shift": None,
             "knobs": {"length": {"value": 4}}, "example": None}
    record = RunRecord(task="parity", model="gru", seed=0, task_version=1, task_facts=facts)
    assert facts_for(record) == facts


def test_an_old_record_shows_the_knobs_it_ran_with_not_those_added_since():
    """A record from before task facts were stored: the registry fills in descriptions and help,
    but a knob the run did not have (added to the task later) is not shown, and its version is the record's."""
    today = facts_of(make_task("parity_check"))
    assert "batch_lengths" in today["knobs"]  # added in version 3
    ran = {k: v["value"] for k, v in today["knobs"].items() if k != "batch_lengths"}
    record = RunRecord(task="parity_check", model="gru", seed=0, task_version=2, task_params=ran)
    shown = facts_for(record)
    assert list(shown["knobs"]) == [k for k in today["knobs"] if k != "batch_lengths"]  # the task's order
    assert shown["version"] == 2 and shown["example"] is None
    assert all(shown["knobs"][k]["value"] == v for k, v in ran.items())
