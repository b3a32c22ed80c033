"""An enforcing lab (``codedeploy-lab up --enforce-iam``) over HTTP: authentication, authorization, bootstrapping.

One lab with the control plane only (``--rooms none``) serves the module; every test makes its own IAM user.
"""

from __future__ import annotations

import json
import secrets
import stat
import typing as t
import urllib.error
import urllib.request
from pathlib import Path

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError

from codedeploy_lab.testing import RunningLab
from codedeploy_lab.testing import run_cli
from codedeploy_lab.testing import running_lab

ACCOUNT = "123456789012"
REGION = "us-east-1"


@pytest.fixture(scope="module")
def enforcing_lab(tmp_path_factory: pytest.TempPathFactory) -> t.Iterator[RunningLab]:
    state = tmp_path_factory.mktemp("enforcing-lab")
    with running_lab(state, rooms="none", enforce_iam=True) as lab:
        yield lab


def admin_keys(lab: RunningLab) -> dict[str, str]:
    data = json.loads((lab.state_dir / "admin-credentials.json").read_text())
    return {"aws_access_key_id": data["access_key_id"], "aws_secret_access_key": data["secret_access_key"]}


def client(lab: RunningLab, service: str, keys: dict[str, str], **extra: t.Any) -> t.Any:
    return boto3.client(
        service,
        endpoint_url=lab.endpoint,
        region_name=REGION,
        config=Config(retries={"max_attempts": 1}, s3={"addressing_style": "path"}),
        **keys,
        **extra,
    )


def new_user(lab: RunningLab, *statements: dict[str, t.Any], managed: bool = False) -> dict[str, str]:
    """An IAM user holding exactly ``statements`` (inline, or as a customer managed policy), and its keys."""
    iam = client(lab, "iam", admin_keys(lab))
    name = f"user-{secrets.token_hex(4)}"
    iam.create_user(UserName=name)
    document = json.dumps({"Version": "2012-10-17", "Statement": list(statements)})
    if managed:
        arn = iam.create_policy(PolicyName=f"{name}-policy", PolicyDocument=document)["Policy"]["Arn"]
        iam.attach_user_policy(UserName=name, PolicyArn=arn)
    elif statements:
        iam.put_user_policy(UserName=name, PolicyName="exactly-this", PolicyDocument=document)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return {"aws_access_key_id": key["AccessKeyId"], "aws_secret_access_key": key["SecretAccessKey"]}


def user_arn(lab: RunningLab, keys: dict[str, str]) -> str:
    return str(client(lab, "sts", keys).get_caller_identity()["Arn"])


def error_of(call: t.Callable[[], t.Any]) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as caught:
        call()
    error = caught.value.response
    return error["Error"]["Code"], error["Error"].get("Message", ""), error["ResponseMetadata"]["HTTPStatusCode"]


