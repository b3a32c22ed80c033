# -*- coding: utf-8 -*-

# Copyright: Contributors to the rollout.codedeploy project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import threading
import time
from unittest.mock import MagicMock

import pytest
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy import deployments
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.common import AnsibleCodeDeployError
from botocore import exceptions as botocore_exceptions


def client_error(code: str) -> Exception:
    return botocore_exceptions.ClientError({"Error": {"Code": code, "Message": code}}, "GetDeployment")


@pytest.fixture
def no_sleep(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("time.sleep", lambda seconds: None)


def test_codedeploy_throttling_is_retried(no_sleep):
    # CodeDeploy says ThrottlingException, which amazon.aws's AWSRetry does not retry on its own.
    client = MagicMock()
    throttled = client_error("ThrottlingException")
    client.get_deployment.side_effect = [throttled, throttled, {"deploymentInfo": {"status": "InProgress"}}]
    assert deployments.get_deployment(client, "d-X") == {"status": "InProgress"}
    assert client.get_deployment.call_count == 3


def test_missing_deployment_is_none(no_sleep):
    client = MagicMock()
    client.get_deployment.side_effect = client_error("DeploymentDoesNotExistException")
    assert deployments.get_deployment(client, "d-X") is None
    assert client.get_deployment.call_count == 1


def test_other_errors_fail_naming_the_call(no_sleep):
    client = MagicMock()
    client.create_deployment.side_effect = client_error("DeploymentLimitExceededException")
    with pytest.raises(AnsibleCodeDeployError) as error:
        deployments.create_deployment(client, {"applicationName": "app"})
    assert error.value.message == "Failed to create deployment"
    assert client.create_deployment.call_count == 1


def test_batches_of_25_newest_first():
    client = MagicMock()
    client.batch_get_deployments.side_effect = lambda deploymentIds: {
        "deploymentsInfo": [{"deploymentId": i, "createTime": int(i[2:])} for i in deploymentIds]
    }
    found = deployments.get_deployments(client, [f"d-{n}" for n in range(60)])
    assert [len(call.kwargs["deploymentIds"]) for call in client.batch_get_deployments.call_args_list] == [25, 25, 10]
    assert found[0]["deploymentId"] == "d-59" and found[-1]["deploymentId"] == "d-0"


@pytest.mark.parametrize(
    "tag_filter, ec2_filter",
    [
        ({"Key": "app", "Value": "web", "Type": "KEY_AND_VALUE"}, {"Name": "tag:app", "Values": ["web"]}),
        ({"Key": "app", "Type": "KEY_ONLY"}, {"Name": "tag-key", "Values": ["app"]}),
        ({"Value": "web", "Type": "VALUE_ONLY"}, {"Name": "tag-value", "Values": ["web"]}),
    ],
)
def test_tag_filters_as_ec2_filters(tag_filter, ec2_filter):
    assert deployments.ec2_filter_from_tag_filter(tag_filter) == ec2_filter


class SlowFirstBatches:
    """BatchGetDeploymentTargets answering its first calls last, so batches asked at once come back out of order."""

    def __init__(self) -> None:
        self.asked: list[list[str]] = []
        self.lock = threading.Lock()

    def batch_get_deployment_targets(self, deploymentId: str, targetIds: list[str]) -> dict:
        with self.lock:
            self.asked.append(targetIds)
            position = len(self.asked)
        time.sleep(0.05 / position)
        return {"deploymentTargets": [{"instanceTarget": {"targetId": target_id}} for target_id in targetIds]}


def test_all_targets_of_a_large_deployment_come_back_in_the_order_asked_each_id_once():
    client = SlowFirstBatches()
    target_ids = [f"i-{number:04d}" for number in range(110)]
    targets = deployments.get_targets(client, "d-X", target_ids)
    assert [target["targetId"] for target in targets] == target_ids
    assert sorted(len(batch) for batch in client.asked) == [10, 25, 25, 25, 25]
