"""The documentation site (mkdocs.yml, docs/) builds in strict mode, every page is in its navigation,
and README.md stays a front page. The commands and code examples of the pages run in test_readme.py."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys

import pytest
import yaml

import seqbench
from docs_text import DOCS, ROOT, all_blocks, text

CONFIG = yaml.safe_load((ROOT / "mkdocs.yml").read_text())


def nav_pages(nav) -> list[str]:
    """Every page the navigation names, in order (entries are paths, {title: path} or {title: [...]})."""
    if isinstance(nav, str):
        return [nav]
    if isinstance(nav, dict):
        return [page for value in nav.values() for page in nav_pages(value)]
    return [page for entry in nav for page in nav_pages(entry)]


def test_the_docs_show_one_mkdocs_command_and_this_file_runs_it():
    shown = [line.strip() for _, block in all_blocks("bash") for line in block.splitlines()
             if line.strip().startswith("mkdocs")]
    assert shown == ["mkdocs build --strict"]


@pytest.mark.slow
def test_the_site_builds_in_strict_mode(tmp_path):
    """``mkdocs build --strict``: any warning fails (a broken link or anchor, a page left out of the
    navigation, a docstring reference that does not resolve). A few seconds."""
    site = tmp_path / "site"
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-5000:]
    assert CONFIG["strict"] is True and CONFIG["docs_dir"] == "docs"
    for page in nav_pages(CONFIG["nav"]):
        built = site / (page[:-3] + ".html" if page.endswith("index.md") else page[:-3] + "/index.html")
        assert built.exists(), page
    api = (site / "api" / "index.html").read_text()
    for name in seqbench.__all__:  # the reference renders every public name from its docstring
        assert f'id="seqbench.{name}"' in api, name
    assert '<span class="gp">&gt;&gt;&gt;' in api  # the docstrings' doctests render as console sessions (pycon)


def test_every_docs_page_is_in_the_nav():
    pages = sorted(str(p.relative_to(DOCS)) for p in DOCS.rglob("*.md"))
    listed = nav_pages(CONFIG["nav"])
    assert sorted(listed) == pages and len(set(listed)) == len(listed)


def test_the_api_reference_lists_every_public_name():
    members = re.findall(r"^\s+- (\w+)$", text("docs/api/index.md"), flags=re.M)
    assert sorted(members) == sorted(seqbench.__all__)


def test_the_api_reference_fences_doctests_and_drops_sphinx_roles():
    spec = importlib.util.spec_from_file_location("doctests", DOCS / "_griffe" / "doctests.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    text = "See :func:`~seqbench.fit`.\n\n>>> card['n']\n2\n\nDone."
    assert module.fence_doctests(module.ROLE.sub("`", text)) == (
        "See `seqbench.fit`.\n\n```pycon\n>>> card['n']\n2\n```\n\nDone.")


def test_the_readme_is_a_front_page():
    readme = text("README.md")
    assert len(readme.splitlines()) <= 200
    assert "make demo" in readme and "make test" in readme
    # a screenshot of the leaderboard page, small enough for a repository
    images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", readme)
    assert images and all((ROOT / image).stat().st_size < 300_000 for image in images)
    # every link into the docs reaches a page of the site (anchors are checked by the strict build)
    links = re.findall(r"\]\((docs/[^)#]+)(?:#[^)]*)?\)", readme)
    nav = set(nav_pages(CONFIG["nav"]))
    assert links and all(link.removeprefix("docs/") in nav | {"img/leaderboard.png"} for link in links), links
    for page, anchor in re.findall(r"\]\(docs/([^)#]+)#([^)]+)\)", readme):  # GitHub's and MkDocs' slugs agree here
        slugs = {re.sub(r"[\s]+", "-", re.sub(r"[^\w\s-]", "", h.strip().lower()))
                 for h in re.findall(r"^#+ (.*)$", text(DOCS / page), flags=re.M)}
        assert anchor in slugs, (page, anchor)
    assert "two commands do all the set-up" in " ".join(readme.split())


def test_every_dependency_says_what_it_is_for():
    """The project's rule: the README says what each dependency is for (in one line, and the
    dependencies page in full)."""
    pyproject = text("pyproject.toml")
    block = pyproject[pyproject.index("dependencies = ["):pyproject.index("[project.scripts]")]
    names = {name.lower() for name in re.findall(r'"([A-Za-z][A-Za-z0-9_.-]*)', block)}
    assert {"torch", "mkdocs", "mkdocstrings"} <= names
    page, readme = text("docs/dependencies.md").lower(), " ".join(text("README.md").split()).lower()
    assert not {n for n in names if n not in page} and not {n for n in names if n not in readme}, (
        sorted(n for n in names if n not in page), sorted(n for n in names if n not in readme))
