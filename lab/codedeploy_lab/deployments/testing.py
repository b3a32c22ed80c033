"""Helpers for tests that deploy to a running lab, through boto3 exactly as they would on AWS.

A web fleet is made the way a user makes one: a launch template whose user data installs and starts httpd (the
lab's shims) and writes a page naming the instance; revisions are bundles uploaded to the lab's S3.
"""

from __future__ import annotations

import base64
import time
import typing as t
import urllib.error
import urllib.request
import uuid

from ..agent.bundles import make_bundle
from ..fleet.webserver import UnixHTTPConnection

AMI = "ami-03cf127a"  # one of moto's default Amazon Linux AMIs (listing them all takes seconds)

# User data, as on a real Amazon Linux instance: httpd from yum, a page with the instance id from IMDS.
WEB_USER_DATA = """#!/bin/bash
set -e
yum install -y httpd
IMDS=${AWS_EC2_METADATA_SERVICE_ENDPOINT:-http://169.254.169.254}
INSTANCE_ID=$(curl -s "${IMDS%/}/latest/meta-data/instance-id")
mkdir -p /var/www/html
echo "v0 $INSTANCE_ID" > /var/www/html/index.html
systemctl enable httpd
systemctl start httpd
"""

# A hook that writes the page of a version: "<version> <instance id>".
PAGE_SCRIPT = """#!/bin/bash
IMDS=${{AWS_EC2_METADATA_SERVICE_ENDPOINT:-http://169.254.169.254}}
INSTANCE_ID=$(curl -s "${{IMDS%/}}/latest/meta-data/instance-id")
echo "{version} $INSTANCE_ID" > /var/www/html/index.html
systemctl restart httpd
"""

STOP_SCRIPT = """#!/bin/bash
echo "stopped by {version} during $DEPLOYMENT_ID" >> /var/log/app-stops.log
"""

Client = t.Callable[[str], t.Any]


def wait_for(condition: t.Callable[[], t.Any], what: str, timeout: float = 60.0, interval: float = 0.1) -> t.Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")


def lifecycle_event_running(client: Client, deployment_id: str, instance_id: str, event: str) -> t.Callable[[], bool]:
    """A ``wait_for`` condition: ``event`` is in progress on ``instance_id``.

    Targets are only asked for once the deployment is in progress: before that, GetDeploymentTarget answers
    DeploymentNotStartedException, as AWS does, and a busy machine can be slow to start it.
    """
    codedeploy = client("codedeploy")

    def check() -> bool:
        if codedeploy.get_deployment(deploymentId=deployment_id)["deploymentInfo"]["status"] != "InProgress":
            return False
        target = codedeploy.get_deployment_target(deploymentId=deployment_id, targetId=instance_id)
        events = target["deploymentTarget"]["instanceTarget"]["lifecycleEvents"]
        return any(e["lifecycleEventName"] == event and e["status"] == "InProgress" for e in events)

    return check


def http_get(url: str, timeout: float = 30.0) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read().decode().strip()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode().strip()


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def web_launch_template(client: Client, name: str | None = None) -> str:
    name = name or unique("web-lt")
    client("ec2").create_launch_template(
        LaunchTemplateName=name,
        LaunchTemplateData={"ImageId": AMI, "InstanceType": "t3.micro", "UserData": _b64(WEB_USER_DATA)},
    )
    return name


def run_web_instances(client: Client, count: int, tags: t.Mapping[str, str], template: str | None = None) -> list[str]:
    template = template or web_launch_template(client)
    reservation = client("ec2").run_instances(
        MinCount=count,
        MaxCount=count,
        LaunchTemplate={"LaunchTemplateName": template},
        TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}],
    )
    return sorted(instance["InstanceId"] for instance in reservation["Instances"])


def host_page(lab: t.Any, instance_id: str, path: str = "/", timeout: float = 30.0) -> tuple[int, str]:
    """GET ``path`` from a lab host's web server, on the unix socket the lab made for it (as its load balancers do)."""
    connection = UnixHTTPConnection(lab.get(f"/_lab/hosts/{instance_id}")["web"]["socket"], timeout)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read().decode().strip()
    except OSError as error:
        return 0, str(error)
    finally:
        connection.close()


def wait_web_ready(lab: t.Any, instance_ids: t.Iterable[str], timeout: float = 120.0) -> None:
    """Until every host booted and its web server answers its first page."""
    for instance_id in instance_ids:

        def ready(instance_id: str = instance_id) -> bool:
            host = lab.get(f"/_lab/hosts/{instance_id}")
            if not host.get("booted") or not host["web"]["running"]:
                return False
            return host_page(lab, instance_id)[0] == 200

        try:
            wait_for(ready, f"the web server of {instance_id}", timeout)
        except AssertionError as error:
            raise AssertionError(f"{error}: {lab.get(f'/_lab/hosts/{instance_id}')}") from None


