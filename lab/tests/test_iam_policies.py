"""The IAM room's rules without a lab: operation -> IAM action (S3's table), policy evaluation, conditions."""

from __future__ import annotations

import json
import typing as t

import pytest

from codedeploy_lab.iam.actions import iam_action
from codedeploy_lab.iam.actions import s3_call
from codedeploy_lab.iam.policies import Decision
from codedeploy_lab.iam.policies import condition_holds
from codedeploy_lab.iam.policies import decide
from codedeploy_lab.iam.resources import codedeploy_passed_roles
from codedeploy_lab.iam.resources import codedeploy_resources

GROUP_ARN = "arn:aws:codedeploy:us-east-1:123456789012:deploymentgroup:web/prod"


@pytest.mark.parametrize(
    ("method", "path", "query", "operation", "action", "resource"),
    [
        ("HEAD", "/b/k.zip", {}, "HeadObject", "s3:GetObject", "arn:aws:s3:::b/k.zip"),
        ("GET", "/b/k.zip", {"versionId": ["1"]}, "GetObject", "s3:GetObjectVersion", "arn:aws:s3:::b/k.zip"),
        ("GET", "/b", {"list-type": ["2"], "prefix": ["a/"]}, "ListObjectsV2", "s3:ListBucket", "arn:aws:s3:::b"),
        ("HEAD", "/b", {}, "HeadBucket", "s3:ListBucket", "arn:aws:s3:::b"),
        (
            "GET",
            "/b",
            {"ownershipControls": [""]},
            "GetBucketOwnershipControls",
            "s3:GetBucketOwnershipControls",
            "arn:aws:s3:::b",
        ),
        ("GET", "/b", {"encryption": [""]}, "GetBucketEncryption", "s3:GetEncryptionConfiguration", "arn:aws:s3:::b"),
        ("DELETE", "/b", {"tagging": [""]}, "DeleteBucketTagging", "s3:PutBucketTagging", "arn:aws:s3:::b"),
        ("GET", "/b/k", {"attributes": [""]}, "GetObjectAttributes", "s3:GetObjectAttributes", "arn:aws:s3:::b/k"),
        ("POST", "/b/k", {"uploads": [""]}, "CreateMultipartUpload", "s3:PutObject", "arn:aws:s3:::b/k"),
        ("PUT", "/b/k", {"uploadId": ["u"], "partNumber": ["1"]}, "UploadPart", "s3:PutObject", "arn:aws:s3:::b/k"),
        (
            "GET",
            "/b",
            {"inventory": [""]},
            "ListBucketInventoryConfigurations",
            "s3:GetInventoryConfiguration",
            "arn:aws:s3:::b",
        ),
        ("GET", "/", {}, "ListBuckets", "s3:ListAllMyBuckets", "*"),
    ],
)
def test_s3_requests_map_to_their_operation_and_iam_action(
    method: str, path: str, query: dict[str, list[str]], operation: str, action: str, resource: str
) -> None:
    call = s3_call(method, "127.0.0.1:4566", path, query, copy_source=False)
    assert (call.operation, call.action, call.resource) == (operation, action, resource)


def test_virtual_hosted_s3_names_the_bucket_by_its_host() -> None:
    call = s3_call("GET", "bundles.localhost:4566", "/app/b.zip", {}, copy_source=False)
    assert (call.bucket, call.key, call.action) == ("bundles", "app/b.zip", "s3:GetObject")


def test_other_services_use_their_iam_prefix() -> None:
    assert iam_action("elbv2", "DescribeTargetGroups") == "elasticloadbalancing:DescribeTargetGroups"
    assert iam_action("codedeploy", "CreateDeployment") == "codedeploy:CreateDeployment"


def test_codedeploy_resources_follow_the_permissions_reference() -> None:
    def group_of(deployment_id: str) -> tuple[str, str] | None:
        return ("web", "prod") if deployment_id == "d-1" else None

    assert codedeploy_resources(
        "CreateDeployment", {"applicationName": "web", "deploymentGroupName": "prod"}, "us-east-1", group_of
    ) == [GROUP_ARN]
    assert codedeploy_resources("GetDeployment", {"deploymentId": "d-1"}, "us-east-1", group_of) == [GROUP_ARN]
    assert codedeploy_resources(
        "UpdateDeploymentGroup", {"applicationName": "web", "currentDeploymentGroupName": "prod"}, "us-east-1", group_of
    ) == [GROUP_ARN]
    assert codedeploy_resources(
        "GetDeploymentConfig", {"deploymentConfigName": "CodeDeployDefault.OneAtATime"}, "us-east-1", group_of
    ) == ["arn:aws:codedeploy:us-east-1:123456789012:deploymentconfig:CodeDeployDefault.OneAtATime"]
    assert codedeploy_resources("ListApplications", {}, "us-east-1", group_of) == ["*"]
    assert [r.service for r in codedeploy_passed_roles("CreateDeploymentGroup", {"serviceRoleArn": "arn:r"})] == [
        "codedeploy.amazonaws.com"
    ]