def allow(action: t.Any, resource: t.Any = "*", **extra: t.Any) -> dict[str, t.Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


# -- authentication: every service of the lab ------------------------------------------------------------------------

# service -> (a read call, the code of an unknown key, the code of a wrong secret)
SERVICES: dict[str, tuple[t.Callable[[t.Any], t.Any], str, str]] = {
    "codedeploy": (lambda c: c.list_applications(), "UnrecognizedClientException", "InvalidSignatureException"),
    "s3": (lambda c: c.list_buckets(), "InvalidAccessKeyId", "SignatureDoesNotMatch"),
    "ec2": (lambda c: c.describe_instances(), "AuthFailure", "AuthFailure"),
    "iam": (lambda c: c.list_roles(), "InvalidClientTokenId", "SignatureDoesNotMatch"),
    "sts": (lambda c: c.get_caller_identity(), "InvalidClientTokenId", "SignatureDoesNotMatch"),
    "autoscaling": (lambda c: c.describe_auto_scaling_groups(), "InvalidClientTokenId", "SignatureDoesNotMatch"),
    "elb": (lambda c: c.describe_load_balancers(), "InvalidClientTokenId", "SignatureDoesNotMatch"),
    "elbv2": (lambda c: c.describe_target_groups(), "InvalidClientTokenId", "SignatureDoesNotMatch"),
    "cloudwatch": (lambda c: c.describe_alarms(), "UnrecognizedClientException", "InvalidSignatureException"),
    "sns": (lambda c: c.list_topics(), "InvalidClientTokenId", "SignatureDoesNotMatch"),
}


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_an_unknown_key_and_a_wrong_secret_are_refused_with_the_services_errors(
    enforcing_lab: RunningLab, service: str
) -> None:
    call, unknown_code, signature_code = SERVICES[service]
    keys = admin_keys(enforcing_lab)
    call(client(enforcing_lab, service, keys))  # the administrator may

    unknown = {"aws_access_key_id": "AKIAIOSFODNN7EXAMPLE", "aws_secret_access_key": keys["aws_secret_access_key"]}
    code, message, _ = error_of(lambda: call(client(enforcing_lab, service, unknown)))
    assert code == unknown_code
    assert message

    wrong = {"aws_access_key_id": keys["aws_access_key_id"], "aws_secret_access_key": "not-the-secret"}
    code, message, _ = error_of(lambda: call(client(enforcing_lab, service, wrong)))
    assert code == signature_code
    assert message


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_an_unsigned_request_is_refused(enforcing_lab: RunningLab, service: str) -> None:

    unsigned = boto3.client(
        service,
        endpoint_url=enforcing_lab.endpoint,
        region_name=REGION,
        config=Config(signature_version=UNSIGNED, retries={"max_attempts": 1}),
    )
    code, _, status = error_of(lambda: SERVICES[service][0](unsigned))
    assert code in ("MissingAuthenticationTokenException", "MissingAuthenticationToken", "AccessDenied")
    assert status == 403


def test_a_role_session_signs_with_its_token_and_acts_with_the_roles_policies(enforcing_lab: RunningLab) -> None:
    iam = client(enforcing_lab, "iam", admin_keys(enforcing_lab))
    role = f"reader-{secrets.token_hex(4)}"
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}}
        ],
    }
    arn = iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    iam.put_role_policy(
        RoleName=role,
        PolicyName="list",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [allow("codedeploy:ListApplications")]}),
    )
    session = client(enforcing_lab, "sts", admin_keys(enforcing_lab)).assume_role(RoleArn=arn, RoleSessionName="test")[
        "Credentials"
    ]
    keys = {"aws_access_key_id": session["AccessKeyId"], "aws_secret_access_key": session["SecretAccessKey"]}

    codedeploy = client(enforcing_lab, "codedeploy", keys, aws_session_token=session["SessionToken"])
    codedeploy.list_applications()
    code, message, _ = error_of(lambda: codedeploy.list_deployment_configs())
    assert code == "AccessDeniedException"
    assert message.startswith(
        f"User: arn:aws:sts::{ACCOUNT}:assumed-role/{role}/test is not authorized to perform: "
        "codedeploy:ListDeploymentConfigs on resource: *"
    )

    forged = client(enforcing_lab, "codedeploy", keys, aws_session_token="not-the-token")
    assert error_of(lambda: forged.list_applications())[0] == "UnrecognizedClientException"

    untrusted = iam.create_role(
        RoleName=f"{role}-other",
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "ec2.amazonaws.com"}}
                ],
            }
        ),
    )["Role"]["Arn"]
    code, message, _ = error_of(
        lambda: client(enforcing_lab, "sts", admin_keys(enforcing_lab)).assume_role(
            RoleArn=untrusted, RoleSessionName="test"
        )
    )
    assert code == "AccessDenied"
    assert f"sts:AssumeRole on resource: {untrusted}" in message


# -- authorization ---------------------------------------------------------------------------------------------------


