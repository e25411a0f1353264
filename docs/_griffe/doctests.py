"""A griffe extension for the API reference: seqbench's docstrings, written for pydoc and doctest, as Markdown.

The docstrings hold plain doctests (``>>> ...`` lines and their output, run by pytest). Markdown would
render them as paragraphs and read ``card["fields"]["targets"]`` as a reference link; fenced, they
render as the console sessions they are. Sphinx roles (``:func:`export```) become code spans.
Used by mkdocs.yml (mkdocstrings' python handler).
"""

from __future__ import annotations

import re
from typing import Any

import griffe

PROMPT = re.compile(r"^(\s*)>>>( |$)")
ROLE = re.compile(r":(?:py:)?(?:mod|func|class|meth|attr|data|obj|exc|const):`~?")


def fence_doctests(text: str) -> str:
    """Wrap every run of doctest lines (from a ``>>>`` line to the next blank line) in a pycon fence,
    at the prompt's indentation; a docstring that already has a fenced block is left as written."""
    lines, out, fenced, indent = text.splitlines(), [], False, ""
    for line in lines:
        if line.lstrip().startswith("```"):  # already a code block: leave it as written
            return text
        if not fenced and PROMPT.match(line):
            indent = PROMPT.match(line).group(1)
            out.append(f"{indent}```pycon")
            fenced = True
        elif fenced and not line.strip():
            out.append(f"{indent}```")
            fenced = False
        out.append(line)
    if fenced:
        out.append(f"{indent}```")
    return "\n".join(out)


class FenceDoctests(griffe.Extension):
    """Fence the doctests of every docstring griffe loads."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = fence_doctests(ROLE.sub("`", obj.docstring.value))
