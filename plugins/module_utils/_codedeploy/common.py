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


def codedeploy_client(module: AnsibleAWSModule) -> RetryingBotoClientWrapper:
    return client(module, "codedeploy")
