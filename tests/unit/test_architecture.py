# -*- coding: utf-8 -*-

# Copyright: Contributors to the rollout.codedeploy project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The collection's plugins import one way, as docs/architecture.md draws them: entry points through the faces, every
import downward, no circle, no import inside a function without a comment saying why.

The layers are read from the picture in docs/architecture.md (the block after ``<!-- layers: collection -->``), so
the picture and the code cannot drift apart.
"""

from __future__ import annotations

import ast
import re
import typing as t
from pathlib import Path

import pytest

PREFIX = "ansible_collections.rollout.codedeploy.plugins."
ENTRY_POINTS = ("modules", "action")
PRIVATE = "module_utils/_codedeploy"
# The action plugin hands over to its module through this standard-library-only file, without loading boto3.
AROUND_THE_FACES = {("action/codedeploy_deployment", "module_utils/_codedeploy/deployment_handoff")}
AWS_FACE = "module_utils/codedeploy"
# Issue #12 asked for an AWS face of "about 25 names": per resource its readers and one ensure_* call, not the plans,
# wrappers and conversions those are made of. A face that grows past this lets such pieces out again.
AWS_FACE_NAMES_AT_MOST = 26


def read_layers(picture: str) -> list[list[str]]:
    """The block after ``<!-- layers: collection -->``: one layer a line, top first; names are paths under plugins/."""
    marker = picture.index("<!-- layers: collection -->")
    block = re.search(r"```text\n(.*?)```", picture[marker:], re.S)
    assert block, "docs/architecture.md: no ```text block after <!-- layers: collection -->"
    return [line.split() for line in block.group(1).splitlines() if line.strip()]


def plugin_path(path: Path, plugins: Path) -> str:
    """plugins/module_utils/_codedeploy/common.py -> module_utils/_codedeploy/common"""
    return path.relative_to(plugins).with_suffix("").as_posix()


def imports(path: Path, plugins: Path, known: set[str]) -> t.Iterator[tuple[str, int]]:
    """Every plugin file ``path`` imports (type-checking blocks and functions included), as a path under plugins/."""
    package = plugin_path(path, plugins).rpartition("/")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split("/")
                base = "/".join(parts[: len(parts) - node.level + 1])
                module = "/".join(part for part in (base, (node.module or "").replace(".", "/")) if part)
            elif (node.module or "").startswith(PREFIX):
                module = node.module[len(PREFIX) :].replace(".", "/")
            else:
                continue
            for alias in node.names:
                yield (f"{module}/{alias.name}" if f"{module}/{alias.name}" in known else module), node.lineno
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith(PREFIX):
                    yield alias.name[len(PREFIX) :].replace(".", "/"), node.lineno


@pytest.fixture(scope="module")
def plugins(collection_root: Path) -> Path:
    return collection_root / "plugins"


@pytest.fixture(scope="module")
def graph(plugins: Path) -> dict[str, dict[str, int]]:
    # doc_fragments are documentation that ansible-doc reads; no plugin imports them, and they import nothing.
    files = {
        plugin_path(path, plugins): path
        for path in plugins.rglob("*.py")
        if path.name != "__init__.py" and path.parent.name != "doc_fragments"
    }
    return {name: dict(imports(path, plugins, set(files))) for name, path in files.items()}


@pytest.fixture(scope="module")
def layers(collection_root: Path) -> list[list[str]]:
    return read_layers((collection_root / "docs" / "architecture.md").read_text(encoding="utf-8"))


def layer_of(name: str, layers: list[list[str]]) -> tuple[int, str]:
    """The layer and the drawn name that holds ``name`` (the longest drawn prefix)."""
    found = [
        (len(drawn), index, drawn)
        for index, layer in enumerate(layers)
        for drawn in layer
        if name == drawn or name.startswith(drawn + "/")
    ]
    assert found, f"plugins/{name}.py is in no layer of docs/architecture.md"
    return max(found)[1:]


def test_the_picture_covers_every_plugin(graph: dict[str, dict[str, int]], layers: list[list[str]]) -> None:
    for name in graph:
        layer_of(name, layers)


def test_imports_point_down(graph: dict[str, dict[str, int]], layers: list[list[str]]) -> None:
    upward = []
    for importer, targets in graph.items():
        level, drawn = layer_of(importer, layers)
        for target, line in targets.items():
            target_level, target_drawn = layer_of(target, layers)
            if target_drawn != drawn and target_level <= level:
                upward.append(f"plugins/{importer}.py:{line} imports {target}, which is not below it")
    assert not upward, "\n".join(upward)


def test_entry_points_go_through_the_faces(graph: dict[str, dict[str, int]]) -> None:
    around = [
        f"plugins/{importer}.py:{line} imports {target}"
        for importer, targets in graph.items()
        if importer.split("/")[0] in ENTRY_POINTS
        for target, line in targets.items()
        if target.startswith(PRIVATE + "/") and (importer, target) not in AROUND_THE_FACES
    ]
    assert not around, "entry points import the faces, not module_utils/_codedeploy:\n" + "\n".join(around)


def face_names(path: Path) -> list[str]:
    """The public names a face defines: module-level assignments, functions and classes."""
    names: list[str] = []
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.append(node.name)
        elif isinstance(node, ast.Assign):
            names.extend(target.id for target in node.targets if isinstance(target, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.append(node.target.id)
    return [name for name in names if not name.startswith("_")]


def names_entry_points_import(plugins: Path, face: str) -> set[str]:
    """The names modules and action plugins import from the face."""
    module = PREFIX + face.replace("/", ".")
    return {
        alias.name
        for entry_point in ENTRY_POINTS
        for path in (plugins / entry_point).glob("*.py")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.ImportFrom) and node.module == module
        for alias in node.names
    }


def test_the_aws_face_stays_about_25_names(plugins: Path) -> None:
    names = face_names(plugins / f"{AWS_FACE}.py")
    assert len(names) <= AWS_FACE_NAMES_AT_MOST, f"the AWS face has {len(names)} names: {', '.join(sorted(names))}"


def test_the_aws_face_holds_only_what_entry_points_import(plugins: Path) -> None:
    unused = set(face_names(plugins / f"{AWS_FACE}.py")) - names_entry_points_import(plugins, AWS_FACE)
    assert sorted(unused) == [], "no module or action plugin imports these; import them from _codedeploy in tests"


def test_face_names_sees_assignments_functions_and_classes(tmp_path: Path) -> None:
    # The counterpart of the two tests above: they cannot pass by counting nothing.
    face = tmp_path / "face.py"
    face.write_text("import x\nA = x.a\nb: int = 1\n_c = 2\ndef d(): pass\nclass E: pass\nif x:\n    f = 1\n")
    assert face_names(face) == ["A", "b", "d", "E"]


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt) :] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state:
            found = visit(start)
            if found:
                return found
    return None


def test_no_circle(graph: dict[str, dict[str, int]]) -> None:
    cycle = find_cycle({name: set(targets) for name, targets in graph.items()})
    assert cycle is None, " -> ".join(cycle or [])


def test_find_cycle_sees_a_circle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_imports_inside_functions_say_why(plugins: Path) -> None:
    silent = []
    for path in sorted(plugins.rglob("*.py")):
        lines = path.read_text(encoding="utf-8").splitlines()
        for function in ast.walk(ast.parse("\n".join(lines))):
            if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for node in ast.walk(function):
                    if isinstance(node, (ast.Import, ast.ImportFrom)) and "#" not in lines[node.lineno - 1]:
                        silent.append(f"plugins/{plugin_path(path, plugins)}.py:{node.lineno}")
    assert not silent, "an import inside a function needs a comment saying why:\n" + "\n".join(silent)
