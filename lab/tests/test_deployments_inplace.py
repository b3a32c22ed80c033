"""In-place deployments on lab hosts, driven with boto3 and the AWS CLI as on AWS.

Fleets are EC2 instances with web-server user data (``codedeploy_lab.deployments.testing``); revisions are bundles
in the lab's S3 whose ApplicationStart writes the page ``<version> <instance id>``.
"""

from __future__ import annotations

import itertools
import subprocess
import sys
import threading
import time
import typing as t
import uuid
from pathlib import Path

import pytest

from codedeploy_lab.deployments.planning import IN_PLACE_EVENTS
from codedeploy_lab.deployments.planning import TRAFFIC_EVENTS
from codedeploy_lab.deployments.testing import failures
from codedeploy_lab.deployments.testing import host_page
from codedeploy_lab.deployments.testing import http_get
from codedeploy_lab.deployments.testing import lifecycle_event_running
from codedeploy_lab.deployments.testing import run_web_instances
from codedeploy_lab.deployments.testing import targets_of
from codedeploy_lab.deployments.testing import terminate
from codedeploy_lab.deployments.testing import unique
from codedeploy_lab.deployments.testing import upload_revision
from codedeploy_lab.deployments.testing import wait_deployment
from codedeploy_lab.deployments.testing import wait_for
from codedeploy_lab.deployments.testing import wait_web_ready
from codedeploy_lab.deployments.testing import web_launch_template
from codedeploy_lab.deployments.testing import web_load_balancer

SUCCESS = {"errorCode": "Success", "scriptName": "", "message": "Succeeded", "logTail": ""}


@pytest.fixture(scope="module")
def bucket() -> str:
    return unique("revisions")


@pytest.fixture(scope="module")
def custom_config(lab) -> str:
    name = unique("HostCount1")
    lab.client("codedeploy").create_deployment_config(
        deploymentConfigName=name, minimumHealthyHosts={"type": "HOST_COUNT", "value": 1}
    )
    return name


class Fleet(t.NamedTuple):
    application: str
    group: str
    instances: list[str]
    load_balancer: str | None


def make_fleet(lab, role: str, count: int, *, load_balancer: bool) -> Fleet:
    tag = unique("fleet")
    instances = run_web_instances(lab.client, count, {"Fleet": tag})
    wait_web_ready(lab, instances)
    codedeploy = lab.client("codedeploy")
    application = unique("app")
    codedeploy.create_application(applicationName=application)
    group = unique("group")
    extra: dict[str, t.Any] = {}
    name = None
    if load_balancer:
        name = web_load_balancer(lab.client, instances, draining_seconds=300)
        extra = {
            "deploymentStyle": {"deploymentType": "IN_PLACE", "deploymentOption": "WITH_TRAFFIC_CONTROL"},
            "loadBalancerInfo": {"elbInfoList": [{"name": name}]},
        }
    codedeploy.create_deployment_group(
        applicationName=application,
        deploymentGroupName=group,
        serviceRoleArn=role,
        ec2TagFilters=[{"Key": "Fleet", "Value": tag, "Type": "KEY_AND_VALUE"}],
        **extra,
    )
    return Fleet(application, group, instances, name)


@pytest.fixture(scope="module")
def plain_fleet(lab, service_role):
    fleet = make_fleet(lab, service_role, 4, load_balancer=False)
    yield fleet
    terminate(lab.client, fleet.instances)


@pytest.fixture(scope="module")
def lb_fleet(lab, service_role):
    fleet = make_fleet(lab, service_role, 4, load_balancer=True)
    yield fleet
    terminate(lab.client, fleet.instances)


def deploy(lab, fleet: Fleet, bucket: str, version: str, **options: t.Any) -> tuple[str, dict[str, t.Any]]:
    revision = upload_revision(
        lab.client, bucket, f"{fleet.group}/{version}.zip", version, **options.pop("revision_options", {})
    )
    deployment_id = lab.client("codedeploy").create_deployment(
        applicationName=fleet.application, deploymentGroupName=fleet.group, revision=revision, **options
    )["deploymentId"]
    return deployment_id, wait_deployment(lab.client, deployment_id)


