# -*- coding: utf-8 -*-

# Copyright: Contributors to the rollout.codedeploy project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from unittest.mock import MagicMock

import pytest
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.common import codedeploy_retry
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.common import with_permissions_pointer
from botocore import exceptions as botocore_exceptions


def error(code: str) -> Exception:
    return botocore_exceptions.ClientError({"Error": {"Code": code, "Message": code}}, "Operation")


@pytest.fixture
def no_sleep(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("time.sleep", lambda seconds: None)


@pytest.mark.parametrize(
    "code",
    ["ThrottlingException", "SlowDown", "Throttling", "RequestLimitExceeded"],
    ids=["CodeDeploy", "S3", "Auto Scaling", "EC2"],
)
def test_the_one_policy_retries_every_service_s_throttling(no_sleep, code):
    call = MagicMock(side_effect=[error(code), error(code), "answer"])
    assert codedeploy_retry(call)() == "answer"
    assert call.call_count == 3


def test_the_one_policy_does_not_retry_other_errors(no_sleep):
    call = MagicMock(side_effect=error("AccessDenied"))
    with pytest.raises(botocore_exceptions.ClientError):
        codedeploy_retry(call)()
    assert call.call_count == 1


# What fail_json_aws hands fail_json for a refused call: msg (ours, then AWS's message) and the response in snake case.
CREATE_DENIED = {
    "msg": (
        "Failed to create deployment: An error occurred (AccessDeniedException) when calling the CreateDeployment "
        "operation: User: arn:aws:iam::123456789012:user/deployer is not authorized to perform: "
        "codedeploy:CreateDeployment on resource: arn:aws:codedeploy:us-east-1:123456789012:deploymentgroup:app/web"
    ),
    "error": {"code": "AccessDeniedException", "message": "User: ..."},
    "response_metadata": {"request_id": "r-1", "http_status_code": 400},
    "exception": "Traceback ...",
}


@pytest.mark.parametrize("module_name", ["codedeploy_deployment", "rollout.codedeploy.codedeploy_deployment"])
def test_a_refused_call_keeps_aws_message_and_points_to_the_module_s_permissions(module_name):
    failure = with_permissions_pointer(CREATE_DENIED, module_name)
    assert failure["msg"].startswith(CREATE_DENIED["msg"] + ". ")
    assert (
        "codedeploy:CreateDeployment on resource: arn:aws:codedeploy:us-east-1:123456789012:deploymentgroup:app/web"
        in failure["msg"]
    )
    assert failure["msg"].endswith(
        "The IAM actions rollout.codedeploy.codedeploy_deployment needs are listed under NOTES in "
        "`ansible-doc rollout.codedeploy.codedeploy_deployment`, and with those of every module and role in "
        "docs/iam-permissions.md."
    )
    assert {key: value for key, value in failure.items() if key != "msg"} == {
        key: value for key, value in CREATE_DENIED.items() if key != "msg"
    }


@pytest.mark.parametrize("code", ["AccessDenied", "UnauthorizedOperation"], ids=["STS, IAM, S3", "EC2"])
def test_every_service_s_refusal_gets_the_pointer(code):
    failure = with_permissions_pointer({"msg": "Failed to x: denied.", "error": {"code": code}}, "codedeploy_revision")
    assert failure["msg"] == (
        "Failed to x: denied. The IAM actions rollout.codedeploy.codedeploy_revision needs are listed under NOTES in "
        "`ansible-doc rollout.codedeploy.codedeploy_revision`, and with those of every module and role in "
        "docs/iam-permissions.md."
    )


def test_a_refused_head_object_says_which_actions_it_needs():
    # S3 answers a HEAD request without a body: botocore names the error by its status, and nothing names the action.
    msg = (
        "Failed to read the S3 object of the revision (s3://bundles/app.zip): An error occurred (403) when calling "
        "the HeadObject operation: Forbidden"
    )
    failure = with_permissions_pointer(
        {"msg": msg, "error": {"code": "403", "message": "Forbidden"}}, "codedeploy_revision"
    )
    assert failure["msg"].startswith(msg + ". S3 does not say which permission a HEAD request lacks: ")
    assert "HeadObject needs s3:GetObject on the object (s3:GetObjectVersion for a given version)" in failure["msg"]
    assert "unless the caller also has s3:ListBucket on the bucket." in failure["msg"]
    assert failure["msg"].endswith("docs/iam-permissions.md.")


@pytest.mark.parametrize(
    "failure",
    [
        {"msg": "Failed to get deployment group: ...", "error": {"code": "ThrottlingException"}},
        {"msg": "application_name: 'a b' is not a valid CodeDeploy name."},
        {"msg": "Failed: ...", "error": "not a response"},
        {"error": {"code": "AccessDenied"}},
    ],
    ids=["another AWS error", "no AWS error", "an error key of another shape", "no message"],
)
def test_other_failures_are_left_alone(failure):
    assert with_permissions_pointer(failure, "codedeploy_application") is failure
