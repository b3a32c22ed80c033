# -*- coding: utf-8 -*-

# Copyright: Contributors to the rollout.codedeploy project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The IAM actions the modules document are real, cover the calls the wrappers make, and are the ones
docs/iam-permissions.md lists, for the modules and for the roles.

A module documents its actions in its notes that begin "IAM actions", each action as C(service:Action); the page
writes them as `service:Action` in its tables.
"""

from __future__ import annotations

import ast
import re
import typing as t
from pathlib import Path

import botocore.session
import pytest
import yaml

IAM_NOTE = "IAM actions"
ACTION_IN_NOTE = re.compile(r"C\(([a-z0-9-]+:[A-Z][A-Za-z0-9]*)\)")
ACTION_ON_PAGE = re.compile(r"`([a-z0-9-]+:[A-Z][A-Za-z0-9]*)`")
MODULE_ON_PAGE = re.compile(r"`(codedeploy_\w+)`")

# The services whose IAM actions are named after their operations (the lab's iam_action: prefix:Operation), by IAM
# prefix and botocore service name.
OPERATION_SERVICES = {"codedeploy": "codedeploy", "ec2": "ec2", "autoscaling": "autoscaling", "iam": "iam",
                      "sts": "sts", "kms": "kms"}  # fmt: skip
# Actions that are no operation: iam:PassRole is checked where a call passes a role (the lab's iam/resources.py).
PERMISSION_ONLY_ACTIONS = frozenset(("iam:PassRole",))
# S3 names its actions after the resource, not the operation. These are the ones the modules need, each a value of
# the lab's S3 table (lab/codedeploy_lab/iam/actions.py, S3_BUCKET and S3_OBJECT), which the collection does not ship.
S3_ACTIONS = frozenset(
    (
        "s3:ListBucket",
        "s3:GetBucketOwnershipControls",
        "s3:GetObject",
        "s3:GetObjectVersion",
        "s3:PutObject",
        "s3:PutObjectAcl",
        "s3:GetObjectTagging",
        "s3:PutObjectTagging",
        "s3:DeleteObjectTagging",
    )
)
# The S3 operations the wrappers call, and their action (the lab's S3_OBJECT).
S3_OPERATIONS = {"HeadObject": "s3:GetObject"}


def documentation(path: Path) -> dict[str, t.Any]:
    """A module's DOCUMENTATION, read without importing the module."""
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "DOCUMENTATION":
            return yaml.safe_load(t.cast(ast.Constant, node.value).value)
    raise AssertionError(f"{path.name} has no DOCUMENTATION")


def iam_notes(doc: dict[str, t.Any]) -> list[str]:
    return [note for note in doc.get("notes") or [] if note.startswith(IAM_NOTE)]


@pytest.fixture(scope="module")
def modules(collection_root: Path) -> dict[str, Path]:
    return {path.stem: path for path in sorted((collection_root / "plugins" / "modules").glob("*.py"))}


@pytest.fixture(scope="module")
def module_actions(modules: dict[str, Path]) -> dict[str, set[str]]:
    """Each module's documented actions."""
    return {
        name: {action for note in iam_notes(documentation(path)) for action in ACTION_IN_NOTE.findall(note)}
        for name, path in modules.items()
    }


def page_rows(collection_root: Path, heading: str) -> list[list[str]]:
    """The cells of each row of the table under the page's heading, header and rule left out."""
    page = (collection_root / "docs" / "iam-permissions.md").read_text(encoding="utf-8")
    section = page.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|")]
    return [[cell.strip() for cell in row.strip("|").split("|")] for row in rows[2:]]


@pytest.fixture(scope="module")
def page_module_actions(collection_root: Path) -> dict[str, set[str]]:
    """The actions of each module in the page's table (a row with an empty first cell continues the module above)."""
    actions: dict[str, set[str]] = {}
    module = ""
    for cells in page_rows(collection_root, "Modules"):
        module = cells[0].strip("`") or module
        actions.setdefault(module, set()).update(ACTION_ON_PAGE.findall(" ".join(cells[1:])))
    return actions


@pytest.fixture(scope="module")
def operations() -> dict[str, frozenset[str]]:
    session = botocore.session.get_session()
    return {prefix: frozenset(session.get_service_model(service).operation_names)
            for prefix, service in OPERATION_SERVICES.items()}  # fmt: skip


