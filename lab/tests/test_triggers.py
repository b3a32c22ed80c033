"""Deployment group triggers: deployment and instance events reach an SNS topic, read back through SQS with boto3.

One lab host behind an ordinary tag filter; the group has two triggers on one topic: ``everything`` (every event
type an in-place deployment sends) and ``failures`` (DeploymentFailure only), so the messages show both the shapes
and the filtering by triggerEvents.
"""

from __future__ import annotations

import json
import re
import typing as t

import pytest

from codedeploy_lab.deployments.testing import lifecycle_event_running
from codedeploy_lab.deployments.testing import run_web_instances
from codedeploy_lab.deployments.testing import terminate
from codedeploy_lab.deployments.testing import unique
from codedeploy_lab.deployments.testing import upload_revision
from codedeploy_lab.deployments.testing import wait_deployment
from codedeploy_lab.deployments.testing import wait_for
from codedeploy_lab.deployments.testing import wait_web_ready

EVERYTHING = [
    "DeploymentStart",
    "DeploymentSuccess",
    "DeploymentFailure",
    "DeploymentStop",
    "DeploymentRollback",
    "InstanceStart",
    "InstanceSuccess",
    "InstanceFailure",
]
JAVA_DATE = re.compile(r"^[A-Z][a-z]{2} [A-Z][a-z]{2} \d\d \d\d:\d\d:\d\d UTC \d{4}$")
EPOCH = re.compile(r"^\d{10}\.\d{3}$")


class Notified(t.NamedTuple):
    application: str
    group: str
    instance: str
    topic: str
    queue_url: str
    bucket: str


@pytest.fixture(scope="module")
def notified(lab, service_role) -> t.Iterator[Notified]:
    tag = unique("notified")
    instances = run_web_instances(lab.client, 1, {"Fleet": tag})
    sns, sqs = lab.client("sns"), lab.client("sqs")
    topic = sns.create_topic(Name=unique("deployments"))["TopicArn"]
    queue_url = sqs.create_queue(QueueName=unique("deployment-events"))["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    codedeploy = lab.client("codedeploy")
    application, group = unique("app"), unique("group")
    codedeploy.create_application(applicationName=application)
    codedeploy.create_deployment_group(
        applicationName=application,
        deploymentGroupName=group,
        serviceRoleArn=service_role,
        deploymentConfigName="CodeDeployDefault.AllAtOnce",
        ec2TagFilters=[{"Key": "Fleet", "Value": tag, "Type": "KEY_AND_VALUE"}],
        triggerConfigurations=[
            {"triggerName": "everything", "triggerTargetArn": topic, "triggerEvents": EVERYTHING},
            {"triggerName": "failures", "triggerTargetArn": topic, "triggerEvents": ["DeploymentFailure"]},
        ],
    )
    wait_web_ready(lab, instances)
    yield Notified(application, group, instances[0], topic, queue_url, unique("revisions"))
    terminate(lab.client, instances)


_RECEIVED: dict[str, list[dict[str, t.Any]]] = {}  # deployment id -> envelopes taken off the queue so far


def notifications(lab, queue_url: str, deployment_id: str, count: int) -> list[dict[str, t.Any]]:
    """The SNS envelopes on the queue that concern ``deployment_id``, once ``count`` of them arrived (envelopes of
    other deployments read meanwhile are kept for their own turn)."""
    sqs = lab.client("sqs")
    found = _RECEIVED.setdefault(deployment_id, [])

    def enough() -> bool:
        answer = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
        for raw in answer.get("Messages", []):
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=raw["ReceiptHandle"])
            envelope = json.loads(raw["Body"])
            envelope["Message"] = json.loads(envelope["Message"])
            _RECEIVED.setdefault(envelope["Message"]["deploymentId"], []).append(envelope)
        return len(found) >= count

    wait_for(enough, f"{count} notifications of {deployment_id}", timeout=30, interval=0.2)
    return found


def deploy(lab, fleet: Notified, version: str, **revision_options: t.Any) -> tuple[str, dict[str, t.Any]]:
    revision = upload_revision(lab.client, fleet.bucket, f"{version}.zip", version, **revision_options)
    deployment_id = lab.client("codedeploy").create_deployment(
        applicationName=fleet.application, deploymentGroupName=fleet.group, revision=revision
    )["deploymentId"]
    return deployment_id, wait_deployment(lab.client, deployment_id)


def by_subject_status(envelopes: list[dict[str, t.Any]]) -> dict[tuple[str, str], dict[str, t.Any]]:
    """``{(eventTriggerName, subject word): envelope}``"""
    return {(e["Message"]["eventTriggerName"], e["Subject"].split(":", 1)[0]): e for e in envelopes}


