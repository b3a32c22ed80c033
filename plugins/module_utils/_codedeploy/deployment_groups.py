# -*- coding: utf-8 -*-

# Copyright: Contributors to the rollout.codedeploy project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

# This package is private to rollout.codedeploy: import from module_utils/codedeploy.py instead.

"""Deployment groups: API wrappers, the group as modules return it, and the planning that turns module params into one
request.

Everything is compared in the API's own shape (the members of CreateDeploymentGroup/
UpdateDeploymentGroup), after filling in what CodeDeploy assumes when a member is absent, so that an
absent alarm configuration and a disabled empty one compare equal. UpdateDeploymentGroup keeps every
member it is not given, so the plan sends only the members that differ, and removal sends the
explicit empty or disabled value.
"""

from __future__ import annotations

import re
import time
import typing as t
from copy import deepcopy

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict
from ansible.module_utils.common.dict_transformations import snake_dict_to_camel_dict
from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list

from .common import AnsibleCodeDeployError
from .common import CodeDeployErrorHandler
from .common import codedeploy_retry
from .comparison import DifferenceTracker
from .comparison import merge_partial
from .tagging import list_tags
from .transformations import normalize_boto3_tag_filters
from .transformations import tag_filters_to_boto3
from .transformations import to_ansible_resource

if t.TYPE_CHECKING:
    from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper

    from .tagging import ArnBuilder

# Module option -> API member, for every mutable member of a deployment group.
FIELDS = {
    "service_role_arn": "serviceRoleArn",
    "deployment_config_name": "deploymentConfigName",
    "deployment_style": "deploymentStyle",
    "auto_scaling_groups": "autoScalingGroups",
    "ec2_tag_filters": "ec2TagFilters",
    "ec2_tag_set": "ec2TagSet",
    "on_premises_instance_tag_filters": "onPremisesInstanceTagFilters",
    "on_premises_tag_set": "onPremisesTagSet",
    "load_balancer_info": "loadBalancerInfo",
    "blue_green_deployment_configuration": "blueGreenDeploymentConfiguration",
    "auto_rollback_configuration": "autoRollbackConfiguration",
    "alarm_configuration": "alarmConfiguration",
    "trigger_configurations": "triggerConfigurations",
    "outdated_instances_strategy": "outdatedInstancesStrategy",
    "termination_hook_enabled": "terminationHookEnabled",
    "ec2_deployment_options": "ec2DeploymentOptions",
    "ecs_services": "ecsServices",
}
OPTIONS = {field: option for option, field in FIELDS.items()}

# The Auto Scaling processes CodeDeploy can suspend while it deploys, as ec2_deployment_options names them.
AUTO_SCALING_PROCESSES = ("Terminate", "AZRebalance", "InstanceRefresh", "ScheduledActions")


def ec2_deployment_options_spec() -> dict[str, t.Any]:
    """The argument spec of ec2_deployment_options, which a group has and a deployment may set for itself; paired with
    the rollout.codedeploy.ec2_deployment_options doc fragment."""
    processes = dict(type="list", elements="str", choices=list(AUTO_SCALING_PROCESSES))
    return dict(type="dict", options=dict(auto_scaling_group_processes_to_suspend=processes))


# What CodeDeploy assumes when a member is absent; removing a member means sending this value.
ABSENT: dict[str, t.Any] = {
    "serviceRoleArn": None,
    "deploymentConfigName": "CodeDeployDefault.OneAtATime",
    "deploymentStyle": {"deploymentType": "IN_PLACE", "deploymentOption": "WITHOUT_TRAFFIC_CONTROL"},
    "autoScalingGroups": [],
    "ec2TagFilters": [],
    "ec2TagSet": {"ec2TagSetList": []},
    "onPremisesInstanceTagFilters": [],
    "onPremisesTagSet": {"onPremisesTagSetList": []},
    "loadBalancerInfo": {},
    "blueGreenDeploymentConfiguration": {},
    "autoRollbackConfiguration": {"enabled": False, "events": []},
    "alarmConfiguration": {"enabled": False, "ignorePollAlarmFailure": False, "alarms": []},
    "triggerConfigurations": [],
    "outdatedInstancesStrategy": "UPDATE",
    "terminationHookEnabled": False,
    "ec2DeploymentOptions": {"autoScalingGroupProcessesToSuspend": []},
    "ecsServices": [],
}

