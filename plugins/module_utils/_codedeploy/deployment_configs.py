# -*- coding: utf-8 -*-

# Copyright: Contributors to the rollout.codedeploy project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

# This package is private to rollout.codedeploy: import from module_utils/codedeploy.py instead.

"""Deployment configs: API wrappers, the config as modules return it, the desired definition from module params, the
comparison and the plan.

CodeDeploy has no UpdateDeploymentConfig: a definition can only be created or deleted, and the
built-in CodeDeployDefault.* configs can be neither.
"""

from __future__ import annotations

import typing as t
from dataclasses import dataclass

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict
from ansible.module_utils.common.dict_transformations import snake_dict_to_camel_dict

from .applications import list_applications
from .applications import list_deployment_groups
from .common import AnsibleCodeDeployError
from .common import CodeDeployErrorHandler
from .common import codedeploy_retry
from .comparison import DifferenceTracker
from .comparison import merge_partial
from .deployment_groups import batch_get_deployment_groups
from .transformations import to_ansible_resource

if t.TYPE_CHECKING:
    from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper

BUILTIN_PREFIX = "CodeDeployDefault."

# The parts of a definition: module option -> API member of CreateDeploymentConfig.
DEFINITION_FIELDS = {
    "compute_platform": "computePlatform",
    "minimum_healthy_hosts": "minimumHealthyHosts",
    "traffic_routing_config": "trafficRoutingConfig",
    "zonal_config": "zonalConfig",
}


def is_builtin(name: str) -> bool:
    return name.startswith(BUILTIN_PREFIX)


@CodeDeployErrorHandler.list_error_handler("get deployment config", None)
@codedeploy_retry
def get_deployment_config(client: RetryingBotoClientWrapper, name: str) -> dict[str, t.Any] | None:
    return client.get_deployment_config(deploymentConfigName=name)["deploymentConfigInfo"]


def read_deployment_config(client: RetryingBotoClientWrapper, name: str) -> dict[str, t.Any]:
    """The config as modules return it; {} when there is none."""
    return to_ansible_resource(get_deployment_config(client, name))


@CodeDeployErrorHandler.list_error_handler("list deployment configs", [])
@codedeploy_retry
def list_deployment_configs(client: RetryingBotoClientWrapper) -> list[str]:
    paginator = client.get_paginator("list_deployment_configs")
    return paginator.paginate().build_full_result().get("deploymentConfigsList", [])


@CodeDeployErrorHandler.common_error_handler("create deployment config")
@codedeploy_retry
def create_deployment_config(client: RetryingBotoClientWrapper, name: str, definition: dict[str, t.Any]) -> str:
    return client.create_deployment_config(deploymentConfigName=name, **definition)["deploymentConfigId"]


@CodeDeployErrorHandler.deletion_error_handler("delete deployment config")
@codedeploy_retry
def delete_deployment_config(client: RetryingBotoClientWrapper, name: str) -> bool:
    client.delete_deployment_config(deploymentConfigName=name)
    return True


def _scrub(value: t.Any) -> t.Any:
    """value without None members (at any depth); None for an empty dict."""
    if isinstance(value, dict):
        scrubbed = {key: _scrub(item) for key, item in value.items()}
        scrubbed = {key: item for key, item in scrubbed.items() if item is not None}
        return scrubbed or None
    return value


def _in_api_names(options: dict[str, t.Any]) -> dict[str, t.Any]:
    definition: dict[str, t.Any] = {}
    for option, field in DEFINITION_FIELDS.items():
        value = options.get(option)
        if value is not None:
            definition[field] = snake_dict_to_camel_dict(value) if isinstance(value, dict) else value
    return definition


def desired_definition(params: dict[str, t.Any]) -> dict[str, t.Any]:
    """The definition the task asks for, in API names; options left unset are absent."""
    return _in_api_names({option: _scrub(params.get(option)) for option in DEFINITION_FIELDS})


def returned_definition(config: dict[str, t.Any]) -> dict[str, t.Any]:
    """The definition of a config as modules return it (snake_case), in API names again: its members are camelCase
    words, which snake_case maps back exactly."""
    return _in_api_names(config)


def compare_definitions(current: dict[str, t.Any], desired: dict[str, t.Any]) -> DifferenceTracker:
    """Fields of desired that differ from current; a field the task leaves unset never differs.

    Nested members the task leaves unset keep the current value (merge), so a partially written
    definition matches a config that AWS completed with defaults.
    """
    tracker = DifferenceTracker()
    for field, value in desired.items():
        before = current.get(field)
        tracker.compare(field, before, merge_partial(before, value))
    return tracker


