# -*- coding: utf-8 -*-

# Copyright: Contributors to the rollout.codedeploy project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The result of a large deployment: target conversion gives what camel_dict_to_snake_dict gives."""

from __future__ import annotations

import datetime

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict
from ansible_collections.amazon.aws.plugins.module_utils.botocore import normalize_boto3_result
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.following import deployment_to_ansible
from ansible_collections.rollout.codedeploy.plugins.module_utils._codedeploy.following import target_to_ansible

START = datetime.datetime(2026, 11, 27, 12, 0, 0, tzinfo=datetime.UTC)
EVENTS = [
    "ApplicationStop",
    "DownloadBundle",
    "BeforeInstall",
    "Install",
    "AfterInstall",
    "ApplicationStart",
    "ValidateService",
]


def instance_target(number: int) -> dict:
    events = []
    for index, name in enumerate(EVENTS):
        events.append(
            {
                "lifecycleEventName": name,
                "status": "Succeeded",
                "startTime": START + datetime.timedelta(seconds=index),
                "endTime": START + datetime.timedelta(seconds=index + 1),
                "diagnostics": {"errorCode": "Success", "scriptName": "", "message": "", "logTail": ""},
            }
        )
    return {
        "deploymentId": "d-LARGE0001",
        "targetId": f"i-{number:017x}",
        "targetArn": f"arn:aws:ec2:us-east-1:123456789012:instance/i-{number:017x}",
        "status": "Succeeded",
        "lastUpdatedAt": START + datetime.timedelta(seconds=7),
        "lifecycleEvents": events,
        "instanceLabel": "Blue",
        "nestedList": [[{"innerKey": 1}], {"HTTPEndpoint": "x"}],
    }


def test_a_target_converts_as_camel_dict_to_snake_dict_does():
    target = instance_target(1)
    converted = target_to_ansible(target)
    expected = camel_dict_to_snake_dict(normalize_boto3_result(target))
    for event in expected["lifecycle_events"]:
        event["duration"] = 1.0
    assert converted == expected
    assert converted["nested_list"] == [[{"inner_key": 1}], {"http_endpoint": "x"}]


def test_a_500_instance_result_keeps_every_target_and_event():
    targets = [instance_target(number) for number in range(500)]
    result = deployment_to_ansible({"deploymentId": "d-LARGE0001", "status": "Succeeded"}, targets)
    assert [target["target_id"] for target in result["targets"]] == [target["targetId"] for target in targets]
    assert all(len(target["lifecycle_events"]) == len(EVENTS) for target in result["targets"])
    assert {event["duration"] for target in result["targets"] for event in target["lifecycle_events"]} == {1.0}
