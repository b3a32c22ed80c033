# -*- coding: utf-8 -*-

# Copyright: Contributors to the rollout.codedeploy project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Each role's meta/argument_specs.yml and defaults/main.yml agree.

Ansible checks a role's arguments against meta/argument_specs.yml before its tasks run, but takes the values from
defaults/main.yml: a default the spec does not show is a default users cannot see, a default that differs is
documented wrongly, and a default for a required option means the check never finds the option missing.
"""

from __future__ import annotations

import typing as t
from pathlib import Path

import pytest
import yaml

# tests/unit/<this file> -> the collection root; the roles are listed when the tests are collected, so the
# collection_root fixture comes too late.
COLLECTION_ROOT = Path(__file__).resolve().parents[2]
ROLES = sorted(path.name for path in (COLLECTION_ROOT / "roles").iterdir() if path.is_dir())


def load_yaml(path: Path) -> t.Any:
    return yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else None


def entry_point_options(role: str) -> dict[str, dict[str, dict[str, t.Any]]]:
    """Entry point -> option -> its spec, from the role's meta/argument_specs.yml."""
    specs = load_yaml(COLLECTION_ROOT / "roles" / role / "meta" / "argument_specs.yml") or {}
    return {name: entry.get("options") or {} for name, entry in (specs.get("argument_specs") or {}).items()}


def role_defaults(role: str) -> dict[str, t.Any]:
    return load_yaml(COLLECTION_ROOT / "roles" / role / "defaults" / "main.yml") or {}


def test_roles_are_found() -> None:
    assert "in_place" in ROLES


@pytest.mark.parametrize("role", ROLES)
def test_role_has_an_argument_spec(role: str) -> None:
    assert entry_point_options(role), f"roles/{role}/meta/argument_specs.yml documents no entry point"


@pytest.mark.parametrize("role", ROLES)
def test_every_default_is_documented_with_its_value(role: str) -> None:
    # defaults/main.yml serves every entry point: each default must be an option of at least one of them.
    entry_points = entry_point_options(role)
    for variable, value in role_defaults(role).items():
        documented = {name: options[variable] for name, options in entry_points.items() if variable in options}
        assert documented, (
            f"roles/{role}/defaults/main.yml sets {variable}, which meta/argument_specs.yml does not document"
        )
        for entry_point, spec in documented.items():
            assert "default" in spec and spec["default"] == value, (
                f"roles/{role}: {variable} defaults to {value!r} in defaults/main.yml but to "
                f"{spec.get('default', '(none)')!r} in entry point {entry_point} of meta/argument_specs.yml"
            )


@pytest.mark.parametrize("role", ROLES)
def test_every_documented_default_is_set(role: str) -> None:
    # The spec's default is documentation only: Ansible does not set it, defaults/main.yml must.
    defaults = role_defaults(role)
    for entry_point, options in entry_point_options(role).items():
        for option, spec in options.items():
            if "default" in spec:
                assert option in defaults, (
                    f"roles/{role}: entry point {entry_point} documents the default {spec['default']!r} for {option}, "
                    "which defaults/main.yml does not set"
                )


@pytest.mark.parametrize("role", ROLES)
def test_required_options_have_no_default(role: str) -> None:
    # A default would always satisfy the check, so a missing option would only fail later, with a worse message.
    defaults = role_defaults(role)
    for entry_point, options in entry_point_options(role).items():
        for option, spec in options.items():
            if spec.get("required"):
                assert option not in defaults, (
                    f"roles/{role}: {option} is required (entry point {entry_point}) but defaults/main.yml sets it"
                )
                assert "default" not in spec, (
                    f"roles/{role}: {option} is required (entry point {entry_point}) and documents a default"
                )