def page(lab, instance_id: str) -> str:
    return host_page(lab, instance_id)[1]


def host_file(lab, instance_id: str, path: str) -> str | None:
    """A file as the host wrote it (its copy-on-write upper layer)."""
    file = Path(lab.get(f"/_lab/hosts/{instance_id}")["root"]) / path.lstrip("/")
    return file.read_text() if file.exists() else None


def max_concurrency(targets: dict[str, dict[str, t.Any]]) -> int:
    """The most targets whose lifecycle events ran at the same time."""
    spans = [
        (
            min(e["startTime"] for e in target["lifecycleEvents"] if "startTime" in e),
            max(e["endTime"] for e in target["lifecycleEvents"]),
        )
        for target in targets.values()
    ]
    return max(sum(1 for start, end in spans if start <= moment < end) for moment, _ in spans)


# -- configurations, with and without a load balancer ---------------------------------------------------------------

CONFIGS = [
    ("CodeDeployDefault.OneAtATime", 1),
    ("CodeDeployDefault.HalfAtATime", 2),
    ("CodeDeployDefault.AllAtOnce", 4),
    ("custom", 3),
]


@pytest.mark.parametrize("traffic_control", [False, True], ids=["without-lb", "with-lb"])
@pytest.mark.parametrize("config,concurrency", CONFIGS, ids=[name.split(".")[-1] for name, _ in CONFIGS])
def test_in_place_deployment_configs(lab, request, bucket, custom_config, config, concurrency, traffic_control):
    fleet: Fleet = request.getfixturevalue("lb_fleet" if traffic_control else "plain_fleet")
    config_name = custom_config if config == "custom" else config
    version = f"v-{uuid.uuid4().hex[:6]}"

    deployment_id, info = deploy(lab, fleet, bucket, version, deploymentConfigName=config_name)

    assert info["status"] == "Succeeded", failures(lab.client, deployment_id)
    assert info["deploymentConfigName"] == config_name
    assert info["deploymentOverview"] == {
        "Pending": 0,
        "InProgress": 0,
        "Succeeded": 4,
        "Failed": 0,
        "Skipped": 0,
        "Ready": 0,
    }
    assert info["createTime"] <= info["startTime"] <= info["completeTime"]
    codedeploy = lab.client("codedeploy")
    assert codedeploy.batch_get_deployments(deploymentIds=[deployment_id])["deploymentsInfo"] == [info]
    assert sorted(codedeploy.list_deployment_instances(deploymentId=deployment_id)["instancesList"]) == fleet.instances
    targets = targets_of(lab.client, deployment_id)
    assert sorted(targets) == fleet.instances
    events = TRAFFIC_EVENTS if traffic_control else IN_PLACE_EVENTS
    for instance_id, target in targets.items():
        assert target["status"] == "Succeeded"
        assert target["targetArn"] == f"arn:aws:ec2:us-east-1:123456789012:instance/{instance_id}"
        assert [e["lifecycleEventName"] for e in target["lifecycleEvents"]] == list(events)
        assert {e["status"] for e in target["lifecycleEvents"]} == {"Succeeded"}
        agent_events = [
            e for e in target["lifecycleEvents"] if e["lifecycleEventName"] not in ("BlockTraffic", "AllowTraffic")
        ]
        assert all(e["diagnostics"] == SUCCESS for e in agent_events)
        assert page(lab, instance_id) == f"{version} {instance_id}"
    assert max_concurrency(targets) == concurrency
    if traffic_control:
        url = lab.get("/_lab/status")["load_balancers"][fleet.load_balancer]
        assert {http_get(url)[1] for _ in range(8)} == {f"{version} {i}" for i in fleet.instances}