def describe_differences(differences: DifferenceTracker) -> str:
    """The differences in option names and snake_case values, for a message."""
    options = {field: option for option, field in DEFINITION_FIELDS.items()}
    return "; ".join(
        f"{options[d['name']]}: {_snake(d['before'])} -> {_snake(d['after'])}" for d in differences.differences
    )


def _snake(value: t.Any) -> t.Any:
    return camel_dict_to_snake_dict(value) if isinstance(value, dict) else value


def groups_using_config(client: RetryingBotoClientWrapper, name: str) -> list[str]:
    """'application/group' for every deployment group of the account and region whose deploymentConfigName is name."""
    users: list[str] = []
    for application_name in list_applications(client):
        group_names = list_deployment_groups(client, application_name)
        for group in batch_get_deployment_groups(client, application_name, group_names):
            if group.get("deploymentConfigName") == name:
                users.append(f"{application_name}/{group['deploymentGroupName']}")
    return sorted(users)


def _validate_healthy_hosts(option: str, hosts: dict[str, t.Any] | None) -> None:
    if not hosts:
        return
    value = hosts["value"]  # required with type, by the argument spec and by the API
    if hosts.get("type") == "FLEET_PERCENT" and not 0 <= value < 100:
        raise AnsibleCodeDeployError(message=f"{option}.value: a FLEET_PERCENT must be from 0 to 99, got {value}.")
    if hosts.get("type") == "HOST_COUNT" and value < 0:
        raise AnsibleCodeDeployError(message=f"{option}.value: a HOST_COUNT cannot be negative, got {value}.")


def validate_definition(definition: dict[str, t.Any]) -> None:
    """Fail, naming the option, on a definition CodeDeploy would reject."""
    platform = definition.get("computePlatform", "Server")
    if platform == "Server":
        if not definition.get("minimumHealthyHosts"):
            raise AnsibleCodeDeployError(
                message="minimum_healthy_hosts: required for a Server deployment config (type HOST_COUNT or FLEET_PERCENT, and value)."
            )
        if definition.get("trafficRoutingConfig"):
            raise AnsibleCodeDeployError(
                message="traffic_routing_config: only Lambda and ECS deployment configs route traffic."
            )
    elif definition.get("zonalConfig"):
        raise AnsibleCodeDeployError(message="zonal_config: only Server deployment configs deploy zone by zone.")
    _validate_healthy_hosts("minimum_healthy_hosts", definition.get("minimumHealthyHosts"))
    zonal = definition.get("zonalConfig") or {}
    _validate_healthy_hosts("zonal_config.minimum_healthy_hosts_per_zone", zonal.get("minimumHealthyHostsPerZone"))


@dataclass(frozen=True)
class ConfigPlan:
    """What a task does to a deployment config: delete it, create it (definition, in API names), both (replace) or
    neither."""

    delete: bool = False
    create: dict[str, t.Any] | None = None

    @property
    def changed(self) -> bool:
        return self.delete or self.create is not None


def plan_config(name: str, current: dict[str, t.Any], params: dict[str, t.Any]) -> ConfigPlan:
    """What params (state and definition) ask of the config current (as modules return it; {} when there is none).

    Fails, naming the option and the way out, on what CodeDeploy cannot do: create or change a built-in config,
    change a config without replace (there is no update call), or create an invalid definition.
    """
    if params["state"] == "absent":
        if current and is_builtin(name):
            raise AnsibleCodeDeployError(
                message=f"name: '{name}' is a built-in deployment config and cannot be deleted."
            )
        return ConfigPlan(delete=bool(current))
    desired = desired_definition(params)
    if not current:
        if is_builtin(name):
            raise AnsibleCodeDeployError(message=f"name: there is no built-in deployment config named '{name}'.")
        desired.setdefault("computePlatform", "Server")
        validate_definition(desired)
        return ConfigPlan(create=desired)
    before = returned_definition(current)
    differences = compare_definitions(before, desired)
    if not differences:
        return ConfigPlan()
    changes = describe_differences(differences)
    if is_builtin(name):
        raise AnsibleCodeDeployError(
            message=f"name: '{name}' is a built-in deployment config and read-only ({changes})."
        )
    if not params["replace"]:
        raise AnsibleCodeDeployError(
            message=(
                f"deployment config '{name}' exists with a different definition ({changes}), and CodeDeploy cannot "
                "update a deployment config. Set replace: true to delete and re-create it, or use a new name."
            )
        )
    replacement = {**before, **{d["name"]: d["after"] for d in differences.differences}}
    validate_definition(replacement)
    return ConfigPlan(delete=True, create=replacement)
