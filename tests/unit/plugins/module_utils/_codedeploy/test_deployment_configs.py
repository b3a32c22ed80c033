# -*- coding: utf-8 -*-

# Copyright: Contributors to the rollout.codedeploy project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.common import AnsibleCodeDeployError
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.deployment_configs import ConfigPlan
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.deployment_configs import (
    compare_definitions,
)
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.deployment_configs import (
    describe_differences,
)
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.deployment_configs import (
    desired_definition,
)
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.deployment_configs import is_builtin
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.deployment_configs import plan_config
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.deployment_configs import (
    returned_definition,
)
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.deployment_configs import (
    validate_definition,
)
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.transformations import to_ansible_resource


def params(**options):
    result = {
        "compute_platform": None,
        "minimum_healthy_hosts": None,
        "traffic_routing_config": None,
        "zonal_config": None,
    }
    result.update(state="present", replace=False)
    result.update(options)
    return result


TWO_HEALTHY = {
    "deploymentConfigId": "4f1c2b9e-3a1d-4a8e-9b1c-2d3e4f5a6b7c",
    "deploymentConfigName": "TwoHealthy",
    "minimumHealthyHosts": {"type": "HOST_COUNT", "value": 2},
    "computePlatform": "Server",
    "createTime": 1700000000.0,
}
# The same config as the modules return it.
TWO_HEALTHY_RETURNED = to_ansible_resource(TWO_HEALTHY)


def test_desired_definition_has_only_what_the_task_sets():
    zonal = {
        "first_zone_monitor_duration_in_seconds": None,
        "monitor_duration_in_seconds": 300,
        "minimum_healthy_hosts_per_zone": {"type": "HOST_COUNT", "value": 1},
    }
    assert desired_definition(
        params(minimum_healthy_hosts={"type": "FLEET_PERCENT", "value": 75}, zonal_config=zonal)
    ) == {
        "minimumHealthyHosts": {"type": "FLEET_PERCENT", "value": 75},
        "zonalConfig": {
            "monitorDurationInSeconds": 300,
            "minimumHealthyHostsPerZone": {"type": "HOST_COUNT", "value": 1},
        },
    }


def test_same_definition_has_no_differences():
    desired = desired_definition(params(minimum_healthy_hosts={"type": "HOST_COUNT", "value": 2}))
    assert not compare_definitions(returned_definition(TWO_HEALTHY_RETURNED), desired)


def test_unset_definition_matches_any_config():
    assert not compare_definitions(returned_definition(TWO_HEALTHY_RETURNED), desired_definition(params()))


def test_changed_definition_is_reported_by_option():
    desired = desired_definition(params(minimum_healthy_hosts={"type": "HOST_COUNT", "value": 3}))
    differences = compare_definitions(returned_definition(TWO_HEALTHY_RETURNED), desired)
    assert differences.get_before_after() == (
        {"minimumHealthyHosts": {"type": "HOST_COUNT", "value": 2}},
        {"minimumHealthyHosts": {"type": "HOST_COUNT", "value": 3}},
    )
    assert describe_differences(differences) == (
        "minimum_healthy_hosts: {'type': 'HOST_COUNT', 'value': 2} -> {'type': 'HOST_COUNT', 'value': 3}"
    )


def test_added_zonal_config_is_a_difference():
    desired = desired_definition(params(zonal_config={"monitor_duration_in_seconds": 60}))
    assert compare_definitions(returned_definition(TWO_HEALTHY_RETURNED), desired).names == ["zonalConfig"]


@pytest.mark.parametrize(
    "name, builtin", [("CodeDeployDefault.OneAtATime", True), ("TwoHealthy", False), ("codedeploydefault.x", False)]
)
def test_is_builtin(name, builtin):
    assert is_builtin(name) is builtin


@pytest.mark.parametrize(
    "definition, option",
    [
        ({"computePlatform": "Server"}, "minimum_healthy_hosts"),
        ({"minimumHealthyHosts": {"type": "FLEET_PERCENT", "value": 100}}, "minimum_healthy_hosts.value"),
        ({"minimumHealthyHosts": {"type": "HOST_COUNT", "value": -1}}, "minimum_healthy_hosts.value"),
        (
            {
                "minimumHealthyHosts": {"type": "HOST_COUNT", "value": 1},
                "zonalConfig": {"minimumHealthyHostsPerZone": {"type": "FLEET_PERCENT", "value": 150}},
            },
            "zonal_config.minimum_healthy_hosts_per_zone.value",
        ),
        (
            {"minimumHealthyHosts": {"type": "HOST_COUNT", "value": 1}, "trafficRoutingConfig": {"type": "AllAtOnce"}},
            "traffic_routing_config",
        ),
        ({"computePlatform": "Lambda", "zonalConfig": {"monitorDurationInSeconds": 1}}, "zonal_config"),
    ],
)
def test_invalid_definition_fails_naming_the_option(definition, option):
    with pytest.raises(AnsibleCodeDeployError) as error:
        validate_definition(definition)
    assert error.value.message.startswith(f"{option}:")