def test_rollout_through_the_load_balancer_loses_no_request(lab, lb_fleet, bucket):
    """OneAtATime with traffic control under continuous requests: none fails, each host switches once."""
    url = lab.get("/_lab/status")["load_balancers"][lb_fleet.load_balancer]
    before = {http_get(url)[1].split()[0] for _ in range(8)}
    assert len(before) == 1, before  # the fleet serves one version to start with
    old = before.pop()
    answers: list[tuple[int, str]] = []
    done = threading.Event()

    def hammer() -> None:
        while not done.is_set():
            answers.append(http_get(url, timeout=30))
            done.wait(0.02)  # a steady stream, not a CPU hog

    client = threading.Thread(target=hammer)
    client.start()
    try:
        wait_for(
            lambda: all(any(body.endswith(i) for _, body in list(answers)) for i in lb_fleet.instances),
            "every host to answer before the deployment",
        )
        version = f"v-{uuid.uuid4().hex[:6]}"
        deployment_id, info = deploy(
            lab, lb_fleet, bucket, version, deploymentConfigName="CodeDeployDefault.OneAtATime"
        )
    finally:
        done.set()
        client.join()

    assert info["status"] == "Succeeded", failures(lab.client, deployment_id)
    failed = [answer for answer in answers if answer[0] != 200]
    assert failed == [] and len(answers) > 50, (len(answers), failed[:5])
    *earlier, last = lb_fleet.instances  # OneAtATime goes in instance-id order
    for instance_id in lb_fleet.instances:
        seen = [body.split()[0] for _, body in answers if body.endswith(instance_id)]
        switches = [(a, b) for a, b in itertools.pairwise(seen) if a != b]
        # Exactly one switch, from old to new, never back; the last host may end the stream before it is seen new.
        expected = [[(old, version)]] if instance_id in earlier else [[(old, version)], []]
        assert seen[0] == old and switches in expected, (instance_id, switches)
    assert {http_get(url)[1] for _ in range(12)} == {f"{version} {i}" for i in lb_fleet.instances}


# -- failures ---------------------------------------------------------------------------------------------------------


def test_a_failing_hook_fails_the_deployment_and_skips_the_rest(lab, service_role, bucket):
    fleet = make_fleet(lab, service_role, 3, load_balancer=False)
    try:
        failing = "#!/bin/bash\necho checking the service\necho 'health check failed' >&2\nexit 3\n"
        deployment_id, info = deploy(
            lab, fleet, bucket, "broken", revision_options={"hooks": {"ValidateService": failing}}
        )
        assert info["status"] == "Failed"
        assert info["errorInformation"]["code"] == "HEALTH_CONSTRAINTS"
        assert info["deploymentOverview"]["Failed"] == 1 and info["deploymentOverview"]["Skipped"] == 2
        targets = targets_of(lab.client, deployment_id)
        first, *rest = fleet.instances  # OneAtATime goes in instance-id order
        events = {e["lifecycleEventName"]: e for e in targets[first]["lifecycleEvents"]}
        validate = events["ValidateService"]
        assert targets[first]["status"] == "Failed"
        assert validate["status"] == "Failed"
        assert validate["diagnostics"]["errorCode"] == "ScriptFailed"
        assert validate["diagnostics"]["scriptName"] == "scripts/ValidateService.sh"
        assert (
            validate["diagnostics"]["message"]
            == "Script at specified location: scripts/ValidateService.sh failed with exit code 3"
        )
        assert "[stdout]checking the service" in validate["diagnostics"]["logTail"]
        assert "[stderr]health check failed" in validate["diagnostics"]["logTail"]
        for name in rest:
            assert targets[name]["status"] == "Skipped"
            assert {e["status"] for e in targets[name]["lifecycleEvents"]} == {"Skipped"}
            assert all("startTime" not in e and "endTime" in e for e in targets[name]["lifecycleEvents"])
        codedeploy = lab.client("codedeploy")
        assert (
            codedeploy.list_deployment_targets(deploymentId=deployment_id, targetFilters={"TargetStatus": ["Skipped"]})[
                "targetIds"
            ]
            == rest
        )
        assert codedeploy.list_deployments(
            applicationName=fleet.application, deploymentGroupName=fleet.group, includeOnlyStatuses=["Failed"]
        )["deployments"] == [deployment_id]
        summaries = codedeploy.batch_get_deployment_instances(deploymentId=deployment_id, instanceIds=fleet.instances)
        assert summaries["errorMessage"] == ""
        assert [s["status"] for s in summaries["instancesSummary"]] == ["Failed", "Skipped", "Skipped"]
        assert codedeploy.list_deployment_instances(deploymentId=deployment_id, instanceStatusFilter=["Failed"])[
            "instancesList"
        ] == [first]
        instance = codedeploy.get_deployment_instance(deploymentId=deployment_id, instanceId=first)
        assert instance["instanceSummary"]["status"] == "Failed"
        assert instance["instanceSummary"]["instanceId"].endswith(f"instance/{first}")
    finally:
        terminate(lab.client, fleet.instances)


