"""The lab's rooms import one way, as docs/architecture.md draws them: no upward import, no circle, and no import
inside a function without a comment saying why.

The layers are read from the picture in docs/architecture.md (the block after ``<!-- layers: lab -->``), so the
picture and the code cannot drift apart.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

LAB = Path(__file__).resolve().parents[1]
PACKAGE = LAB / "codedeploy_lab"
ARCHITECTURE = LAB.parent / "docs" / "architecture.md"
# Helpers for tests (fixtures, labs started for a test): above every room, and no room may import them.
TEST_SUPPORT = re.compile(r"(^|\.)(testing|fixtures)$")


def read_layers(picture: str) -> list[set[str]]:
    """The block after ``<!-- layers: lab -->``: one layer a line, top first, rooms separated by spaces."""
    marker = picture.index("<!-- layers: lab -->")
    block = re.search(r"```text\n(.*?)```", picture[marker:], re.S)
    assert block, "docs/architecture.md: no ```text block after <!-- layers: lab -->"
    return [set(line.split()) for line in block.group(1).splitlines() if line.strip()]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(LAB).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path, known: set[str]) -> Iterator[tuple[str, int]]:
    """Every lab module ``path`` imports, wherever the import is (type-checking blocks and functions included)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            # ``from . import x`` may name a submodule
            targets = [f"{module}.{a.name}" if f"{module}.{a.name}" in known else module for a in node.names]
        else:
            continue
        for target in targets:
            if target.split(".")[0] == "codedeploy_lab":
                yield target, node.lineno


def room(module: str) -> str:
    return module.split(".")[1] if "." in module else module


def import_graph() -> dict[str, dict[str, int]]:
    paths = {module_name(path): path for path in PACKAGE.rglob("*.py")}
    return {name: dict(imported_modules(path, set(paths))) for name, path in paths.items()}


GRAPH = import_graph()


def test_the_picture_names_every_room_once() -> None:
    layers = read_layers(ARCHITECTURE.read_text())
    drawn = [name for layer in layers for name in layer]
    rooms = {room(name) for name in GRAPH if name != "codedeploy_lab" and not TEST_SUPPORT.search(name)}
    assert sorted(drawn) == sorted(set(drawn)), "a room is drawn twice"
    assert set(drawn) == rooms, (
        f"drawn but not in the code: {set(drawn) - rooms}; in the code, not drawn: {rooms - set(drawn)}"
    )


def test_rooms_import_only_rooms_below_them() -> None:
    layers = read_layers(ARCHITECTURE.read_text())
    level = {name: index for index, layer in enumerate(layers) for name in layer}
    upward = []
    for importer, targets in GRAPH.items():
        if importer == "codedeploy_lab" or TEST_SUPPORT.search(importer):
            continue
        for target, line in targets.items():
            if TEST_SUPPORT.search(target):
                upward.append(f"{importer}:{line} imports the test helper {target}")
            elif room(target) != room(importer) and target != "codedeploy_lab":
                if level[room(target)] <= level[room(importer)]:
                    upward.append(f"{importer}:{line} imports {target} (not below it in docs/architecture.md)")
    assert not upward, "\n".join(upward)


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt) :] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (found := visit(start)):
            return found
    return None


def test_no_module_imports_itself_through_others() -> None:
    # A package imports its submodules to re-export them; those edges are the package's own, not a circle.
    graph = {
        name: {target for target in targets if not (target.startswith(name + ".") and name != "codedeploy_lab")}
        for name, targets in GRAPH.items()
    }
    cycle = find_cycle(graph)
    assert cycle is None, " -> ".join(cycle or [])


def test_find_cycle_sees_a_circle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda path: str(path.relative_to(PACKAGE)))
def test_imports_inside_functions_say_why(path: Path) -> None:
    lines = path.read_text().splitlines()
    silent = [
        f"{path.relative_to(LAB)}:{node.lineno}: {lines[node.lineno - 1].strip()}"
        for function in ast.walk(ast.parse(path.read_text()))
        if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef)
        for node in ast.walk(function)
        if isinstance(node, ast.Import | ast.ImportFrom) and "#" not in lines[node.lineno - 1]
    ]
    assert not silent, "an import inside a function needs a comment saying why:\n" + "\n".join(silent)