def check_instance_message(message: dict[str, t.Any], fleet: Notified, deployment_id: str, status: str) -> None:
    assert message["region"] == "us-east-1"
    assert re.fullmatch(r"\d{12}", message["accountId"])
    assert message["deploymentId"] == deployment_id
    assert message["instanceId"] == f"arn:aws:ec2:us-east-1:{message['accountId']}:instance/{fleet.instance}"
    assert message["instanceStatus"] == status
    assert EPOCH.match(message["lastUpdatedAt"]), message
    assert isinstance(message["lifecycleEvents"], str)  # a JSON string, as AWS sends it
    events = json.loads(message["lifecycleEvents"])
    assert [e["LifecycleEvent"] for e in events][:2] == ["ApplicationStop", "DownloadBundle"]
    assert all(set(e) <= {"LifecycleEvent", "LifecycleEventStatus", "StartTime", "EndTime"} for e in events)


def test_successful_deployment_notifies_start_instances_and_success(lab, notified: Notified) -> None:
    deployment_id, info = deploy(lab, notified, "v1")
    assert info["status"] == "Succeeded", info
    # DeploymentStart, InstanceStart, InstanceSuccess, DeploymentSuccess; "failures" stays silent.
    envelopes = notifications(lab, notified.queue_url, deployment_id, 4)
    messages = by_subject_status(envelopes)
    assert (
        set(messages) == {("everything", "CREATED"), ("everything", "IN_PROGRESS"), ("everything", "SUCCEEDED")}
        and len(envelopes) == 4
    ), [e["Subject"] for e in envelopes]
    region_app = f"AWS CodeDeploy {deployment_id} in us-east-1 to {notified.application}"
    assert all(e["Subject"].endswith(region_app) and e["TopicArn"] == notified.topic for e in envelopes)

    start = messages[("everything", "CREATED")]["Message"]
    assert start["status"] == "CREATED" and start["completeTime"] is None
    assert start["applicationName"] == notified.application and start["deploymentGroupName"] == notified.group
    assert JAVA_DATE.match(start["createTime"]), start
    assert "deploymentOverview" not in start and "errorInformation" not in start

    deployment_successes = [
        e["Message"]
        for e in envelopes
        if e["Subject"].startswith("SUCCEEDED") and "deploymentGroupName" in e["Message"]
    ]
    instance_successes = [
        e["Message"] for e in envelopes if e["Subject"].startswith("SUCCEEDED") and "instanceId" in e["Message"]
    ]
    assert len(deployment_successes) == len(instance_successes) == 1
    success = deployment_successes[0]
    assert success["status"] == "SUCCEEDED" and JAVA_DATE.match(success["completeTime"])
    assert json.loads(success["deploymentOverview"]) == {
        "Succeeded": 1,
        "Failed": 0,
        "Skipped": 0,
        "InProgress": 0,
        "Pending": 0,
    }
    assert "errorInformation" not in success
    check_instance_message(instance_successes[0], notified, deployment_id, "Succeeded")
    assert {e["LifecycleEventStatus"] for e in json.loads(instance_successes[0]["lifecycleEvents"])} == {"Succeeded"}
    check_instance_message(messages[("everything", "IN_PROGRESS")]["Message"], notified, deployment_id, "InProgress")


def test_failed_deployment_notifies_failure_with_error_information(lab, notified: Notified) -> None:
    deployment_id, info = deploy(
        lab, notified, "broken", hooks={"ValidateService": "#!/bin/bash\necho not serving >&2\nexit 3\n"}
    )
    assert info["status"] == "Failed", info
    # DeploymentStart, InstanceStart, InstanceFailure, DeploymentFailure twice (both triggers name it).
    envelopes = notifications(lab, notified.queue_url, deployment_id, 5)
    messages = by_subject_status(envelopes)
    assert set(messages) == {
        ("everything", "CREATED"),
        ("everything", "IN_PROGRESS"),
        ("everything", "FAILED"),
        ("failures", "FAILED"),
    }, [e["Subject"] for e in envelopes]

    failures = [
        e["Message"] for e in envelopes if "deploymentGroupName" in e["Message"] and e["Message"]["status"] == "FAILED"
    ]
    assert {m["eventTriggerName"] for m in failures} == {"everything", "failures"}
    for message in failures:
        assert json.loads(message["deploymentOverview"])["Failed"] == 1
        error = json.loads(message["errorInformation"])
        assert error["ErrorCode"] == info["errorInformation"]["code"]
        assert error["ErrorMessage"] == info["errorInformation"]["message"]
        assert message["rollbackInformation"] == "{}"

    instance_failure = next(
        e["Message"] for e in envelopes if "instanceId" in e["Message"] and e["Message"]["instanceStatus"] == "Failed"
    )
    check_instance_message(instance_failure, notified, deployment_id, "Failed")
    statuses = {e["LifecycleEvent"]: e["LifecycleEventStatus"] for e in json.loads(instance_failure["lifecycleEvents"])}
    assert statuses["ValidateService"] == "Failed" and statuses["ApplicationStart"] == "Succeeded", statuses