def test_no_instances(lab, service_role, bucket):
    codedeploy = lab.client("codedeploy")
    application, group = unique("app"), unique("group")
    codedeploy.create_application(applicationName=application)
    codedeploy.create_deployment_group(
        applicationName=application,
        deploymentGroupName=group,
        serviceRoleArn=service_role,
        ec2TagFilters=[{"Key": "Nobody", "Value": "here", "Type": "KEY_AND_VALUE"}],
    )
    fleet = Fleet(application, group, [], None)
    deployment_id, info = deploy(lab, fleet, bucket, "v1")
    assert info["status"] == "Failed"
    assert info["errorInformation"]["code"] == "NO_INSTANCES"
    assert "no instances were found" in info["errorInformation"]["message"]
    assert codedeploy.list_deployment_targets(deploymentId=deployment_id)["targetIds"] == []


def test_minimum_healthy_hosts_that_cannot_be_met(lab, plain_fleet, bucket):
    codedeploy = lab.client("codedeploy")
    config = unique("All4Healthy")
    codedeploy.create_deployment_config(
        deploymentConfigName=config, minimumHealthyHosts={"type": "HOST_COUNT", "value": 4}
    )
    before = {i: page(lab, i) for i in plain_fleet.instances}
    deployment_id, info = deploy(lab, plain_fleet, bucket, "never", deploymentConfigName=config)
    assert info["status"] == "Failed"
    assert info["errorInformation"]["code"] == "HEALTH_CONSTRAINTS_INVALID"
    assert {i: page(lab, i) for i in plain_fleet.instances} == before  # no instance was touched


# -- files, ApplicationStop and the deployment group's history ------------------------------------------------------


def test_second_deployment_disallow_and_previous_application_stop(lab, service_role, bucket):
    fleet = make_fleet(lab, service_role, 2, load_balancer=False)
    other = None
    try:
        first_id, first = deploy(lab, fleet, bucket, "one")
        assert first["status"] == "Succeeded"
        targets = targets_of(lab.client, first_id)
        stop = targets[fleet.instances[0]]["lifecycleEvents"][0]
        assert stop["lifecycleEventName"] == "ApplicationStop" and stop["diagnostics"] == SUCCESS
        assert host_file(lab, fleet.instances[0], "/var/log/app-stops.log") is None  # nothing to stop yet

        # The same group again, default DISALLOW: its previous install is cleaned up first, so it succeeds; and
        # ApplicationStop runs the *previous* revision's script.
        second_id, second = deploy(lab, fleet, bucket, "two", fileExistsBehavior="DISALLOW")
        assert second["status"] == "Succeeded", second.get("errorInformation")
        assert second["previousRevision"]["s3Location"]["key"].endswith("one.zip")
        for instance_id in fleet.instances:
            assert host_file(lab, instance_id, "/var/log/app-stops.log") == f"stopped by one during {second_id}\n"
            assert host_file(lab, instance_id, "/opt/app/VERSION") == "two\n"

        # Another group over the same files: DISALLOW fails at Install, OVERWRITE succeeds.
        codedeploy = lab.client("codedeploy")
        group = codedeploy.get_deployment_group(applicationName=fleet.application, deploymentGroupName=fleet.group)[
            "deploymentGroupInfo"
        ]
        other = Fleet(fleet.application, unique("other"), fleet.instances, None)
        codedeploy.create_deployment_group(
            applicationName=fleet.application,
            deploymentGroupName=other.group,
            serviceRoleArn=service_role,
            ec2TagFilters=group["ec2TagFilters"],
        )
        disallowed_id, disallowed = deploy(lab, other, bucket, "three")
        assert disallowed["status"] == "Failed"
        install = next(
            e
            for e in targets_of(lab.client, disallowed_id)[fleet.instances[0]]["lifecycleEvents"]
            if e["lifecycleEventName"] == "Install"
        )
        assert install["status"] == "Failed"
        assert install["diagnostics"]["errorCode"] == "UnknownError"
        assert install["diagnostics"]["message"] == (
            "The deployment failed because a specified file already exists at this location: /opt/app/VERSION"
        )
        _, overwritten = deploy(lab, other, bucket, "four", fileExistsBehavior="OVERWRITE")
        assert overwritten["status"] == "Succeeded", overwritten.get("errorInformation")
        assert overwritten["fileExistsBehavior"] == "OVERWRITE"
        assert host_file(lab, fleet.instances[1], "/opt/app/VERSION") == "four\n"
    finally:
        terminate(lab.client, fleet.instances)


