"""Deployments in a lab without the engine (``--rooms none``): validated, stored in Created, one active deployment
per group, stop. The engine's own tests cover what happens once it walks a deployment."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from datetime import timedelta

import pytest

REVISION = {"revisionType": "S3", "s3Location": {"bucket": "bundles", "key": "app.zip", "bundleType": "zip"}}


@pytest.fixture
def boto3_client(control_plane_lab):
    """These tests pin the control plane's own behaviour, so they use a lab without the deployment engine."""
    return control_plane_lab.client


@pytest.fixture(scope="module")
def service_role(control_plane_lab):
    iam = control_plane_lab.client("iam")
    role = iam.create_role(RoleName="deployments-service-role", AssumeRolePolicyDocument="{}")
    return role["Role"]["Arn"]


@pytest.fixture
def group(boto3_client, unique_name, service_role):
    client = boto3_client("codedeploy")
    app = unique_name("dep-app")
    client.create_application(applicationName=app)
    client.create_deployment_group(
        applicationName=app,
        deploymentGroupName="web",
        serviceRoleArn=service_role,
        deploymentConfigName="CodeDeployDefault.AllAtOnce",
    )
    return app, "web"


def test_create_deployment_stays_created_and_links_everything(boto3_client, group, control_plane_lab):
    assert control_plane_lab.get("/_lab/status")["engine"] is None
    client = boto3_client("codedeploy")
    app, name = group
    deployment_id = client.create_deployment(
        applicationName=app,
        deploymentGroupName=name,
        revision=REVISION,
        description="first",
        fileExistsBehavior="OVERWRITE",
    )["deploymentId"]
    assert deployment_id.startswith("d-") and len(deployment_id) == 11 and deployment_id[2:].isupper()
    info = client.get_deployment(deploymentId=deployment_id)["deploymentInfo"]
    assert info["status"] == "Created"
    assert info["creator"] == "user"
    assert info["revision"] == REVISION
    assert info["deploymentConfigName"] == "CodeDeployDefault.AllAtOnce"  # the group's
    assert info["fileExistsBehavior"] == "OVERWRITE"
    assert info["deploymentOverview"] == {
        "Pending": 0,
        "InProgress": 0,
        "Succeeded": 0,
        "Failed": 0,
        "Skipped": 0,
        "Ready": 0,
    }
    assert info["deploymentStyle"] == {"deploymentType": "IN_PLACE", "deploymentOption": "WITHOUT_TRAFFIC_CONTROL"}
    group_info = client.get_deployment_group(applicationName=app, deploymentGroupName=name)["deploymentGroupInfo"]
    assert group_info["targetRevision"] == REVISION
    assert group_info["lastAttemptedDeployment"]["deploymentId"] == deployment_id
    assert group_info["lastAttemptedDeployment"]["status"] == "Created"
    # The revision was registered by the deployment.
    revision_info = client.get_application_revision(applicationName=app, revision=REVISION)["revisionInfo"]
    assert revision_info["description"] == f"Application revision registered by Deployment ID: {deployment_id}"
    assert revision_info["deploymentGroups"] == [name]
    assert "firstUsedTime" in revision_info
    assert client.list_deployments(applicationName=app, deploymentGroupName=name)["deployments"] == [deployment_id]
    assert (
        client.batch_get_deployments(deploymentIds=[deployment_id, "d-NOTTHERE1"])["deploymentsInfo"][0]["deploymentId"]
        == deployment_id
    )


def test_one_active_deployment_per_group_then_stop(boto3_client, group, aws_error):
    client = boto3_client("codedeploy")
    app, name = group
    first = client.create_deployment(applicationName=app, deploymentGroupName=name, revision=REVISION)["deploymentId"]
    with aws_error(
        "DeploymentLimitExceededException", f"The Deployment Group '{name}' already has an active Deployment '{first}'"
    ):
        client.create_deployment(applicationName=app, deploymentGroupName=name, revision=REVISION)
    stopped = client.stop_deployment(deploymentId=first)
    assert stopped["status"] == "Succeeded"
    assert stopped["statusMessage"] == "No more commands will be scheduled for execution in the deployment instances"
    info = client.get_deployment(deploymentId=first)["deploymentInfo"]
    assert info["status"] == "Stopped" and "completeTime" in info
    with aws_error("DeploymentAlreadyCompletedException", f"The deployment {first} has already completed"):
        client.stop_deployment(deploymentId=first)
    second = client.create_deployment(applicationName=app, deploymentGroupName=name, revision=REVISION)["deploymentId"]
    assert second != first
    listed = client.list_deployments(applicationName=app, deploymentGroupName=name)["deployments"]
    assert listed == [second, first]  # newest first
    only_stopped = client.list_deployments(
        applicationName=app, deploymentGroupName=name, includeOnlyStatuses=["Stopped"]
    )["deployments"]
    assert only_stopped == [first]
    future = datetime.now(UTC) + timedelta(hours=1)
    assert (
        client.list_deployments(applicationName=app, deploymentGroupName=name, createTimeRange={"start": future})[
            "deployments"
        ]
        == []
    )


