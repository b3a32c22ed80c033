"""On-premises instances as lab hosts: registered by name, found by their agent's IAM ARN, deployed to by tags.

Each host is started through the lab's ``/_lab/hosts`` endpoint (what ``codedeploy-lab host start`` calls), its
agent configured and started from inside the host (``/_lab/hosts/<name>/exec``), as an administrator would.
"""

from __future__ import annotations

import base64
import json
import typing as t
import urllib.error
import urllib.request
import uuid

import pytest

from codedeploy_lab.deployments.testing import failures
from codedeploy_lab.deployments.testing import host_page
from codedeploy_lab.deployments.testing import run_web_instances
from codedeploy_lab.deployments.testing import targets_of
from codedeploy_lab.deployments.testing import terminate
from codedeploy_lab.deployments.testing import unique
from codedeploy_lab.deployments.testing import upload_revision
from codedeploy_lab.deployments.testing import wait_deployment
from codedeploy_lab.deployments.testing import wait_web_ready
from codedeploy_lab.faults import AGENT_MESSAGE

SESSION_ARN = "arn:aws:sts::123456789012:assumed-role/CodeDeployInstanceRole/{}"
# The page names the host that ran the hook: an on-premises host has no instance id to ask metadata for.
PAGE_HOOK = """#!/bin/bash
mkdir -p /var/www/html
echo "{version} $(hostname)" > /var/www/html/index.html
systemctl restart httpd
"""


def run(lab, name: str, argv: list[str], stdin: bytes = b"") -> dict[str, t.Any]:
    answer = lab.post(f"/_lab/hosts/{name}/exec", {"argv": argv, "stdin": base64.b64encode(stdin).decode()})
    return {
        "rc": answer["rc"],
        "stdout": base64.b64decode(answer["stdout"]).decode(),
        "stderr": base64.b64decode(answer["stderr"]).decode(),
    }


def start_host(lab, name: str) -> dict[str, t.Any]:
    return t.cast(dict, lab.post("/_lab/hosts", {"name": name}))


def stop_host(lab, name: str) -> None:
    with urllib.request.urlopen(lab.request("DELETE", f"/_lab/hosts/{name}"), timeout=60):
        pass


def configure_agent(lab, name: str, iam_arn: str, region: str = "us-east-1") -> None:
    """What the on_premises role does on a server: the agent's configuration, then the agent started."""
    config = f"---\nregion: {region}\niam_session_arn: {iam_arn}\naws_credentials_file: /etc/codedeploy-agent/creds\n"
    written = run(
        lab,
        name,
        ["/bin/sh", "-c", 'cat > "$1"', "sh", "/etc/codedeploy-agent/conf/codedeploy.onpremises.yml"],
        config.encode(),
    )
    assert written["rc"] == 0, written
    started = run(lab, name, ["service", "codedeploy-agent", "start"])
    assert started["rc"] == 0, started


def http_error(call: t.Callable[[], t.Any]) -> tuple[int, dict[str, t.Any]]:
    with pytest.raises(urllib.error.HTTPError) as caught:
        call()
    return caught.value.code, json.loads(caught.value.read())


def deploy(lab, application: str, group: str, bucket: str, version: str) -> tuple[str, dict[str, t.Any]]:
    revision = upload_revision(
        lab.client,
        bucket,
        f"{group}/{version}.zip",
        version,
        hooks={"ApplicationStart": PAGE_HOOK.format(version=version)},
    )
    deployment_id = lab.client("codedeploy").create_deployment(
        applicationName=application,
        deploymentGroupName=group,
        revision=revision,
        deploymentConfigName="CodeDeployDefault.AllAtOnce",
    )["deploymentId"]
    return deployment_id, wait_deployment(lab.client, deployment_id)


@pytest.fixture
def hosts(lab) -> t.Iterator[list[str]]:
    names = [unique("onprem"), unique("onprem")]
    for name in names:
        start_host(lab, name)
    yield names
    for name in names:
        stop_host(lab, name)