def test_ignore_application_stop_failures(lab, service_role, bucket):
    fleet = make_fleet(lab, service_role, 1, load_balancer=False)
    try:
        failing_stop = "#!/bin/bash\necho cannot stop >&2\nexit 1\n"
        _, first = deploy(lab, fleet, bucket, "bad-stop", revision_options={"hooks": {"ApplicationStop": failing_stop}})
        assert first["status"] == "Succeeded"  # its own ApplicationStop does not run yet
        failed_id, failed = deploy(lab, fleet, bucket, "next")
        assert failed["status"] == "Failed"
        stop = targets_of(lab.client, failed_id)[fleet.instances[0]]["lifecycleEvents"][0]
        assert (stop["lifecycleEventName"], stop["status"]) == ("ApplicationStop", "Failed")
        assert stop["diagnostics"]["errorCode"] == "ScriptFailed"

        ignored_id, ignored = deploy(lab, fleet, bucket, "next", ignoreApplicationStopFailures=True)
        assert ignored["status"] == "Succeeded", ignored.get("errorInformation")
        assert ignored["ignoreApplicationStopFailures"] is True
        events = targets_of(lab.client, ignored_id)[fleet.instances[0]]["lifecycleEvents"]
        # Lab choice: the failed ApplicationStop stays visible (Failed, with its diagnostics); the rest runs.
        assert [e["status"] for e in events] == ["Failed"] + ["Succeeded"] * 6
        assert page(lab, fleet.instances[0]) == f"next {fleet.instances[0]}"
    finally:
        terminate(lab.client, fleet.instances)


def test_update_outdated_instances_only(lab, service_role, bucket):
    fleet = make_fleet(lab, service_role, 2, load_balancer=False)
    try:
        codedeploy = lab.client("codedeploy")
        revision = upload_revision(lab.client, bucket, f"{fleet.group}/same.zip", "same")
        first = codedeploy.create_deployment(
            applicationName=fleet.application, deploymentGroupName=fleet.group, revision=revision
        )["deploymentId"]
        assert wait_deployment(lab.client, first)["status"] == "Succeeded", failures(lab.client, first)
        # A new instance joins the group (same tag): only it is outdated.
        tag = {
            "Fleet": codedeploy.get_deployment_group(
                applicationName=fleet.application, deploymentGroupName=fleet.group
            )["deploymentGroupInfo"]["ec2TagFilters"][0]["Value"]
        }
        newcomer = run_web_instances(lab.client, 1, tag)
        wait_web_ready(lab, newcomer)
        second = codedeploy.create_deployment(
            applicationName=fleet.application,
            deploymentGroupName=fleet.group,
            revision=revision,
            updateOutdatedInstancesOnly=True,
        )["deploymentId"]
        info = wait_deployment(lab.client, second)
        assert info["status"] == "Succeeded" and info["updateOutdatedInstancesOnly"] is True
        targets = targets_of(lab.client, second)
        assert {i: target["status"] for i, target in targets.items()} == {
            **{i: "Skipped" for i in fleet.instances},
            newcomer[0]: "Succeeded",
        }
        assert page(lab, newcomer[0]) == f"same {newcomer[0]}"
        fleet.instances.extend(newcomer)
    finally:
        terminate(lab.client, fleet.instances)


