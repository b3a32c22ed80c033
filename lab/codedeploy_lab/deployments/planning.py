"""The rules that decide a deployment: which instances, which events, how many at a time, and whether it succeeded.

Pure functions over plain data; the engine applies them. The rules are CodeDeploy's:
docs/codedeploy-behavior.md#deployments-and-targets, docs/codedeploy-behavior.md#lifecycle-events and
docs/codedeploy-behavior.md#batches-and-failure-rules.
"""

from __future__ import annotations

import math
import typing as t
from dataclasses import dataclass

ONE_AT_A_TIME = "CodeDeployDefault.OneAtATime"

IN_PLACE_EVENTS = (
    "ApplicationStop",
    "DownloadBundle",
    "BeforeInstall",
    "Install",
    "AfterInstall",
    "ApplicationStart",
    "ValidateService",
)
TRAFFIC_EVENTS = (
    "BeforeBlockTraffic",
    "BlockTraffic",
    "AfterBlockTraffic",
    *IN_PLACE_EVENTS,
    "BeforeAllowTraffic",
    "AllowTraffic",
    "AfterAllowTraffic",
)
SERVICE_EVENTS = frozenset({"BlockTraffic", "AllowTraffic"})  # done by the service, never sent to the agent
# A failure of these does not fail the instance when ignoreApplicationStopFailures is true.
STOP_EVENTS = frozenset({"ApplicationStop", "BeforeBlockTraffic", "AfterBlockTraffic"})

NO_INSTANCES_MESSAGE = (
    "The deployment failed because no instances were found for your deployment group. Check your deployment group "
    "settings to make sure the tags for your EC2 instances or Auto Scaling groups correctly identify the instances "
    "you want to deploy to, and then try again."
)
HEALTH_CONSTRAINTS_MESSAGE = (
    "The overall deployment failed because too many individual instances failed deployment, too few healthy "
    "instances are available for deployment, or some instances in your deployment group are experiencing problems."
)
HEALTH_CONSTRAINTS_INVALID_MESSAGE = (
    "The deployment can't start because the minimum number of healthy instances, as defined by your deployment "
    "configuration, are not available. You can reduce the required number of healthy instances by updating your "
    "deployment configuration or increase the number of instances in this deployment group."
)


def uses_traffic_control(
    deployment_style: t.Mapping[str, str] | None, load_balancer_info: t.Mapping[str, t.Any] | None
) -> bool:
    """In-place with WITH_TRAFFIC_CONTROL and at least one Classic Load Balancer or target group."""
    if (deployment_style or {}).get("deploymentOption") != "WITH_TRAFFIC_CONTROL":
        return False
    info = load_balancer_info or {}
    return bool(info.get("elbInfoList") or info.get("targetGroupInfoList"))


def lifecycle_events(traffic_control: bool) -> tuple[str, ...]:
    return TRAFFIC_EVENTS if traffic_control else IN_PLACE_EVENTS


@dataclass(frozen=True)
class Plan:
    """How a deployment to ``targets`` instances runs: ``minimum_healthy`` (M) and ``concurrency`` (c)."""

    targets: int
    minimum_healthy: int
    concurrency: int
    one_at_a_time: bool

    @property
    def can_start(self) -> bool:
        """Rule 2: with M >= N the deployment cannot start (OneAtATime is allowed even with one instance)."""
        return self.one_at_a_time or self.minimum_healthy < self.targets

    def must_stop(self, failed: int, remaining: int) -> bool:
        """Rule 3: stop dispatching once the instances still healthy have fallen to M while some remain."""
        return remaining > 0 and self.targets - failed <= self.minimum_healthy

    def succeeded(self, succeeded: int) -> bool:
        """Rule 4 (given every instance was attempted): at least M and at least one succeeded."""
        return succeeded >= self.minimum_healthy and succeeded >= 1


def plan(config_name: str, minimum_healthy_hosts: t.Mapping[str, t.Any] | None, targets: int) -> Plan:
    """M and c from the deployment configuration, for ``targets`` instances
    (docs/codedeploy-behavior.md#batches-and-failure-rules)."""
    hosts = minimum_healthy_hosts or {}
    kind, value = hosts.get("type"), int(hosts.get("value", 0))
    if config_name == ONE_AT_A_TIME or kind == "MOST_CONCURRENCY":
        return Plan(targets, max(targets - 1, 0), 1, True)
    if kind == "FLEET_PERCENT":
        minimum = math.ceil(targets * value / 100)
    else:  # HOST_COUNT
        minimum = value
    return Plan(targets, minimum, max(1, targets - minimum), False)


# --- which instances ----------------------------------------------------------------------------------------------


def tag_filter_matches(tag_filter: t.Mapping[str, str], tags: t.Mapping[str, str]) -> bool:
    """One EC2 tag filter (``Key``, ``Value``, ``Type`` KEY_ONLY | VALUE_ONLY | KEY_AND_VALUE)."""
    kind = tag_filter.get("Type") or "KEY_AND_VALUE"
    key, value = tag_filter.get("Key"), tag_filter.get("Value")
    if kind == "KEY_ONLY":
        return key in tags
    if kind == "VALUE_ONLY":
        return value in tags.values()
    return key is not None and key in tags and tags[key] == value


def matches_any(tag_filters: t.Sequence[t.Mapping[str, str]], tags: t.Mapping[str, str]) -> bool:
    """``ec2TagFilters``: an instance matches when it matches any filter."""
    return any(tag_filter_matches(tag_filter, tags) for tag_filter in tag_filters)


def matches_tag_set(tag_set: t.Sequence[t.Sequence[t.Mapping[str, str]]], tags: t.Mapping[str, str]) -> bool:
    """``ec2TagSet.ec2TagSetList``: an instance must match some filter of every (non-empty) group."""
    groups = [group for group in tag_set if group]
    return bool(groups) and all(matches_any(group, tags) for group in groups)


def order_targets(instance_ids: t.Iterable[str], previously_failed: t.Container[str]) -> list[str]:
    """Deployment order: instances whose last deployment failed first, then by instance id (a lab choice)."""
    return sorted(set(instance_ids), key=lambda instance_id: (instance_id not in previously_failed, instance_id))