@pytest.mark.parametrize(
    ("params", "code", "message"),
    [
        (
            {"deploymentGroupName": None},
            "DeploymentGroupNameRequiredException",
            "The deployment group name is required",
        ),
        (
            {"deploymentGroupName": "nope"},
            "DeploymentGroupDoesNotExistException",
            "No Deployment Group found for name: nope",
        ),
        ({"revision": None}, "RevisionRequiredException", "The revision is required"),
        (
            {"revision": {"revisionType": "S3", "s3Location": {"bucket": "b"}}},
            "InvalidRevisionException",
            "revision.s3Location.key is required",
        ),
        (
            {"deploymentConfigName": "Missing"},
            "DeploymentConfigDoesNotExistException",
            "No deployment configuration found for name: Missing",
        ),
        (
            {"deploymentConfigName": "CodeDeployDefault.ECSAllAtOnce"},
            "InvalidDeploymentConfigNameException",
            "is for the ECS compute platform, not Server",
        ),
        ({"description": "x" * 257}, "DescriptionTooLongException", "(the maximum is 256)"),
        (
            {"fileExistsBehavior": "MERGE"},
            "InvalidFileExistsBehaviorException",
            "fileExistsBehavior 'MERGE' is invalid",
        ),
        (
            {"targetInstances": {"tagFilters": [{"Key": "a", "Type": "KEY_ONLY"}]}},
            "InvalidTargetInstancesException",
            "targetInstances applies to blue/green deployments only",
        ),
        (
            {"autoRollbackConfiguration": {"enabled": True, "events": []}},
            "InvalidAutoRollbackConfigException",
            "lists no events",
        ),
        ({"deploymentMode": "RESTART"}, "InvalidRevisionException", "A RESTART deployment reuses"),
        ({"deploymentMode": "RESTART", "revision": None}, "InvalidRevisionException", "has no successful deployment"),
    ],
)
def test_create_deployment_validation(boto3_client, group, aws_error, params, code, message):
    app, name = group
    request = {"applicationName": app, "deploymentGroupName": name, "revision": REVISION, **params}
    client = boto3_client("codedeploy")
    with aws_error(code, message):
        client.create_deployment(**{k: value for k, value in request.items() if value is not None})
    assert client.list_deployments(applicationName=app, deploymentGroupName=name)["deployments"] == []


def test_get_deployment_errors(boto3_client, aws_error):
    client = boto3_client("codedeploy")
    with aws_error("InvalidDeploymentIdException", "The deployment ID 'abc' is invalid"):
        client.get_deployment(deploymentId="abc")
    with aws_error("DeploymentDoesNotExistException", "The deployment d-AAAAAAAAA could not be found"):
        client.get_deployment(deploymentId="d-AAAAAAAAA")
    with aws_error("ApplicationNameRequiredException", "applicationName is required when deploymentGroupName"):
        client.list_deployments(deploymentGroupName="x")
    with aws_error("InvalidDeploymentStatusException", "includeOnlyStatuses 'Done' is invalid"):
        client.list_deployments(includeOnlyStatuses=["Done"])
    now = datetime.now(UTC)
    with aws_error("InvalidTimeRangeException", "createTimeRange.start is after createTimeRange.end"):
        client.list_deployments(createTimeRange={"start": now, "end": now - timedelta(days=1)})


def test_targets_of_a_deployment_not_started(boto3_client, group, aws_error):
    client = boto3_client("codedeploy")
    app, name = group
    deployment_id = client.create_deployment(applicationName=app, deploymentGroupName=name, revision=REVISION)[
        "deploymentId"
    ]
    with aws_error("DeploymentNotStartedException", f"The deployment {deployment_id} has not started"):
        client.list_deployment_targets(deploymentId=deployment_id)
    with aws_error("UnsupportedActionForDeploymentTypeException", "ContinueDeployment applies to blue/green"):
        client.continue_deployment(deploymentId=deployment_id, deploymentWaitType="READY_WAIT")
    client.stop_deployment(deploymentId=deployment_id)


def test_deleting_the_group_deletes_its_deployments(boto3_client, group, aws_error):
    client = boto3_client("codedeploy")
    app, name = group
    deployment_id = client.create_deployment(applicationName=app, deploymentGroupName=name, revision=REVISION)[
        "deploymentId"
    ]
    client.delete_deployment_group(applicationName=app, deploymentGroupName=name)
    with aws_error("DeploymentDoesNotExistException", deployment_id):
        client.get_deployment(deploymentId=deployment_id)


def test_not_implemented_operations_say_so(boto3_client, aws_error):
    with aws_error("OperationNotSupportedException", "Lambda and ECS deployments only"):
        boto3_client("codedeploy").put_lifecycle_event_hook_execution_status(
            deploymentId="d-AAAAAAAAA", lifecycleEventHookExecutionId="x", status="Succeeded"
        )
