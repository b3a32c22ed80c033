# -*- coding: utf-8 -*-

# Copyright: Contributors to the rollout.codedeploy project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""codedeploy_deployment's action plugin on a remote host: it runs the module in slices, passing each Handoff back."""

from __future__ import annotations

import typing as t

from ansible_collections.rollout.codedeploy.plugins.action.codedeploy_deployment import PROGRESS_WINDOW
from ansible_collections.rollout.codedeploy.plugins.action.codedeploy_deployment import ActionModule
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.deployment_handoff import Handoff
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.deployment_handoff import Purpose

FOLLOWING = Handoff(window=PROGRESS_WINDOW, deadline=3600.0, changed=True, plan={"action": "create"})
FIRST = FOLLOWING.follow("d-X", Purpose.OURS, now=1.0)
SECOND = Handoff.from_dict({**FIRST.to_dict(), "last_line": "d-X: InProgress, 1/2 succeeded"})


class Slices(ActionModule):
    """The plugin with a scripted module: each run returns the next result and records the arguments it was given."""

    def __init__(self, results: list[dict[str, t.Any]]) -> None:  # pylint: disable=super-init-not-called
        self.results = results
        self.module_args: list[dict[str, t.Any]] = []
        self.shown: list[str] = []

    def _execute_module(self, module_name=None, module_args=None, task_path=None, task_vars=None, **kwargs):
        self.module_args.append(dict(module_args or {}))
        return dict(self.results.pop(0))

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
    handoffs = [Handoff.from_dict(args["progress_handoff"]) for args in plugin.module_args]
    assert handoffs == [Handoff(window=PROGRESS_WINDOW), FIRST, SECOND]
    assert all(args["state"] == "present" for args in plugin.module_args)
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
