# -*- coding: utf-8 -*-

# Copyright: Contributors to the rollout.codedeploy project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""codedeploy_deployment's action plugin: on a remote host it runs the module in slices, passing each Handoff back
in the environment of the module's execution; it upgrades the deprecated shape of target_instances.ec2_tag_set."""

from __future__ import annotations

import os
import types
import typing as t

from ansible_collections.rollout.codedeploy.plugins.action.codedeploy_deployment import PROGRESS_WINDOW
from ansible_collections.rollout.codedeploy.plugins.action.codedeploy_deployment import ActionModule
from ansible_collections.rollout.codedeploy.plugins.action.codedeploy_deployment import process_environment
from ansible_collections.rollout.codedeploy.plugins.action.codedeploy_deployment import upgraded_args
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.deployment_handoff import Handoff
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.deployment_handoff import Purpose

FOLLOWING = Handoff(window=PROGRESS_WINDOW, deadline=3600.0, changed=True, plan={"action": "create"})
FIRST = FOLLOWING.follow("d-X", Purpose.OURS, now=1.0)
SECOND = Handoff.from_dict({**FIRST.to_dict(), "last_line": "d-X: InProgress, 1/2 succeeded"})


USER_ENVIRONMENT = {"HTTPS_PROXY": "http://proxy:3128"}


class Slices(ActionModule):
    """The plugin with a scripted module: each run returns the next result and records the arguments it was given
    and the task environment it ran with."""

    def __init__(self, results: list[dict[str, t.Any]]) -> None:  # pylint: disable=super-init-not-called
        self.results = results
        self.module_args: list[dict[str, t.Any]] = []
        self.environments: list[list[dict[str, str]]] = []
        self.shown: list[str] = []
        self._task = types.SimpleNamespace(environment=[USER_ENVIRONMENT])

    def _execute_module(self, module_name=None, module_args=None, task_path=None, task_vars=None, **kwargs):
        self.module_args.append(dict(module_args or {}))
        self.environments.append(list(self._task.environment))
        return dict(self.results.pop(0))

    def handoffs(self) -> list[Handoff]:
        """The hand-off each run was given, as the module reads it from its environment."""
        merged = [
            {name: value for item in environment for name, value in item.items()} for environment in self.environments
        ]
        return [Handoff.from_environment(environment) for environment in merged]

    def _show(self, task_vars: dict[str, t.Any], line: str) -> None:
        self.shown.append(line)


def test_each_slice_carries_on_from_the_handoff_the_last_one_returned():
    plugin = Slices(
        [
            {"changed": True, "progress": ["d-X: InProgress, 0/2 succeeded"], "progress_handoff": FIRST.to_dict()},
            {"changed": True, "progress": ["d-X: InProgress, 1/2 succeeded"], "progress_handoff": SECOND.to_dict()},
            {"changed": True, "progress": ["d-X: Succeeded, 2/2 succeeded"], "msg": "d-X succeeded"},
        ]
    )
    result = plugin._follow_in_slices({"state": "present"}, {})
    assert plugin.handoffs() == [Handoff(window=PROGRESS_WINDOW), FIRST, SECOND]
    assert plugin.module_args == [{"state": "present"}] * 3  # no option of the module's carries the hand-off
    assert all(environment[0] == USER_ENVIRONMENT for environment in plugin.environments)  # the task's own is kept
    assert plugin._task.environment == [USER_ENVIRONMENT]  # and the hand-off is not left in it
    assert (
        plugin.shown
        == result["progress"]
        == [
            "d-X: InProgress, 0/2 succeeded",
            "d-X: InProgress, 1/2 succeeded",
            "d-X: Succeeded, 2/2 succeeded",
        ]
    )
    assert "progress_handoff" not in result and result["msg"] == "d-X succeeded"


def test_a_failed_slice_ends_the_task_with_every_line():
    plugin = Slices(
        [
            {"changed": True, "progress": ["d-X: InProgress"], "progress_handoff": FIRST.to_dict()},
            {"failed": True, "progress": ["d-X: Failed"], "msg": "deployment d-X failed", "progress_handoff": None},
        ]
    )
    result = plugin._follow_in_slices({}, {})
    assert (result["failed"], result["progress"]) == (True, ["d-X: InProgress", "d-X: Failed"])
    assert len(plugin.module_args) == 2


def test_the_progress_file_is_named_in_the_environment_only_while_the_module_runs():
    name = Handoff.PROGRESS_FILE_VARIABLE
    assert name not in os.environ
    with process_environment({name: "/tmp/progress.log"}):
        assert os.environ[name] == "/tmp/progress.log"
    assert name not in os.environ


def test_a_bare_list_ec2_tag_set_takes_the_group_modules_shape_with_a_deprecation(monkeypatch):
    deprecations: list[dict[str, t.Any]] = []
    monkeypatch.setattr(
        "ansible_collections.rollout.codedeploy.plugins.action.codedeploy_deployment.display.deprecated",
        lambda msg, **kwargs: deprecations.append({"msg": msg, **kwargs}),
    )
    tag_set = [[{"key": "fleet", "value": "green"}]]
    args = {"state": "present", "target_instances": {"ec2_tag_set": tag_set, "auto_scaling_groups": None}}
    upgraded = upgraded_args(args)
    assert upgraded["target_instances"] == {"ec2_tag_set": {"ec2_tag_set_list": tag_set}, "auto_scaling_groups": None}
    assert args["target_instances"]["ec2_tag_set"] == tag_set  # the task's own args are left alone
    assert [(d["version"], d["collection_name"]) for d in deprecations] == [("2.0.0", "rollout.codedeploy")]
    assert "ec2_tag_set_list" in deprecations[0]["msg"]


def test_the_new_shape_passes_as_it_is():
    args = {"target_instances": {"ec2_tag_set": {"ec2_tag_set_list": [[{"key": "fleet"}]]}}}
    assert upgraded_args(args) is args
    assert upgraded_args({"state": "stopped"}) == {"state": "stopped"}
