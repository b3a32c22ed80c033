"""Deployment configurations: the predefined ones, create/get/list/delete with minimumHealthyHosts and zonalConfig."""

from __future__ import annotations

import pytest

SERVER_BUILTINS = {
    "CodeDeployDefault.OneAtATime": ("00000000-0000-0000-0000-000000000001", {"type": "MOST_CONCURRENCY", "value": 1}),
    "CodeDeployDefault.HalfAtATime": ("00000000-0000-0000-0000-000000000002", {"type": "FLEET_PERCENT", "value": 50}),
    "CodeDeployDefault.AllAtOnce": ("00000000-0000-0000-0000-000000000003", {"type": "HOST_COUNT", "value": 0}),
}


@pytest.mark.parametrize("name", sorted(SERVER_BUILTINS))
def test_predefined_server_configs(boto3_client, name):
    info = boto3_client("codedeploy").get_deployment_config(deploymentConfigName=name)["deploymentConfigInfo"]
    config_id, hosts = SERVER_BUILTINS[name]
    assert info["deploymentConfigId"] == config_id
    assert info["minimumHealthyHosts"] == hosts
    assert info["computePlatform"] == "Server"


def test_list_includes_builtins_and_custom(boto3_client, unique_name):
    client = boto3_client("codedeploy")
    name = unique_name("cfg")
    client.create_deployment_config(deploymentConfigName=name, minimumHealthyHosts={"type": "HOST_COUNT", "value": 2})
    names = [
        n for page in client.get_paginator("list_deployment_configs").paginate() for n in page["deploymentConfigsList"]
    ]
    assert set(SERVER_BUILTINS) | {name, "CodeDeployDefault.LambdaAllAtOnce", "CodeDeployDefault.ECSAllAtOnce"} <= set(
        names
    )


def test_create_get_delete_custom_config_with_zonal_config(boto3_client, unique_name, aws_error):
    client = boto3_client("codedeploy")
    name = unique_name("zonal")
    zonal = {
        "firstZoneMonitorDurationInSeconds": 60,
        "monitorDurationInSeconds": 30,
        "minimumHealthyHostsPerZone": {"type": "FLEET_PERCENT", "value": 10},
    }
    config_id = client.create_deployment_config(
        deploymentConfigName=name, minimumHealthyHosts={"type": "FLEET_PERCENT", "value": 75}, zonalConfig=zonal
    )["deploymentConfigId"]
    info = client.get_deployment_config(deploymentConfigName=name)["deploymentConfigInfo"]
    assert info["deploymentConfigId"] == config_id
    assert info["minimumHealthyHosts"] == {"type": "FLEET_PERCENT", "value": 75}
    assert info["zonalConfig"] == zonal
    assert info["computePlatform"] == "Server"
    with aws_error("DeploymentConfigAlreadyExistsException", f"The deployment configuration {name} already exists"):
        client.create_deployment_config(
            deploymentConfigName=name, minimumHealthyHosts={"type": "HOST_COUNT", "value": 1}
        )
    client.delete_deployment_config(deploymentConfigName=name)
    with aws_error("DeploymentConfigDoesNotExistException", f"No deployment configuration found for name: {name}"):
        client.get_deployment_config(deploymentConfigName=name)
    client.delete_deployment_config(deploymentConfigName=name)  # missing: silent, as no error is modeled