def test_valid_definitions_pass():
    validate_definition({"minimumHealthyHosts": {"type": "FLEET_PERCENT", "value": 99}})
    validate_definition({"computePlatform": "Lambda", "trafficRoutingConfig": {"type": "AllAtOnce"}})


def test_the_returned_definition_is_the_one_the_api_answered():
    answered = {
        "computePlatform": "Server",
        "minimumHealthyHosts": {"type": "FLEET_PERCENT", "value": 75},
        "zonalConfig": {
            "firstZoneMonitorDurationInSeconds": 600,
            "monitorDurationInSeconds": 300,
            "minimumHealthyHostsPerZone": {"type": "HOST_COUNT", "value": 1},
        },
    }
    lambda_canary = {
        "computePlatform": "Lambda",
        "trafficRoutingConfig": {
            "type": "TimeBasedCanary",
            "timeBasedCanary": {"canaryPercentage": 25, "canaryInterval": 10},
        },
    }
    for definition in (answered, lambda_canary):
        config = {"deploymentConfigName": "x", "deploymentConfigId": "id", **definition}
        assert returned_definition(to_ansible_resource(config)) == definition


def test_plan_a_new_config():
    plan = plan_config("TwoHealthy", {}, params(minimum_healthy_hosts={"type": "HOST_COUNT", "value": 2}))
    assert plan == ConfigPlan(
        create={"minimumHealthyHosts": {"type": "HOST_COUNT", "value": 2}, "computePlatform": "Server"}
    )


def test_plan_a_config_as_it_is():
    plan = plan_config(
        "TwoHealthy", TWO_HEALTHY_RETURNED, params(minimum_healthy_hosts={"type": "HOST_COUNT", "value": 2})
    )
    assert plan == ConfigPlan() and not plan.changed


def test_plan_a_replacement_keeps_what_the_task_leaves_unset():
    plan = plan_config(
        "TwoHealthy",
        TWO_HEALTHY_RETURNED,
        params(minimum_healthy_hosts={"type": "HOST_COUNT", "value": 3}, replace=True),
    )
    assert plan == ConfigPlan(
        delete=True, create={"minimumHealthyHosts": {"type": "HOST_COUNT", "value": 3}, "computePlatform": "Server"}
    )


def test_plan_deletion():
    assert plan_config("TwoHealthy", TWO_HEALTHY_RETURNED, params(state="absent")) == ConfigPlan(delete=True)
    assert plan_config("TwoHealthy", {}, params(state="absent")) == ConfigPlan()


@pytest.mark.parametrize(
    "name, current, options, message",
    [
        (
            "TwoHealthy",
            TWO_HEALTHY_RETURNED,
            dict(minimum_healthy_hosts={"type": "HOST_COUNT", "value": 3}),
            "deployment config 'TwoHealthy' exists with a different definition (minimum_healthy_hosts: "
            "{'type': 'HOST_COUNT', 'value': 2} -> {'type': 'HOST_COUNT', 'value': 3}), and CodeDeploy cannot update a "
            "deployment config. Set replace: true to delete and re-create it, or use a new name.",
        ),
        (
            "CodeDeployDefault.Nothing",
            {},
            {},
            "name: there is no built-in deployment config named 'CodeDeployDefault.Nothing'.",
        ),
        (
            "CodeDeployDefault.OneAtATime",
            to_ansible_resource({**TWO_HEALTHY, "deploymentConfigName": "CodeDeployDefault.OneAtATime"}),
            dict(minimum_healthy_hosts={"type": "HOST_COUNT", "value": 3}, replace=True),
            "name: 'CodeDeployDefault.OneAtATime' is a built-in deployment config and read-only (minimum_healthy_hosts: "
            "{'type': 'HOST_COUNT', 'value': 2} -> {'type': 'HOST_COUNT', 'value': 3}).",
        ),
        (
            "CodeDeployDefault.OneAtATime",
            TWO_HEALTHY_RETURNED,
            dict(state="absent"),
            "name: 'CodeDeployDefault.OneAtATime' is a built-in deployment config and cannot be deleted.",
        ),
        (
            "TwoHealthy",
            {},
            {},
            "minimum_healthy_hosts: required for a Server deployment config (type HOST_COUNT or FLEET_PERCENT, and value).",
        ),
    ],
)
def test_plan_refuses_what_codedeploy_cannot_do(name, current, options, message):
    with pytest.raises(AnsibleCodeDeployError) as error:
        plan_config(name, current, params(**options))
    assert error.value.message == message
