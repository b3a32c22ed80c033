# -*- coding: utf-8 -*-

# Copyright: Contributors to the rollout.codedeploy project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.tagging import plan_tags


@pytest.mark.parametrize(
    "current, desired, purge, to_set, to_remove, result",
    [
        ({"a": "1"}, None, True, {}, [], {"a": "1"}),
        ({"a": "1"}, {"a": "1"}, True, {}, [], {"a": "1"}),
        ({"a": "1", "b": "2"}, {"a": "1"}, True, {}, ["b"], {"a": "1"}),
        ({"a": "1", "b": "2"}, {"a": "1"}, False, {}, [], {"a": "1", "b": "2"}),
        ({"a": "1"}, {"a": "2", "c": 3}, False, {"a": "2", "c": 3}, [], {"a": "2", "c": "3"}),
        ({"aws:cloudformation:stack-name": "x"}, {}, True, {}, [], {"aws:cloudformation:stack-name": "x"}),
    ],
)
def test_plan_tags(current, desired, purge, to_set, to_remove, result):
    assert plan_tags(current, desired, purge) == (to_set, to_remove, result)