@pytest.fixture
def application(lab, service_role) -> tuple[str, str]:
    codedeploy = lab.client("codedeploy")
    name = unique("app")
    codedeploy.create_application(applicationName=name)
    return name, service_role


def test_an_on_premises_host_has_no_instance_metadata_and_its_agent_waits_to_be_started(lab, hosts):
    name = hosts[0]
    described = lab.get(f"/_lab/hosts/{name}")
    assert described["on_premises"] is True
    assert described["imds"] is None
    assert described["agent"]["running"] is False

    metadata = run(lab, name, ["curl", "-sS", "-m", "5", "http://169.254.169.254/latest/meta-data/instance-id"])
    assert metadata["rc"] == 7, metadata  # curl: could not connect
    assert "Couldn't connect" in metadata["stderr"] or "Connection refused" in metadata["stderr"]
    environment = run(lab, name, ["env"])["stdout"]
    assert "AWS_EC2_METADATA_SERVICE_ENDPOINT" not in environment

    assert run(lab, name, ["service", "codedeploy-agent", "start"])["rc"] == 0
    assert lab.get(f"/_lab/hosts/{name}")["agent"]["running"] is True


def test_a_tag_set_group_deploys_to_the_hosts_whose_agents_are_the_registered_instances(lab, hosts, application):
    app, role = application
    codedeploy = lab.client("codedeploy")
    tier = uuid.uuid4().hex[:8]
    for name in hosts:
        codedeploy.register_on_premises_instance(instanceName=name, iamSessionArn=SESSION_ARN.format(name))
        codedeploy.add_tags_to_on_premises_instances(instanceNames=[name], tags=[{"Key": "Tier", "Value": tier}])
        configure_agent(lab, name, SESSION_ARN.format(name))
    group = unique("group")
    codedeploy.create_deployment_group(
        applicationName=app,
        deploymentGroupName=group,
        serviceRoleArn=role,
        onPremisesTagSet={"onPremisesTagSetList": [[{"Key": "Tier", "Value": tier, "Type": "KEY_AND_VALUE"}]]},
    )
    bucket = unique("revisions")

    deployment_id, info = deploy(lab, app, group, bucket, "v1")
    assert info["status"] == "Succeeded", failures(lab.client, deployment_id)
    targets = targets_of(lab.client, deployment_id)
    assert sorted(targets) == sorted(hosts)
    for name in hosts:
        assert targets[name]["targetArn"] == f"arn:aws:codedeploy:us-east-1:123456789012:instance/{name}"
        assert targets[name]["status"] == "Succeeded"
        assert host_page(lab, name) == (200, f"v1 {name}")

    codedeploy.deregister_on_premises_instance(instanceName=hosts[0])
    deployment_id, info = deploy(lab, app, group, bucket, "v2")
    assert info["status"] == "Succeeded", failures(lab.client, deployment_id)
    assert sorted(targets_of(lab.client, deployment_id)) == [hosts[1]]
    assert host_page(lab, hosts[1]) == (200, f"v2 {hosts[1]}")
    assert host_page(lab, hosts[0]) == (200, f"v1 {hosts[0]}")  # no longer deployed to


