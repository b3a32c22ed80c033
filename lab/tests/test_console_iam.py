"""The console beside a lab started with ``--enforce-iam``: it reads with the keys it is given, and a refused read
says which keys, which call, the lab's error and what the console needs, instead of an empty page.

One enforcing lab with the control plane only (``--rooms none``) serves the module; the console is served from this
test process (``serve_console``), and its JSON is fetched as the page's script fetches it.
"""

from __future__ import annotations

import json
import secrets
import typing as t
import urllib.error
import urllib.request

import boto3
import pytest

from codedeploy_lab.console.data import ANY_KEYS
from codedeploy_lab.console.data import READ_ACTIONS
from codedeploy_lab.console.testing import serve_console
from codedeploy_lab.iam.bootstrap import KeyPair
from codedeploy_lab.testing import RunningLab
from codedeploy_lab.testing import run_cli
from codedeploy_lab.testing import running_lab

REGION = "us-east-1"
ADMIN_KEYS_HINT = "`codedeploy-lab status --json` gives the administrator's as admin_credentials"


class Answer(t.NamedTuple):
    status: int
    body: t.Any


def fetch(url: str) -> Answer:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return Answer(response.status, json.loads(response.read()))
    except urllib.error.HTTPError as error:
        return Answer(error.code, json.loads(error.read()))


@pytest.fixture(scope="module")
def enforcing_lab(tmp_path_factory: pytest.TempPathFactory) -> t.Iterator[RunningLab]:
    with running_lab(tmp_path_factory.mktemp("console-enforcing-lab"), rooms="none", enforce_iam=True) as lab:
        yield lab


@pytest.fixture(scope="module")
def admin(enforcing_lab: RunningLab) -> KeyPair:
    """The administrator's keys, where a person finds them: ``codedeploy-lab status --json``."""
    status = json.loads(run_cli("status", "--state-dir", str(enforcing_lab.state_dir), "--json").stdout)
    return KeyPair(**status["admin_credentials"])


def client(lab: RunningLab, service: str, keys: KeyPair) -> t.Any:
    return boto3.client(service, endpoint_url=lab.endpoint, region_name=REGION, **keys.as_boto3())


