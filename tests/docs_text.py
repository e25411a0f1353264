"""The documentation's text, for the tests that run what it shows: README.md and every page of docs/.

The manual lives in ``docs/`` (built by ``mkdocs build --strict``, see ``mkdocs.yml``); README.md is its
front page. Tests find a section by its heading in the file that holds it, and run its code blocks.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def pages() -> list[Path]:
    """README.md, then every page of docs/ (sorted by path)."""
    return [ROOT / "README.md", *sorted(DOCS.rglob("*.md"))]


def text(path: str | Path) -> str:
    """A page's text; a relative path is read from the repository root (``"docs/extending.md"``)."""
    return (ROOT / path).read_text(encoding="utf-8")


def section(path: str | Path, heading: str) -> str:
    """The section of ``path`` under the ``## heading`` that starts with ``heading``, up to the next
    ``## `` heading (its ``###`` subsections included)."""
    parts = re.split(rf"^## {re.escape(heading)}", text(path), maxsplit=1, flags=re.M)
    assert len(parts) == 2, f"{path}: no section '## {heading}'"
    return re.split(r"^## ", parts[1], maxsplit=1, flags=re.M)[0]


def blocks(source: str, language: str) -> list[str]:
    """The fenced code blocks of one language in a text, in order."""
    return re.findall(rf"^```{language}\n(.*?)^```", source, flags=re.S | re.M)


def all_blocks(language: str) -> list[tuple[Path, str]]:
    """Every block of one language in README.md and docs/, with the page it comes from."""
    return [(page, block) for page in pages() for block in blocks(text(page), language)]