def test_an_instance_no_agent_answers_for_fails_as_on_aws(lab, hosts, application):
    """Registered, but the only host configured with its ARN names another region: no agent picks the command up."""
    app, role = application
    codedeploy = lab.client("codedeploy")
    name, arn = hosts[0], SESSION_ARN.format(uuid.uuid4().hex[:8])
    codedeploy.register_on_premises_instance(instanceName=name, iamSessionArn=arn)
    codedeploy.add_tags_to_on_premises_instances(instanceNames=[name], tags=[{"Key": "Lonely", "Value": name}])
    configure_agent(lab, name, arn, region="eu-west-1")
    group = unique("group")
    codedeploy.create_deployment_group(
        applicationName=app,
        deploymentGroupName=group,
        serviceRoleArn=role,
        onPremisesInstanceTagFilters=[{"Key": "Lonely", "Value": name, "Type": "KEY_AND_VALUE"}],
    )

    deployment_id, info = deploy(lab, app, group, unique("revisions"), "v1")
    assert info["status"] == "Failed"
    target = targets_of(lab.client, deployment_id)[name]
    first = target["lifecycleEvents"][0]
    assert (first["lifecycleEventName"], first["status"]) == ("ApplicationStop", "Failed")
    assert first["diagnostics"]["message"] == AGENT_MESSAGE
    assert {event["status"] for event in target["lifecycleEvents"][1:]} == {"Skipped"}


def test_ec2_tag_filters_and_on_premises_tag_filters_select_together(lab, hosts, application):
    app, role = application
    codedeploy = lab.client("codedeploy")
    tag = uuid.uuid4().hex[:8]
    instances = run_web_instances(lab.client, 1, {"Mixed": tag})
    try:
        wait_web_ready(lab, instances)
        name = hosts[0]
        codedeploy.register_on_premises_instance(instanceName=name, iamSessionArn=SESSION_ARN.format(name))
        codedeploy.add_tags_to_on_premises_instances(instanceNames=[name], tags=[{"Key": "Mixed", "Value": tag}])
        configure_agent(lab, name, SESSION_ARN.format(name))
        group = unique("group")
        tag_filter = [{"Key": "Mixed", "Value": tag, "Type": "KEY_AND_VALUE"}]
        codedeploy.create_deployment_group(
            applicationName=app,
            deploymentGroupName=group,
            serviceRoleArn=role,
            ec2TagFilters=tag_filter,
            onPremisesInstanceTagFilters=tag_filter,
        )

        deployment_id, info = deploy(lab, app, group, unique("revisions"), "v1")
        assert info["status"] == "Succeeded", failures(lab.client, deployment_id)
        assert sorted(targets_of(lab.client, deployment_id)) == sorted([*instances, name])
        assert host_page(lab, name) == (200, f"v1 {name}")
    finally:
        terminate(lab.client, instances)


def test_bad_requests_name_the_field_and_the_fix(lab, hosts):
    status, answer = http_error(lambda: start_host(lab, "i-0123456789abcdef0"))
    assert status == 400
    assert answer["message"].startswith("name: 'i-0123456789abcdef0' is not a lab host name")
    status, answer = http_error(lambda: start_host(lab, hosts[0]))
    assert status == 409
    assert f"codedeploy-lab host stop --name {hosts[0]}" in answer["message"]
    status, answer = http_error(lambda: lab.post(f"/_lab/hosts/{hosts[0]}/exec", {"argv": "id"}))
    assert status == 400
    assert answer["message"].startswith("argv: give the command as a non-empty list of strings")
    status, answer = http_error(lambda: stop_host(lab, "no-such-host"))
    assert status == 404


def test_a_host_cannot_start_hosts_or_enter_one_through_its_gateway(lab, hosts):
    """The new endpoints are the lab's controls: from inside a host they answer 403, like every /_lab/ path."""
    for method, path in (
        ("POST", "/_lab/hosts"),
        ("POST", f"/_lab/hosts/{hosts[1]}/exec"),
        ("DELETE", f"/_lab/hosts/{hosts[1]}"),
    ):
        answer = run(
            lab,
            hosts[0],
            [
                "/bin/sh",
                "-c",
                'curl -s -o /dev/null -w "%{http_code}" -X "$1" -d "{}" "$AWS_ENDPOINT_URL$2"',
                "sh",
                method,
                path,
            ],
        )
        assert answer["stdout"] == "403", (method, path, answer)
    assert lab.get(f"/_lab/hosts/{hosts[1]}")["state"] == "running"