def new_user(lab: RunningLab, admin: KeyPair, actions: t.Iterable[str]) -> KeyPair:
    """An IAM user allowed exactly ``actions`` on every resource, and its keys."""
    iam = client(lab, "iam", admin)
    name = f"console-reader-{secrets.token_hex(4)}"
    iam.create_user(UserName=name)
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": list(actions), "Resource": "*"}]}
    iam.put_user_policy(UserName=name, PolicyName="exactly-this", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return KeyPair(key["AccessKeyId"], key["SecretAccessKey"])


@pytest.fixture(scope="module")
def deployment(enforcing_lab: RunningLab, admin: KeyPair) -> dict[str, str]:
    """An application, a deployment group with a service role, and a deployment (Created: no engine), made by the
    administrator; and an instance behind a Classic Load Balancer and a target group, so the fleet page reads both."""
    iam, codedeploy = client(enforcing_lab, "iam", admin), client(enforcing_lab, "codedeploy", admin)
    suffix = secrets.token_hex(4)
    role = iam.create_role(
        RoleName=f"console-role-{suffix}",
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "codedeploy.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        ),
    )["Role"]["Arn"]
    application, group = f"console-app-{suffix}", f"console-group-{suffix}"
    codedeploy.create_application(applicationName=application)
    codedeploy.create_deployment_group(
        applicationName=application,
        deploymentGroupName=group,
        serviceRoleArn=role,
        ec2TagFilters=[{"Key": "Name", "Value": group, "Type": "KEY_AND_VALUE"}],
    )
    deployment_id = codedeploy.create_deployment(
        applicationName=application,
        deploymentGroupName=group,
        revision={
            "revisionType": "S3",
            "s3Location": {"bucket": "releases", "key": f"{group}/v1.zip", "bundleType": "zip"},
        },
    )["deploymentId"]

    ec2 = client(enforcing_lab, "ec2", admin)
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    instance = ec2.run_instances(
        ImageId=image,
        MinCount=1,
        MaxCount=1,
        TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": group}]}],
    )["Instances"][0]["InstanceId"]
    elb = client(enforcing_lab, "elb", admin)
    elb.create_load_balancer(
        LoadBalancerName=f"console-{suffix}",
        Listeners=[{"Protocol": "HTTP", "LoadBalancerPort": 80, "InstancePort": 80}],
        AvailabilityZones=["us-east-1a"],
    )
    elb.register_instances_with_load_balancer(
        LoadBalancerName=f"console-{suffix}", Instances=[{"InstanceId": instance}]
    )
    elbv2 = client(enforcing_lab, "elbv2", admin)
    vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
    target_group = elbv2.create_target_group(Name=f"console-{suffix}", Protocol="HTTP", Port=80, VpcId=vpc)
    elbv2.register_targets(
        TargetGroupArn=target_group["TargetGroups"][0]["TargetGroupArn"], Targets=[{"Id": instance, "Port": 80}]
    )
    return {"application": application, "group": group, "deployment": deployment_id, "instance": instance}


def pages(console: str, deployment: dict[str, str]) -> dict[str, Answer]:
    """Every JSON the console's pages fetch, by page."""
    return {
        "applications": fetch(f"{console}api/applications"),
        "group": fetch(f"{console}api/applications/{deployment['application']}/{deployment['group']}"),
        "deployment": fetch(f"{console}api/deployments/{deployment['deployment']}"),
        "fleet": fetch(f"{console}api/fleet"),
    }


def test_a_console_with_the_administrators_keys_reads_an_enforcing_lab(
    enforcing_lab: RunningLab, admin: KeyPair, deployment: dict[str, str]
) -> None:
    with serve_console(enforcing_lab, admin) as console:
        answers = pages(console, deployment)

    assert {name: answer.status for name, answer in answers.items()} == dict.fromkeys(answers, 200), answers
    applications = {a["applicationName"]: a for a in answers["applications"].body["applications"]}
    assert [g["name"] for g in applications[deployment["application"]]["deploymentGroups"]] == [deployment["group"]]
    assert [d["deploymentId"] for d in answers["group"].body["deployments"]] == [deployment["deployment"]]
    assert answers["deployment"].body["deployment"]["status"] == "Created"
    assert answers["deployment"].body["deployment"]["creator"] == "user"
    row = next(i for i in answers["fleet"].body["instances"] if i["instanceId"] == deployment["instance"])
    assert row["name"] == deployment["group"] and len(row["loadBalancers"]) == 2


def test_serve_console_reads_an_enforcing_lab_with_the_administrators_keys_by_default(
    enforcing_lab: RunningLab, deployment: dict[str, str]
) -> None:
    with serve_console(enforcing_lab) as console:
        answer = fetch(f"{console}api/applications")

    assert answer.status == 200, answer
    assert deployment["application"] in {a["applicationName"] for a in answer.body["applications"]}


def test_keys_the_lab_does_not_take_are_named_with_where_to_find_the_right_ones(
    enforcing_lab: RunningLab, admin: KeyPair, deployment: dict[str, str]
) -> None:
    wrong_secret = KeyPair(admin.access_key_id, "not-the-secret")
    with serve_console(enforcing_lab, ANY_KEYS) as console:
        unknown = pages(console, deployment)
    with serve_console(enforcing_lab, wrong_secret) as console:
        mismatched = fetch(f"{console}api/applications")

    for page, answer in unknown.items():
        assert answer.status == 502, (page, answer)
        error = answer.body["error"]
        assert error.startswith("The lab refused the console's ") and "signed with access key testing" in error
        assert "The lab enforces IAM and does not take these keys: give the console keys of a lab IAM user" in error
        assert ADMIN_KEYS_HINT in error
    assert "ListApplications call" in unknown["applications"].body["error"]
    assert (
        "UnrecognizedClientException: The security token included in the request is invalid. The lab"
        in (unknown["applications"].body["error"])
    )
    assert (
        "DescribeInstances call" in unknown["fleet"].body["error"] and "AuthFailure" in unknown["fleet"].body["error"]
    )
    assert mismatched.status == 502
    assert f"signed with access key {admin.access_key_id}: InvalidSignatureException" in mismatched.body["error"]
    assert admin.secret_access_key not in json.dumps(mismatched.body)


def test_keys_whose_policy_does_not_allow_a_read_name_the_action_and_what_the_console_needs(
    enforcing_lab: RunningLab, admin: KeyPair, deployment: dict[str, str]
) -> None:
    keys = new_user(enforcing_lab, admin, ["codedeploy:ListApplications"])
    with serve_console(enforcing_lab, keys) as console:
        answer = fetch(f"{console}api/applications")

    assert answer.status == 502, answer
    error = answer.body["error"]
    assert error.startswith(
        f"The lab refused the console's BatchGetApplications call, signed with access key {keys.access_key_id}: "
        f"AccessDeniedException: User: arn:aws:iam::123456789012:user/"
    )
    assert "is not authorized to perform: codedeploy:BatchGetApplications on resource: " in error
    assert f"The console needs keys whose policies allow {', '.join(READ_ACTIONS)} ({ADMIN_KEYS_HINT})." in error


def test_read_actions_are_all_the_console_needs(
    enforcing_lab: RunningLab, admin: KeyPair, deployment: dict[str, str]
) -> None:
    keys = new_user(enforcing_lab, admin, READ_ACTIONS)
    reader = client(enforcing_lab, "sts", keys).get_caller_identity()["Arn"]
    with serve_console(enforcing_lab, keys) as console:
        answers = pages(console, deployment)

    assert {name: answer.status for name, answer in answers.items()} == dict.fromkeys(answers, 200), answers
    used = set(enforcing_lab.get("/_lab/iam/actions")[reader])
    # A deployment's instances are read once it starts, which a lab without a deployment engine never does.
    assert used == set(READ_ACTIONS) - {"codedeploy:ListDeploymentTargets", "codedeploy:BatchGetDeploymentTargets"}
