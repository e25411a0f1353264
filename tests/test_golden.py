"""Golden fingerprints: a change in any built-in task's generated data needs a new task version.

``tests/golden_fingerprints.json`` pins, for every built-in task and version (a task of an
installed third-party plugin is not pinned here; the conformance checks cover it), the
fingerprint (:meth:`seqbench.core.batch.Batch.fingerprint`) of a small fixed sample of every split:
default knobs, seed 0, 8 examples. A task whose data changes by accident fails here; a
deliberate change bumps the task's ``version`` and adds an entry for the new version (old
entries stay: they document what earlier versions generated).

A task whose default data comes from outside the code (``text_lm`` reads the documentation topics
of the running Python, which differ between Python releases) pins the SHA-256 of that data beside
its fingerprints (``data_sha256``); where this machine's data differ, the comparison is skipped.

To print the entries of a new task or version (nothing is written; paste them in by hand)::

    python tests/test_golden.py            # every task whose current version has no entry
    python tests/test_golden.py TASK ...   # these tasks (says whether each matches its pin)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from conftest import builtin_names
from seqbench import TASKS, make_task

GOLDEN = Path(__file__).with_name("golden_fingerprints.json")
SEED, N = 0, 8
HOW_TO_ADD = ("print the entry with `python tests/test_golden.py {name}` and add it to "
              "tests/golden_fingerprints.json under \"fingerprints\"")


DATA = "data_sha256"  #: the digest of data read from outside the code, pinned beside the fingerprints


def fingerprints(name: str) -> tuple[int, dict[str, str]]:
    """(version, {split: fingerprint}) of the fixed sample of task ``name`` with default knobs, and
    the SHA-256 of the data it reads from outside the code, if any."""
    task = make_task(name)
    prints = {}
    for split in task.splits:
        size = task.split_size(split)
        n = min(N, size) if size else N
        prints[split] = task.sample(task.rng(SEED, split), n, split).fingerprint()
    digest = task.data_digest().get("sha256")
    return task.version, prints | ({DATA: digest} if digest else {})


def pinned() -> dict[str, dict[str, dict[str, str]]]:
    return json.loads(GOLDEN.read_text())["fingerprints"]


@pytest.mark.parametrize("name", builtin_names(TASKS))
def test_generated_data_matches_its_golden_fingerprint(name):
    version, prints = fingerprints(name)
    entry = pinned().get(name, {}).get(str(version))
    if entry is None:
        pytest.fail(f"task {name!r} version {version} has no golden fingerprint: " + HOW_TO_ADD.format(name=name))
    if DATA in entry and entry[DATA] != prints.get(DATA):
        pytest.skip(f"{name}'s fingerprints are pinned on data {entry[DATA][:12]}; this machine's data are "
                    f"{str(prints.get(DATA))[:12]} (another Python release)")
    changed = {split: (entry.get(split), now) for split, now in prints.items() if entry.get(split) != now}
    assert not changed and set(entry) == set(prints), (
        f"task {name!r} version {version} generates other data than pinned "
        f"({', '.join(f'{s}: pinned {a}, now {b}' for s, (a, b) in changed.items()) or 'other splits'}). "
        f"If the change is deliberate, bump {name}'s `version` and add the new version's entry "
        f"(`python tests/test_golden.py {name}`); never overwrite an old entry.")


def test_golden_file_documents_the_sample():
    data = json.loads(GOLDEN.read_text())
    assert data["sample"] == {"seed": SEED, "n": N, "knobs": "defaults"}
    for name, versions in data["fingerprints"].items():
        assert all(v.isdigit() and set(p) - {DATA} >= {"train", "val", "test"} for v, p in versions.items()), name


def _print_entries(names: list[str]) -> None:
    """Print {"task": {"version": {split: fingerprint}}} for ``names``, and how each compares."""
    known = pinned()
    out = {}
    for name in names:
        version, prints = fingerprints(name)
        entry = known.get(name, {}).get(str(version))
        state = "new" if entry is None else "matches its pin" if entry == prints else "DIFFERS from its pin: bump version"
        print(f"# {name} v{version}: {state}", file=sys.stderr)
        out[name] = {str(version): prints}
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    wanted = sys.argv[1:]
    if not wanted:
        wanted = [n for n in builtin_names(TASKS) if str(make_task(n).version) not in pinned().get(n, {})]
    _print_entries(wanted)