def test_a_missing_topic_does_not_break_the_deployment(lab, notified: Notified, service_role) -> None:
    codedeploy, sns = lab.client("codedeploy"), lab.client("sns")
    group = unique("group")
    doomed = sns.create_topic(Name=unique("doomed"))["TopicArn"]
    codedeploy.create_deployment_group(
        applicationName=notified.application,
        deploymentGroupName=group,
        serviceRoleArn=service_role,
        deploymentConfigName="CodeDeployDefault.AllAtOnce",
        ec2TagFilters=[{"Key": "Name", "Value": unique("nobody"), "Type": "KEY_AND_VALUE"}],
        triggerConfigurations=[{"triggerName": "gone", "triggerEvents": EVERYTHING, "triggerTargetArn": doomed}],
    )
    sns.delete_topic(TopicArn=doomed)  # deleted after the group was made: publishing fails, the deployment goes on
    revision = upload_revision(lab.client, notified.bucket, "gone.zip", "gone")
    deployment_id = codedeploy.create_deployment(
        applicationName=notified.application, deploymentGroupName=group, revision=revision
    )["deploymentId"]
    info = wait_deployment(lab.client, deployment_id)
    # No instance matches: the deployment ends as it would without triggers (NO_INSTANCES), not INTERNAL_ERROR.
    assert info["status"] == "Failed" and info["errorInformation"]["code"] == "NO_INSTANCES", info


def test_a_stop_with_rollback_notifies_stopped_rollback_and_the_rollback_deployment(lab, notified: Notified) -> None:
    codedeploy = lab.client("codedeploy")
    good_id, good = deploy(lab, notified, "good")  # the revision the rollback goes back to
    assert good["status"] == "Succeeded", good
    notifications(lab, notified.queue_url, good_id, 4)

    revision = upload_revision(
        lab.client, notified.bucket, "slow.zip", "slow", hooks={"BeforeInstall": "#!/bin/bash\nsleep 2\n"}
    )
    deployment_id = codedeploy.create_deployment(
        applicationName=notified.application, deploymentGroupName=notified.group, revision=revision
    )["deploymentId"]
    wait_for(
        lifecycle_event_running(lab.client, deployment_id, notified.instance, "BeforeInstall"),
        "BeforeInstall to run",
        timeout=60,
        interval=0.05,
    )
    codedeploy.stop_deployment(deploymentId=deployment_id, autoRollbackEnabled=True)
    info = wait_deployment(lab.client, deployment_id)
    assert info["status"] == "Stopped", info
    rollback_id = info["rollbackInfo"]["rollbackDeploymentId"]

    # DeploymentStart, InstanceStart, InstanceFailure (its last events were skipped), DeploymentStop, DeploymentRollback
    envelopes = notifications(lab, notified.queue_url, deployment_id, 5)
    words = sorted(e["Subject"].split(":", 1)[0] for e in envelopes if "deploymentGroupName" in e["Message"])
    assert words == ["CREATED", "ROLLBACK", "STOPPED"], [e["Subject"] for e in envelopes]
    stopped = next(e["Message"] for e in envelopes if e["Subject"].startswith("STOPPED"))
    assert stopped["status"] == "STOPPED"
    assert json.loads(stopped["errorInformation"])["ErrorCode"] == info["errorInformation"]["code"]
    rolled = next(e["Message"] for e in envelopes if e["Subject"].startswith("ROLLBACK"))
    assert json.loads(rolled["rollbackInformation"])["RollbackDeploymentId"] == rollback_id

    assert wait_deployment(lab.client, rollback_id)["status"] == "Succeeded"
    rollback_messages = notifications(lab, notified.queue_url, rollback_id, 4)
    success = next(
        e["Message"]
        for e in rollback_messages
        if e["Subject"].startswith("SUCCEEDED") and "deploymentGroupName" in e["Message"]
    )
    assert json.loads(success["rollbackInformation"])["RollbackTriggeringDeploymentId"] == deployment_id
