"""The large-fleet mode: 500 simulated hosts deploy AllAtOnce, and the target listings page and batch as on AWS.

One private lab (``codedeploy-lab up --fleet simulated --hook-seconds 0.05``) for the module; every call goes over
HTTP through boto3, as it would to AWS.
"""

from __future__ import annotations

import json
import typing as t
import urllib.error
import urllib.request

import pytest

from codedeploy_lab.deployments.testing import targets_of
from codedeploy_lab.deployments.testing import unique
from codedeploy_lab.deployments.testing import wait_deployment
from codedeploy_lab.deployments.testing import wait_for
from codedeploy_lab.service.models import MAX_BATCH_TARGETS
from codedeploy_lab.service.models import PAGE_SIZE
from codedeploy_lab.testing import RunningLab
from codedeploy_lab.testing import run_cli
from codedeploy_lab.testing import running_lab

FLEET_SIZE = 500
HOOK_SECONDS = 0.05
AGENT_EVENTS = [
    "ApplicationStop",
    "DownloadBundle",
    "BeforeInstall",
    "Install",
    "AfterInstall",
    "ApplicationStart",
    "ValidateService",
]


@pytest.fixture(scope="module")
def big_lab(tmp_path_factory: pytest.TempPathFactory) -> t.Iterator[RunningLab]:
    with running_lab(
        tmp_path_factory.mktemp("large-fleet") / "state", fleet="simulated", hook_seconds=HOOK_SECONDS
    ) as lab:
        yield lab


@pytest.fixture(scope="module")
def fleet(big_lab: RunningLab) -> dict[str, t.Any]:
    """500 instances in one deployment group (AllAtOnce) and a bundle in S3."""
    tag = unique("fleet")
    reservation = big_lab.client("ec2").run_instances(
        ImageId="ami-12345678",
        MinCount=FLEET_SIZE,
        MaxCount=FLEET_SIZE,
        InstanceType="t3.micro",
        TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "fleet", "Value": tag}]}],
    )
    role = big_lab.client("iam").create_role(RoleName=unique("codedeploy"), AssumeRolePolicyDocument="{}")
    s3 = big_lab.client("s3")
    s3.create_bucket(Bucket="large-fleet")
    s3.put_object(Bucket="large-fleet", Key="app.zip", Body=b"simulated hosts never open it")
    codedeploy = big_lab.client("codedeploy")
    codedeploy.create_application(applicationName="large")
    codedeploy.create_deployment_group(
        applicationName="large",
        deploymentGroupName="fleet",
        serviceRoleArn=role["Role"]["Arn"],
        deploymentConfigName="CodeDeployDefault.AllAtOnce",
        ec2TagFilters=[{"Key": "fleet", "Value": tag, "Type": "KEY_AND_VALUE"}],
    )
    return {
        "instance_ids": {instance["InstanceId"] for instance in reservation["Instances"]},
        "revision": {
            "revisionType": "S3",
            "s3Location": {"bucket": "large-fleet", "key": "app.zip", "bundleType": "zip"},
        },
    }


@pytest.fixture(scope="module")
def deployment(big_lab: RunningLab, fleet: dict[str, t.Any]) -> dict[str, t.Any]:
    codedeploy = big_lab.client("codedeploy")
    deployment_id = codedeploy.create_deployment(
        applicationName="large", deploymentGroupName="fleet", revision=fleet["revision"]
    )["deploymentId"]
    return wait_deployment(lambda service: big_lab.client(service), deployment_id, timeout=300)