def test_tag_set_selects_instances_matching_every_group(lab, service_role, bucket):
    web = unique("web")
    matching = run_web_instances(lab.client, 1, {"Tier": web, "Stage": "prod"})
    other_stage = run_web_instances(lab.client, 1, {"Tier": web, "Stage": "test"})
    try:
        wait_web_ready(lab, matching + other_stage)
        codedeploy = lab.client("codedeploy")
        application, group = unique("app"), unique("group")
        codedeploy.create_application(applicationName=application)
        codedeploy.create_deployment_group(
            applicationName=application,
            deploymentGroupName=group,
            serviceRoleArn=service_role,
            ec2TagSet={
                "ec2TagSetList": [
                    [{"Key": "Tier", "Value": web, "Type": "KEY_AND_VALUE"}],
                    [
                        {"Key": "Stage", "Value": "prod", "Type": "KEY_AND_VALUE"},
                        {"Value": "production", "Type": "VALUE_ONLY"},
                    ],
                ]
            },
        )
        deployment_id, info = deploy(lab, Fleet(application, group, matching, None), bucket, "tagged")
        assert info["status"] == "Succeeded", failures(lab.client, deployment_id)
        assert list(targets_of(lab.client, deployment_id)) == matching
    finally:
        terminate(lab.client, matching + other_stage)


# -- Auto Scaling -----------------------------------------------------------------------------------------------------


def test_auto_scaling_launch_gets_the_last_successful_revision(lab, service_role, bucket):
    client = lab.client
    elb_name = unique("asg-elb")
    elb = client("elb")
    elb.create_load_balancer(
        LoadBalancerName=elb_name,
        AvailabilityZones=["us-east-1a"],
        Listeners=[{"Protocol": "HTTP", "LoadBalancerPort": 80, "InstancePort": 80}],
    )
    elb.configure_health_check(
        LoadBalancerName=elb_name,
        HealthCheck={
            "Target": "HTTP:80/index.html",
            "Interval": 6,
            "Timeout": 5,
            "UnhealthyThreshold": 2,
            "HealthyThreshold": 2,
        },
    )
    asg_name = unique("asg")
    autoscaling = client("autoscaling")
    autoscaling.create_auto_scaling_group(
        AutoScalingGroupName=asg_name,
        MinSize=1,
        MaxSize=3,
        DesiredCapacity=1,
        LaunchTemplate={"LaunchTemplateName": web_launch_template(client)},
        AvailabilityZones=["us-east-1a"],
        LoadBalancerNames=[elb_name],
    )

    def group_instances() -> list[str]:
        group = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[asg_name])["AutoScalingGroups"][0]
        return sorted(i["InstanceId"] for i in group["Instances"])

    first = group_instances()
    wait_web_ready(lab, first)
    codedeploy = client("codedeploy")
    application, group = unique("app"), unique("group")
    codedeploy.create_application(applicationName=application)
    codedeploy.create_deployment_group(
        applicationName=application,
        deploymentGroupName=group,
        serviceRoleArn=service_role,
        autoScalingGroups=[asg_name],
    )
    deployed_id, deployed = deploy(lab, Fleet(application, group, first, None), bucket, "good")
    assert deployed["status"] == "Succeeded", failures(client, deployed_id)

    autoscaling.set_desired_capacity(AutoScalingGroupName=asg_name, DesiredCapacity=2)
    newcomer = wait_for(lambda: [i for i in group_instances() if i not in first], "the new instance")[0]
    launch_id = wait_for(
        lambda: [
            d
            for d in codedeploy.list_deployments(applicationName=application, deploymentGroupName=group)["deployments"]
            if d != deployed_id
        ],
        "the launch deployment",
    )[0]
    early = []  # times the load balancer listed the newcomer while its deployment had not succeeded
    while True:
        registered = {
            s["InstanceId"] for s in elb.describe_instance_health(LoadBalancerName=elb_name)["InstanceStates"]
        }
        status = codedeploy.get_deployment(deploymentId=launch_id)["deploymentInfo"]["status"]
        if newcomer in registered and status != "Succeeded":
            early.append(status)
        if status in ("Succeeded", "Failed", "Stopped"):
            break
        time.sleep(0.1)
    assert early == []
    launch = wait_deployment(client, launch_id)
    assert launch["status"] == "Succeeded", failures(client, launch_id)
    assert launch["creator"] == "autoscaling"
    assert launch["revision"] == deployed["revision"]
    assert list(targets_of(client, launch_id)) == [newcomer]
    assert page(lab, newcomer) == f"good {newcomer}"
    # Only then does it join its load balancer.
    wait_for(
        lambda: (
            {
                s["InstanceId"]: s["State"]
                for s in elb.describe_instance_health(LoadBalancerName=elb_name)["InstanceStates"]
            }.get(newcomer)
            == "InService"
        ),
        "the newcomer InService",
    )
    url = lab.get("/_lab/status")["load_balancers"][elb_name]
    assert f"good {newcomer}" in {http_get(url)[1] for _ in range(4)}
    autoscaling.delete_auto_scaling_group(AutoScalingGroupName=asg_name, ForceDelete=True)


