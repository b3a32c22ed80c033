# -*- coding: utf-8 -*-

# Copyright: Contributors to the rollout.codedeploy project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

# This package is private to rollout.codedeploy: import from module_utils/codedeploy.py instead.

"""Tags on CodeDeploy applications and deployment groups.

CodeDeploy tags resources by ARN, and neither GetApplication nor GetDeploymentGroup returns one, so
the ARN is built from the account, partition and region. Note the capitalised Tags/Key/Value of the
tagging calls, unlike the rest of the API.
"""

from __future__ import annotations

import typing as t

from ansible_collections.amazon.aws.plugins.module_utils.iam import get_aws_account_info
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict
from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags

from .common import CodeDeployErrorHandler
from .common import codedeploy_retry

if t.TYPE_CHECKING:
    from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
    from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper


class ArnBuilder:
    """Builds CodeDeploy ARNs; asks STS for the account only once, and only when an ARN is needed."""

    def __init__(self, module: AnsibleAWSModule) -> None:
        self._module = module
        self._account: tuple[str, str] | None = None

    def _prefix(self) -> str:
        if self._account is None:
            self._account = get_aws_account_info(self._module)
        account_id, partition = self._account
        return f"arn:{partition}:codedeploy:{self._module.region}:{account_id}"

    def application(self, application_name: str) -> str:
        return f"{self._prefix()}:application:{application_name}"

    def deployment_group(self, application_name: str, deployment_group_name: str) -> str:
        return f"{self._prefix()}:deploymentgroup:{application_name}/{deployment_group_name}"


@CodeDeployErrorHandler.list_error_handler("list tags", {})
@codedeploy_retry
def list_tags(client: RetryingBotoClientWrapper, arn: str) -> dict[str, str]:
    tags: list[dict[str, str]] = []
    kwargs: dict[str, str] = {"ResourceArn": arn}
    while True:
        response = client.list_tags_for_resource(**kwargs)
        tags.extend(response.get("Tags", []))
        if not response.get("NextToken"):
            return boto3_tag_list_to_ansible_dict(tags)
        kwargs["NextToken"] = response["NextToken"]


@CodeDeployErrorHandler.common_error_handler("tag resource")
@codedeploy_retry
def tag_resource(client: RetryingBotoClientWrapper, arn: str, tags: dict[str, str]) -> None:
    client.tag_resource(ResourceArn=arn, Tags=ansible_dict_to_boto3_tag_list(tags))


@CodeDeployErrorHandler.common_error_handler("untag resource")
@codedeploy_retry
def untag_resource(client: RetryingBotoClientWrapper, arn: str, keys: list[str]) -> None:
    client.untag_resource(ResourceArn=arn, TagKeys=keys)


def plan_tags(
    current: dict[str, str], desired: dict[str, str] | None, purge: bool
) -> tuple[dict[str, str], list[str], dict[str, str]]:
    """(tags to set, keys to remove, resulting tags); desired None leaves the tags alone."""
    if desired is None:
        return {}, [], dict(current)
    to_set, to_remove = compare_aws_tags(current, desired, purge_tags=purge)
    result = {key: value for key, value in current.items() if key not in to_remove}
    result.update({key: str(value) for key, value in to_set.items()})
    return to_set, sorted(to_remove), result


def ensure_tags(
    client: RetryingBotoClientWrapper,
    arn: str,
    current: dict[str, str],
    desired: dict[str, str] | None,
    purge: bool,
    check_mode: bool,
) -> tuple[bool, dict[str, str]]:
    """Bring the tags of arn to desired; returns (changed, resulting tags)."""
    to_set, to_remove, result = plan_tags(current, desired, purge)
    if not (to_set or to_remove):
        return False, result
    if not check_mode:
        if to_remove:
            untag_resource(client, arn, to_remove)
        if to_set:
            tag_resource(client, arn, to_set)
    return True, result
