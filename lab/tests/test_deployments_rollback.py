"""Automatic rollbacks and StopDeployment on lab hosts, driven with boto3 as on AWS (codedeploy-semantics.md 4).

One module fleet of two web hosts serves every test here; each test makes its own application and deployment group
(tag filter on the fleet) so group histories never mix, and installs its files under its own directory.
"""

from __future__ import annotations

import threading
import typing as t

import pytest

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
from codedeploy_lab.deployments.testing import web_load_balancer

FAILING = "#!/bin/bash\necho 'health check failed' >&2\nexit 2\n"
SLOW = "#!/bin/bash\nsleep 3\n"  # time for a test to act while the deployment runs
ROLLBACK_ON_FAILURE = {"enabled": True, "events": ["DEPLOYMENT_FAILURE"]}


class Group(t.NamedTuple):
    application: str
    name: str
    tag: str


class Fleet(t.NamedTuple):
    tag: str
    instances: list[str]


@pytest.fixture(scope="module")
def bucket() -> str:
    return unique("rollback-revisions")


@pytest.fixture(scope="module")
def fleet(lab) -> t.Iterator[Fleet]:
    tag = unique("rollback-fleet")
    instances = run_web_instances(lab.client, 2, {"Fleet": tag})
    try:
        wait_web_ready(lab, instances)
        yield Fleet(tag, instances)
    finally:
        terminate(lab.client, instances)


def make_group(lab, role: str, tag: str, **settings: t.Any) -> Group:
    codedeploy = lab.client("codedeploy")
    application, name = unique("app"), unique("group")
    codedeploy.create_application(applicationName=application)
    codedeploy.create_deployment_group(
        applicationName=application,
        deploymentGroupName=name,
        serviceRoleArn=role,
        deploymentConfigName=settings.pop("deploymentConfigName", "CodeDeployDefault.AllAtOnce"),
        ec2TagFilters=[{"Key": "Fleet", "Value": tag, "Type": "KEY_AND_VALUE"}],
        **settings,
    )
    return Group(application, name, tag)


def start(lab, group: Group, bucket: str, version: str, hooks: dict[str, str] | None = None, **options: t.Any) -> str:
    revision = upload_revision(
        lab.client, bucket, f"{group.name}/{version}.zip", version, hooks=hooks, destination=f"/opt/{group.name}"
    )
    return lab.client("codedeploy").create_deployment(
        applicationName=group.application, deploymentGroupName=group.name, revision=revision, **options
    )["deploymentId"]


def deploy(
    lab, group: Group, bucket: str, version: str, hooks: dict[str, str] | None = None, **options: t.Any
) -> tuple[str, dict[str, t.Any]]:
    deployment_id = start(lab, group, bucket, version, hooks, **options)
    return deployment_id, wait_deployment(lab.client, deployment_id)


def info_of(lab, deployment_id: str) -> dict[str, t.Any]:
    return lab.client("codedeploy").get_deployment(deploymentId=deployment_id)["deploymentInfo"]


def page(lab, instance_id: str) -> str:
    return host_page(lab, instance_id)[1]


def rollback_of(lab, deployment_id: str) -> tuple[dict[str, t.Any], dict[str, t.Any]]:
    """(the triggering deployment, its rollback) once the rollback ended."""
    rollback_id = info_of(lab, deployment_id)["rollbackInfo"]["rollbackDeploymentId"]
    rollback = wait_deployment(lab.client, rollback_id)
    return info_of(lab, deployment_id), rollback


