"""Timestamps the service sets carry milliseconds, as CodeDeploy's do, so a time read back finds what it names."""

from __future__ import annotations

import pytest

REVISION = {"revisionType": "S3", "s3Location": {"bucket": "bundles", "key": "app.zip", "bundleType": "zip"}}


@pytest.fixture
def codedeploy(control_plane_lab):
    return control_plane_lab.client("codedeploy")


@pytest.fixture
def group(control_plane_lab, codedeploy, unique_name):
    role = control_plane_lab.client("iam").create_role(RoleName=unique_name("ts-role"), AssumeRolePolicyDocument="{}")
    app = unique_name("ts-app")
    codedeploy.create_application(applicationName=app)
    codedeploy.create_deployment_group(
        applicationName=app,
        deploymentGroupName="web",
        serviceRoleArn=role["Role"]["Arn"],
        deploymentConfigName="CodeDeployDefault.AllAtOnce",
    )
    return app, "web"


def test_create_time_range_that_starts_and_ends_at_create_time_finds_the_deployment(codedeploy, group):
    app, name = group
    # Several deployments, so that some createTime almost surely falls inside a millisecond rather than on its edge.
    for _ in range(5):
        deployment_id = codedeploy.create_deployment(applicationName=app, deploymentGroupName=name, revision=REVISION)[
            "deploymentId"
        ]
        created = codedeploy.get_deployment(deploymentId=deployment_id)["deploymentInfo"]["createTime"]
        assert created.microsecond % 1000 == 0, created
        window = {"start": created, "end": created}
        assert codedeploy.list_deployments(applicationName=app, deploymentGroupName=name, createTimeRange=window)[
            "deployments"
        ] == [deployment_id]
        codedeploy.stop_deployment(deploymentId=deployment_id)
        info = codedeploy.get_deployment(deploymentId=deployment_id)["deploymentInfo"]
        assert info["completeTime"].microsecond % 1000 == 0


def test_other_times_the_service_sets_carry_milliseconds(codedeploy, group):
    app, _ = group
    assert codedeploy.get_application(applicationName=app)["application"]["createTime"].microsecond % 1000 == 0
    codedeploy.register_application_revision(applicationName=app, revision=REVISION)
    revision = codedeploy.get_application_revision(applicationName=app, revision=REVISION)["revisionInfo"]
    assert revision["registerTime"].microsecond % 1000 == 0
