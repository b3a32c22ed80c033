# -*- coding: utf-8 -*-

# Copyright: Contributors to the rollout.codedeploy project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.comparison import DifferenceTracker
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.comparison import merge_partial
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.comparison import values_equal


@pytest.mark.parametrize(
    "before, after, equal",
    [
        (["a", "b"], ["b", "a"], True),
        (["a", "a"], ["a"], False),  # a multiset: duplicates count
        ([{"name": "x"}, {"name": "y"}], [{"name": "y"}, {"name": "x"}], True),
        (
            {"alarms": [{"name": "x"}, {"name": "y"}], "enabled": True},
            {"enabled": True, "alarms": [{"name": "y"}, {"name": "x"}]},
            True,
        ),
        ([["a", "b"], ["c"]], [["c"], ["b", "a"]], True),  # tag sets: both levels unordered
        ({"enabled": True}, {"enabled": False}, False),
        ([], None, False),
    ],
)
def test_values_equal_compares_lists_as_sets(before, after, equal):
    assert values_equal(before, after) is equal


def test_values_equal_ordered_keeps_list_order():
    assert not values_equal(["a", "b"], ["b", "a"], ordered=True)


def test_difference_tracker_records_only_differences():
    tracker = DifferenceTracker()
    assert tracker.compare("auto_scaling_groups", ["a", "b"], ["b", "a"]) is False
    assert not tracker
    assert tracker.compare("deployment_config_name", "CodeDeployDefault.OneAtATime", "CodeDeployDefault.AllAtOnce")
    assert tracker.has_differences
    assert tracker.names == ["deployment_config_name"]
    assert tracker.get_before_after() == (
        {"deployment_config_name": "CodeDeployDefault.OneAtATime"},
        {"deployment_config_name": "CodeDeployDefault.AllAtOnce"},
    )


@pytest.mark.parametrize(
    "current, desired, merged",
    [
        ({"a": 1, "b": 2}, {"a": None, "b": 3}, {"a": 1, "b": 3}),
        ({"x": {"a": 1, "b": 2}}, {"x": {"a": 5, "b": None}}, {"x": {"a": 5, "b": 2}}),
        ({"list": [1, 2]}, {"list": [3]}, {"list": [3]}),
        (None, {"a": 1, "b": None}, {"a": 1, "b": None}),
        ("old", "new", "new"),
    ],
)
def test_merge_partial_leaves_unset_members_alone(current, desired, merged):
    assert merge_partial(current, desired) == merged