def assert_rolled_back(lab, deployment_id: str, good_id: str, instances: list[str], version: str) -> dict[str, t.Any]:
    """The deployment's rollback redeployed ``good_id``'s revision to every instance and is linked both ways."""
    triggering, rollback = rollback_of(lab, deployment_id)
    good = info_of(lab, good_id)
    assert rollback["status"] == "Succeeded", failures(lab.client, rollback["deploymentId"])
    assert rollback["creator"] == "codeDeployRollback"
    assert rollback["revision"] == good["revision"]
    assert rollback["fileExistsBehavior"] == good["fileExistsBehavior"]
    assert rollback["deploymentConfigName"] == triggering["deploymentConfigName"]
    assert rollback["rollbackInfo"]["rollbackTriggeringDeploymentId"] == deployment_id
    assert "rollbackDeploymentId" not in rollback["rollbackInfo"]
    assert triggering["rollbackInfo"]["rollbackDeploymentId"] == rollback["deploymentId"]
    assert triggering["rollbackInfo"]["rollbackMessage"].startswith("Rollback succeeded"), triggering["rollbackInfo"]
    assert sorted(targets_of(lab.client, rollback["deploymentId"])) == sorted(instances)
    for instance_id in instances:
        assert page(lab, instance_id) == f"{version} {instance_id}"
    group = lab.client("codedeploy").get_deployment_group(
        applicationName=rollback["applicationName"], deploymentGroupName=rollback["deploymentGroupName"]
    )
    # As on AWS, a successful rollback is the group's last successful deployment.
    assert group["deploymentGroupInfo"]["lastSuccessfulDeployment"]["deploymentId"] == rollback["deploymentId"]
    return rollback


# -- DEPLOYMENT_FAILURE behind a Classic Load Balancer ---------------------------------------------------------------


def test_failing_hook_rolls_back_and_the_site_keeps_serving_the_last_good_revision(lab, service_role, bucket):
    """OneAtATime with traffic control: the failed host stays out of the load balancer until the rollback puts the
    last good revision back, so every request through the load balancer gets the last good page."""
    tag = unique("rollback-lb-fleet")
    instances = run_web_instances(lab.client, 2, {"Fleet": tag})
    try:
        wait_web_ready(lab, instances)
        name = web_load_balancer(lab.client, instances, draining_seconds=300)
        group = make_group(
            lab,
            service_role,
            tag,
            deploymentConfigName="CodeDeployDefault.OneAtATime",
            deploymentStyle={"deploymentType": "IN_PLACE", "deploymentOption": "WITH_TRAFFIC_CONTROL"},
            loadBalancerInfo={"elbInfoList": [{"name": name}]},
            autoRollbackConfiguration=ROLLBACK_ON_FAILURE,
        )
        good_id, good = deploy(lab, group, bucket, "good")
        assert good["status"] == "Succeeded", failures(lab.client, good_id)
        url = lab.get("/_lab/status")["load_balancers"][name]
        answers: list[tuple[int, str]] = []
        done = threading.Event()

        def hammer() -> None:
            while not done.is_set():
                answers.append(http_get(url, timeout=30))
                done.wait(0.05)

        client = threading.Thread(target=hammer)
        client.start()
        try:
            failed_id, failed = deploy(lab, group, bucket, "broken", hooks={"ValidateService": FAILING})
            assert failed["status"] == "Failed"
            assert failed["errorInformation"]["code"] == "HEALTH_CONSTRAINTS"
            # Failed and linked at once: no client sees it ended without its rollbackInfo.
            assert failed["rollbackInfo"]["rollbackMessage"].startswith("Rollback in progress"), failed["rollbackInfo"]
            rollback = assert_rolled_back(lab, failed_id, good_id, instances, "good")
        finally:
            done.set()
            client.join()

        first, second = instances  # the failed host first, then by id
        statuses = {i: t["status"] for i, t in targets_of(lab.client, failed_id).items()}
        assert statuses == {first: "Failed", second: "Skipped"}
        bodies = [body for status, body in answers if status == 200]
        # How many requests fit in the deployment depends on the machine's speed; a handful is enough to mean it.
        assert len(answers) >= 5 and len(bodies) == len(answers), [a for a in answers if a[0] != 200][:5]
        assert {body.split()[0] for body in bodies} == {"good"}, sorted(set(bodies))
        assert {http_get(url)[1] for _ in range(8)} == {f"good {i}" for i in instances}
        codedeploy = lab.client("codedeploy")
        assert codedeploy.list_deployments(applicationName=group.application, deploymentGroupName=group.name)[
            "deployments"
        ] == [rollback["deploymentId"], failed_id, good_id]
    finally:
        terminate(lab.client, instances)