def test_access_denied_names_the_principal_the_action_and_the_resource(enforcing_lab: RunningLab) -> None:
    keys = new_user(enforcing_lab, allow("codedeploy:List*"))
    arn = user_arn(enforcing_lab, keys)
    codedeploy = client(enforcing_lab, "codedeploy", keys)
    codedeploy.list_applications()

    code, message, status = error_of(lambda: codedeploy.create_application(applicationName="denied-app"))
    assert (code, status) == ("AccessDeniedException", 400)
    assert message == (
        f"User: {arn} is not authorized to perform: codedeploy:CreateApplication on resource: "
        f"arn:aws:codedeploy:{REGION}:{ACCOUNT}:application:denied-app because no identity-based "
        "policy allows the codedeploy:CreateApplication action"
    )

    code, message, status = error_of(lambda: client(enforcing_lab, "s3", keys).head_bucket(Bucket="no-such-bucket"))
    assert status == 403  # HEAD has no body: the status is all S3 gives


def test_an_explicit_deny_wins_and_says_so(enforcing_lab: RunningLab) -> None:
    keys = new_user(
        enforcing_lab,
        allow("codedeploy:*"),
        {"Effect": "Deny", "Action": "codedeploy:DeleteApplication", "Resource": "*"},
    )
    codedeploy = client(enforcing_lab, "codedeploy", keys)
    codedeploy.create_application(applicationName="kept-app")
    code, message, _ = error_of(lambda: codedeploy.delete_application(applicationName="kept-app"))
    assert code == "AccessDeniedException"
    assert message.endswith("with an explicit deny in an identity-based policy")
    assert codedeploy.get_application(applicationName="kept-app")["application"]["applicationName"] == "kept-app"


def test_resources_wildcards_and_not_action(enforcing_lab: RunningLab) -> None:
    prefix = f"team{secrets.token_hex(3)}"
    keys = new_user(
        enforcing_lab,
        allow(
            ["codedeploy:CreateApplication", "codedeploy:GetApplication"],
            f"arn:aws:codedeploy:*:{ACCOUNT}:application:{prefix}-*",
        ),
        {"Effect": "Allow", "NotAction": ["codedeploy:*", "iam:*", "s3:*"], "Resource": "*"},
        managed=True,
    )
    codedeploy = client(enforcing_lab, "codedeploy", keys)
    codedeploy.create_application(applicationName=f"{prefix}-web")
    assert error_of(lambda: codedeploy.create_application(applicationName="other-web"))[0] == "AccessDeniedException"
    # '?' stands for one character, '.' is not a wildcard
    dotted = new_user(
        enforcing_lab,
        allow("codedeploy:GetApplication", f"arn:aws:codedeploy:{REGION}:{ACCOUNT}:application:{prefix}.we?"),
    )
    assert (
        error_of(lambda: client(enforcing_lab, "codedeploy", dotted).get_application(applicationName=f"{prefix}-web"))[
            0
        ]
        == "AccessDeniedException"
    )
    # NotAction: everything but CodeDeploy, IAM and S3
    client(enforcing_lab, "ec2", keys).describe_instances()
    assert error_of(lambda: client(enforcing_lab, "iam", keys).list_roles())[0] == "AccessDenied"
    # actions are case-insensitive
    lower = new_user(enforcing_lab, allow("codedeploy:listapplications"))
    client(enforcing_lab, "codedeploy", lower).list_applications()


def test_s3_operations_are_authorized_as_their_iam_actions(enforcing_lab: RunningLab) -> None:
    admin_s3 = client(enforcing_lab, "s3", admin_keys(enforcing_lab))
    bucket = f"bundles-{secrets.token_hex(4)}"
    admin_s3.create_bucket(Bucket=bucket)
    admin_s3.put_object(Bucket=bucket, Key="app/bundle.zip", Body=b"zip")
    keys = new_user(enforcing_lab, allow("s3:GetObject", f"arn:aws:s3:::{bucket}/app/*"))
    s3 = client(enforcing_lab, "s3", keys)
    assert s3.head_object(Bucket=bucket, Key="app/bundle.zip")["ContentLength"] == 3  # HeadObject is s3:GetObject
    assert s3.get_object(Bucket=bucket, Key="app/bundle.zip")["Body"].read() == b"zip"
    code, message, _ = error_of(lambda: s3.list_objects_v2(Bucket=bucket))
    assert code == "AccessDenied"
    assert f"s3:ListBucket on resource: arn:aws:s3:::{bucket} " in message
    assert error_of(lambda: s3.get_object(Bucket=bucket, Key="other/file"))[0] == "AccessDenied"


