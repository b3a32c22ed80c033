"""Faults of the lab (``/_lab/faults``, ``codedeploy-lab fault``) and what a boto3 client sees.

API faults run on the session lab (each test clears what it set). Host faults run on a private lab whose clock
makes one AWS minute last 0.1 s, so the agent's 5-minute pickup timeout takes 0.5 s and AllowTraffic gives up after
6 s; its fleet is one web host behind a Classic Load Balancer, redeployed by each test.
"""

from __future__ import annotations

import json
import typing as t
import urllib.request

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from codedeploy_lab.deployments.testing import host_page
from codedeploy_lab.deployments.testing import run_web_instances
from codedeploy_lab.deployments.testing import targets_of
from codedeploy_lab.deployments.testing import unique
from codedeploy_lab.deployments.testing import upload_revision
from codedeploy_lab.deployments.testing import wait_deployment
from codedeploy_lab.deployments.testing import wait_for
from codedeploy_lab.deployments.testing import wait_web_ready
from codedeploy_lab.deployments.testing import web_load_balancer
from codedeploy_lab.faults import AGENT_MESSAGE
from codedeploy_lab.testing import RunningLab
from codedeploy_lab.testing import run_cli
from codedeploy_lab.testing import start_lab
from codedeploy_lab.testing import stop_lab

NO_RETRIES = Config(retries={"total_max_attempts": 1})


