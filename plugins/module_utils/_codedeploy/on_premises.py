# -*- coding: utf-8 -*-

# Copyright: Contributors to the rollout.codedeploy project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

# This package is private to rollout.codedeploy: import from module_utils/codedeploy.py instead.

"""On-premises instances: API wrappers, the instance as modules return it, and the plan of what to change.

An instance is registered by name with one IAM ARN (a session ARN or a user ARN) that CodeDeploy cannot change
afterwards. Deregistering keeps the instance visible, with a deregisterTime, so "absent" means "not registered".
Tags are kept by AddTagsToOnPremisesInstances / RemoveTagsFromOnPremisesInstances, not by TagResource, and
DeregisterOnPremisesInstance leaves them in place, so they are removed first.
"""

from __future__ import annotations

import typing as t
from dataclasses import dataclass
from dataclasses import field

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

from .common import MISSING_ERROR_CODES
from .common import AnsibleCodeDeployError
from .common import CodeDeployErrorHandler
from .common import codedeploy_retry
from .tagging import plan_tags
from .transformations import tag_filters_to_boto3
from .transformations import to_ansible_resource

if t.TYPE_CHECKING:
    from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper

ARN_OPTIONS = ("iam_session_arn", "iam_user_arn")
# BatchGetOnPremisesInstances takes at most 25 names in the API reference (the user guide says 100).
BATCH_SIZE = 25


class OnPremisesErrorHandler(CodeDeployErrorHandler):
    """GetOnPremisesInstance answers an unknown name with InstanceNotRegisteredException."""

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code([*MISSING_ERROR_CODES, "InstanceNotRegisteredException"])


@OnPremisesErrorHandler.list_error_handler("get on-premises instance", None)
@codedeploy_retry
def get_instance(client: RetryingBotoClientWrapper, name: str) -> dict[str, t.Any] | None:
    return client.get_on_premises_instance(instanceName=name)["instanceInfo"]


@CodeDeployErrorHandler.list_error_handler("list on-premises instances", [])
@codedeploy_retry
def list_instance_names(
    client: RetryingBotoClientWrapper, registration_status: str | None, tag_filters: list[dict[str, t.Any]] | None
) -> list[str]:
    kwargs: dict[str, t.Any] = {}
    if registration_status:
        kwargs["registrationStatus"] = registration_status
    if tag_filters:
        kwargs["tagFilters"] = tag_filters_to_boto3(tag_filters)
    paginator = client.get_paginator("list_on_premises_instances")
    return paginator.paginate(**kwargs).build_full_result().get("instanceNames", [])


@CodeDeployErrorHandler.list_error_handler("batch get on-premises instances", [])
@codedeploy_retry
def _batch_get_instances(client: RetryingBotoClientWrapper, names: list[str]) -> list[dict[str, t.Any]]:
    return client.batch_get_on_premises_instances(instanceNames=names)["instanceInfos"]


def batch_get_instances(client: RetryingBotoClientWrapper, names: list[str]) -> list[dict[str, t.Any]]:
    instances: list[dict[str, t.Any]] = []
    for start in range(0, len(names), BATCH_SIZE):
        instances.extend(_batch_get_instances(client, names[start : start + BATCH_SIZE]))
    return instances


@CodeDeployErrorHandler.common_error_handler("register on-premises instance")
@codedeploy_retry
def register_instance(client: RetryingBotoClientWrapper, name: str, arn_option: str, arn: str) -> None:
    argument = "iamSessionArn" if arn_option == "iam_session_arn" else "iamUserArn"
    client.register_on_premises_instance(instanceName=name, **{argument: arn})


@CodeDeployErrorHandler.common_error_handler("deregister on-premises instance")
@codedeploy_retry
def deregister_instance(client: RetryingBotoClientWrapper, name: str) -> None:
    client.deregister_on_premises_instance(instanceName=name)


@CodeDeployErrorHandler.common_error_handler("add tags to on-premises instance")
@codedeploy_retry
def add_tags(client: RetryingBotoClientWrapper, name: str, tags: dict[str, str]) -> None:
    client.add_tags_to_on_premises_instances(tags=ansible_dict_to_boto3_tag_list(tags), instanceNames=[name])


@CodeDeployErrorHandler.common_error_handler("remove tags from on-premises instance")
@codedeploy_retry
def remove_tags(client: RetryingBotoClientWrapper, name: str, tags: dict[str, str]) -> None:
    client.remove_tags_from_on_premises_instances(tags=ansible_dict_to_boto3_tag_list(tags), instanceNames=[name])


