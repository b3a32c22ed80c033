"""Tags by ARN: TagResource, UntagResource, ListTagsForResource on applications, groups and configs."""

from __future__ import annotations

import pytest

ARN = "arn:aws:codedeploy:us-east-1:123456789012"


def test_tag_untag_list_application_and_group(boto3_client, unique_name, service_role):
    client = boto3_client("codedeploy")
    app = unique_name("tag-app")
    client.create_application(applicationName=app)
    client.create_deployment_group(
        applicationName=app,
        deploymentGroupName="g",
        serviceRoleArn=service_role,
        tags=[{"Key": "created", "Value": "yes"}],
    )
    app_arn, group_arn = f"{ARN}:application:{app}", f"{ARN}:deploymentgroup:{app}/g"

    client.tag_resource(ResourceArn=app_arn, Tags=[{"Key": "env", "Value": "dev"}, {"Key": "team", "Value": "x"}])
    client.tag_resource(ResourceArn=app_arn, Tags=[{"Key": "env", "Value": "prod"}])
    assert client.list_tags_for_resource(ResourceArn=app_arn)["Tags"] == [
        {"Key": "env", "Value": "prod"},
        {"Key": "team", "Value": "x"},
    ]
    client.untag_resource(ResourceArn=app_arn, TagKeys=["team", "absent"])
    assert client.list_tags_for_resource(ResourceArn=app_arn)["Tags"] == [{"Key": "env", "Value": "prod"}]
    assert client.list_tags_for_resource(ResourceArn=group_arn)["Tags"] == [{"Key": "created", "Value": "yes"}]

    # Tags follow a renamed application to its new ARN.
    client.update_application(applicationName=app, newApplicationName=f"{app}-2")
    assert client.list_tags_for_resource(ResourceArn=f"{app_arn}-2")["Tags"] == [{"Key": "env", "Value": "prod"}]


def test_tag_custom_deployment_config(boto3_client, unique_name, aws_error):
    client = boto3_client("codedeploy")
    name = unique_name("tag-cfg")
    client.create_deployment_config(deploymentConfigName=name, minimumHealthyHosts={"type": "HOST_COUNT", "value": 0})
    client.tag_resource(ResourceArn=f"{ARN}:deploymentconfig:{name}", Tags=[{"Key": "a", "Value": "1"}])
    assert client.list_tags_for_resource(ResourceArn=f"{ARN}:deploymentconfig:{name}")["Tags"] == [
        {"Key": "a", "Value": "1"}
    ]
    with aws_error("ArnNotSupportedException", "CodeDeployDefault.OneAtATime cannot be tagged"):
        client.tag_resource(
            ResourceArn=f"{ARN}:deploymentconfig:CodeDeployDefault.OneAtATime", Tags=[{"Key": "a", "Value": "1"}]
        )


@pytest.mark.parametrize(
    ("arn", "code", "message"),
    [
        ("not-an-arn", "InvalidArnException", "The ARN not-an-arn is not a valid ARN"),
        ("arn:aws:s3:::bucket:x:y", "ArnNotSupportedException", "is not supported"),
        (f"{ARN}:instance/onprem-1", "ArnNotSupportedException", "only CodeDeploy applications"),
        (f"{ARN}:deployment:d-AAAAAAAAA", "ArnNotSupportedException", "only CodeDeploy applications"),
        (
            f"{ARN}:application:ghost-app",
            "ApplicationDoesNotExistException",
            "No application found for name: ghost-app",
        ),
        (
            f"{ARN}:deploymentconfig:ghost-config",
            "DeploymentConfigDoesNotExistException",
            "No deployment configuration found for name: ghost-config",
        ),
    ],
)
def test_tag_errors(boto3_client, aws_error, arn, code, message):
    with aws_error(code, message):
        boto3_client("codedeploy").tag_resource(ResourceArn=arn, Tags=[{"Key": "a", "Value": "b"}])


def test_tag_required_and_group_missing(boto3_client, unique_name, aws_error):
    client = boto3_client("codedeploy")
    app = unique_name("tag-req")
    client.create_application(applicationName=app)
    with aws_error("TagRequiredException", "At least one tag is required"):
        client.tag_resource(ResourceArn=f"{ARN}:application:{app}", Tags=[])
    with aws_error("TagRequiredException", "At least one tag key is required"):
        client.untag_resource(ResourceArn=f"{ARN}:application:{app}", TagKeys=[])
    with aws_error("DeploymentGroupDoesNotExistException", "No Deployment Group found for name: nope"):
        client.list_tags_for_resource(ResourceArn=f"{ARN}:deploymentgroup:{app}/nope")
    with aws_error("InvalidTagsToAddException", "Too many tags: 51"):
        client.tag_resource(
            ResourceArn=f"{ARN}:application:{app}", Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(51)]
        )