def test_presigned_urls_are_verified_and_authorized(enforcing_lab: RunningLab) -> None:

    bucket = f"shared-{secrets.token_hex(4)}"
    admin_s3 = client(enforcing_lab, "s3", admin_keys(enforcing_lab))
    admin_s3.create_bucket(Bucket=bucket)
    admin_s3.put_object(Bucket=bucket, Key="report.txt", Body=b"report")
    reader = new_user(enforcing_lab, allow("s3:GetObject", f"arn:aws:s3:::{bucket}/*"))

    def fetch(keys: dict[str, str], tamper: bool = False) -> tuple[int, bytes]:
        signer = boto3.client(
            "s3",
            endpoint_url=enforcing_lab.endpoint,
            region_name=REGION,
            config=Config(signature_version="s3v4"),
            **keys,
        )
        url = signer.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "report.txt"}, ExpiresIn=300)
        if tamper:
            url = url.replace("X-Amz-Signature=", "X-Amz-Signature=0")
        try:
            with urllib.request.urlopen(url, timeout=30) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    assert fetch(reader) == (200, b"report")
    status, body = fetch(reader, tamper=True)
    assert (status, b"<Code>SignatureDoesNotMatch</Code>" in body) == (403, True)
    status, body = fetch({"aws_access_key_id": "AKIAIOSFODNN7EXAMPLE", "aws_secret_access_key": "x"})
    assert (status, b"<Code>InvalidAccessKeyId</Code>" in body) == (403, True)
    status, body = fetch(new_user(enforcing_lab, allow("s3:ListBucket")))
    assert (status, b"<Code>AccessDenied</Code>" in body) == (403, True)
    legacy = admin_s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "report.txt"})
    assert "AWSAccessKeyId=" in legacy  # botocore's default for S3 presigning is still SigV2
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(legacy, timeout=30)
    assert b"SigV2" in refused.value.read()