def test_every_module_documents_its_iam_actions(modules, module_actions):
    for name, path in modules.items():
        doc = documentation(path)
        assert iam_notes(doc), f"{name}: no note begins with {IAM_NOTE!r}"
        if "AnsibleCodeDeployModule(" in path.read_text(encoding="utf-8"):  # it calls AWS
            assert module_actions[name], f"{name} calls AWS but documents no IAM action"
            assert "rollout.codedeploy.iam_permissions" in doc["extends_documentation_fragment"], name


def test_every_action_is_one_the_lab_s_table_knows(module_actions, page_module_actions, operations):
    documented = set().union(*module_actions.values(), *page_module_actions.values())
    unknown = []
    for action in sorted(documented):
        prefix, name = action.split(":", 1)
        known = (
            action in PERMISSION_ONLY_ACTIONS
            or action in S3_ACTIONS
            or (prefix in operations and name in operations[prefix])
        )
        if not known:
            unknown.append(action)
    assert unknown == []


def test_every_call_the_wrappers_make_is_documented(collection_root, module_actions, operations):
    # Each wrapper calls one operation (client.<operation>(...), or a paginator of it); its action must be one that
    # some module documents.
    session = botocore.session.get_session()
    by_python_name = {}
    for prefix in ("codedeploy", "ec2", "autoscaling"):
        model = session.get_service_model(OPERATION_SERVICES[prefix])
        for operation in model.operation_names:
            by_python_name.setdefault(botocore.xform_name(operation), f"{prefix}:{operation}")
    by_python_name.update({botocore.xform_name(op): action for op, action in S3_OPERATIONS.items()})
    call = re.compile(r"\b(?:client|ec2|autoscaling|s3)\.(?:get_paginator\(\"(\w+)\"\)|(\w+)\()")
    wrappers = collection_root / "plugins" / "module_utils" / "_codedeploy"
    called = set()
    for path in wrappers.glob("*.py"):
        for paginated, direct in call.findall(path.read_text(encoding="utf-8")):
            name = paginated or direct
            assert name in by_python_name, f"{path.name} calls {name}, which has no known IAM action"
            called.add(by_python_name[name])
    assert called, "no call found: the pattern no longer matches the wrappers"
    assert sorted(called - set().union(*module_actions.values())) == []


def test_the_page_lists_each_module_s_actions(module_actions, page_module_actions):
    assert sorted(page_module_actions) == sorted(module_actions)
    for name, actions in module_actions.items():
        assert sorted(page_module_actions[name] - actions) == [], f"{name}: on the page, not in its notes"
        assert sorted(actions - page_module_actions[name]) == [], f"{name}: in its notes, not on the page"


def role_modules(roles_dir: Path, role: str, tasks_from: str | None = None) -> set[str]:
    """The modules of this collection a role's tasks run (only those of tasks_from when given), with those of the
    roles they include or import."""
    found: set[str] = set()

    def walk(node: t.Any) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, dict):
            for key, value in node.items():
                if key.startswith("rollout.codedeploy.codedeploy_"):
                    found.add(key.rsplit(".", 1)[1])
                elif key.endswith(("include_role", "import_role")):
                    found.update(role_modules(roles_dir, value["name"].rsplit(".", 1)[1], value.get("tasks_from")))
                else:
                    walk(value)

    files = (
        [roles_dir / role / "tasks" / f"{tasks_from}.yml"] if tasks_from else (roles_dir / role / "tasks").glob("*.yml")
    )
    for path in sorted(files):
        walk(yaml.safe_load(path.read_text(encoding="utf-8")))
    return found


def test_the_page_lists_each_role_with_the_modules_it_runs_and_their_actions(collection_root, module_actions):
    roles_dir = collection_root / "roles"
    rows = {cells[0].strip("`"): cells for cells in page_rows(collection_root, "Roles")}
    assert sorted(rows) == sorted(path.name for path in roles_dir.iterdir() if (path / "tasks").is_dir())
    for role, cells in rows.items():
        runs = set(MODULE_ON_PAGE.findall(cells[1]))
        assert runs == role_modules(roles_dir, role), f"role {role}: the modules it runs"
        actions = set(ACTION_ON_PAGE.findall(" ".join(cells[2:])))
        allowed = set().union(*(module_actions[module] for module in runs))
        assert sorted(actions - allowed) == [], f"role {role}: actions none of its modules documents"