# -- which configuration decides -------------------------------------------------------------------------------------


def test_the_deployments_own_configuration_overrides_its_groups(lab, fleet, service_role, bucket):
    group = make_group(lab, service_role, fleet.tag, autoRollbackConfiguration=ROLLBACK_ON_FAILURE)
    good_id, good = deploy(lab, group, bucket, "good")
    assert good["status"] == "Succeeded", failures(lab.client, good_id)

    declined_id, declined = deploy(
        lab,
        group,
        bucket,
        "broken",
        hooks={"ValidateService": FAILING},
        autoRollbackConfiguration={"enabled": False, "events": ["DEPLOYMENT_FAILURE"]},
    )
    assert declined["status"] == "Failed"
    assert declined["autoRollbackConfiguration"]["enabled"] is False
    assert "rollbackInfo" not in declined

    quiet = make_group(lab, service_role, fleet.tag)  # rollbacks disabled on the group
    good_id, good = deploy(lab, quiet, bucket, "quiet-good")
    assert good["status"] == "Succeeded", failures(lab.client, good_id)
    asked_id, asked = deploy(
        lab,
        quiet,
        bucket,
        "quiet-broken",
        hooks={"ValidateService": FAILING},
        autoRollbackConfiguration=ROLLBACK_ON_FAILURE,
    )
    assert asked["status"] == "Failed"
    assert_rolled_back(lab, asked_id, good_id, fleet.instances, "quiet-good")


def test_no_earlier_success_means_no_rollback(lab, fleet, service_role, bucket):
    group = make_group(lab, service_role, fleet.tag, autoRollbackConfiguration=ROLLBACK_ON_FAILURE)
    failed_id, failed = deploy(lab, group, bucket, "first-broken", hooks={"ValidateService": FAILING})
    assert failed["status"] == "Failed"
    assert "rollbackDeploymentId" not in failed["rollbackInfo"]
    assert "no earlier successful deployment" in failed["rollbackInfo"]["rollbackMessage"]
    assert lab.client("codedeploy").list_deployments(applicationName=group.application, deploymentGroupName=group.name)[
        "deployments"
    ] == [failed_id]


def test_a_failed_rollback_is_reported_and_rolls_back_no_further(lab, fleet, service_role, bucket):
    """The rollback's ApplicationStop runs the broken revision's failing script: the rollback fails, and the
    triggering deployment says so; no rollback of the rollback."""
    group = make_group(lab, service_role, fleet.tag, autoRollbackConfiguration=ROLLBACK_ON_FAILURE)
    good_id, good = deploy(lab, group, bucket, "good")
    assert good["status"] == "Succeeded", failures(lab.client, good_id)
    failing_stop = "#!/bin/bash\nexit 1\n"
    failed_id, failed = deploy(
        lab, group, bucket, "broken", hooks={"ValidateService": FAILING, "ApplicationStop": failing_stop}
    )
    assert failed["status"] == "Failed"
    triggering, rollback = rollback_of(lab, failed_id)
    assert rollback["status"] == "Failed"
    assert rollback["creator"] == "codeDeployRollback"
    assert triggering["rollbackInfo"]["rollbackMessage"].startswith("Rollback failed"), triggering["rollbackInfo"]
    assert "rollbackDeploymentId" not in rollback["rollbackInfo"]
    assert lab.client("codedeploy").list_deployments(applicationName=group.application, deploymentGroupName=group.name)[
        "deployments"
    ] == [rollback["deploymentId"], failed_id, good_id]


# -- StopDeployment --------------------------------------------------------------------------------------------------


