"""A record's git_commit says which code ran: the commit, and +dirty when the code differed from it."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from seqbench.runs.experiment import commit_of

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")


def git(root, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=root, check=True,
                          capture_output=True, text=True).stdout.strip()


def test_a_change_to_the_code_marks_the_commit_dirty_and_other_files_do_not(tmp_path):
    git(tmp_path, "init", "-q")
    (tmp_path / "seqbench").mkdir()
    (tmp_path / "seqbench" / "a.py").write_text("x = 1\n")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "first")
    head = git(tmp_path, "rev-parse", "HEAD")
    assert commit_of(tmp_path) == head
    (tmp_path / "README.md").write_text("notes\n")  # not code: the run's code is still the commit's
    (tmp_path / "seqbench" / "notes.txt").write_text("x\n")
    assert commit_of(tmp_path) == head
    (tmp_path / "seqbench" / "new dir").mkdir()  # an untracked module in a new folder, with a space
    (tmp_path / "seqbench" / "new dir" / "b.py").write_text("y = 2\n")
    assert commit_of(tmp_path) == head + "+dirty"
    shutil.rmtree(tmp_path / "seqbench" / "new dir")
    (tmp_path / "seqbench" / "a.py").write_text("x = 2\n")  # a changed, tracked module
    assert commit_of(tmp_path) == head + "+dirty"
    assert not (tmp_path / ".git" / "index.lock").exists()


def test_outside_a_checkout_there_is_no_commit(tmp_path):
    assert commit_of(tmp_path) is None
