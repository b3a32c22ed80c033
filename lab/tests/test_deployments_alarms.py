"""CloudWatch alarms polled during a deployment (codedeploy-semantics.md 4.4), set with boto3 against the lab's
CloudWatch exactly as a test on AWS would."""

from __future__ import annotations

import typing as t

import pytest
from test_deployments_rollback import SLOW
from test_deployments_rollback import Fleet
from test_deployments_rollback import assert_rolled_back
from test_deployments_rollback import deploy
from test_deployments_rollback import info_of
from test_deployments_rollback import make_group
from test_deployments_rollback import start

from codedeploy_lab.deployments.testing import failures
from codedeploy_lab.deployments.testing import lifecycle_event_running
from codedeploy_lab.deployments.testing import run_web_instances
from codedeploy_lab.deployments.testing import targets_of
from codedeploy_lab.deployments.testing import terminate
from codedeploy_lab.deployments.testing import unique
from codedeploy_lab.deployments.testing import wait_deployment
from codedeploy_lab.deployments.testing import wait_for
from codedeploy_lab.deployments.testing import wait_web_ready


@pytest.fixture(scope="module")
def bucket() -> str:
    return unique("alarm-revisions")


@pytest.fixture(scope="module")
def fleet(lab) -> t.Iterator[Fleet]:
    tag = unique("alarm-fleet")
    instances = run_web_instances(lab.client, 2, {"Fleet": tag})
    try:
        wait_web_ready(lab, instances)
        yield Fleet(tag, instances)
    finally:
        terminate(lab.client, instances)


def make_alarm(lab) -> str:
    name = unique("errors-high")
    lab.client("cloudwatch").put_metric_alarm(
        AlarmName=name,
        MetricName="5XXError",
        Namespace="Lab/Web",
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=1.0,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
    )
    return name


def alarm_configuration(name: str, ignore_poll_failure: bool = False) -> dict[str, t.Any]:
    return {"enabled": True, "ignorePollAlarmFailure": ignore_poll_failure, "alarms": [{"name": name}]}


def test_an_alarm_raised_mid_deployment_stops_it_and_rolls_back(lab, fleet, service_role, bucket):
    alarm = make_alarm(lab)
    group = make_group(
        lab,
        service_role,
        fleet.tag,
        alarmConfiguration=alarm_configuration(alarm),
        autoRollbackConfiguration={"enabled": True, "events": ["DEPLOYMENT_STOP_ON_ALARM"]},
    )
    good_id, good = deploy(lab, group, bucket, "good")  # the alarm is OK (moto's initial state)
    assert good["status"] == "Succeeded", failures(lab.client, good_id)
    cloudwatch = lab.client("cloudwatch")
    deployment_id = start(lab, group, bucket, "bad", hooks={"AfterInstall": SLOW})
    wait_for(
        lifecycle_event_running(lab.client, deployment_id, fleet.instances[0], "AfterInstall"), "AfterInstall to run"
    )

    cloudwatch.set_alarm_state(AlarmName=alarm, StateValue="ALARM", StateReason="5XX errors after the rollout")
    try:
        stopped = wait_deployment(lab.client, deployment_id)
        assert stopped["status"] == "Stopped"
        assert stopped["errorInformation"]["code"] == "ALARM_ACTIVE"
        assert alarm in stopped["errorInformation"]["message"]
        statuses = {
            e["lifecycleEventName"]: e["status"]
            for e in targets_of(lab.client, deployment_id)[fleet.instances[0]]["lifecycleEvents"]
        }
        # A stop, an alarm's included, ends the hook that runs (see Security in lab/README.md).
        assert statuses["AfterInstall"] == "Failed" and statuses["ApplicationStart"] == "Skipped"
        # The rollback is not stopped by the alarm that is still ringing (a lab choice, see alarms.py).
        assert_rolled_back(lab, deployment_id, good_id, fleet.instances, "good")
    finally:
        cloudwatch.set_alarm_state(AlarmName=alarm, StateValue="OK", StateReason="quiet again")


def test_an_alarm_in_alarm_without_the_rollback_event_only_stops(lab, fleet, service_role, bucket):
    """The group rolls back on failures only: the alarm's stop leaves the hosts as they are."""
    alarm = make_alarm(lab)
    group = make_group(
        lab,
        service_role,
        fleet.tag,
        alarmConfiguration=alarm_configuration(alarm),
        autoRollbackConfiguration={"enabled": True, "events": ["DEPLOYMENT_FAILURE"]},
    )
    good_id, good = deploy(lab, group, bucket, "good")
    assert good["status"] == "Succeeded", failures(lab.client, good_id)
    lab.client("cloudwatch").set_alarm_state(AlarmName=alarm, StateValue="ALARM", StateReason="already ringing")

    stopped_id, stopped = deploy(lab, group, bucket, "never")

    assert stopped["status"] == "Stopped" and stopped["errorInformation"]["code"] == "ALARM_ACTIVE"
    assert "rollbackInfo" not in stopped
    # An override with enabled=false turns polling off for this deployment (a fix-forward while the alarm rings).
    fixed_id, fixed = deploy(
        lab, group, bucket, "fix-forward", overrideAlarmConfiguration={"enabled": False, "alarms": [{"name": alarm}]}
    )
    assert fixed["status"] == "Succeeded", failures(lab.client, fixed_id)
    assert fixed["overrideAlarmConfiguration"]["enabled"] is False


def test_an_alarm_that_cannot_be_read(lab, fleet, service_role, bucket):
    """A configured alarm deleted from CloudWatch stops the deployment unless ignorePollAlarmFailure is true."""
    alarm = make_alarm(lab)
    strict = make_group(lab, service_role, fleet.tag, alarmConfiguration=alarm_configuration(alarm))
    lenient = make_group(
        lab, service_role, fleet.tag, alarmConfiguration=alarm_configuration(alarm, ignore_poll_failure=True)
    )
    lab.client("cloudwatch").delete_alarms(AlarmNames=[alarm])

    stopped_id, stopped = deploy(lab, strict, bucket, "strict")
    assert stopped["status"] == "Stopped"
    assert stopped["errorInformation"]["code"] == "ALARM_ACTIVE"
    assert "could not be read" in stopped["errorInformation"]["message"]
    assert "ignorePollAlarmFailure" in stopped["errorInformation"]["message"]

    went_on_id, went_on = deploy(lab, lenient, bucket, "lenient")
    assert went_on["status"] == "Succeeded", failures(lab.client, went_on_id)
    assert info_of(lab, went_on_id)["deploymentOverview"]["Succeeded"] == 2