# -- the AWS CLI --------------------------------------------------------------------------------------------------------


def test_aws_cli_create_deployment_and_wait(lab, plain_fleet, bucket):
    upload_revision(lab.client, bucket, f"{plain_fleet.group}/cli.zip", "cli")
    aws = str(Path(sys.executable).parent / "aws")
    env = {"PATH": "/usr/bin:/bin", **lab.env()}
    created = subprocess.run(
        [
            aws,
            "deploy",
            "create-deployment",
            "--application-name",
            plain_fleet.application,
            "--deployment-group-name",
            plain_fleet.group,
            "--deployment-config-name",
            "CodeDeployDefault.AllAtOnce",
            "--s3-location",
            f"bucket={bucket},key={plain_fleet.group}/cli.zip,bundleType=zip",
            "--query",
            "deploymentId",
            "--output",
            "text",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert created.returncode == 0, created.stderr
    deployment_id = created.stdout.strip()
    waited = subprocess.run(
        [aws, "deploy", "wait", "deployment-successful", "--deployment-id", deployment_id],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert waited.returncode == 0, waited.stderr
    assert {page(lab, i) for i in plain_fleet.instances} == {f"cli {i}" for i in plain_fleet.instances}


# -- stop, and traffic control with a target group --------------------------------------------------------------------


def test_stop_deployment(lab, service_role, bucket, aws_error):
    fleet = make_fleet(lab, service_role, 2, load_balancer=False)
    try:
        codedeploy = lab.client("codedeploy")
        slow = "#!/bin/bash\nsleep 3\n"
        revision = upload_revision(lab.client, bucket, f"{fleet.group}/slow.zip", "slow", hooks={"BeforeInstall": slow})
        deployment_id = codedeploy.create_deployment(
            applicationName=fleet.application, deploymentGroupName=fleet.group, revision=revision
        )["deploymentId"]

        wait_for(
            lifecycle_event_running(lab.client, deployment_id, fleet.instances[0], "BeforeInstall"),
            "BeforeInstall to run on the first instance",
        )

        answer = codedeploy.stop_deployment(deploymentId=deployment_id)

        assert answer["status"] == "Pending"  # BeforeInstall is still running on the first instance
        info = wait_deployment(lab.client, deployment_id)
        assert info["status"] == "Stopped"
        assert info["errorInformation"]["code"] == "MANUAL_STOP"
        targets = targets_of(lab.client, deployment_id)
        first, second = fleet.instances
        assert targets[first]["status"] == "Failed" and targets[second]["status"] == "Skipped"
        statuses = {e["lifecycleEventName"]: e["status"] for e in targets[first]["lifecycleEvents"]}
        # The running BeforeInstall is ended (SIGTERM, then SIGKILL) rather than left to finish.
        assert statuses["BeforeInstall"] == "Failed" and statuses["Install"] == "Skipped"
        with aws_error("DeploymentAlreadyCompletedException", deployment_id):
            codedeploy.stop_deployment(deploymentId=deployment_id)
    finally:
        terminate(lab.client, fleet.instances)


def test_traffic_control_with_a_target_group(lab, service_role, bucket):
    tag = unique("alb-fleet")
    instances = run_web_instances(lab.client, 2, {"Fleet": tag})
    try:
        wait_web_ready(lab, instances)
        ec2, elbv2 = lab.client("ec2"), lab.client("elbv2")
        subnets = [subnet["SubnetId"] for subnet in ec2.describe_subnets()["Subnets"]][:2]
        vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
        alb = elbv2.create_load_balancer(Name=unique("alb"), Subnets=subnets)["LoadBalancers"][0]
        group_name = unique("tg")
        target_group = elbv2.create_target_group(
            Name=group_name,
            Protocol="HTTP",
            Port=80,
            VpcId=vpc,
            HealthCheckPath="/index.html",
            HealthCheckIntervalSeconds=6,
            HealthyThresholdCount=2,
            UnhealthyThresholdCount=2,
        )["TargetGroups"][0]
        arn = target_group["TargetGroupArn"]
        elbv2.create_listener(
            LoadBalancerArn=alb["LoadBalancerArn"],
            Protocol="HTTP",
            Port=80,
            DefaultActions=[{"Type": "forward", "TargetGroupArn": arn}],
        )
        elbv2.register_targets(TargetGroupArn=arn, Targets=[{"Id": i} for i in instances])

        def health() -> dict[str, str]:
            return {
                d["Target"]["Id"]: d["TargetHealth"]["State"]
                for d in elbv2.describe_target_health(TargetGroupArn=arn)["TargetHealthDescriptions"]
            }

        wait_for(lambda: health() == {i: "healthy" for i in instances}, "both targets healthy")
        codedeploy = lab.client("codedeploy")
        application, group = unique("app"), unique("group")
        codedeploy.create_application(applicationName=application)
        codedeploy.create_deployment_group(
            applicationName=application,
            deploymentGroupName=group,
            serviceRoleArn=service_role,
            ec2TagFilters=[{"Key": "Fleet", "Value": tag, "Type": "KEY_AND_VALUE"}],
            deploymentStyle={"deploymentType": "IN_PLACE", "deploymentOption": "WITH_TRAFFIC_CONTROL"},
            loadBalancerInfo={"targetGroupInfoList": [{"name": group_name}]},
        )
        seen: dict[str, list[str]] = {i: ["healthy"] for i in instances}  # as waited for above
        done = threading.Event()

        def watch() -> None:  # what DescribeTargetHealth says while the deployment runs
            while not done.is_set():
                states = health()
                for instance_id in instances:
                    state = states.get(instance_id, "not registered")
                    if not seen[instance_id] or seen[instance_id][-1] != state:
                        seen[instance_id].append(state)
                done.wait(0.05)

        watcher = threading.Thread(target=watch)
        watcher.start()
        try:
            deployment_id, info = deploy(lab, Fleet(application, group, instances, None), bucket, "tg")
        finally:
            done.set()
            watcher.join()

        assert info["status"] == "Succeeded", failures(lab.client, deployment_id)
        for instance_id, target in targets_of(lab.client, deployment_id).items():
            assert [e["lifecycleEventName"] for e in target["lifecycleEvents"]] == list(TRAFFIC_EVENTS)
            # Out of the target group during the deployment, back in and healthy after AllowTraffic.
            assert "not registered" in seen[instance_id] or "draining" in seen[instance_id], seen[instance_id]
        assert health() == {i: "healthy" for i in instances}
        url = lab.get("/_lab/status")["load_balancers"][alb["LoadBalancerName"]]
        assert {http_get(url)[1] for _ in range(6)} == {f"tg {i}" for i in instances}
    finally:
        terminate(lab.client, instances)
