# -*- coding: utf-8 -*-

# Copyright: Contributors to the rollout.codedeploy project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

# This package is private to rollout.codedeploy: import from module_utils/codedeploy.py instead.

"""API wrappers for deployments, their targets, and the instances a deployment group selects (EC2, Auto Scaling)."""

from __future__ import annotations

import typing as t
from concurrent.futures import ThreadPoolExecutor

from .common import CodeDeployErrorHandler
from .common import codedeploy_retry

if t.TYPE_CHECKING:
    from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper

ACTIVE_STATUSES = ["Created", "Queued", "InProgress", "Baking", "Ready"]
TERMINAL_STATUSES = ["Succeeded", "Failed", "Stopped"]
# BatchGetDeployments and BatchGetDeploymentTargets take at most 25 ids per call [botocore model].
BATCH_SIZE = 25
# The batches of a large deployment's targets (20 calls for 500 instances, read when a follow ends) are asked for at
# once rather than in turn, at most this many at a time: the result is ready sooner. botocore clients are thread-safe
# and keep 10 connections per host.
PARALLEL_READS = 8


def _chunks(items: list[str], size: int = BATCH_SIZE) -> t.Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@CodeDeployErrorHandler.list_error_handler("get deployment", None)
@codedeploy_retry
def get_deployment(client: RetryingBotoClientWrapper, deployment_id: str) -> dict | None:
    return client.get_deployment(deploymentId=deployment_id)["deploymentInfo"]


@CodeDeployErrorHandler.common_error_handler("get deployments")
@codedeploy_retry
def _batch_get_deployments(client: RetryingBotoClientWrapper, deployment_ids: list[str]) -> list[dict]:
    return client.batch_get_deployments(deploymentIds=deployment_ids)["deploymentsInfo"]


def get_deployments(client: RetryingBotoClientWrapper, deployment_ids: list[str]) -> list[dict]:
    """DeploymentInfo for each id, newest first."""
    found: list[dict] = []
    for chunk in _chunks(deployment_ids):
        found.extend(_batch_get_deployments(client, chunk))
    return sorted(found, key=lambda info: info.get("createTime") or 0, reverse=True)


@CodeDeployErrorHandler.list_error_handler("list deployments", [])
@codedeploy_retry
def list_deployment_ids(
    client: RetryingBotoClientWrapper,
    application: str,
    group: str,
    statuses: list[str] | None = None,
    created_after: t.Any = None,
    created_before: t.Any = None,
) -> list[str]:
    params: dict[str, t.Any] = {"applicationName": application, "deploymentGroupName": group}
    if statuses:
        params["includeOnlyStatuses"] = statuses
    time_range = {key: value for key, value in (("start", created_after), ("end", created_before)) if value}
    if time_range:
        params["createTimeRange"] = time_range
    paginator = client.get_paginator("list_deployments")
    return paginator.paginate(**params).build_full_result()["deployments"]


@CodeDeployErrorHandler.common_error_handler("list deployment targets")
@codedeploy_retry
def _list_target_ids_page(client: RetryingBotoClientWrapper, deployment_id: str, statuses: list[str] | None) -> dict:
    params: dict[str, t.Any] = {"deploymentId": deployment_id}
    if statuses:
        params["targetFilters"] = {"TargetStatus": statuses}
    return client.list_deployment_targets(**params)


@CodeDeployErrorHandler.common_error_handler("list deployment targets")
@codedeploy_retry
def list_target_ids(
    client: RetryingBotoClientWrapper, deployment_id: str, statuses: list[str] | None = None
) -> list[str]:
    params: dict[str, t.Any] = {"deploymentId": deployment_id}
    if statuses:
        params["targetFilters"] = {"TargetStatus": statuses}
    paginator = client.get_paginator("list_deployment_targets")
    return paginator.paginate(**params).build_full_result()["targetIds"]


def first_target_ids(client: RetryingBotoClientWrapper, deployment_id: str, statuses: list[str]) -> list[str]:
    """One page of target ids: enough to name the instances a progress line mentions, at the cost of one call."""
    return _list_target_ids_page(client, deployment_id, statuses).get("targetIds", [])[:BATCH_SIZE]


@CodeDeployErrorHandler.common_error_handler("get deployment targets")
@codedeploy_retry
def _batch_get_targets(client: RetryingBotoClientWrapper, deployment_id: str, target_ids: list[str]) -> list[dict]:
    return client.batch_get_deployment_targets(deploymentId=deployment_id, targetIds=target_ids)["deploymentTargets"]