@pytest.mark.parametrize(
    ("params", "code", "message"),
    [
        (
            {
                "deploymentConfigName": "CodeDeployDefault.Mine",
                "minimumHealthyHosts": {"type": "HOST_COUNT", "value": 1},
            },
            "InvalidDeploymentConfigNameException",
            "names starting with CodeDeployDefault. are reserved",
        ),
        (
            {
                "deploymentConfigName": "CodeDeployDefault.OneAtATime",
                "minimumHealthyHosts": {"type": "HOST_COUNT", "value": 1},
            },
            "DeploymentConfigAlreadyExistsException",
            "CodeDeployDefault.OneAtATime already exists",
        ),
        (
            {"deploymentConfigName": "x" * 101, "minimumHealthyHosts": {"type": "HOST_COUNT", "value": 1}},
            "InvalidDeploymentConfigNameException",
            "is too long: 101 characters",
        ),
        (
            {"deploymentConfigName": "pct", "minimumHealthyHosts": {"type": "FLEET_PERCENT", "value": 100}},
            "InvalidMinimumHealthyHostValueException",
            "minimumHealthyHosts.value 100 is invalid for FLEET_PERCENT",
        ),
        (
            {"deploymentConfigName": "neg", "minimumHealthyHosts": {"type": "HOST_COUNT", "value": -1}},
            "InvalidMinimumHealthyHostValueException",
            "minimumHealthyHosts.value -1 is invalid for HOST_COUNT",
        ),
        (
            {"deploymentConfigName": "kind", "minimumHealthyHosts": {"type": "MOST_CONCURRENCY", "value": 1}},
            "InvalidMinimumHealthyHostValueException",
            "minimumHealthyHosts.type 'MOST_CONCURRENCY' is invalid",
        ),
        (
            {"deploymentConfigName": "none"},
            "InvalidMinimumHealthyHostValueException",
            "minimumHealthyHosts is required for a Server deployment configuration",
        ),
        (
            {"deploymentConfigName": "plat", "computePlatform": "Mainframe"},
            "InvalidComputePlatformException",
            "computePlatform 'Mainframe' is invalid",
        ),
        (
            {
                "deploymentConfigName": "zone",
                "minimumHealthyHosts": {"type": "HOST_COUNT", "value": 1},
                "zonalConfig": {"monitorDurationInSeconds": -5},
            },
            "InvalidZonalDeploymentConfigurationException",
            "zonalConfig.monitorDurationInSeconds -5 is invalid",
        ),
        (
            {
                "deploymentConfigName": "zone2",
                "minimumHealthyHosts": {"type": "HOST_COUNT", "value": 1},
                "zonalConfig": {"minimumHealthyHostsPerZone": {"type": "FLEET_PERCENT", "value": 120}},
            },
            "InvalidZonalDeploymentConfigurationException",
            "zonalConfig.minimumHealthyHostsPerZone.value 120",
        ),
        (
            {
                "deploymentConfigName": "route",
                "minimumHealthyHosts": {"type": "HOST_COUNT", "value": 1},
                "trafficRoutingConfig": {"type": "AllAtOnce"},
            },
            "InvalidTrafficRoutingConfigurationException",
            "trafficRoutingConfig applies to Lambda and ECS",
        ),
    ],
)
def test_create_config_validation(boto3_client, aws_error, params, code, message):
    with aws_error(code, message):
        boto3_client("codedeploy").create_deployment_config(**params)


def test_delete_builtin_or_used_config_fails(boto3_client, unique_name, service_role, aws_error):
    client = boto3_client("codedeploy")
    with aws_error("InvalidOperationException", "CodeDeployDefault.AllAtOnce is a predefined configuration"):
        client.delete_deployment_config(deploymentConfigName="CodeDeployDefault.AllAtOnce")
    name, app = unique_name("used"), unique_name("cfg-app")
    client.create_deployment_config(deploymentConfigName=name, minimumHealthyHosts={"type": "HOST_COUNT", "value": 0})
    client.create_application(applicationName=app)
    client.create_deployment_group(
        applicationName=app, deploymentGroupName="g", serviceRoleArn=service_role, deploymentConfigName=name
    )
    with aws_error("DeploymentConfigInUseException", f"is used by deployment group(s) {app}/g"):
        client.delete_deployment_config(deploymentConfigName=name)
    client.delete_deployment_group(applicationName=app, deploymentGroupName="g")
    client.delete_deployment_config(deploymentConfigName=name)


def test_lambda_config(boto3_client, unique_name):
    client = boto3_client("codedeploy")
    name = unique_name("canary")
    routing = {"type": "TimeBasedCanary", "timeBasedCanary": {"canaryPercentage": 10, "canaryInterval": 5}}
    client.create_deployment_config(deploymentConfigName=name, computePlatform="Lambda", trafficRoutingConfig=routing)
    info = client.get_deployment_config(deploymentConfigName=name)["deploymentConfigInfo"]
    assert info["computePlatform"] == "Lambda" and info["trafficRoutingConfig"] == routing
    assert "minimumHealthyHosts" not in info