def instance_to_ansible(instance: dict[str, t.Any] | None) -> dict[str, t.Any]:
    """InstanceInfo in snake_case, its tag list as a dict."""
    if not instance:
        return {}
    tags = boto3_tag_list_to_ansible_dict(instance.get("tags") or [])
    return to_ansible_resource({key: value for key, value in instance.items() if key != "tags"}, tags)


def read_instance(client: RetryingBotoClientWrapper, name: str) -> dict[str, t.Any]:
    """The instance as modules return it; {} when CodeDeploy does not know it."""
    return instance_to_ansible(get_instance(client, name))


def is_registered(instance: dict[str, t.Any]) -> bool:
    """A deregistered instance stays visible, with deregister_time, until CodeDeploy forgets it."""
    return bool(instance) and not instance.get("deregister_time")


def registration(instance: dict[str, t.Any]) -> dict[str, t.Any]:
    """The part of an instance the module manages (its ARN and tags): what --diff shows."""
    if not is_registered(instance):
        return {}
    result = {option: instance[option] for option in ARN_OPTIONS if instance.get(option)}
    result["tags"] = dict(instance.get("tags") or {})
    return result


@dataclass
class InstancePlan:
    """What to call, in order: remove tags, deregister, register, add tags; and the registration after."""

    register: bool = False
    deregister: bool = False
    tags_to_remove: dict[str, str] = field(default_factory=dict)
    tags_to_add: dict[str, str] = field(default_factory=dict)
    after: dict[str, t.Any] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return bool(self.register or self.deregister or self.tags_to_remove or self.tags_to_add)


def plan_present(current: dict[str, t.Any], params: dict[str, t.Any]) -> InstancePlan:
    """Register when not registered, then bring the tags to params["tags"] (None leaves them alone).

    The ARN of a registered instance cannot change: CodeDeploy has no call for it, so a different one fails
    with the way out rather than deregistering behind the user's back.
    """
    name = params["name"]
    arn_option = next((option for option in ARN_OPTIONS if params.get(option)), None)
    if arn_option is None:
        raise AnsibleCodeDeployError(
            message="iam_session_arn, iam_user_arn: give the ARN of the IAM session or user the server uses; "
            "an empty string is not an ARN."
        )
    arn = params[arn_option]
    before = registration(current)
    if before:
        current_option = next((option for option in ARN_OPTIONS if before.get(option)), None)
        current_arn = before.get(current_option) if current_option else None
        if (current_option, current_arn) != (arn_option, arn):
            raise AnsibleCodeDeployError(
                message=(
                    f"{arn_option}: on-premises instance '{name}' is registered with {current_option} "
                    f"{current_arn}, and CodeDeploy cannot change the IAM ARN of a registered "
                    "instance. Deregister it first (state: absent), then register it with the new ARN."
                )
            )
    current_tags = before.get("tags", {})
    to_set, to_remove_keys, tags_after = plan_tags(current_tags, params.get("tags"), params.get("purge_tags", True))
    # A tag whose value changes is removed and added again: RemoveTags matches on key and value.
    changed_keys = [key for key in to_set if key in current_tags]
    tags_to_remove = {key: current_tags[key] for key in [*to_remove_keys, *changed_keys]}
    return InstancePlan(
        register=not before,
        tags_to_remove=tags_to_remove,
        tags_to_add={key: str(value) for key, value in to_set.items()},
        after={arn_option: arn, "tags": tags_after},
    )


def plan_absent(current: dict[str, t.Any]) -> InstancePlan:
    """Deregister a registered instance, its tags first (the CLI's `aws deploy deregister` does the same)."""
    before = registration(current)
    if not before:
        return InstancePlan()
    return InstancePlan(deregister=True, tags_to_remove=dict(before["tags"]))


def plan(current: dict[str, t.Any], params: dict[str, t.Any]) -> InstancePlan:
    """What params (state, the ARN, tags) ask of the instance current (as modules return it; {} when unknown)."""
    return plan_present(current, params) if params["state"] == "present" else plan_absent(current)


def apply_plan(client: RetryingBotoClientWrapper, name: str, plan: InstancePlan) -> None:
    if plan.tags_to_remove:
        remove_tags(client, name, plan.tags_to_remove)
    if plan.deregister:
        deregister_instance(client, name)
    if plan.register:
        arn_option = next(option for option in ARN_OPTIONS if plan.after.get(option))
        register_instance(client, name, arn_option, plan.after[arn_option])
    if plan.tags_to_add:
        add_tags(client, name, plan.tags_to_add)