def _post(lab: RunningLab, path: str, body: t.Any) -> tuple[int, dict[str, t.Any]]:
    try:
        with urllib.request.urlopen(lab.request("POST", path, body), timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def _pages(call: t.Callable[..., dict[str, t.Any]], key: str, **params: t.Any) -> list[list[str]]:
    """Every page of a List* call, following nextToken by hand (what a paginator does)."""
    pages, token = [], None
    while True:
        answer = call(**params, **({"nextToken": token} if token else {}))
        pages.append(answer[key])
        token = answer.get("nextToken")
        if not token:
            return pages


def test_a_500_instance_deployment_succeeds(
    big_lab: RunningLab, fleet: dict[str, t.Any], deployment: dict[str, t.Any]
) -> None:
    assert deployment["status"] == "Succeeded", deployment.get("errorInformation")
    assert deployment["deploymentOverview"]["Succeeded"] == FLEET_SIZE
    hosts = big_lab.get("/_lab/hosts")["hosts"]
    assert {host["instance_id"] for host in hosts} == fleet["instance_ids"]
    assert all(host["simulated"] and host["state"] == "running" for host in hosts)


def test_targets_page_by_100_without_duplicates(
    big_lab: RunningLab, fleet: dict[str, t.Any], deployment: dict[str, t.Any]
) -> None:
    codedeploy = big_lab.client("codedeploy")
    pages = _pages(codedeploy.list_deployment_targets, "targetIds", deploymentId=deployment["deploymentId"])
    assert [len(page) for page in pages] == [PAGE_SIZE] * (FLEET_SIZE // PAGE_SIZE)
    ids = [target_id for page in pages for target_id in page]
    assert len(ids) == len(set(ids)) and set(ids) == fleet["instance_ids"]
    instance_pages = _pages(
        codedeploy.list_deployment_instances, "instancesList", deploymentId=deployment["deploymentId"]
    )
    assert [len(page) for page in instance_pages] == [PAGE_SIZE] * (FLEET_SIZE // PAGE_SIZE)
    assert sorted(i for page in instance_pages for i in page) == sorted(ids)
    filtered = _pages(
        codedeploy.list_deployment_targets,
        "targetIds",
        deploymentId=deployment["deploymentId"],
        targetFilters={"TargetStatus": ["Succeeded"]},
    )
    assert sum(len(page) for page in filtered) == FLEET_SIZE


def test_batch_gets_take_at_most_25_ids(big_lab: RunningLab, deployment: dict[str, t.Any]) -> None:
    codedeploy = big_lab.client("codedeploy")
    deployment_id = deployment["deploymentId"]
    ids = codedeploy.list_deployment_targets(deploymentId=deployment_id)["targetIds"]
    assert MAX_BATCH_TARGETS == 25
    with pytest.raises(codedeploy.exceptions.BatchLimitExceededException, match="26 target IDs"):
        codedeploy.batch_get_deployment_targets(deploymentId=deployment_id, targetIds=ids[:26])
    with pytest.raises(codedeploy.exceptions.BatchLimitExceededException, match="26 instance IDs"):
        codedeploy.batch_get_deployment_instances(deploymentId=deployment_id, instanceIds=ids[:26])
    targets = [
        entry["instanceTarget"]
        for entry in codedeploy.batch_get_deployment_targets(deploymentId=deployment_id, targetIds=ids[:25])[
            "deploymentTargets"
        ]
    ]
    assert [target["targetId"] for target in targets] == ids[:25]
    for target in targets:
        assert target["status"] == "Succeeded"
        assert [event["lifecycleEventName"] for event in target["lifecycleEvents"]] == AGENT_EVENTS
        for event in target["lifecycleEvents"]:
            assert event["status"] == "Succeeded" and event["diagnostics"]["errorCode"] == "Success"
            assert event["endTime"] >= event["startTime"]
    summaries = codedeploy.batch_get_deployment_instances(deploymentId=deployment_id, instanceIds=ids[:25])
    assert len(summaries["instancesSummary"]) == 25 and summaries["errorMessage"] == ""


def test_a_fraction_of_hosts_fails_validate_service(
    big_lab: RunningLab, fleet: dict[str, t.Any], deployment: dict[str, t.Any]
) -> None:
    status, answer = _post(big_lab, "/_lab/fleet/simulation", {"fail_fraction": 1.5})
    assert status == 400 and "fail_fraction must be between 0 and 1" in answer["message"]
    status, answer = _post(big_lab, "/_lab/fleet/simulation", {"fail_fraction": 0.1})
    assert status == 200 and answer["fail_fraction"] == 0.1 and answer["hosts"] == FLEET_SIZE
    try:
        codedeploy = big_lab.client("codedeploy")
        deployment_id = codedeploy.create_deployment(
            applicationName="large", deploymentGroupName="fleet", revision=fleet["revision"]
        )["deploymentId"]
        ended = wait_deployment(lambda service: big_lab.client(service), deployment_id, timeout=300)
    finally:
        _post(big_lab, "/_lab/fleet/simulation", {"fail_fraction": 0})
    overview = ended["deploymentOverview"]
    # AllAtOnce needs one healthy instance; about a tenth fail, each at ValidateService.
    assert ended["status"] == "Succeeded"
    assert 20 <= overview["Failed"] <= 90 and overview["Succeeded"] + overview["Failed"] == FLEET_SIZE
    failed_ids = [
        i
        for page in _pages(
            codedeploy.list_deployment_targets,
            "targetIds",
            deploymentId=deployment_id,
            targetFilters={"TargetStatus": ["Failed"]},
        )
        for i in page
    ]
    assert len(failed_ids) == overview["Failed"]
    target = targets_of(lambda service: big_lab.client(service), deployment_id)[failed_ids[0]]
    failed = [event for event in target["lifecycleEvents"] if event["status"] == "Failed"]
    assert [event["lifecycleEventName"] for event in failed] == ["ValidateService"]
    assert failed[0]["diagnostics"]["errorCode"] == "ScriptFailed"


@pytest.mark.parametrize(
    "option,value,message",
    [
        ("--fail-fraction", "1.5", "must be a fraction between 0 and 1, got 1.5"),
        ("--hook-seconds", "-1", "must be between 0 and 3600 seconds, got -1"),
        ("--fleet", "virtual", "invalid choice: 'virtual'"),
    ],
)
def test_bad_large_fleet_options_are_refused_before_starting(
    tmp_path: t.Any, option: str, value: str, message: str
) -> None:
    result = run_cli(
        "up", "--state-dir", str(tmp_path / "state"), "--port", "0", "--fleet", "simulated", option, value, check=False
    )
    assert result.returncode == 2
    assert option in result.stderr and message in result.stderr
    assert not (tmp_path / "state" / "lab.json").exists()


def test_a_stop_skips_the_instances_still_waiting_for_their_turn(
    big_lab: RunningLab, fleet: dict[str, t.Any], deployment: dict[str, t.Any]
) -> None:
    """The engine runs at most 64 targets at once; a stop leaves the rest Skipped, the ones it interrupted Failed."""
    _post(big_lab, "/_lab/fleet/simulation", {"hook_seconds": 0.5})
    try:
        codedeploy = big_lab.client("codedeploy")
        deployment_id = codedeploy.create_deployment(
            applicationName="large", deploymentGroupName="fleet", revision=fleet["revision"]
        )["deploymentId"]
        wait_for(
            lambda: codedeploy.get_deployment(deploymentId=deployment_id)["deploymentInfo"]["deploymentOverview"][
                "InProgress"
            ],
            "targets in progress",
            timeout=120,
        )
        codedeploy.stop_deployment(deploymentId=deployment_id)
        ended = wait_deployment(lambda service: big_lab.client(service), deployment_id, timeout=300)
    finally:
        _post(big_lab, "/_lab/fleet/simulation", {"hook_seconds": HOOK_SECONDS})
    assert ended["status"] == "Stopped"
    targets = targets_of(lambda service: big_lab.client(service), deployment_id)
    never_started = [
        target for target in targets.values() if all("startTime" not in event for event in target["lifecycleEvents"])
    ]
    interrupted = [target for target in targets.values() if target not in never_started]
    assert len(never_started) >= FLEET_SIZE - 2 * 64
    assert {target["status"] for target in never_started} == {"Skipped"}
    assert {target["status"] for target in interrupted} <= {"Failed", "Succeeded"}
