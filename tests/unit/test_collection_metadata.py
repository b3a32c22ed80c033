# -*- coding: utf-8 -*-

# Copyright: Contributors to the rollout.codedeploy project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The collection's metadata files agree with each other and with the code."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from ansible_collections.rollout.codedeploy.plugins.module_utils.version import COLLECTION_NAME
from ansible_collections.rollout.codedeploy.plugins.module_utils.version import COLLECTION_VERSION


def load_yaml(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def test_version_module_matches_galaxy_yml(collection_root: Path) -> None:
    galaxy = load_yaml(collection_root / "galaxy.yml")
    assert f"{galaxy['namespace']}.{galaxy['name']}" == COLLECTION_NAME
    assert galaxy["version"] == COLLECTION_VERSION


def test_collection_name_matches_its_place_in_ansible_collections(collection_root: Path) -> None:
    # ansible-test and the imports in the modules rely on ansible_collections/<namespace>/<name>.
    assert (collection_root.parent.parent.name, collection_root.parent.name, collection_root.name) == (
        "ansible_collections",
        *COLLECTION_NAME.split("."),
    )


def test_aws_action_group_extends_amazon_aws(collection_root: Path) -> None:
    runtime = load_yaml(collection_root / "meta" / "runtime.yml")
    metadata = [entry["metadata"] for entry in runtime["action_groups"]["aws"] if isinstance(entry, dict)]
    assert metadata == [{"extend_group": ["amazon.aws.aws"]}]


def test_every_aws_module_is_in_the_aws_action_group(collection_root: Path) -> None:
    # One `module_defaults: group/rollout.codedeploy.aws:` block must reach every module that talks to AWS.
    runtime = load_yaml(collection_root / "meta" / "runtime.yml")
    group = {entry for entry in runtime["action_groups"]["aws"] if isinstance(entry, str)}
    aws_modules = {
        path.stem
        for path in (collection_root / "plugins" / "modules").glob("*.py")
        if re.search(r"\bAnsible(CodeDeploy|AWS)Module\(", path.read_text(encoding="utf-8"))
    }
    assert sorted(aws_modules - group) == []
    assert sorted(group - {path.stem for path in (collection_root / "plugins" / "modules").glob("*.py")}) == []


def test_galaxy_yml_keeps_the_lab_and_local_state_out_of_the_tarball(collection_root: Path) -> None:
    ignored = set(load_yaml(collection_root / "galaxy.yml")["build_ignore"])
    for path in (
        "lab",
        "tools",
        "requirements",
        "Makefile",
        ".ci",
        ".venv",
        ".build",
        ".lab",
        "tests/output",
        "tests/integration/cloud-config-aws.ini",
    ):
        assert path in ignored, f"galaxy.yml build_ignore must list {path}"
