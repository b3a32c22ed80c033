"""Blue/green deployments on lab hosts behind a real lab load balancer, driven with boto3 as on AWS.

The blue fleet is an Auto Scaling group (or tagged instances) whose user data serves ``v0 <instance id>``; a
revision's ApplicationStart writes ``<version> <instance id>`` (``codedeploy_lab.deployments.testing``). The session
lab's clock makes one AWS minute last one second, so the ready and termination waits below are short.
"""

from __future__ import annotations

import threading
import typing as t

import pytest

from codedeploy_lab.deployments.testing import failures
from codedeploy_lab.deployments.testing import http_get
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

GREEN_EVENTS = [
    "ApplicationStop",
    "DownloadBundle",
    "BeforeInstall",
    "Install",
    "AfterInstall",
    "ApplicationStart",
    "ValidateService",
    "BeforeAllowTraffic",
    "AllowTraffic",
    "AfterAllowTraffic",
]
BLUE_EVENTS = ["BeforeBlockTraffic", "BlockTraffic", "AfterBlockTraffic"]
ALL_AT_ONCE = "CodeDeployDefault.AllAtOnce"


@pytest.fixture(scope="module")
def bucket() -> str:
    return unique("bg-revisions")


class Site(t.NamedTuple):
    application: str
    group: str
    load_balancer: str
    url: str
    auto_scaling_group: str | None
    blue: list[str]


def load_balancer(lab) -> tuple[str, str]:
    """A Classic Load Balancer with a quick health check and connection draining; returns (name, lab URL)."""
    name = web_load_balancer(lab.client, draining_seconds=60)
    return name, lab.get("/_lab/status")["load_balancers"][name]


def in_service(lab, name: str) -> set[str]:
    return {
        s["InstanceId"]
        for s in lab.client("elb").describe_instance_health(LoadBalancerName=name)["InstanceStates"]
        if s["State"] == "InService"
    }


def blue_green_config(
    *,
    provisioning: str = "COPY_AUTO_SCALING_GROUP",
    ready: str = "CONTINUE_DEPLOYMENT",
    ready_minutes: int = 0,
    blue: str = "TERMINATE",
    blue_minutes: int = 0,
) -> dict[str, t.Any]:
    return {
        "deploymentReadyOption": {"actionOnTimeout": ready, "waitTimeInMinutes": ready_minutes},
        "greenFleetProvisioningOption": {"action": provisioning},
        "terminateBlueInstancesOnDeploymentSuccess": {"action": blue, "terminationWaitTimeInMinutes": blue_minutes},
    }


def asg_site(lab, role: str, config: dict[str, t.Any], count: int = 2, **group_options: t.Any) -> Site:
    """An Auto Scaling group behind a Classic Load Balancer, serving, and a blue/green deployment group for it."""
    elb_name, url = load_balancer(lab)
    asg = unique("bg-asg")
    autoscaling = lab.client("autoscaling")
    autoscaling.create_auto_scaling_group(
        AutoScalingGroupName=asg,
        MinSize=count,
        MaxSize=count + 2,
        DesiredCapacity=count,
        LaunchTemplate={"LaunchTemplateName": web_launch_template(lab.client)},
        AvailabilityZones=["us-east-1a"],
        LoadBalancerNames=[elb_name],
        HealthCheckType="ELB",
        HealthCheckGracePeriod=120,
        Tags=[{"Key": "Site", "Value": asg, "PropagateAtLaunch": True}],
    )
    blue = sorted(
        i["InstanceId"]
        for i in autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[asg])["AutoScalingGroups"][0][
            "Instances"
        ]
    )
    wait_web_ready(lab, blue)
    wait_for(lambda: in_service(lab, elb_name) == set(blue), "the blue fleet InService", timeout=60)
    application, group = _group(lab, role, config, elb_name, autoScalingGroups=[asg], **group_options)
    return Site(application, group, elb_name, url, asg, blue)