def policy(*statements: dict[str, t.Any]) -> str:

    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


@pytest.mark.parametrize(
    ("statement", "action", "resource", "decision"),
    [
        (
            {"Effect": "Allow", "Action": "codedeploy:*", "Resource": "*"},
            "codedeploy:GetDeployment",
            GROUP_ARN,
            Decision.ALLOWED,
        ),
        (
            {
                "Effect": "Allow",
                "Action": "codedeploy:Get*",
                "Resource": "arn:aws:codedeploy:*:*:deploymentgroup:web/*",
            },
            "codedeploy:GetDeployment",
            GROUP_ARN,
            Decision.ALLOWED,
        ),
        (
            {
                "Effect": "Allow",
                "Action": "codedeploy:Get*",
                "Resource": "arn:aws:codedeploy:*:*:deploymentgroup:api/*",
            },
            "codedeploy:GetDeployment",
            GROUP_ARN,
            Decision.IMPLICIT_DENY,
        ),
        (
            {"Effect": "Allow", "NotAction": "codedeploy:*", "Resource": "*"},
            "codedeploy:GetDeployment",
            GROUP_ARN,
            Decision.IMPLICIT_DENY,
        ),
        (
            {"Effect": "Allow", "Action": "*", "NotResource": GROUP_ARN},
            "codedeploy:GetDeployment",
            GROUP_ARN,
            Decision.IMPLICIT_DENY,
        ),
        (
            {"Effect": "Deny", "NotAction": "iam:*", "Resource": "*"},
            "codedeploy:GetDeployment",
            GROUP_ARN,
            Decision.EXPLICIT_DENY,
        ),
        (
            {"Effect": "Allow", "Action": "CODEDEPLOY:getdeployment", "Resource": "*"},
            "codedeploy:GetDeployment",
            GROUP_ARN,
            Decision.ALLOWED,
        ),
        (
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b.c/*"},
            "s3:GetObject",
            "arn:aws:s3:::bxc/k",
            Decision.IMPLICIT_DENY,
        ),
    ],
)
def test_statements_decide_as_aws_does(
    statement: dict[str, t.Any], action: str, resource: str, decision: Decision
) -> None:
    assert decide([policy(statement)], action, resource, {}) is decision


def test_a_deny_in_any_policy_wins_over_an_allow_in_another() -> None:
    allow_all = policy({"Effect": "Allow", "Action": "*", "Resource": "*"})
    deny_one = policy({"Effect": "Deny", "Action": "codedeploy:CreateDeployment", "Resource": GROUP_ARN})
    assert decide([allow_all, deny_one], "codedeploy:CreateDeployment", GROUP_ARN, {}) is Decision.EXPLICIT_DENY
    assert decide([allow_all, deny_one], "codedeploy:GetDeployment", GROUP_ARN, {}) is Decision.ALLOWED


@pytest.mark.parametrize(
    ("operator", "key", "expected", "context", "holds"),
    [
        (
            "StringEquals",
            "iam:PassedToService",
            "codedeploy.amazonaws.com",
            {"iam:PassedToService": "codedeploy.amazonaws.com"},
            True,
        ),
        (
            "StringEquals",
            "iam:PassedToService",
            "codedeploy.amazonaws.com",
            {"iam:PassedToService": "ec2.amazonaws.com"},
            False,
        ),
        ("StringEquals", "iam:PassedToService", "codedeploy.amazonaws.com", {}, False),
        ("StringEqualsIfExists", "iam:PassedToService", "codedeploy.amazonaws.com", {}, True),
        ("StringLike", "aws:username", "deploy-*", {"aws:username": "deploy-ci"}, True),
        ("StringNotEquals", "aws:RequestedRegion", ["eu-west-1"], {"aws:requestedregion": "us-east-1"}, True),
        (
            "ArnLike",
            "aws:PrincipalArn",
            "arn:aws:iam::*:user/ci-*",
            {"aws:PrincipalArn": "arn:aws:iam::1:user/ci-x"},
            True,
        ),
        ("Bool", "aws:SecureTransport", "true", {"aws:SecureTransport": "false"}, False),
        ("Null", "aws:username", "true", {}, True),
        ("ForAnyValue:StringEquals", "aws:username", ["a", "b"], {"aws:username": "b"}, True),
        ("NumericLessThan", "aws:username", "3", {"aws:username": "1"}, False),  # not evaluated: never matches
    ],
)
def test_conditions(operator: str, key: str, expected: t.Any, context: dict[str, str], holds: bool) -> None:
    assert condition_holds(operator, key, expected, context) is holds
