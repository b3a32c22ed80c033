# -*- coding: utf-8 -*-

# Copyright: Contributors to the rollout.codedeploy project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The hand-off between runs of codedeploy_deployment: what crosses between the module and its action plugin."""

from __future__ import annotations

import dataclasses
import json
import os

import pytest
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.deployment_handoff import Handoff
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.deployment_handoff import Purpose

FOLLOWING = Handoff(
    window=2.0,
    deadline=3600.5,
    expected_duration=42.0,
    changed=True,
    plan={"action": "create", "reason": "deploy r2", "deployment_id": "d-X"},
    deployment_id="d-RB",
    purpose=Purpose.ROLLBACK,
    started=12.5,
    last_line="d-RB: InProgress, 0/2 succeeded",
    last_shown=40.0,
    failed_deployment_id="d-X",
)


def test_a_handoff_crosses_as_json_and_comes_back_equal():
    wire = json.loads(json.dumps(FOLLOWING.to_dict()))
    assert wire["purpose"] == "rollback"
    assert Handoff.from_dict(wire) == FOLLOWING


def test_a_handoff_crosses_in_the_environment_and_comes_back_equal():
    environment = FOLLOWING.to_environment()
    assert list(environment) == [Handoff.VARIABLE]
    assert not any(mark in environment[Handoff.VARIABLE] for mark in ("{", "}", "%"))  # nothing a template engine reads
    assert Handoff.from_environment({**os.environ, **environment}) == FOLLOWING


def test_no_handoff_in_the_environment_is_an_empty_one():
    assert Handoff.from_environment({}) == Handoff.from_environment({Handoff.VARIABLE: ""}) == Handoff()


def test_the_action_plugins_first_handoff_asks_only_for_the_window():
    assert Handoff(window=2.0).to_dict() == {"window": 2.0, "changed": False, "plan": {}}
    assert Handoff.from_dict({"window": 2}) == Handoff(window=2.0)
    assert not Handoff.from_dict({"window": 2.0}).following


def test_no_handoff_is_an_empty_one():
    assert Handoff.from_dict(None) == Handoff.from_dict({}) == Handoff()


def test_unknown_fields_are_ignored():
    assert Handoff.from_dict({"window": 1.0, "later": "field"}) == Handoff(window=1.0)


def test_a_handoff_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        FOLLOWING.deadline = 0.0  # type: ignore[misc]  # the assignment must fail


def test_following_a_new_deployment_starts_its_clock_and_forgets_the_last_line():
    handoff = FOLLOWING.follow("d-OTHER", Purpose.OTHER, now=99.0)
    assert (handoff.deployment_id, handoff.purpose, handoff.started, handoff.last_line, handoff.last_shown) == (
        "d-OTHER",
        Purpose.OTHER,
        99.0,
        None,
        None,
    )
    assert (handoff.deadline, handoff.plan, handoff.window) == (FOLLOWING.deadline, FOLLOWING.plan, FOLLOWING.window)


def test_following_the_deployment_already_followed_keeps_where_it_was():
    assert FOLLOWING.follow("d-RB", Purpose.ROLLBACK, now=99.0) is FOLLOWING


def test_once_followed_nothing_is_followed_and_the_rest_is_kept():
    handoff = FOLLOWING.followed()
    assert not handoff.following
    assert (handoff.purpose, handoff.started, handoff.last_line, handoff.last_shown) == (None, None, None, None)
    assert (handoff.deadline, handoff.expected_duration, handoff.failed_deployment_id) == (3600.5, 42.0, "d-X")


def test_the_action_plugin_imports_it_without_boto3_or_amazon_aws(aws_libraries_imported_by):
    assert aws_libraries_imported_by("_codedeploy.deployment_handoff") == []


def test_the_check_sees_what_the_deployment_task_imports(aws_libraries_imported_by):
    # The counterpart: the check does see the AWS libraries, so the test above cannot pass by seeing nothing.
    assert aws_libraries_imported_by("_codedeploy.deployment_runs") == [
        "ansible_collections.amazon",
        "boto3",
        "botocore",
    ]