def lab_request(lab: RunningLab, method: str, path: str, body: dict[str, t.Any] | None = None) -> tuple[int, t.Any]:
    try:
        with urllib.request.urlopen(lab.request(method, path, body), timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.fixture
def faults_cleared(lab: RunningLab) -> t.Iterator[RunningLab]:
    lab_request(lab, "DELETE", "/_lab/faults")
    yield lab
    lab_request(lab, "DELETE", "/_lab/faults")


# -- API faults ---------------------------------------------------------------------------------------------------------


def test_throttled_codedeploy_calls_answer_throttling_exception(faults_cleared: RunningLab) -> None:
    lab = faults_cleared
    status, rule = lab_request(
        lab, "PUT", "/_lab/faults/api/codedeploy", {"fraction": 1, "count": 2, "operations": ["ListApplications"]}
    )
    assert status == 200 and rule["codedeploy"]["error"] == "ThrottlingException", rule
    calls_before = lab.calls().get("codedeploy", {}).get("ListApplications", 0)
    codedeploy = lab.client("codedeploy", config=NO_RETRIES)

    codedeploy.list_deployment_configs()  # another operation is not touched
    for _ in range(2):
        with pytest.raises(ClientError) as caught:
            codedeploy.list_applications()
        assert caught.value.response["Error"] == {"Code": "ThrottlingException", "Message": "Rate exceeded"}
        assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert "applications" in codedeploy.list_applications()  # the count is spent: calls go through again

    state = lab.get("/_lab/faults")
    assert state["injected"] == {"codedeploy": {"ListApplications": 2}}
    assert state["api"]["codedeploy"]["spent"] is True
    assert lab.calls()["codedeploy"]["ListApplications"] == calls_before + 3  # failed calls are still calls


def test_boto3_retries_ride_out_throttling(faults_cleared: RunningLab) -> None:
    lab = faults_cleared
    lab_request(
        lab, "PUT", "/_lab/faults/api/codedeploy", {"fraction": 1, "count": 2, "operations": ["ListApplications"]}
    )
    answer = lab.client(
        "codedeploy", config=Config(retries={"mode": "standard", "max_attempts": 5})
    ).list_applications()
    assert answer["ResponseMetadata"]["RetryAttempts"] == 2


def test_a_seeded_fraction_fails_the_same_calls_every_time(faults_cleared: RunningLab) -> None:
    lab = faults_cleared
    codedeploy = lab.client("codedeploy", config=NO_RETRIES)

    def outcomes() -> list[bool]:
        lab_request(
            lab,
            "PUT",
            "/_lab/faults/api/codedeploy",
            {"fraction": 0.5, "seed": 7, "operations": ["ListDeploymentConfigs"]},
        )
        results = []
        for _ in range(20):
            try:
                codedeploy.list_deployment_configs()
                results.append(True)
            except ClientError as error:
                assert error.response["Error"]["Code"] == "ThrottlingException"
                results.append(False)
        return results

    first, second = outcomes(), outcomes()
    assert first == second
    assert 0 < first.count(False) < 20, first
    assert lab.get("/_lab/faults")["api"]["codedeploy"]["injected"] == second.count(False)


def test_s3_answers_503_slow_down(faults_cleared: RunningLab) -> None:
    lab = faults_cleared
    bucket = unique("throttled")
    lab.client("s3").create_bucket(Bucket=bucket)
    lab_request(lab, "PUT", "/_lab/faults/api/s3", {"fraction": 1, "count": 1, "operations": ["PutObject"]})
    s3 = lab.client("s3", config=NO_RETRIES)

    with pytest.raises(ClientError) as caught:
        s3.put_object(Bucket=bucket, Key="a.txt", Body=b"x" * 4096)
    assert caught.value.response["Error"]["Code"] == "SlowDown"
    assert caught.value.response["Error"]["Message"] == "Please reduce your request rate."
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503
    s3.put_object(Bucket=bucket, Key="a.txt", Body=b"y")  # the same (kept-alive) client goes on
    assert s3.get_object(Bucket=bucket, Key="a.txt")["Body"].read() == b"y"

    run_cli(
        "fault",
        "api",
        "s3",
        "--state-dir",
        str(lab.state_dir),
        "--fraction",
        "1",
        "--count",
        "1",
        "--error",
        "ServiceUnavailable",
        "--operations",
        "ListObjectsV2",
    )
    with pytest.raises(ClientError) as caught:
        s3.list_objects_v2(Bucket=bucket)
    assert caught.value.response["Error"]["Code"] == "ServiceUnavailable"
    assert lab.client("s3").list_objects_v2(Bucket=bucket)["KeyCount"] == 1  # default retries would ride it out


@pytest.mark.parametrize(
    "service,body,field",
    [
        ("codedeploy", {"fraction": 1.5}, "fraction"),
        ("codedeploy", {"fraction": 0.5, "error": "SlowDown"}, "error"),
        ("codedeploy", {"fraction": 0.5, "count": 0}, "count"),
        ("codedeploy", {"fraction": 0.5, "sed": 1}, "sed"),
        ("ec2", {"fraction": 0.5}, "service"),
    ],
)
def test_bad_faults_are_refused_naming_the_field(
    faults_cleared: RunningLab, service: str, body: dict[str, t.Any], field: str
) -> None:
    status, answer = lab_request(faults_cleared, "PUT", f"/_lab/faults/api/{service}", body)
    assert status == 400 and answer["error"] == "InvalidFault" and field in answer["message"], answer
    assert faults_cleared.get("/_lab/faults")["api"] == {}


# -- host faults (a private lab with a fast clock) ---------------------------------------------------------------------


class Fleet(t.NamedTuple):
    lab: RunningLab
    application: str
    group: str
    instance: str
    load_balancer: str
    bucket: str


@pytest.fixture(scope="module")
def fast_lab(tmp_path_factory: pytest.TempPathFactory) -> t.Iterator[RunningLab]:
    lab = start_lab(tmp_path_factory.mktemp("faults") / "state", time_factor=0.1)
    yield lab
    stop_lab(lab)


@pytest.fixture(scope="module")
def fleet(fast_lab: RunningLab) -> Fleet:
    """One web host behind a Classic Load Balancer, and a group that deploys to it with traffic control."""
    lab = fast_lab
    role = lab.client("iam").create_role(
        RoleName=unique("codedeploy"), AssumeRolePolicyDocument='{"Version": "2012-10-17", "Statement": []}'
    )
    tag = unique("faulty")
    instance = run_web_instances(lab.client, 1, {"Fleet": tag})[0]
    name = web_load_balancer(lab.client, [instance], interval=30, wait_in_service=False)
    wait_web_ready(lab, [instance])
    codedeploy = lab.client("codedeploy")
    application, group = unique("app"), unique("group")
    codedeploy.create_application(applicationName=application)
    codedeploy.create_deployment_group(
        applicationName=application,
        deploymentGroupName=group,
        serviceRoleArn=role["Role"]["Arn"],
        deploymentConfigName="CodeDeployDefault.AllAtOnce",
        ec2TagFilters=[{"Key": "Fleet", "Value": tag, "Type": "KEY_AND_VALUE"}],
        deploymentStyle={"deploymentType": "IN_PLACE", "deploymentOption": "WITH_TRAFFIC_CONTROL"},
        loadBalancerInfo={"elbInfoList": [{"name": name}]},
    )
    return Fleet(lab, application, group, instance, name, unique("revisions"))


@pytest.fixture
def healthy_fleet(fleet: Fleet) -> t.Iterator[Fleet]:
    yield fleet
    lab_request(fleet.lab, "DELETE", "/_lab/faults")


def start_deployment(fleet: Fleet, version: str, **revision_options: t.Any) -> str:
    revision = upload_revision(fleet.lab.client, fleet.bucket, f"{version}.zip", version, **revision_options)
    return fleet.lab.client("codedeploy").create_deployment(
        applicationName=fleet.application, deploymentGroupName=fleet.group, revision=revision
    )["deploymentId"]


def events_of(fleet: Fleet, deployment_id: str) -> dict[str, dict[str, t.Any]]:
    target = targets_of(fleet.lab.client, deployment_id)[fleet.instance]
    return {event["lifecycleEventName"]: event for event in target["lifecycleEvents"]}


def test_a_stopped_agent_times_out_the_lifecycle_event(healthy_fleet: Fleet) -> None:
    fleet = healthy_fleet
    run_cli("fault", "agent", fleet.instance, "stop", "--state-dir", str(fleet.lab.state_dir))
    assert fleet.lab.get(f"/_lab/hosts/{fleet.instance}")["agent"] == {"running": False}

    deployment_id = start_deployment(fleet, "agentless")
    info = wait_deployment(fleet.lab.client, deployment_id)

    assert info["status"] == "Failed" and info["errorInformation"]["code"] == "HEALTH_CONSTRAINTS", info
    events = events_of(fleet, deployment_id)
    # The first event sent to the agent (BeforeBlockTraffic, traffic control) is never picked up.
    stop = events["BeforeBlockTraffic"]
    assert stop["status"] == "Failed"
    assert stop["diagnostics"] == {
        "errorCode": "UnknownError",
        "scriptName": "",
        "message": AGENT_MESSAGE,
        "logTail": "",
    }
    waited = (stop["endTime"] - stop["startTime"]).total_seconds()
    assert waited >= 0.45, waited  # five AWS minutes on this lab's clock
    assert {events[name]["status"] for name in events if name != "BeforeBlockTraffic"} == {"Skipped"}


def test_an_agent_started_again_picks_the_event_up(healthy_fleet: Fleet) -> None:
    fleet = healthy_fleet
    # A long pickup timeout for this stop (60 lab seconds), so the test starts the agent well within the wait.
    lab_request(
        fleet.lab, "POST", f"/_lab/faults/hosts/{fleet.instance}/agent", {"action": "stop", "timeout_minutes": 600}
    )
    # The hook stops its own agent (systemctl), as an operator would on the host; the next event waits for it.
    deployment_id = start_deployment(
        fleet, "restarted", hooks={"BeforeInstall": "#!/bin/bash\nsystemctl stop codedeploy-agent\n"}
    )
    wait_for(
        lambda: events_of(fleet, deployment_id)["BeforeBlockTraffic"]["status"] == "InProgress",
        "BeforeBlockTraffic waiting for the agent",
        timeout=30,
        interval=0.05,
    )
    lab_request(fleet.lab, "POST", f"/_lab/faults/hosts/{fleet.instance}/agent", {"action": "start"})
    info = wait_deployment(fleet.lab.client, deployment_id)
    assert info["status"] == "Failed", info  # BeforeInstall stopped the agent: Install was never picked up
    events = events_of(fleet, deployment_id)
    assert {events[name]["status"] for name in ("BeforeBlockTraffic", "ApplicationStop", "BeforeInstall")} == {
        "Succeeded"
    }
    assert events["Install"]["diagnostics"]["message"] == AGENT_MESSAGE

    lab_request(fleet.lab, "POST", f"/_lab/faults/hosts/{fleet.instance}/agent", {"action": "start"})
    deployment_id = start_deployment(fleet, "healthy-agent")
    info = wait_deployment(fleet.lab.client, deployment_id)
    assert info["status"] == "Succeeded", info
    assert host_page(fleet.lab, fleet.instance)[1] == f"healthy-agent {fleet.instance}"


def test_an_unhealthy_web_server_leaves_the_load_balancer_and_fails_allow_traffic(healthy_fleet: Fleet) -> None:
    fleet = healthy_fleet
    elb = fleet.lab.client("elb")

    def state() -> str:
        return elb.describe_instance_health(LoadBalancerName=fleet.load_balancer)["InstanceStates"][0]["State"]

    wait_for(lambda: state() == "InService", "the host InService")
    status, answer = lab_request(
        fleet.lab, "POST", f"/_lab/faults/hosts/{fleet.instance}/web", {"action": "unhealthy", "status": 500}
    )
    assert status == 200 and answer["web_healthy"] is False, answer
    wait_for(lambda: state() == "OutOfService", "the load balancer to take the host out")
    assert host_page(fleet.lab, fleet.instance)[0] == 500

    deployment_id = start_deployment(fleet, "unhealthy")
    info = wait_deployment(fleet.lab.client, deployment_id)
    assert info["status"] == "Failed", info
    events = events_of(fleet, deployment_id)
    assert events["ValidateService"]["status"] == "Succeeded"
    assert events["AllowTraffic"]["status"] == "Failed"
    assert "did not pass the health checks" in events["AllowTraffic"]["diagnostics"]["message"]

    lab_request(fleet.lab, "POST", f"/_lab/faults/hosts/{fleet.instance}/web", {"action": "healthy"})
    wait_for(lambda: state() == "InService", "the host back InService")


def lone_host_group(lab: RunningLab) -> tuple[str, str, str]:
    """(application, group, instance): a group of one fresh web host, no load balancer."""
    tag = unique("lone")
    instance = run_web_instances(lab.client, 1, {"Fleet": tag})[0]
    codedeploy = lab.client("codedeploy")
    application, group = unique("app"), unique("group")
    codedeploy.create_application(applicationName=application)
    role = lab.client("iam").create_role(
        RoleName=unique("codedeploy"), AssumeRolePolicyDocument='{"Version": "2012-10-17", "Statement": []}'
    )
    codedeploy.create_deployment_group(
        applicationName=application,
        deploymentGroupName=group,
        serviceRoleArn=role["Role"]["Arn"],
        ec2TagFilters=[{"Key": "Fleet", "Value": tag, "Type": "KEY_AND_VALUE"}],
    )
    wait_web_ready(lab, [instance])
    return application, group, instance


def deploy_to(lab: RunningLab, application: str, group: str, version: str, **revision_options: t.Any) -> str:
    revision = upload_revision(lab.client, unique("revisions"), f"{version}.zip", version, **revision_options)
    return lab.client("codedeploy").create_deployment(
        applicationName=application, deploymentGroupName=group, revision=revision
    )["deploymentId"]


def lifecycle(lab: RunningLab, deployment_id: str, instance: str) -> dict[str, dict[str, t.Any]]:
    target = targets_of(lab.client, deployment_id)[instance]
    return {event["lifecycleEventName"]: event for event in target["lifecycleEvents"]}


def test_a_host_terminated_mid_deployment_fails_its_instance(fast_lab: RunningLab) -> None:
    lab = fast_lab
    application, group, instance = lone_host_group(lab)
    deployment_id = deploy_to(lab, application, group, "doomed", hooks={"AfterInstall": "#!/bin/bash\nsleep 30\n"})
    wait_for(
        lambda: lifecycle(lab, deployment_id, instance)["AfterInstall"]["status"] == "InProgress",
        "AfterInstall to run",
        timeout=60,
        interval=0.05,
    )
    lab.client("ec2").terminate_instances(InstanceIds=[instance])  # as a user (or Auto Scaling) would

    info = wait_deployment(lab.client, deployment_id, timeout=60)
    assert info["status"] == "Failed", info
    events = lifecycle(lab, deployment_id, instance)
    assert events["AfterInstall"]["status"] == "Failed"
    assert events["AfterInstall"]["diagnostics"]["message"] == (
        f"The instance {instance} was terminated during the deployment, so its CodeDeploy agent could not "
        "run the lifecycle event AfterInstall."
    )
    assert (events["AfterInstall"]["endTime"] - events["AfterInstall"]["startTime"]).total_seconds() < 25
    assert {events[name]["status"] for name in ("ApplicationStart", "ValidateService")} == {"Skipped"}
    reservations = lab.client("ec2").describe_instances(InstanceIds=[instance])["Reservations"]
    assert reservations[0]["Instances"][0]["State"]["Name"] == "terminated"
    assert lab_request(lab, "GET", f"/_lab/hosts/{instance}")[0] == 404


def test_terminate_at_an_event_through_the_cli(fast_lab: RunningLab) -> None:
    lab = fast_lab
    application, group, instance = lone_host_group(lab)
    run_cli("fault", "terminate", instance, "--at-event", "BeforeInstall", "--state-dir", str(lab.state_dir))
    assert lab.get("/_lab/faults")["terminate_at_event"] == {instance: "BeforeInstall"}

    deployment_id = deploy_to(lab, application, group, "armed")
    info = wait_deployment(lab.client, deployment_id)
    assert info["status"] == "Failed", info
    events = lifecycle(lab, deployment_id, instance)
    statuses = {name: event["status"] for name, event in events.items()}
    assert statuses["DownloadBundle"] == "Succeeded" and statuses["BeforeInstall"] == "Failed", statuses
    assert events["BeforeInstall"]["diagnostics"]["message"] == (
        f"The instance {instance} was terminated during the deployment, so its CodeDeploy agent could not "
        "run the lifecycle event BeforeInstall."
    )
    assert lab.get("/_lab/faults")["terminate_at_event"] == {}