def service_role(lab: RunningLab) -> str:
    iam = client(lab, "iam", admin_keys(lab))
    name = f"CodeDeployRole{secrets.token_hex(3)}"
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "codedeploy.amazonaws.com"}}
        ],
    }
    return str(iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"])


def test_a_deployment_group_with_a_service_role_needs_pass_role_to_codedeploy(enforcing_lab: RunningLab) -> None:
    role = service_role(enforcing_lab)
    app = f"app-{secrets.token_hex(3)}"
    client(enforcing_lab, "codedeploy", admin_keys(enforcing_lab)).create_application(applicationName=app)
    codedeploy_only = new_user(enforcing_lab, allow("codedeploy:*"))
    code, message, _ = error_of(
        lambda: client(enforcing_lab, "codedeploy", codedeploy_only).create_deployment_group(
            applicationName=app, deploymentGroupName="g", serviceRoleArn=role
        )
    )
    assert code == "AccessDeniedException"
    assert f"iam:PassRole on resource: {role} " in message

    to_ec2 = new_user(
        enforcing_lab,
        allow("codedeploy:*"),
        allow("iam:PassRole", role, Condition={"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}),
    )
    assert (
        error_of(
            lambda: client(enforcing_lab, "codedeploy", to_ec2).create_deployment_group(
                applicationName=app, deploymentGroupName="g", serviceRoleArn=role
            )
        )[0]
        == "AccessDeniedException"
    )

    to_codedeploy = new_user(
        enforcing_lab,
        allow("codedeploy:*"),
        allow(
            "iam:PassRole",
            "arn:aws:iam::*:role/CodeDeployRole*",
            Condition={"StringEquals": {"iam:PassedToService": "codedeploy.amazonaws.com"}},
        ),
    )
    codedeploy = client(enforcing_lab, "codedeploy", to_codedeploy)
    codedeploy.create_deployment_group(applicationName=app, deploymentGroupName="g", serviceRoleArn=role)
    codedeploy.update_deployment_group(applicationName=app, currentDeploymentGroupName="g", serviceRoleArn=role)
    passed = enforcing_lab.get("/_lab/iam/passed-roles")[user_arn(enforcing_lab, to_codedeploy)]
    assert passed == [{"role": role, "service": "codedeploy.amazonaws.com"}]
    assert (
        codedeploy.get_deployment_group(applicationName=app, deploymentGroupName="g")["deploymentGroupInfo"][
            "serviceRoleArn"
        ]
        == role
    )


def test_launching_with_an_instance_profile_needs_pass_role_to_ec2(enforcing_lab: RunningLab) -> None:
    iam = client(enforcing_lab, "iam", admin_keys(enforcing_lab))
    name = f"hosts{secrets.token_hex(3)}"
    role = iam.create_role(
        RoleName=name,
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "ec2.amazonaws.com"}}
                ],
            }
        ),
    )["Role"]["Arn"]
    iam.create_instance_profile(InstanceProfileName=name)
    iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=name)
    ec2_only = new_user(enforcing_lab, allow("ec2:*"))
    image = client(enforcing_lab, "ec2", admin_keys(enforcing_lab)).describe_images()["Images"][0]["ImageId"]
    code, message, _ = error_of(
        lambda: client(enforcing_lab, "ec2", ec2_only).run_instances(
            ImageId=image, MinCount=1, MaxCount=1, IamInstanceProfile={"Name": name}
        )
    )
    assert code == "UnauthorizedOperation"
    assert f"iam:PassRole on resource: {role} " in message
    client(enforcing_lab, "ec2", ec2_only).run_instances(ImageId=image, MinCount=1, MaxCount=1)  # no profile: fine

    launcher = new_user(enforcing_lab, allow("ec2:*"), allow("iam:PassRole", role))
    launched = client(enforcing_lab, "ec2", launcher).run_instances(
        ImageId=image, MinCount=1, MaxCount=1, IamInstanceProfile={"Name": name}
    )
    assert launched["Instances"]

    # through a launch template: RunInstances and Auto Scaling groups alike
    template = client(enforcing_lab, "ec2", admin_keys(enforcing_lab)).create_launch_template(
        LaunchTemplateName=name, LaunchTemplateData={"ImageId": image, "IamInstanceProfile": {"Name": name}}
    )
    template_id = template["LaunchTemplate"]["LaunchTemplateId"]
    code, message, _ = error_of(
        lambda: client(enforcing_lab, "ec2", ec2_only).run_instances(
            MinCount=1, MaxCount=1, LaunchTemplate={"LaunchTemplateId": template_id}
        )
    )
    assert (code, f"iam:PassRole on resource: {role} " in message) == ("UnauthorizedOperation", True)
    scaler = new_user(enforcing_lab, allow(["ec2:*", "autoscaling:*"]))
    code, message, _ = error_of(
        lambda: client(enforcing_lab, "autoscaling", scaler).create_auto_scaling_group(
            AutoScalingGroupName=name,
            MinSize=0,
            MaxSize=1,
            AvailabilityZones=["us-east-1a"],
            LaunchTemplate={"LaunchTemplateName": name, "Version": "$Latest"},
        )
    )
    assert (code, f"iam:PassRole on resource: {role} " in message) == ("AccessDenied", True)
    scaler_passing = new_user(enforcing_lab, allow(["ec2:*", "autoscaling:*"]), allow("iam:PassRole", role))
    autoscaling = client(enforcing_lab, "autoscaling", scaler_passing)
    autoscaling.create_auto_scaling_group(
        AutoScalingGroupName=name,
        MinSize=0,
        MaxSize=1,
        AvailabilityZones=["us-east-1a"],
        LaunchTemplate={"LaunchTemplateName": name, "Version": "$Latest"},
    )
    assert autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"]


# -- bootstrapping and reporting -------------------------------------------------------------------------------------