# What CodeDeploy uses for the members of a blue/green configuration that are not given: the API model's defaults
# (docs/codedeploy-behavior.md#applications-configurations-and-groups).
BLUE_GREEN_DEFAULTS: dict[str, t.Any] = {
    "deploymentReadyOption": {"actionOnTimeout": "CONTINUE_DEPLOYMENT", "waitTimeInMinutes": 0},
    "greenFleetProvisioningOption": {"action": "DISCOVER_EXISTING"},
    "terminateBlueInstancesOnDeploymentSuccess": {"action": "TERMINATE", "terminationWaitTimeInMinutes": 0},
}

_TAG_FILTER_FIELDS = ("ec2TagFilters", "onPremisesInstanceTagFilters")
_TAG_SET_FIELDS = {"ec2TagSet": "ec2TagSetList", "onPremisesTagSet": "onPremisesTagSetList"}
_TAG_SET_OPTIONS = {"ec2TagSet": "ec2_tag_set_list", "onPremisesTagSet": "on_premises_tag_set_list"}
_LOAD_BALANCER_LISTS = ("elbInfoList", "targetGroupInfoList", "targetGroupPairInfoList")
_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+$")
MAX_TAG_GROUPS = 3


# ---- API wrappers ---------------------------------------------------------------------------------


@CodeDeployErrorHandler.list_error_handler("get deployment group", None)
@codedeploy_retry
def get_deployment_group(client: RetryingBotoClientWrapper, application_name: str, name: str) -> dict | None:
    return client.get_deployment_group(applicationName=application_name, deploymentGroupName=name)[
        "deploymentGroupInfo"
    ]


@CodeDeployErrorHandler.list_error_handler("get deployment groups", [])
@codedeploy_retry
def batch_get_deployment_groups(
    client: RetryingBotoClientWrapper, application_name: str, group_names: list[str]
) -> list[dict[str, t.Any]]:
    groups: list[dict[str, t.Any]] = []
    # BatchGetDeploymentGroups takes at most 100 names.
    for start in range(0, len(group_names), 100):
        response = client.batch_get_deployment_groups(
            applicationName=application_name, deploymentGroupNames=group_names[start : start + 100]
        )
        groups.extend(response.get("deploymentGroupsInfo", []))
    return groups


def read_deployment_group(
    client: RetryingBotoClientWrapper, arns: ArnBuilder, application_name: str, name: str
) -> dict[str, t.Any]:
    """The group as modules return it, with its tags; {} when there is none."""
    return group_to_ansible(client, arns, get_deployment_group(client, application_name, name))


def group_to_ansible(
    client: RetryingBotoClientWrapper, arns: ArnBuilder, info: dict[str, t.Any] | None
) -> dict[str, t.Any]:
    """DeploymentGroupInfo as modules return it, with the group's tags; {} for None."""
    if not info:
        return {}
    arn = arns.deployment_group(info["applicationName"], info["deploymentGroupName"])
    return to_ansible_resource(info, list_tags(client, arn))


def retry_on_role_propagation(
    call: t.Callable[[], t.Any],
    timeout: float,
    sleep: t.Callable[[float], None] = time.sleep,
    clock: t.Callable[[], float] = time.monotonic,
) -> t.Any:
    """call(), repeated while CodeDeploy answers InvalidRoleException, for at most timeout seconds.

    Right after a role is created, IAM has not yet told CodeDeploy about it and CodeDeploy rejects
    it; the same answer for a role that will never work is returned once the time is up.
    """
    deadline = clock() + timeout
    delay = 2.0
    while True:
        try:
            return call()
        except is_boto3_error_code("InvalidRoleException"):
            if clock() + delay > deadline:
                raise
            sleep(delay)
            delay = min(delay * 2, 15.0)


@CodeDeployErrorHandler.common_error_handler("create deployment group")
def create_deployment_group(
    client: RetryingBotoClientWrapper, plan: GroupPlan, tags: dict[str, str] | None, role_timeout: float
) -> str:
    request = create_request(plan.application_name, plan.name, plan, tags)
    response = retry_on_role_propagation(
        lambda: client.create_deployment_group(aws_retry=True, **request), role_timeout
    )
    return response["deploymentGroupId"]


