"""AWS's long waits on a fast lab clock: AllowTraffic gives up after one (scaled) hour of failing health checks."""

from __future__ import annotations

import pytest

from codedeploy_lab.deployments.testing import run_web_instances
from codedeploy_lab.deployments.testing import targets_of
from codedeploy_lab.deployments.testing import unique
from codedeploy_lab.deployments.testing import upload_revision
from codedeploy_lab.deployments.testing import wait_deployment
from codedeploy_lab.deployments.testing import wait_web_ready
from codedeploy_lab.deployments.testing import web_load_balancer
from codedeploy_lab.testing import running_lab

SECONDS_PER_AWS_MINUTE = 0.1  # one AWS hour = 6 lab seconds


@pytest.fixture(scope="module")
def fast_lab(tmp_path_factory):
    with running_lab(tmp_path_factory.mktemp("fast-lab") / "state", port=0, time_factor=SECONDS_PER_AWS_MINUTE) as lab:
        yield lab


def test_allow_traffic_fails_when_the_instance_never_becomes_healthy(fast_lab):
    lab = fast_lab
    assert lab.get("/_lab/status")["seconds_per_aws_minute"] == SECONDS_PER_AWS_MINUTE
    iam = lab.client("iam")
    role = iam.create_role(RoleName=unique("role"), AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    tag = unique("fleet")
    instances = run_web_instances(lab.client, 1, {"Fleet": tag})
    wait_web_ready(lab, instances)
    name = web_load_balancer(lab.client, instances, interval=30)
    codedeploy = lab.client("codedeploy")
    application, group = unique("app"), unique("group")
    codedeploy.create_application(applicationName=application)
    codedeploy.create_deployment_group(
        applicationName=application,
        deploymentGroupName=group,
        serviceRoleArn=role,
        ec2TagFilters=[{"Key": "Fleet", "Value": tag, "Type": "KEY_AND_VALUE"}],
        deploymentStyle={"deploymentType": "IN_PLACE", "deploymentOption": "WITH_TRAFFIC_CONTROL"},
        loadBalancerInfo={"elbInfoList": [{"name": name}]},
    )
    # This version stops its web server on start: it never passes a health check again.
    revision = upload_revision(
        lab.client,
        unique("bucket"),
        "dark.zip",
        "dark",
        hooks={"ValidateService": "#!/bin/bash\nsystemctl stop httpd\n"},
    )

    deployment_id = codedeploy.create_deployment(
        applicationName=application, deploymentGroupName=group, revision=revision
    )["deploymentId"]
    info = wait_deployment(lab.client, deployment_id)

    assert info["status"] == "Failed"
    assert info["errorInformation"]["code"] == "HEALTH_CONSTRAINTS"
    events = {
        e["lifecycleEventName"]: e for e in targets_of(lab.client, deployment_id)[instances[0]]["lifecycleEvents"]
    }
    allow = events["AllowTraffic"]
    assert allow["status"] == "Failed"
    assert allow["diagnostics"]["errorCode"] == "UnknownError"
    assert allow["diagnostics"]["message"] == (
        f"The instance {instances[0]} did not pass the health checks of {name} within 60 minutes."
    )
    assert events["ValidateService"]["status"] == "Succeeded"
    assert events["AfterAllowTraffic"]["status"] == "Skipped"
    # It was registered again (AllowTraffic's job) and is reported OutOfService by the health checks.
    state = lab.client("elb").describe_instance_health(LoadBalancerName=name)["InstanceStates"][0]
    assert (state["InstanceId"], state["State"]) == (instances[0], "OutOfService")