def web_load_balancer(
    client: Client,
    instance_ids: t.Sequence[str] = (),
    *,
    interval: int = 6,
    draining_seconds: int | None = None,
    wait_in_service: bool = True,
) -> str:
    """A Classic Load Balancer on port 80, health-checked on /index.html every ``interval`` seconds, in front of
    ``instance_ids`` (once they are InService unless ``wait_in_service`` is false); returns its name.

    ``draining_seconds``: connection draining on; without it a deregistered instance's requests in flight are cut (a
    502), as on AWS.
    """
    name = unique("elb")
    elb = client("elb")
    elb.create_load_balancer(
        LoadBalancerName=name,
        AvailabilityZones=["us-east-1a"],
        Listeners=[{"Protocol": "HTTP", "LoadBalancerPort": 80, "InstancePort": 80}],
    )
    elb.configure_health_check(
        LoadBalancerName=name,
        HealthCheck={
            "Target": "HTTP:80/index.html",
            "Interval": interval,
            "Timeout": 5,
            "UnhealthyThreshold": 2,
            "HealthyThreshold": 2,
        },
    )
    if draining_seconds is not None:
        elb.modify_load_balancer_attributes(
            LoadBalancerName=name,
            LoadBalancerAttributes={"ConnectionDraining": {"Enabled": True, "Timeout": draining_seconds}},
        )
    if instance_ids:
        elb.register_instances_with_load_balancer(
            LoadBalancerName=name, Instances=[{"InstanceId": i} for i in instance_ids]
        )
        if wait_in_service:
            wait_for(
                lambda: all(
                    s["State"] == "InService"
                    for s in elb.describe_instance_health(LoadBalancerName=name)["InstanceStates"]
                ),
                "the fleet InService",
            )
    return name


def terminate(client: Client, instance_ids: t.Sequence[str]) -> None:
    if instance_ids:
        client("ec2").terminate_instances(InstanceIds=list(instance_ids))


def upload_revision(
    client: Client,
    bucket: str,
    key: str,
    version: str,
    *,
    hooks: t.Mapping[str, str] | None = None,
    files: t.Mapping[str, str] | None = None,
    destination: str = "/opt/app",
    file_exists_behavior: str | None = None,
    bundle_type: str = "zip",
) -> dict[str, t.Any]:
    """A revision whose ApplicationStart writes the page ``<version> <instance id>``; returns its RevisionLocation.

    ``hooks`` maps more events to script bodies; ``files`` are installed under ``destination``.
    """
    scripts = {
        "ApplicationStart": PAGE_SCRIPT.format(version=version),
        "ApplicationStop": STOP_SCRIPT.format(version=version),
        **(hooks or {}),
    }
    appspec = ["version: 0.0", "os: linux"]
    if file_exists_behavior:
        appspec.append(f"file_exists_behavior: {file_exists_behavior}")
    content = {"VERSION": f"{version}\n", **(files or {})}
    appspec += ["files:", "  - source: /app", f"    destination: {destination}", "hooks:"]
    for event in scripts:
        appspec += [f"  {event}:", f"    - location: scripts/{event}.sh", "      timeout: 60"]
    bundle_files: dict[str, t.Any] = {"appspec.yml": "\n".join(appspec) + "\n"}
    bundle_files.update({f"app/{name}": body for name, body in content.items()})
    bundle_files.update({f"scripts/{event}.sh": (body, 0o755) for event, body in scripts.items()})
    s3 = client("s3")
    try:
        s3.create_bucket(Bucket=bucket)
    except s3.exceptions.BucketAlreadyOwnedByYou:
        pass
    s3.put_object(Bucket=bucket, Key=key, Body=make_bundle(bundle_files, bundle_type))
    return {"revisionType": "S3", "s3Location": {"bucket": bucket, "key": key, "bundleType": bundle_type}}


def targets_of(client: Client, deployment_id: str) -> dict[str, dict[str, t.Any]]:
    """Every target of a deployment: ``{instance id: instanceTarget}``."""
    codedeploy = client("codedeploy")
    ids = [
        i
        for page in codedeploy.get_paginator("list_deployment_targets").paginate(deploymentId=deployment_id)
        for i in page["targetIds"]
    ]
    found: dict[str, dict[str, t.Any]] = {}
    for start in range(0, len(ids), 25):
        answer = codedeploy.batch_get_deployment_targets(deploymentId=deployment_id, targetIds=ids[start : start + 25])
        found.update(
            {target["instanceTarget"]["targetId"]: target["instanceTarget"] for target in answer["deploymentTargets"]}
        )
    return found


def failures(client: Client, deployment_id: str) -> dict[str, t.Any]:
    """Why a deployment failed: its errorInformation and each failed event's diagnostics (for assertion messages)."""
    info = client("codedeploy").get_deployment(deploymentId=deployment_id)["deploymentInfo"]
    events = (
        {
            f"{target_id} {event['lifecycleEventName']}": event.get("diagnostics")
            for target_id, target in targets_of(client, deployment_id).items()
            for event in target["lifecycleEvents"]
            if event["status"] == "Failed"
        }
        if info.get("startTime")
        else {}
    )
    return {"errorInformation": info.get("errorInformation"), "failed events": events}


def wait_deployment(client: Client, deployment_id: str, timeout: float = 300.0) -> dict[str, t.Any]:
    """Poll GetDeployment until a terminal status (the botocore waiter polls every 15 s: too slow for tests)."""
    codedeploy = client("codedeploy")

    def terminal() -> dict[str, t.Any] | None:
        info = codedeploy.get_deployment(deploymentId=deployment_id)["deploymentInfo"]
        return info if info["status"] in ("Succeeded", "Failed", "Stopped") else None

    return wait_for(terminal, f"deployment {deployment_id} to end", timeout, interval=0.25)


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()
