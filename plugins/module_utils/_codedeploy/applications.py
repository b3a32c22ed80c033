# -*- coding: utf-8 -*-

# Copyright: Contributors to the rollout.codedeploy project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

# This package is private to rollout.codedeploy: import from module_utils/codedeploy.py instead.

"""API wrappers for CodeDeploy applications, the application as modules return it, and the name rule shared by every
resource."""

from __future__ import annotations

import re
import typing as t

from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list

from .common import AnsibleCodeDeployError
from .common import CodeDeployErrorHandler
from .common import codedeploy_retry
from .tagging import list_tags
from .transformations import to_ansible_resource

if t.TYPE_CHECKING:
    from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper

    from .tagging import ArnBuilder

# Applications, deployment groups and deployment configs share this rule [botocore model].
_NAME_PATTERN = re.compile(r"^[A-Za-z0-9+=,.@_-]{1,100}$")


def validate_name(option: str, value: str | None) -> None:
    """Fail before any call when value cannot be a CodeDeploy resource name."""
    if value is None:
        return
    if not _NAME_PATTERN.match(value):
        raise AnsibleCodeDeployError(
            message=(
                f"{option}: '{value}' is not a valid CodeDeploy name. Use 1 to 100 characters from "
                "letters, digits and + = , . @ _ -"
            )
        )


@CodeDeployErrorHandler.list_error_handler("get application", None)
@codedeploy_retry
def get_application(client: RetryingBotoClientWrapper, name: str) -> dict[str, t.Any] | None:
    return client.get_application(applicationName=name)["application"]


def read_application(client: RetryingBotoClientWrapper, arns: ArnBuilder, name: str) -> dict[str, t.Any]:
    """The application as modules return it, with its tags; {} when there is none."""
    application = get_application(client, name)
    if not application:
        return {}
    return to_ansible_resource(application, list_tags(client, arns.application(name)))


@CodeDeployErrorHandler.list_error_handler("list applications", [])
@codedeploy_retry
def list_applications(client: RetryingBotoClientWrapper) -> list[str]:
    paginator = client.get_paginator("list_applications")
    return paginator.paginate().build_full_result().get("applications", [])


@CodeDeployErrorHandler.list_error_handler("list deployment groups", [])
@codedeploy_retry
def list_deployment_groups(client: RetryingBotoClientWrapper, application_name: str) -> list[str]:
    paginator = client.get_paginator("list_deployment_groups")
    return paginator.paginate(applicationName=application_name).build_full_result().get("deploymentGroups", [])


@CodeDeployErrorHandler.common_error_handler("create application")
@codedeploy_retry
def create_application(
    client: RetryingBotoClientWrapper, name: str, compute_platform: str, tags: dict[str, str] | None
) -> str:
    kwargs: dict[str, t.Any] = {"applicationName": name, "computePlatform": compute_platform}
    if tags:
        kwargs["tags"] = ansible_dict_to_boto3_tag_list(tags)
    return client.create_application(**kwargs)["applicationId"]


@CodeDeployErrorHandler.deletion_error_handler("delete application")
@codedeploy_retry
def delete_application(client: RetryingBotoClientWrapper, name: str) -> bool:
    client.delete_application(applicationName=name)
    return True