def test_stop_with_rollback(lab, fleet, service_role, bucket):
    """autoRollbackEnabled=true rolls back even though the group does not ask for rollbacks on a stop."""
    group = make_group(lab, service_role, fleet.tag, autoRollbackConfiguration=ROLLBACK_ON_FAILURE)
    good_id, good = deploy(lab, group, bucket, "good")
    assert good["status"] == "Succeeded", failures(lab.client, good_id)
    deployment_id = start(lab, group, bucket, "slow", hooks={"AfterInstall": SLOW})
    wait_for(
        lifecycle_event_running(lab.client, deployment_id, fleet.instances[0], "AfterInstall"), "AfterInstall to run"
    )

    answer = lab.client("codedeploy").stop_deployment(deploymentId=deployment_id, autoRollbackEnabled=True)

    assert answer["status"] == "Pending"  # AfterInstall still runs on the hosts
    assert "are being ended" in answer["statusMessage"]
    stopped = wait_deployment(lab.client, deployment_id)
    assert stopped["status"] == "Stopped"
    assert stopped["errorInformation"]["code"] == "MANUAL_STOP"
    assert {t["status"] for t in targets_of(lab.client, deployment_id).values()} == {"Failed"}
    assert_rolled_back(lab, deployment_id, good_id, fleet.instances, "good")


def test_stop_without_rollback(lab, fleet, service_role, bucket):
    """autoRollbackEnabled=false declines the rollback the group asks for on a stop; the hosts keep what they got."""
    group = make_group(
        lab,
        service_role,
        fleet.tag,
        autoRollbackConfiguration={"enabled": True, "events": ["DEPLOYMENT_STOP_ON_REQUEST"]},
    )
    good_id, good = deploy(lab, group, bucket, "good")
    assert good["status"] == "Succeeded", failures(lab.client, good_id)
    deployment_id = start(lab, group, bucket, "half", hooks={"ApplicationStart": SLOW})
    wait_for(
        lifecycle_event_running(lab.client, deployment_id, fleet.instances[0], "ApplicationStart"),
        "ApplicationStart to run",
    )

    answer = lab.client("codedeploy").stop_deployment(deploymentId=deployment_id, autoRollbackEnabled=False)

    assert answer["status"] == "Pending"
    stopped = wait_deployment(lab.client, deployment_id)
    assert stopped["status"] == "Stopped"
    assert stopped["errorInformation"] == {"code": "MANUAL_STOP", "message": "The deployment was stopped by a user."}
    assert "rollbackInfo" not in stopped
    codedeploy = lab.client("codedeploy")
    assert codedeploy.list_deployments(applicationName=group.application, deploymentGroupName=group.name)[
        "deployments"
    ] == [deployment_id, good_id]
    with pytest.raises(codedeploy.exceptions.DeploymentAlreadyCompletedException):
        codedeploy.stop_deployment(deploymentId=deployment_id)


def test_stop_without_an_answer_follows_the_group(lab, fleet, service_role, bucket):
    """No autoRollbackEnabled: the group's DEPLOYMENT_STOP_ON_REQUEST decides; a stop before any host finished
    still rolls back every target."""
    group = make_group(
        lab,
        service_role,
        fleet.tag,
        autoRollbackConfiguration={"enabled": True, "events": ["DEPLOYMENT_STOP_ON_REQUEST"]},
    )
    good_id, good = deploy(lab, group, bucket, "good")
    assert good["status"] == "Succeeded", failures(lab.client, good_id)
    deployment_id = start(lab, group, bucket, "slow", hooks={"BeforeInstall": SLOW})
    wait_for(
        lifecycle_event_running(lab.client, deployment_id, fleet.instances[0], "BeforeInstall"), "BeforeInstall to run"
    )
    lab.client("codedeploy").stop_deployment(deploymentId=deployment_id)
    assert wait_deployment(lab.client, deployment_id)["status"] == "Stopped"
    assert_rolled_back(lab, deployment_id, good_id, fleet.instances, "good")