def test_the_administrators_keys_are_the_lab_users_alone_and_given_by_status_and_env(enforcing_lab: RunningLab) -> None:
    path = enforcing_lab.state_dir / "admin-credentials.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    keys = admin_keys(enforcing_lab)
    status = json.loads(run_cli("status", "--state-dir", str(enforcing_lab.state_dir), "--json").stdout)
    assert status["admin_credentials"] == {
        "access_key_id": keys["aws_access_key_id"],
        "secret_access_key": keys["aws_secret_access_key"],
    }
    assert status["enforce_iam"] is True
    exports = run_cli("env", "--admin", "--state-dir", str(enforcing_lab.state_dir)).stdout.splitlines()
    assert f"export AWS_ACCESS_KEY_ID={keys['aws_access_key_id']}" in exports
    assert f"export AWS_ENDPOINT_URL={enforcing_lab.endpoint}" in exports
    assert user_arn(enforcing_lab, keys) == f"arn:aws:iam::{ACCOUNT}:user/codedeploy-lab-admin"
    with urllib.request.urlopen(f"{enforcing_lab.endpoint}/_lab/status") as response:  # open: no secrets in it
        assert keys["aws_secret_access_key"] not in response.read().decode()


def test_the_lab_reports_the_iam_actions_each_principal_used(enforcing_lab: RunningLab) -> None:
    keys = new_user(enforcing_lab, allow(["codedeploy:ListApplications", "s3:ListAllMyBuckets"]))
    arn = user_arn(enforcing_lab, keys)
    client(enforcing_lab, "codedeploy", keys).list_applications()
    client(enforcing_lab, "s3", keys).list_buckets()
    error_of(lambda: client(enforcing_lab, "codedeploy", keys).list_deployment_configs())  # refused: not counted
    used = enforcing_lab.get("/_lab/iam/actions")[arn]
    assert used == {"codedeploy:ListApplications": 1, "s3:ListAllMyBuckets": 1}


def test_a_lab_without_enforce_iam_takes_any_key(control_plane_lab: RunningLab) -> None:
    any_keys = {"aws_access_key_id": "anything", "aws_secret_access_key": "at-all"}
    client(control_plane_lab, "codedeploy", any_keys).list_applications()
    client(control_plane_lab, "iam", any_keys).list_roles()
    status = json.loads(run_cli("status", "--state-dir", str(control_plane_lab.state_dir), "--json").stdout)
    assert status["admin_credentials"] is None
    assert status["enforce_iam"] is False
    assert not Path(control_plane_lab.state_dir / "admin-credentials.json").exists()
    assert (
        "does not enforce IAM"
        in run_cli("env", "--admin", "--state-dir", str(control_plane_lab.state_dir), check=False).stderr
    )


def test_reset_keeps_the_administrators_keys_and_forgets_everyone_else(enforcing_lab: RunningLab) -> None:
    keys = new_user(enforcing_lab, allow("codedeploy:ListApplications"))
    run_cli("reset", "--state-dir", str(enforcing_lab.state_dir))
    client(enforcing_lab, "codedeploy", admin_keys(enforcing_lab)).list_applications()
    code, _, _ = error_of(lambda: client(enforcing_lab, "codedeploy", keys).list_applications())
    assert code == "UnrecognizedClientException"
    assert enforcing_lab.get("/_lab/iam/actions") == {
        f"arn:aws:iam::{ACCOUNT}:user/codedeploy-lab-admin": {"codedeploy:ListApplications": 1}
    }


def test_the_console_reads_an_enforcing_lab_as_the_labs_internal_principal(enforcing_lab: RunningLab) -> None:
    name = f"console-app-{secrets.token_hex(3)}"
    client(enforcing_lab, "codedeploy", admin_keys(enforcing_lab)).create_application(applicationName=name)
    with urllib.request.urlopen(f"{enforcing_lab.endpoint}/console/api/applications", timeout=30) as response:
        page = json.loads(response.read())
    assert name in json.dumps(page)
    assert "codedeploy-lab-internal" not in json.dumps(enforcing_lab.get("/_lab/iam/actions"))  # not counted
