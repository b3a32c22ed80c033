"""The rules that decide a deployment (codedeploy-semantics.md section 3), as pure logic."""

from __future__ import annotations

import pytest

from codedeploy_lab.deployments.planning import IN_PLACE_EVENTS
from codedeploy_lab.deployments.planning import TRAFFIC_EVENTS
from codedeploy_lab.deployments.planning import lifecycle_events
from codedeploy_lab.deployments.planning import matches_any
from codedeploy_lab.deployments.planning import matches_tag_set
from codedeploy_lab.deployments.planning import order_targets
from codedeploy_lab.deployments.planning import plan
from codedeploy_lab.deployments.planning import uses_traffic_control

ONE = ("CodeDeployDefault.OneAtATime", {"type": "MOST_CONCURRENCY", "value": 1})
HALF = ("CodeDeployDefault.HalfAtATime", {"type": "FLEET_PERCENT", "value": 50})
ALL = ("CodeDeployDefault.AllAtOnce", {"type": "HOST_COUNT", "value": 0})


@pytest.mark.parametrize(
    "config,targets,minimum,concurrency",
    [
        (ONE, 10, 9, 1),
        (ONE, 1, 0, 1),
        (HALF, 9, 5, 4),
        (HALF, 4, 2, 2),
        (ALL, 10, 0, 10),
        (("custom", {"type": "HOST_COUNT", "value": 6}), 9, 6, 3),
        (("custom", {"type": "FLEET_PERCENT", "value": 40}), 9, 4, 5),  # 3.6 rounds up
    ],
)
def test_minimum_healthy_and_concurrency(config, targets, minimum, concurrency):
    result = plan(config[0], config[1], targets)
    assert (result.minimum_healthy, result.concurrency) == (minimum, concurrency)
    assert result.can_start


@pytest.mark.parametrize(
    "config,targets",
    [
        (("custom", {"type": "FLEET_PERCENT", "value": 95}), 10),  # M = 10 = N
        (("custom", {"type": "HOST_COUNT", "value": 1}), 1),
        (HALF, 1),
    ],
)
def test_a_minimum_that_cannot_be_met_cannot_start(config, targets):
    assert not plan(config[0], config[1], targets).can_start


def test_one_at_a_time_fails_on_any_instance_but_the_last():
    rules = plan(*ONE, 3)
    assert rules.must_stop(failed=1, remaining=2)  # the first fails: stop
    assert not rules.must_stop(failed=1, remaining=0)  # the last fails: carry on
    assert rules.succeeded(2)
    assert not plan(*ONE, 1).succeeded(0)


def test_two_failures_out_of_ten_with_eight_healthy():
    rules = plan("custom", {"type": "HOST_COUNT", "value": 8}, 10)
    assert not rules.must_stop(failed=1, remaining=5)
    assert rules.must_stop(failed=2, remaining=5)
    assert not rules.must_stop(failed=2, remaining=0)  # the second failure was the last instance
    assert rules.succeeded(8) and not rules.succeeded(7)


def test_all_at_once_needs_one_success():
    rules = plan(*ALL, 5)
    assert not rules.must_stop(failed=4, remaining=1)
    assert rules.succeeded(1) and not rules.succeeded(0)


def test_half_at_a_time_needs_half_rounded_up():
    rules = plan(*HALF, 9)
    assert rules.succeeded(5) and not rules.succeeded(4)


def test_lifecycle_events_follow_traffic_control():
    with_lb = uses_traffic_control(
        {"deploymentType": "IN_PLACE", "deploymentOption": "WITH_TRAFFIC_CONTROL"},
        {"targetGroupInfoList": [{"name": "tg"}]},
    )
    without_option = uses_traffic_control(
        {"deploymentOption": "WITHOUT_TRAFFIC_CONTROL"}, {"elbInfoList": [{"name": "elb"}]}
    )
    without_lb = uses_traffic_control({"deploymentOption": "WITH_TRAFFIC_CONTROL"}, {"elbInfoList": []})
    assert (with_lb, without_option, without_lb) == (True, False, False)
    assert len(lifecycle_events(False)) == 7 and lifecycle_events(False) == IN_PLACE_EVENTS
    assert (
        len(lifecycle_events(True)) == 13
        and lifecycle_events(True)[:4]
        == ("BeforeBlockTraffic", "BlockTraffic", "AfterBlockTraffic", "ApplicationStop")
        == TRAFFIC_EVENTS[:4]
    )


def test_tag_filters_and_tag_sets():
    tags = {"Name": "web-1", "Stage": "prod"}
    assert matches_any([{"Key": "Stage", "Value": "prod", "Type": "KEY_AND_VALUE"}], tags)
    assert matches_any([{"Key": "Name", "Type": "KEY_ONLY"}], tags)
    assert matches_any([{"Value": "web-1", "Type": "VALUE_ONLY"}], tags)
    assert not matches_any([{"Key": "Stage", "Value": "test", "Type": "KEY_AND_VALUE"}], tags)
    assert matches_tag_set(
        [[{"Key": "Name", "Type": "KEY_ONLY"}], [{"Key": "Stage", "Value": "test"}, {"Key": "Stage", "Value": "prod"}]],
        tags,
    )
    assert not matches_tag_set([[{"Key": "Name", "Type": "KEY_ONLY"}], [{"Key": "Team", "Type": "KEY_ONLY"}]], tags)


def test_previously_failed_instances_go_first():
    assert order_targets(["i-3", "i-1", "i-2"], previously_failed={"i-3"}) == ["i-3", "i-1", "i-2"]