@CodeDeployErrorHandler.common_error_handler("update deployment group")
def update_deployment_group(
    client: RetryingBotoClientWrapper, plan: GroupPlan, role_timeout: float
) -> list[dict[str, t.Any]]:
    """Returns the Auto Scaling groups whose lifecycle hooks CodeDeploy could not remove."""
    request = update_request(plan.application_name, plan.name, plan)
    response = retry_on_role_propagation(
        lambda: client.update_deployment_group(aws_retry=True, **request), role_timeout
    )
    return response.get("hooksNotCleanedUp", [])


@CodeDeployErrorHandler.deletion_error_handler("delete deployment group")
@codedeploy_retry
def delete_deployment_group(client: RetryingBotoClientWrapper, application_name: str, name: str) -> list | bool:
    response = client.delete_deployment_group(applicationName=application_name, deploymentGroupName=name)
    return response.get("hooksNotCleanedUp", [])


# ---- from params to the API's shape -----------------------------------------------------------------


def _is_empty(value: t.Any) -> bool:
    """True for an explicitly empty option: [], {} or a dict whose suboptions are all unset."""
    if isinstance(value, dict):
        return all(item is None or (isinstance(item, (list, dict)) and not item) for item in value.values())
    return isinstance(value, list) and not value


def _tag_groups_to_boto3(option: str, groups: list[t.Any]) -> list[list[dict[str, str]]]:
    converted = []
    for index, group in enumerate(groups):
        if not isinstance(group, list) or not all(isinstance(item, dict) for item in group):
            raise AnsibleCodeDeployError(
                message=f"{option}: item {index} must be a list of tag filters ({{key, value, type}})."
            )
        unknown = {key for item in group for key in item} - {"key", "value", "type"}
        if unknown:
            raise AnsibleCodeDeployError(
                message=f"{option}: tag filters take key, value and type; unknown: {', '.join(sorted(unknown))}."
            )
        converted.append(tag_filters_to_boto3(group))
    return converted


def option_to_api(field: str, value: t.Any) -> t.Any:
    """One option value in the API's shape; unset suboptions stay None so that they merge."""
    option = OPTIONS[field]
    if field in _TAG_FILTER_FIELDS:
        return tag_filters_to_boto3(value)
    if field in _TAG_SET_FIELDS:
        list_name = _TAG_SET_FIELDS[field]
        list_option = _TAG_SET_OPTIONS[field]
        return {list_name: _tag_groups_to_boto3(f"{option}.{list_option}", value.get(list_option) or [])}
    if isinstance(value, dict):
        if _is_empty(value):
            return deepcopy(ABSENT[field])
        return snake_dict_to_camel_dict(value)
    if isinstance(value, list):
        return [snake_dict_to_camel_dict(item) if isinstance(item, dict) else item for item in value]
    return value


def desired_fields(params: dict[str, t.Any]) -> dict[str, t.Any]:
    """The members the task sets, in the API's shape; options left unset are absent."""
    return {
        field: option_to_api(field, params[option])
        for option, field in FIELDS.items()
        if params.get(option) is not None
    }