def _group(lab, role: str, config: dict[str, t.Any], elb_name: str, **group_options: t.Any) -> tuple[str, str]:
    codedeploy = lab.client("codedeploy")
    application, group = unique("bg-app"), unique("bg-group")
    codedeploy.create_application(applicationName=application)
    codedeploy.create_deployment_group(
        applicationName=application,
        deploymentGroupName=group,
        serviceRoleArn=role,
        deploymentConfigName=ALL_AT_ONCE,
        deploymentStyle={"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"},
        loadBalancerInfo={"elbInfoList": [{"name": elb_name}]},
        blueGreenDeploymentConfiguration=config,
        **group_options,
    )
    return application, group


def start(lab, site: Site, bucket: str, version: str, **options: t.Any) -> str:
    revision = upload_revision(
        lab.client, bucket, f"{site.group}/{version}.zip", version, hooks=options.pop("hooks", None)
    )
    return lab.client("codedeploy").create_deployment(
        applicationName=site.application, deploymentGroupName=site.group, revision=revision, **options
    )["deploymentId"]


def status_of(lab, deployment_id: str) -> dict[str, t.Any]:
    return lab.client("codedeploy").get_deployment(deploymentId=deployment_id)["deploymentInfo"]


def asg_names(lab) -> set[str]:
    return {
        g["AutoScalingGroupName"]
        for page in lab.client("autoscaling").get_paginator("describe_auto_scaling_groups").paginate()
        for g in page["AutoScalingGroups"]
    }


def group_asgs(lab, site: Site) -> list[str]:
    info = lab.client("codedeploy").get_deployment_group(
        applicationName=site.application, deploymentGroupName=site.group
    )["deploymentGroupInfo"]
    return [asg["name"] for asg in info.get("autoScalingGroups", [])]


def instance_states(lab, instance_ids: list[str]) -> dict[str, str]:
    reservations = lab.client("ec2").describe_instances(InstanceIds=instance_ids)["Reservations"]
    return {i["InstanceId"]: i["State"]["Name"] for r in reservations for i in r["Instances"]}


def cleanup_asgs(lab, *names: str | None) -> None:
    autoscaling = lab.client("autoscaling")
    existing = asg_names(lab)
    for name in names:
        if name and name in existing:
            autoscaling.delete_auto_scaling_group(AutoScalingGroupName=name, ForceDelete=True)