def get_targets(client: RetryingBotoClientWrapper, deployment_id: str, target_ids: list[str]) -> list[dict]:
    """The instance targets (EC2/on-premises) of a deployment, in the order of target_ids."""
    chunks = list(_chunks(target_ids))
    if len(chunks) > 1:
        with ThreadPoolExecutor(max_workers=min(PARALLEL_READS, len(chunks))) as pool:
            batches = list(pool.map(lambda chunk: _batch_get_targets(client, deployment_id, chunk), chunks))
    else:
        batches = [_batch_get_targets(client, deployment_id, chunk) for chunk in chunks]
    return [target.get("instanceTarget") or target for batch in batches for target in batch]


def get_all_targets(client: RetryingBotoClientWrapper, deployment_id: str) -> list[dict]:
    return get_targets(client, deployment_id, list_target_ids(client, deployment_id))


@CodeDeployErrorHandler.common_error_handler("create deployment")
@codedeploy_retry
def create_deployment(client: RetryingBotoClientWrapper, request: dict[str, t.Any]) -> str:
    return client.create_deployment(**request)["deploymentId"]


@CodeDeployErrorHandler.common_error_handler("stop deployment")
@codedeploy_retry
def stop_deployment(client: RetryingBotoClientWrapper, deployment_id: str, rollback: bool | None) -> dict:
    params: dict[str, t.Any] = {"deploymentId": deployment_id}
    if rollback is not None:
        params["autoRollbackEnabled"] = rollback
    return client.stop_deployment(**params)


@CodeDeployErrorHandler.common_error_handler("continue deployment")
@codedeploy_retry
def continue_deployment(client: RetryingBotoClientWrapper, deployment_id: str, wait_type: str) -> None:
    client.continue_deployment(deploymentId=deployment_id, deploymentWaitType=wait_type)


# Instances CodeDeploy deploys to: it also tries stopped ones, which then count as failures [user guide].
_TARGETABLE_STATES = ["pending", "running", "stopping", "stopped"]


def ec2_filter_from_tag_filter(tag_filter: dict[str, str]) -> dict[str, t.Any]:
    """A CodeDeploy tag filter ({Key, Value, Type}) as an EC2 DescribeInstances filter."""
    filter_type = tag_filter.get("Type") or ("KEY_AND_VALUE" if tag_filter.get("Value") else "KEY_ONLY")
    if filter_type == "KEY_ONLY":
        return {"Name": "tag-key", "Values": [tag_filter.get("Key", "")]}
    if filter_type == "VALUE_ONLY":
        return {"Name": "tag-value", "Values": [tag_filter.get("Value", "")]}
    return {"Name": f"tag:{tag_filter.get('Key', '')}", "Values": [tag_filter.get("Value", "")]}


@CodeDeployErrorHandler.common_error_handler("describe EC2 instances")
@codedeploy_retry
def _instance_ids(ec2: RetryingBotoClientWrapper, tag_filter: dict[str, str]) -> set[str]:
    filters = [ec2_filter_from_tag_filter(tag_filter), {"Name": "instance-state-name", "Values": _TARGETABLE_STATES}]
    found: set[str] = set()
    for page in ec2.get_paginator("describe_instances").paginate(Filters=filters):
        for reservation in page.get("Reservations", []):
            found.update(instance["InstanceId"] for instance in reservation.get("Instances", []))
    return found


@CodeDeployErrorHandler.common_error_handler("describe Auto Scaling groups")
@codedeploy_retry
def _in_service_instance_ids(autoscaling: RetryingBotoClientWrapper, names: list[str]) -> set[str]:
    found: set[str] = set()
    for page in autoscaling.get_paginator("describe_auto_scaling_groups").paginate(AutoScalingGroupNames=names):
        for group in page.get("AutoScalingGroups", []):
            found.update(
                instance["InstanceId"]
                for instance in group.get("Instances", [])
                if instance.get("LifecycleState") == "InService"
            )
    return found


def selected_instance_ids(
    ec2: RetryingBotoClientWrapper,
    autoscaling: RetryingBotoClientWrapper,
    tag_filters: list[dict[str, str]] | None,
    tag_set: list[list[dict[str, str]]] | None,
    auto_scaling_groups: list[str] | None,
) -> set[str]:
    """The instances a group's (or a blue/green deployment's) selectors pick, as CodeDeploy combines them:
    a flat filter list matches any filter; a tag set needs a match in every one of its lists; ASGs add their
    InService instances."""
    selected: set[str] = set()
    for tag_filter in tag_filters or []:
        selected |= _instance_ids(ec2, tag_filter)
    if tag_set:
        matches = [set().union(*(_instance_ids(ec2, tag_filter) for tag_filter in group)) for group in tag_set if group]
        if matches:
            selected |= set.intersection(*matches)
    if auto_scaling_groups:
        selected |= _in_service_instance_ids(autoscaling, auto_scaling_groups)
    return selected
