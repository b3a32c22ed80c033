"""On an enforcing lab, a host's AWS calls act with its instance profile's role (instance metadata's STS session)."""

from __future__ import annotations

import json
import secrets
import time
import typing as t

import boto3
import pytest

from codedeploy_lab.fleet import sandbox as sandbox_module
from codedeploy_lab.testing import RunningLab
from codedeploy_lab.testing import run_cli
from codedeploy_lab.testing import running_lab


def admin_keys(lab: RunningLab) -> dict[str, str]:
    data = json.loads((lab.state_dir / "admin-credentials.json").read_text())
    return {"aws_access_key_id": data["access_key_id"], "aws_secret_access_key": data["secret_access_key"]}


def client(lab: RunningLab, service: str, keys: dict[str, str]) -> t.Any:

    return boto3.client(service, endpoint_url=lab.endpoint, region_name="us-east-1", **keys)


pytestmark = [
    pytest.mark.skipif(
        sandbox_module.sandbox_support_problem() is not None,
        reason=f"lab hosts need a sandbox: {sandbox_module.sandbox_support_problem()}",
    ),
    pytest.mark.skipif(sandbox_module.aws_cli_packages() is None, reason="the AWS CLI is not in the lab's environment"),
]


@pytest.fixture(scope="module")
def enforcing_fleet_lab(tmp_path_factory: pytest.TempPathFactory) -> t.Iterator[RunningLab]:
    state = tmp_path_factory.mktemp("enforcing-fleet-lab")
    with running_lab(state, rooms="fleet", enforce_iam=True) as lab:
        yield lab


def running_host(lab: RunningLab, instance_id: str) -> None:
    for _ in range(300):
        hosts = {host["instance_id"]: host for host in lab.get("/_lab/hosts")["hosts"]}
        if hosts.get(instance_id, {}).get("state") == "running":
            return
        time.sleep(0.2)
    raise AssertionError(f"host {instance_id} did not start: {hosts.get(instance_id)}")


def in_host(lab: RunningLab, instance_id: str, command: str) -> tuple[int, str]:
    result = run_cli(
        "host", "exec", "--state-dir", str(lab.state_dir), "--name", instance_id, "--", "sh", "-c", command, check=False
    )
    return result.returncode, result.stdout + result.stderr


def test_hooks_call_aws_with_the_instance_profiles_role(enforcing_fleet_lab: RunningLab) -> None:
    lab = enforcing_fleet_lab
    admin = admin_keys(lab)
    iam = client(lab, "iam", admin)
    name = f"web{secrets.token_hex(3)}"
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "ec2.amazonaws.com"}}],
    }
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))
    iam.put_role_policy(
        RoleName=name,
        PolicyName="list-buckets",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"}],
            }
        ),
    )
    iam.create_instance_profile(InstanceProfileName=name)
    iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=name)
    ec2 = client(lab, "ec2", admin)
    image = ec2.describe_images()["Images"][0]["ImageId"]
    with_profile = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, IamInstanceProfile={"Name": name})[
        "Instances"
    ][0]["InstanceId"]
    without = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    running_host(lab, with_profile)
    running_host(lab, without)

    code, output = in_host(lab, with_profile, "aws sts get-caller-identity --query Arn --output text")
    assert code == 0, output
    assert f":assumed-role/{name}/{with_profile}" in output
    code, output = in_host(lab, with_profile, "aws s3api list-buckets --output json")
    assert code == 0, output
    code, output = in_host(lab, with_profile, "aws deploy list-applications")
    assert code != 0
    assert f"assumed-role/{name}/{with_profile} is not authorized to perform: codedeploy:ListApplications" in output

    code, output = in_host(lab, without, "aws s3api list-buckets")  # no profile: no credentials AWS accepts
    assert code != 0
    assert "InvalidAccessKeyId" in output or "InvalidToken" in output, output
