"""The package's layers: each imports only from itself and the layers below it, and no module
imports itself back through others.

The layers, lowest first, are the subpackages of :data:`LAYERS`. An import inside an
``if TYPE_CHECKING:`` block (annotations only, never executed) is not an arrow; an import inside
a function is, since it runs when the function does.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

from conftest import ROOT

#: lowest first; a module may import from its own layer and those before it
LAYERS = ["core", "models", "engine", "runs", "analysis", "boards", "conformance", "cli"]
PACKAGE = ROOT / "seqbench"
#: the package's own modules outside the layers: its ``__init__`` (lazy public names, imported
#: before any submodule anyway, so importing it adds no arrow) and the finder of the old paths
ROOT_PACKAGE, FINDER = "seqbench", "seqbench.moved"


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}


def _type_checking_only(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def imports_of(path: Path) -> set[str]:
    """The seqbench modules ``path`` imports when it runs (at module level or in a function).

    >>> sorted(imports_of(PACKAGE / "core" / "pdfa.py"))
    ['seqbench.core.entropy']
    """
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _type_checking_only(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("seqbench"))
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").split(".")[0] == "seqbench":
            for alias in node.names:  # ``from seqbench.core import task`` imports the module seqbench.core.task
                candidate = f"{node.module}.{alias.name}"
                found.add(candidate if candidate in MODULES else node.module)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text(), filename=str(path)))
    return found


def layer_of(module: str) -> int | None:
    parts = module.split(".")
    return LAYERS.index(parts[1]) if len(parts) > 1 and parts[1] in LAYERS else None


def graph() -> dict[str, set[str]]:
    """module -> the seqbench modules it imports (the root package left out: see :data:`ROOT_PACKAGE`)."""
    return {name: {m for m in imports_of(path) if m in MODULES and m not in (name, ROOT_PACKAGE)}
            for name, path in MODULES.items()}


def test_every_module_belongs_to_a_layer():
    loose = sorted(name for name in MODULES if name not in (ROOT_PACKAGE, FINDER) and layer_of(name) is None)
    assert not loose, f"modules outside every layer {LAYERS}: {loose}"


def test_no_arrow_points_up():
    up = []
    for name, targets in graph().items():
        own = layer_of(name)
        if own is None:
            continue
        up += [f"{name} -> {t}" for t in sorted(targets) if t == FINDER or (layer_of(t) or 0) > own]
    assert not up, "imports from a higher layer:\n" + "\n".join(up)


def test_no_import_circles():
    edges = graph()
    circles: list[list[str]] = []
    state: dict[str, str] = {}
    stack: list[str] = []

    def walk(node: str) -> None:  # depth first; meeting a module still on the stack closes a circle
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(edges[node]):
            if state.get(nxt) == "open":
                circles.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                walk(nxt)
        stack.pop()
        state[node] = "done"

    for node in sorted(edges):
        if node not in state:
            walk(node)
    assert not circles, "import circles:\n" + "\n".join(" -> ".join(c) for c in circles)


def test_the_checker_sees_arrows_up_and_circles(tmp_path):
    """The rules above can fail: a module that imports a higher layer, or itself through another."""
    (tmp_path / "a.py").write_text("import seqbench.cli\nif TYPE_CHECKING:\n    import seqbench.boards\n"
                                   "def f():\n    from seqbench.core import task\n")
    assert imports_of(tmp_path / "a.py") == {"seqbench.cli", "seqbench.core.task"}
    assert layer_of("seqbench.cli.run") > layer_of("seqbench.core.task")


def test_the_old_module_paths_still_import_the_new_modules():
    from seqbench.moved import MOVED

    for old, new in MOVED.items():
        assert new in MODULES, new
        assert importlib.import_module(old) is importlib.import_module(new), old


def test_every_package_is_in_the_distribution():
    """A wheel carries each folder of the package (pyproject.toml lists them one by one)."""
    import tomllib

    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    folders = {module_name(p) for p in PACKAGE.rglob("__init__.py")}
    assert folders <= listed, sorted(folders - listed)