class Hammer:
    """Continuous HTTP requests through the load balancer, in a background thread."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.answers: list[tuple[int, str]] = []
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._loop)

    def _loop(self) -> None:
        while not self._done.is_set():
            self.answers.append(http_get(self.url, timeout=30))
            self._done.wait(0.02)

    def __enter__(self) -> Hammer:
        self._thread.start()
        return self

    def __exit__(self, *_: t.Any) -> None:
        self._done.set()
        self._thread.join()


# -- the console tutorial: copy the Auto Scaling group, reroute at once, terminate after 0 minutes ---------------------


def test_copied_auto_scaling_group_reroutes_without_losing_a_request(lab, service_role, bucket):
    site = asg_site(lab, service_role, blue_green_config())
    with Hammer(site.url) as hammer:
        wait_for(
            lambda: {body for _, body in list(hammer.answers)} >= {f"v0 {i}" for i in site.blue},
            "every blue host to answer",
        )
        deployment_id = start(lab, site, bucket, "v1")
        info = wait_deployment(lab.client, deployment_id, timeout=300)
        final = {http_get(site.url)[1] for _ in range(8)}
    green_asg = f"CodeDeploy_{site.group}_{deployment_id}"
    try:
        assert info["status"] == "Succeeded", failures(lab.client, deployment_id)
        failed = [answer for answer in hammer.answers if answer[0] != 200]
        assert failed == [] and len(hammer.answers) > 20, (len(hammer.answers), failed[:5])
        targets = targets_of(lab.client, deployment_id)
        blue = sorted(i for i, target in targets.items() if target["instanceLabel"] == "Blue")
        green = sorted(i for i, target in targets.items() if target["instanceLabel"] == "Green")
        assert blue == site.blue and len(green) == 2 and not set(green) & set(blue)
        # Blue served v0 and green v1 (no green host before its revision was installed); the stream starts on blue
        # and ends on green.
        bodies = [body for _, body in hammer.answers]
        assert set(bodies) <= {f"v0 {i}" for i in blue} | {f"v1 {i}" for i in green}, set(bodies)
        assert bodies[0].startswith("v0") and bodies[-1].startswith("v1")
        for instance_id, target in targets.items():
            assert target["status"] == "Succeeded"
            expected = BLUE_EVENTS if instance_id in blue else GREEN_EVENTS
            assert [e["lifecycleEventName"] for e in target["lifecycleEvents"]] == expected
            assert {e["status"] for e in target["lifecycleEvents"]} == {"Succeeded"}
        # Every green instance allowed traffic before the first blue instance blocked it.
        green_allowed = max(_event(targets[i], "AllowTraffic")["endTime"] for i in green)
        blue_blocked = min(_event(targets[i], "BlockTraffic")["startTime"] for i in blue)
        assert green_allowed <= blue_blocked
        assert final == {f"v1 {i}" for i in green}
        assert info["instanceTerminationWaitTimeStarted"] is True
        assert info["deploymentOverview"]["Succeeded"] == 4

        # The copy: the original's template, sizes, tags and the provisioning tag; the hook moved to it.
        autoscaling = lab.client("autoscaling")
        copy = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[green_asg])["AutoScalingGroups"][0]
        assert sorted(i["InstanceId"] for i in copy["Instances"]) == green
        assert (copy["MinSize"], copy["DesiredCapacity"], copy["MaxSize"]) == (2, 2, 4)
        assert copy["HealthCheckType"] == "ELB" and copy["HealthCheckGracePeriod"] == 120
        assert copy["LoadBalancerNames"] == [site.load_balancer]
        tags = {tag["Key"]: tag["Value"] for tag in copy["Tags"]}
        assert tags == {"Site": site.auto_scaling_group, "CodeDeployProvisioningDeploymentId": deployment_id}
        assert group_asgs(lab, site) == [green_asg]
        hooks = autoscaling.describe_lifecycle_hooks(AutoScalingGroupName=green_asg)["LifecycleHooks"]
        assert [
            h["LifecycleHookName"].startswith(f"CodeDeploy-managed-automatic-launch-deployment-hook-{site.group}-")
            for h in hooks
        ] == [True]
        # The original group is gone, its instances terminated, the load balancer serves green only.
        assert site.auto_scaling_group not in asg_names(lab)
        wait_for(
            lambda: set(instance_states(lab, blue).values()) <= {"shutting-down", "terminated"},
            "the blue instances terminated",
        )
        assert in_service(lab, site.load_balancer) == set(green)
    finally:
        cleanup_asgs(lab, site.auto_scaling_group, green_asg)


def _event(target: dict[str, t.Any], name: str) -> dict[str, t.Any]:
    return next(e for e in target["lifecycleEvents"] if e["lifecycleEventName"] == name)


# -- the ready wait ------------------------------------------------------------------------------------------------------


def test_ready_wait_then_continue_deployment(lab, service_role, bucket, aws_error):
    site = asg_site(lab, service_role, blue_green_config(ready="STOP_DEPLOYMENT", ready_minutes=120, blue="KEEP_ALIVE"))
    codedeploy = lab.client("codedeploy")
    deployment_id = start(lab, site, bucket, "v1")
    green_asg = f"CodeDeploy_{site.group}_{deployment_id}"
    try:
        with aws_error("DeploymentIsNotInReadyStateException", "does not have a status of Ready"):
            codedeploy.continue_deployment(deploymentId=deployment_id, deploymentWaitType="TERMINATION_WAIT")
        info = wait_for(
            lambda: (i := status_of(lab, deployment_id))["status"] in ("Ready", "Failed", "Stopped") and i,
            "the deployment Ready",
            timeout=240,
        )
        assert info["status"] == "Ready", failures(lab.client, deployment_id)
        assert info["deploymentOverview"]["Ready"] == 2
        targets = targets_of(lab.client, deployment_id)
        green = sorted(i for i, target in targets.items() if target["instanceLabel"] == "Green")
        assert {targets[i]["status"] for i in green} == {"Ready"}
        assert [e["status"] for e in targets[green[0]]["lifecycleEvents"]] == ["Succeeded"] * 7 + ["Pending"] * 3
        # Traffic has not moved: blue serves, green does not get requests yet.
        assert {http_get(site.url)[1] for _ in range(6)} == {f"v0 {i}" for i in site.blue}
        assert in_service(lab, site.load_balancer) == set(site.blue)

        codedeploy.continue_deployment(deploymentId=deployment_id, deploymentWaitType="READY_WAIT")
        info = wait_deployment(lab.client, deployment_id)
        assert info["status"] == "Succeeded", failures(lab.client, deployment_id)
        assert {http_get(site.url)[1] for _ in range(6)} == {f"v1 {i}" for i in green}
        # KEEP_ALIVE: blue keeps running, out of the load balancer and out of the deployment group.
        assert info["instanceTerminationWaitTimeStarted"] is False
        assert set(instance_states(lab, site.blue).values()) == {"running"}
        assert in_service(lab, site.load_balancer) == set(green)
        assert group_asgs(lab, site) == [green_asg]
        assert site.auto_scaling_group in asg_names(lab)
        assert (
            lab.client("autoscaling").describe_auto_scaling_groups(AutoScalingGroupNames=[site.auto_scaling_group])[
                "AutoScalingGroups"
            ][0]["LoadBalancerNames"]
            == []
        )

        # The copy carries the launch hook: an instance it launches gets v1 (creator autoscaling) before traffic.
        autoscaling = lab.client("autoscaling")
        autoscaling.set_desired_capacity(AutoScalingGroupName=green_asg, DesiredCapacity=3)
        launch_id = wait_for(
            lambda: [
                d
                for d in codedeploy.list_deployments(applicationName=site.application, deploymentGroupName=site.group)[
                    "deployments"
                ]
                if d != deployment_id
            ],
            "the launch deployment",
        )[0]
        launch = wait_deployment(lab.client, launch_id)
        assert launch["status"] == "Succeeded" and launch["creator"] == "autoscaling", failures(lab.client, launch_id)
        (newcomer,) = targets_of(lab.client, launch_id)
        wait_for(lambda: in_service(lab, site.load_balancer) == {*green, newcomer}, "the newcomer InService")
        assert f"v1 {newcomer}" in {http_get(site.url)[1] for _ in range(9)}
    finally:
        cleanup_asgs(lab, site.auto_scaling_group, green_asg)


def test_ready_wait_that_runs_out_stops_the_deployment(lab, service_role, bucket):
    site = asg_site(lab, service_role, blue_green_config(ready="STOP_DEPLOYMENT", ready_minutes=1), count=1)
    deployment_id = start(lab, site, bucket, "v1")
    green_asg = f"CodeDeploy_{site.group}_{deployment_id}"
    try:
        seen = set()
        info = wait_for(
            lambda: (
                seen.add((i := status_of(lab, deployment_id))["status"])
                or (i["status"] in ("Succeeded", "Failed", "Stopped") and i)
            ),
            "the deployment to end",
            timeout=240,
            interval=0.1,
        )
        assert info["status"] == "Stopped" and "Ready" in seen, (seen, failures(lab.client, deployment_id))
        assert info["errorInformation"]["code"] == "TIMEOUT"
        assert "rollbackInfo" not in info
        # Traffic never moved; the green group stays, as on AWS; the group still names the original.
        assert {http_get(site.url)[1] for _ in range(4)} == {f"v0 {i}" for i in site.blue}
        assert green_asg in asg_names(lab)
        assert group_asgs(lab, site) == [site.auto_scaling_group]
        targets = targets_of(lab.client, deployment_id)
        assert {target["status"] for target in targets.values()} == {"Skipped"}
    finally:
        cleanup_asgs(lab, site.auto_scaling_group, green_asg)


# -- failures ------------------------------------------------------------------------------------------------------------


def test_failing_green_hook_fails_and_traffic_stays_on_blue(lab, service_role, bucket):
    site = asg_site(lab, service_role, blue_green_config(), count=1)
    deployment_id = start(
        lab, site, bucket, "broken", hooks={"ValidateService": "#!/bin/bash\necho nope >&2\nexit 3\n"}
    )
    green_asg = f"CodeDeploy_{site.group}_{deployment_id}"
    try:
        info = wait_deployment(lab.client, deployment_id)
        assert info["status"] == "Failed" and info["errorInformation"]["code"] == "HEALTH_CONSTRAINTS"
        targets = targets_of(lab.client, deployment_id)
        (green,) = [i for i, target in targets.items() if target["instanceLabel"] == "Green"]
        events = {e["lifecycleEventName"]: e for e in targets[green]["lifecycleEvents"]}
        assert targets[green]["status"] == "Failed"
        assert events["ValidateService"]["status"] == "Failed"
        assert events["ValidateService"]["diagnostics"]["errorCode"] == "ScriptFailed"
        assert {events[name]["status"] for name in ("BeforeAllowTraffic", "AllowTraffic", "AfterAllowTraffic")} == {
            "Skipped"
        }
        assert {targets[i]["status"] for i in site.blue} == {"Skipped"}
        assert {http_get(site.url)[1] for _ in range(4)} == {f"v0 {i}" for i in site.blue}
        assert in_service(lab, site.load_balancer) == set(site.blue)
        assert green_asg in asg_names(lab) and site.auto_scaling_group in asg_names(lab)
        assert group_asgs(lab, site) == [site.auto_scaling_group]
    finally:
        cleanup_asgs(lab, site.auto_scaling_group, green_asg)


# -- DISCOVER_EXISTING ---------------------------------------------------------------------------------------------------


def test_discover_existing_by_tags(lab, service_role, bucket):
    elb_name, url = load_balancer(lab)
    tag = unique("bg-fleet")
    blue = run_web_instances(lab.client, 1, {"Fleet": tag, "Colour": "blue"})
    green = run_web_instances(lab.client, 1, {"Fleet": tag, "Colour": "green"})
    try:
        wait_web_ready(lab, blue + green)
        lab.client("elb").register_instances_with_load_balancer(
            LoadBalancerName=elb_name, Instances=[{"InstanceId": i} for i in blue]
        )
        wait_for(lambda: in_service(lab, elb_name) == set(blue), "blue InService")
        application, group = _group(
            lab,
            service_role,
            blue_green_config(provisioning="DISCOVER_EXISTING", blue_minutes=1),
            elb_name,
            ec2TagFilters=[{"Key": "Colour", "Value": "blue", "Type": "KEY_AND_VALUE"}],
        )
        site = Site(application, group, elb_name, url, None, blue)
        deployment_id = start(
            lab,
            site,
            bucket,
            "v1",
            targetInstances={"tagFilters": [{"Key": "Colour", "Value": "green", "Type": "KEY_AND_VALUE"}]},
        )
        info = wait_for(
            lambda: (
                (i := status_of(lab, deployment_id))["instanceTerminationWaitTimeStarted"]
                and i
                or (i["status"] in ("Failed", "Stopped") and i)
            ),
            "the termination wait",
            timeout=240,
        )
        assert info["status"] == "InProgress", failures(lab.client, deployment_id)
        assert {http_get(url)[1] for _ in range(4)} == {f"v1 {i}" for i in green}
        lab.client("codedeploy").skip_wait_time_for_instance_termination(deploymentId=deployment_id)
        info = wait_deployment(lab.client, deployment_id)
        assert info["status"] == "Succeeded", failures(lab.client, deployment_id)
        assert info["targetInstances"]["tagFilters"][0]["Value"] == "green"
        targets = targets_of(lab.client, deployment_id)
        assert {i: target["instanceLabel"] for i, target in targets.items()} == {blue[0]: "Blue", green[0]: "Green"}
        wait_for(
            lambda: set(instance_states(lab, blue).values()) <= {"shutting-down", "terminated"},
            "the blue instance terminated",
        )
        assert instance_states(lab, green) == {green[0]: "running"}
    finally:
        terminate(lab.client, blue + green)


# -- the rollback of a blue/green deployment -----------------------------------------------------------------------------


def test_failed_deployment_rolls_back_to_the_blue_fleet(lab, service_role, bucket):
    """DEPLOYMENT_FAILURE rollback of a blue/green deployment: traffic goes back to (stays on) the blue fleet."""
    site = asg_site(lab, service_role, blue_green_config(), count=1)
    first = start(lab, site, bucket, "v1")
    first_green_asg = f"CodeDeploy_{site.group}_{first}"
    second_green_asg = None
    try:
        info = wait_deployment(lab.client, first)
        assert info["status"] == "Succeeded", failures(lab.client, first)
        (serving,) = [i for i, target in targets_of(lab.client, first).items() if target["instanceLabel"] == "Green"]
        failing = start(
            lab,
            site,
            bucket,
            "broken",
            hooks={"ValidateService": "#!/bin/bash\nexit 1\n"},
            autoRollbackConfiguration={"enabled": True, "events": ["DEPLOYMENT_FAILURE"]},
        )
        second_green_asg = f"CodeDeploy_{site.group}_{failing}"
        info = wait_deployment(lab.client, failing)
        assert info["status"] == "Failed"
        rollback_id = wait_for(
            lambda: status_of(lab, failing).get("rollbackInfo", {}).get("rollbackDeploymentId"),
            "the rollback deployment",
            timeout=30,
        )
        rollback = wait_deployment(lab.client, rollback_id)
        assert rollback["status"] == "Succeeded", failures(lab.client, rollback_id)
        assert rollback["creator"] == "codeDeployRollback"
        assert rollback["rollbackInfo"]["rollbackTriggeringDeploymentId"] == failing
        assert rollback["deploymentStyle"]["deploymentType"] == "BLUE_GREEN"
        targets = targets_of(lab.client, rollback_id)
        (replacement,) = [i for i, target in targets.items() if target["instanceLabel"] == "Green"]
        assert [e["lifecycleEventName"] for e in targets[serving]["lifecycleEvents"]] == [
            "BeforeAllowTraffic",
            "AllowTraffic",
            "AfterAllowTraffic",
        ]
        assert targets[serving]["instanceLabel"] == "Blue"
        assert [e["lifecycleEventName"] for e in targets[replacement]["lifecycleEvents"]] == BLUE_EVENTS
        assert {target["status"] for target in targets.values()} == {"Succeeded"}
        # No new Auto Scaling group for the rollback; the site serves the last good revision.
        assert not [name for name in asg_names(lab) if name.endswith(rollback_id)]
        assert {http_get(site.url)[1] for _ in range(4)} == {f"v1 {serving}"}
        assert in_service(lab, site.load_balancer) == {serving}
        assert group_asgs(lab, site) == [first_green_asg]
    finally:
        cleanup_asgs(lab, site.auto_scaling_group, first_green_asg, second_green_asg)


# -- target groups, and a stop while Ready -------------------------------------------------------------------------------


def test_copied_group_behind_a_target_group(lab, service_role, bucket):
    """An Application Load Balancer's target group: green registered and healthy, blue out, the copy attached."""
    ec2, elbv2, autoscaling = lab.client("ec2"), lab.client("elbv2"), lab.client("autoscaling")
    subnets = [subnet["SubnetId"] for subnet in ec2.describe_subnets()["Subnets"]][:2]
    vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
    alb = elbv2.create_load_balancer(Name=unique("bg-alb"), Subnets=subnets)["LoadBalancers"][0]
    target_group_name = unique("bg-tg")
    arn = elbv2.create_target_group(
        Name=target_group_name,
        Protocol="HTTP",
        Port=80,
        VpcId=vpc,
        HealthCheckPath="/index.html",
        HealthCheckIntervalSeconds=6,
        HealthyThresholdCount=2,
        UnhealthyThresholdCount=2,
    )["TargetGroups"][0]["TargetGroupArn"]
    elbv2.create_listener(
        LoadBalancerArn=alb["LoadBalancerArn"],
        Protocol="HTTP",
        Port=80,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": arn}],
    )
    asg = unique("bg-asg")
    autoscaling.create_auto_scaling_group(
        AutoScalingGroupName=asg,
        MinSize=1,
        MaxSize=2,
        DesiredCapacity=1,
        TargetGroupARNs=[arn],
        LaunchTemplate={"LaunchTemplateName": web_launch_template(lab.client)},
        AvailabilityZones=["us-east-1a"],
    )
    (blue,) = [
        i["InstanceId"]
        for i in autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[asg])["AutoScalingGroups"][0][
            "Instances"
        ]
    ]

    def health() -> dict[str, str]:
        return {
            d["Target"]["Id"]: d["TargetHealth"]["State"]
            for d in elbv2.describe_target_health(TargetGroupArn=arn)["TargetHealthDescriptions"]
        }

    wait_web_ready(lab, [blue])
    wait_for(lambda: health() == {blue: "healthy"}, "blue healthy")
    codedeploy = lab.client("codedeploy")
    application, group = unique("bg-app"), unique("bg-group")
    codedeploy.create_application(applicationName=application)
    codedeploy.create_deployment_group(
        applicationName=application,
        deploymentGroupName=group,
        serviceRoleArn=service_role,
        autoScalingGroups=[asg],
        deploymentStyle={"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"},
        loadBalancerInfo={"targetGroupInfoList": [{"name": target_group_name}]},
        blueGreenDeploymentConfiguration=blue_green_config(),
    )
    url = lab.get("/_lab/status")["load_balancers"][alb["LoadBalancerName"]]
    site = Site(application, group, alb["LoadBalancerName"], url, asg, [blue])
    deployment_id = start(lab, site, bucket, "v1")
    green_asg = f"CodeDeploy_{group}_{deployment_id}"
    try:
        info = wait_deployment(lab.client, deployment_id)
        assert info["status"] == "Succeeded", failures(lab.client, deployment_id)
        (green,) = [
            i for i, target in targets_of(lab.client, deployment_id).items() if target["instanceLabel"] == "Green"
        ]
        assert health() == {green: "healthy"}
        assert {http_get(url)[1] for _ in range(4)} == {f"v1 {green}"}
        copy = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[green_asg])["AutoScalingGroups"][0]
        assert copy["TargetGroupARNs"] == [arn]
        assert asg not in asg_names(lab)
    finally:
        cleanup_asgs(lab, asg, green_asg)


def test_stop_while_ready(lab, service_role, bucket):
    site = asg_site(lab, service_role, blue_green_config(ready="STOP_DEPLOYMENT", ready_minutes=120), count=1)
    codedeploy = lab.client("codedeploy")
    deployment_id = start(lab, site, bucket, "v1")
    green_asg = f"CodeDeploy_{site.group}_{deployment_id}"
    try:
        wait_for(
            lambda: status_of(lab, deployment_id)["status"] in ("Ready", "Failed", "Stopped"),
            "the deployment Ready",
            timeout=240,
        )
        answer = codedeploy.stop_deployment(deploymentId=deployment_id)
        assert answer["status"] == "Succeeded"
        info = wait_deployment(lab.client, deployment_id)
        assert info["status"] == "Stopped" and info["errorInformation"]["code"] == "MANUAL_STOP"
        assert {http_get(site.url)[1] for _ in range(4)} == {f"v0 {i}" for i in site.blue}
        assert group_asgs(lab, site) == [site.auto_scaling_group]
    finally:
        cleanup_asgs(lab, site.auto_scaling_group, green_asg)