def _drop_none(value: t.Any) -> t.Any:
    if isinstance(value, dict):
        return {key: _drop_none(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [_drop_none(item) for item in value]
    return value


def normalize(field: str, value: t.Any) -> t.Any:
    """value as CodeDeploy means it: absent members filled in, empty ones dropped."""
    if value is None:
        return deepcopy(ABSENT[field])
    value = _drop_none(value)
    if field in _TAG_FILTER_FIELDS:
        return normalize_boto3_tag_filters(value)
    if field in _TAG_SET_FIELDS:
        list_name = _TAG_SET_FIELDS[field]
        return {list_name: [normalize_boto3_tag_filters(group) for group in value.get(list_name) or []]}
    if field == "loadBalancerInfo":
        return {name: items for name, items in value.items() if items}
    if field == "blueGreenDeploymentConfiguration":
        # CodeDeploy completes a blue/green configuration with its defaults, and a configuration
        # of nothing but defaults means the same as none.
        filled = merge_partial(BLUE_GREEN_DEFAULTS, {name: item for name, item in value.items() if item})
        return {} if filled == BLUE_GREEN_DEFAULTS else filled
    if isinstance(ABSENT[field], dict):
        return {**ABSENT[field], **value}
    return value


def comparable(info: dict[str, t.Any] | None) -> dict[str, t.Any]:
    """Every mutable member of a GetDeploymentGroup answer in the shape of an update request.

    GetDeploymentGroup answers Auto Scaling groups as {name, hook, terminationHook}; requests name them.
    """
    info = info or {}
    result = {}
    for field in FIELDS.values():
        value = info.get(field)
        if field == "autoScalingGroups" and value is not None:
            value = [group["name"] for group in value]
        result[field] = normalize(field, value)
    return result


_TAG_FILTER_KEYS = {"key": "Key", "value": "Value", "type": "Type"}


def _api_tag_filters(filters: list[dict[str, t.Any]] | None) -> list[dict[str, t.Any]]:
    return [{_TAG_FILTER_KEYS.get(key, key): value for key, value in item.items()} for item in filters or []]


def api_members(group: dict[str, t.Any]) -> dict[str, t.Any] | None:
    """The mutable members of a group as modules return it (snake_case; {} when there is none) in the shape
    GetDeploymentGroup answers them, None for no group: what plan_group compares.

    snake_case maps every member name back exactly except the Key, Value and Type of tag filters.
    """
    if not group:
        return None
    members: dict[str, t.Any] = {}
    for option, field in FIELDS.items():
        value = group.get(option)
        if value is None:
            continue
        if field in _TAG_FILTER_FIELDS:
            value = _api_tag_filters(value)
        elif field in _TAG_SET_FIELDS:
            tag_groups = value.get(_TAG_SET_OPTIONS[field])
            value = {_TAG_SET_FIELDS[field]: None if tag_groups is None else [_api_tag_filters(g) for g in tag_groups]}
        elif isinstance(value, dict):
            value = snake_dict_to_camel_dict(value)
        elif isinstance(value, list):
            value = [snake_dict_to_camel_dict(item) if isinstance(item, dict) else item for item in value]
        members[field] = value
    return members


def substitute_copied_groups(current: list[str], desired: list[str], group_name: str) -> list[str]:
    """desired, with each named group missing from the deployment group replaced by a copy of it.

    A blue/green deployment with COPY_AUTO_SCALING_GROUP replaces the group's Auto Scaling group by
    CodeDeploy_<deployment group>_<deployment id>. Each such copy in current stands in for one desired
    name that current lacks, in the order listed, so re-running the task neither undoes the swap nor
    reports a change.
    """
    copy_name = re.compile(rf"^CodeDeploy_{re.escape(group_name)}_d-[A-Z0-9]{{9}}$")
    copies = [name for name in current if copy_name.match(name) and name not in desired]
    result = list(desired)
    for original, copy in zip([name for name in desired if name not in current], copies):
        result[result.index(original)] = copy
    return result


# ---- the plan -----------------------------------------------------------------------------------------


class GroupPlan:
    """What to send (request, only members that change; creating: to create the group), why (differences) and the
    result, for the group application_name/name."""

    def __init__(
        self,
        application_name: str,
        name: str,
        creating: bool,
        request: dict[str, t.Any],
        differences: DifferenceTracker,
        effective: dict[str, t.Any],
    ):
        self.application_name = application_name
        self.name = name
        self.creating = creating
        self.request = request
        self.differences = differences
        self.effective = effective

    def predicted(self, current: dict[str, t.Any]) -> dict[str, t.Any]:
        """The group after the plan, as modules return it (the check mode result), from current ({}: a new group)."""
        changes = {field: self.effective[field] for field in self.request}
        return predict(current or new_group(self.application_name, self.name), changes)


def plan_group(current_info: dict[str, t.Any] | None, params: dict[str, t.Any]) -> GroupPlan:
    """Compare the task with the current group (None: to be created) and decide what to send."""
    base = comparable(current_info)
    desired = desired_fields(params)
    request: dict[str, t.Any] = {}
    tracker = DifferenceTracker()
    effective = deepcopy(base)
    for field, value in desired.items():
        before = base[field]
        if _is_empty(params[OPTIONS[field]]):
            after = normalize(field, ABSENT[field])  # explicit empty: remove, do not merge
        else:
            after = normalize(field, merge_partial(before, value))
        if field in ("alarmConfiguration", "autoRollbackConfiguration"):
            after = _default_enabled(field, before, value, after)
        if field == "autoScalingGroups" and current_info and params.get("accept_copied_auto_scaling_groups", True):
            after = substitute_copied_groups(before, after, params["name"])
        effective[field] = after
        if tracker.compare(OPTIONS[field], before, after):
            request[field] = _request_value(field, after)
    if request or current_info is None:
        validate_effective(effective, desired, params, creating=current_info is None)
    return GroupPlan(params["application_name"], params["name"], current_info is None, request, tracker, effective)


def _default_enabled(field: str, before: dict, value: dict, after: dict) -> dict:
    """A configuration given for the first time without enabled is enabled when it lists something."""
    items = "alarms" if field == "alarmConfiguration" else "events"
    if value.get("enabled") is None and not before.get("enabled") and not before.get(items):
        after = dict(after, enabled=bool(after.get(items)))
    return after


def _request_value(field: str, value: t.Any) -> t.Any:
    if field == "loadBalancerInfo":
        # Nested lists left out would be kept: state the EC2 ones, empty when removed.
        request = {
            "elbInfoList": value.get("elbInfoList", []),
            "targetGroupInfoList": value.get("targetGroupInfoList", []),
        }
        if "targetGroupPairInfoList" in value:
            request["targetGroupPairInfoList"] = value["targetGroupPairInfoList"]
        return request
    return value


def _load_balancer_given(effective: dict[str, t.Any]) -> bool:
    return any(effective["loadBalancerInfo"].get(name) for name in _LOAD_BALANCER_LISTS)


def validate_effective(
    effective: dict[str, t.Any], desired: dict[str, t.Any], params: dict[str, t.Any], creating: bool
) -> None:
    """Fail, naming the option and the fix, on what CodeDeploy would reject, before any change."""

    def fail(message: str) -> t.NoReturn:
        raise AnsibleCodeDeployError(message=message)

    role = effective["serviceRoleArn"]
    if creating and not role:
        fail(
            f"service_role_arn: required to create deployment group '{params['name']}'. Give the ARN of an IAM role "
            "that trusts codedeploy.amazonaws.com (for example with the AWSCodeDeployRole managed policy)."
        )
    if "serviceRoleArn" in desired and not _ROLE_ARN.match(role or ""):
        fail(f"service_role_arn: '{role}' is not the ARN of an IAM role (arn:aws:iam::<account>:role/<name>).")

    for filters, tag_set in (("ec2TagFilters", "ec2TagSet"), ("onPremisesInstanceTagFilters", "onPremisesTagSet")):
        groups = effective[tag_set][_TAG_SET_FIELDS[tag_set]]
        if effective[filters] and groups:
            given = [OPTIONS[name] for name in (filters, tag_set) if name in desired]
            other = [OPTIONS[name] for name in (filters, tag_set) if name not in desired]
            hint = f" Set {other[0]}: [] in the same task to replace it." if other else ""
            fail(
                f"{' and '.join(given) or OPTIONS[filters]}: CodeDeploy selects instances either by "
                f"{OPTIONS[filters]} or by {OPTIONS[tag_set]}, not both.{hint}"
            )
        if len(groups) > MAX_TAG_GROUPS:
            fail(f"{OPTIONS[tag_set]}: at most {MAX_TAG_GROUPS} tag groups, got {len(groups)}.")

    style = effective["deploymentStyle"]
    lb_needed_by = None
    if style.get("deploymentType") == "BLUE_GREEN":
        lb_needed_by = "a blue/green deployment group"
        if style.get("deploymentOption") != "WITH_TRAFFIC_CONTROL":
            fail(
                "deployment_style: blue/green deployments on EC2 reroute traffic through a load balancer; set "
                "deployment_style.deployment_option: WITH_TRAFFIC_CONTROL."
            )
    elif style.get("deploymentOption") == "WITH_TRAFFIC_CONTROL":
        lb_needed_by = "deployment_option WITH_TRAFFIC_CONTROL"
    if lb_needed_by and not _load_balancer_given(effective):
        fail(
            f"load_balancer_info: {lb_needed_by} needs a load balancer; give load_balancer_info.elb_info_list "
            "(Classic Load Balancers) or load_balancer_info.target_group_info_list (target groups)."
        )

    blue_green = effective["blueGreenDeploymentConfiguration"]
    fleet_action = (blue_green.get("greenFleetProvisioningOption") or {}).get("action")
    if style.get("deploymentType") == "BLUE_GREEN" and fleet_action == "COPY_AUTO_SCALING_GROUP":
        if len(effective["autoScalingGroups"]) != 1:
            fail(
                "auto_scaling_groups: green_fleet_provisioning_option COPY_AUTO_SCALING_GROUP copies exactly one "
                f"Auto Scaling group; the group would have {len(effective['autoScalingGroups'])}."
            )

    alarms = effective["alarmConfiguration"]
    if alarms.get("enabled") and not alarms.get("alarms"):
        fail(
            "alarm_configuration.alarms: enabled alarm monitoring needs at least one alarm; give alarms or set enabled: false."
        )
    rollback = effective["autoRollbackConfiguration"]
    if rollback.get("enabled") and not rollback.get("events"):
        fail(
            "auto_rollback_configuration.events: automatic rollback needs at least one event (DEPLOYMENT_FAILURE, "
            "DEPLOYMENT_STOP_ON_ALARM, DEPLOYMENT_STOP_ON_REQUEST), or set enabled: false."
        )


def create_request(application_name: str, name: str, plan: GroupPlan, tags: dict[str, str] | None) -> dict:
    request = {"applicationName": application_name, "deploymentGroupName": name, **plan.request}
    if tags:
        request["tags"] = ansible_dict_to_boto3_tag_list(tags)
    return request


def update_request(application_name: str, name: str, plan: GroupPlan) -> dict:
    return {"applicationName": application_name, "currentDeploymentGroupName": name, **plan.request}


# How GetDeploymentGroup shows a member that is not set (None: left out)
# (docs/codedeploy-behavior.md#applications-configurations-and-groups); the members missing here are shown as they
# were sent.
SHOWN_WHEN_UNSET: dict[str, t.Any] = {
    "deploymentConfigName": "CodeDeployDefault.OneAtATime",
    "deploymentStyle": {"deploymentType": "IN_PLACE", "deploymentOption": "WITHOUT_TRAFFIC_CONTROL"},
    "autoScalingGroups": [],
    "ec2TagFilters": [],
    "onPremisesInstanceTagFilters": [],
    "triggerConfigurations": [],
    "onPremisesTagSet": {"onPremisesTagSetList": []},
    "autoRollbackConfiguration": {"enabled": False},
    "outdatedInstancesStrategy": "UPDATE",
    "terminationHookEnabled": False,
    "loadBalancerInfo": None,
    "blueGreenDeploymentConfiguration": None,
    "ec2TagSet": None,
    "ecsServices": None,
}


def new_group(application_name: str, name: str) -> dict[str, t.Any]:
    """A group before anything is set, as GetDeploymentGroup would show it (the base of a creation's prediction)."""
    shown = {field: value for field, value in SHOWN_WHEN_UNSET.items() if value is not None}
    return {"application_name": application_name, "deployment_group_name": name, **camel_dict_to_snake_dict(shown)}


def predict(current: dict[str, t.Any], changes: dict[str, t.Any]) -> dict[str, t.Any]:
    """current (snake_case, as returned) with changes (API shape, normalized) applied: the check mode result."""
    predicted = deepcopy(current)
    hooks = {group["name"]: group for group in current.get("auto_scaling_groups", [])}
    for field, value in changes.items():
        option = OPTIONS[field]
        if field in SHOWN_WHEN_UNSET and value == normalize(field, None):
            value = SHOWN_WHEN_UNSET[field]
            if value is None:
                predicted.pop(option, None)
                continue
        if field == "autoScalingGroups":
            predicted[option] = [hooks.get(name, {"name": name}) for name in value]
        elif field == "autoRollbackConfiguration" and not value.get("events"):
            predicted[option] = {"enabled": value["enabled"]}
        else:
            predicted.update(camel_dict_to_snake_dict({field: value}))
    return predicted
