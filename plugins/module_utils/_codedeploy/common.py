# -*- coding: utf-8 -*-

# Copyright: Contributors to the rollout.codedeploy project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

# This package is private to rollout.codedeploy: import from module_utils/codedeploy.py (AWS) or
# module_utils/bundles.py (bundles and AppSpec files, no AWS) instead.

from __future__ import annotations

import typing as t

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

if t.TYPE_CHECKING:
    from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
    from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper

# CodeDeploy answers "not found" with one exception per resource type.
MISSING_ERROR_CODES = [
    "ApplicationDoesNotExistException",
    "DeploymentGroupDoesNotExistException",
    "DeploymentConfigDoesNotExistException",
    "DeploymentDoesNotExistException",
    "RevisionDoesNotExistException",
    "DeploymentTargetDoesNotExistException",
    "InstanceDoesNotExistException",
]


# The collection's one retry policy, for every wrapper and every client (CodeDeploy, S3, EC2, Auto Scaling): amazon.aws's
# AWSRetry knows EC2's and Auto Scaling's throttling codes but neither CodeDeploy's ThrottlingException nor S3's SlowDown,
# and botocore gives up after a few attempts, so those two are named here and retried with jittered backoff.
THROTTLING_ERROR_CODES = ["ThrottlingException", "SlowDown"]
codedeploy_retry = AWSRetry.jittered_backoff(catch_extra_error_codes=THROTTLING_ERROR_CODES)


# How AWS refuses a call the caller's policies do not allow: CodeDeploy and the other JSON services answer
# AccessDeniedException, STS, IAM, Auto Scaling and S3 AccessDenied, EC2 UnauthorizedOperation; S3 answers a HEAD
# request (HeadObject) with a bare 403 and no body, which botocore names by its status.
ACCESS_DENIED_ERROR_CODES = ("AccessDeniedException", "AccessDenied", "UnauthorizedOperation", "403", "Forbidden")
# Where every module's and role's IAM actions are listed together.
IAM_PERMISSIONS_PAGE = "docs/iam-permissions.md"


class AnsibleCodeDeployError(AnsibleAWSError):
    pass


class CodeDeployErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleCodeDeployError

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code(MISSING_ERROR_CODES)


def client(module: AnsibleAWSModule, service: str) -> RetryingBotoClientWrapper:
    """A client of service ("codedeploy", "s3", "ec2", "autoscaling") whose calls made with aws_retry=True retry
    with codedeploy_retry."""
    return module.client(service, retry_decorator=codedeploy_retry)


def with_permissions_pointer(failure: dict[str, t.Any], module_name: str) -> dict[str, t.Any]:
    """fail_json's arguments, with the message of a call AWS refused for lack of permission followed by where the
    module's IAM actions are listed.

    AWS's own message, which fail_json_aws put in msg, names the action, the resource and the caller ("User: arn:...
    is not authorized to perform: codedeploy:CreateDeployment on resource: arn:..."), except for a refused HEAD
    request, which S3 answers without a word: then msg says which actions HeadObject needs. failure is returned as it
    is for any other failure (the error's code is failure["error"]["code"], where fail_json_aws puts it).
    """
    error = failure.get("error")
    code = error.get("code") if isinstance(error, dict) else None
    if code not in ACCESS_DENIED_ERROR_CODES or not failure.get("msg"):
        return failure
    name = f"rollout.codedeploy.{module_name.rsplit('.', 1)[-1]}"
    message = str(failure["msg"]).rstrip()
    sentences = [message if message.endswith(".") else f"{message}."]
    if code in ("403", "Forbidden") and "HeadObject" in message:
        sentences.append(
            "S3 does not say which permission a HEAD request lacks: HeadObject needs s3:GetObject on the object "
            "(s3:GetObjectVersion for a given version), and S3 answers 403 instead of 404 for a missing object "
            "unless the caller also has s3:ListBucket on the bucket."
        )
    sentences.append(
        f"The IAM actions {name} needs are listed under NOTES in `ansible-doc {name}`, and with those of every "
        f"module and role in {IAM_PERMISSIONS_PAGE}."
    )
    return {**failure, "msg": " ".join(sentences)}
