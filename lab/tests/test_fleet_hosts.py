"""Lab hosts: own root, sandbox, user data, shims, web server, instance metadata, terminate."""

from __future__ import annotations

import base64
import gzip
import http.client
import json
import os
import time
import uuid
from pathlib import Path

import pytest

from codedeploy_lab.agent import AgentCommand
from codedeploy_lab.fleet import sandbox as sandbox_module
from codedeploy_lab.fleet.testing import new_identity
from codedeploy_lab.fleet.testing import sh
from codedeploy_lab.fleet.webserver import UnixHTTPConnection

# The fleet and launch fixtures.
pytest_plugins = ["codedeploy_lab.fleet.fixtures"]

# Tests that go through a lab process need what the lab needs to sandbox hosts (the same machine and user as us).
requires_sandbox = pytest.mark.skipif(
    sandbox_module.sandbox_support_problem() is not None,
    reason=f"lab hosts need a sandbox: {sandbox_module.sandbox_support_problem()}",
)

WEB_USER_DATA = """#!/bin/bash
yum install -y httpd
echo "hello from $(curl -s http://169.254.169.254/latest/meta-data/instance-id)" > /var/www/html/index.html
systemctl enable --now httpd
"""


def web_get(socket_path: str | Path, path: str = "/", timeout: float = 10) -> tuple[int, dict[str, str], bytes]:
    """GET from a host's web server on its unix socket (what the load balancers do)."""
    connection = UnixHTTPConnection(str(socket_path), timeout)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, dict(response.headers), response.read()
    finally:
        connection.close()


def wait_for(predicate, timeout: float = 60, interval: float = 0.2):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


def booted_host(lab, instance_id: str):  # type: ignore[no-untyped-def]
    """``GET /_lab/hosts/<id>`` once the host has booted (False if it does not within a minute)."""
    return wait_for(lambda: (d := lab.get(f"/_lab/hosts/{instance_id}"))["booted"] and d)


def processes_with(marker: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker in (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace"):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


# -- through the running lab: EC2 launches become hosts -------------------------------------------------------------


@requires_sandbox
def test_run_instances_runs_user_data_and_the_shim_started_web_server_serves_the_page(lab) -> None:  # type: ignore[no-untyped-def]
    ec2 = lab.client("ec2")
    reservation = ec2.run_instances(ImageId="ami-12345678", MinCount=2, MaxCount=2, UserData=WEB_USER_DATA)
    instance_ids = [instance["InstanceId"] for instance in reservation["Instances"]]
    try:
        for instance_id in instance_ids:
            described = booted_host(lab, instance_id)
            assert described["state"] == "running" and described["sandbox_error"] is None
            assert described["user_data_exit_codes"] == [0]
            assert described["services"]["httpd"] == {"running": True, "enabled": True, "starts": 1}
            assert described["packages"] == [{"manager": "yum", "args": ["install", "-y", "httpd"]}]
            status, headers, body = web_get(described["web"]["socket"])
            assert (status, body) == (200, f"hello from {instance_id}\n".encode())
            assert headers["X-Lab-Host"] == instance_id
            root = Path(described["root"])
            assert root == lab.state_dir / "hosts" / instance_id / "root"
            log = (root / "var/log/cloud-init-output.log").read_text()
            assert "Installed: httpd" in log and "finished at" in log
            assert (root / "var/www/html/index.html").exists()
        assert (
            not Path("/var/www/html/index.html").exists()
            or b"hello from" not in Path("/var/www/html/index.html").read_bytes()
        )
    finally:
        ec2.terminate_instances(InstanceIds=instance_ids)


@requires_sandbox
def test_terminate_stops_the_web_server_and_removes_the_root(lab) -> None:  # type: ignore[no-untyped-def]
    ec2 = lab.client("ec2")
    instance_id = ec2.run_instances(ImageId="ami-12345678", MinCount=1, MaxCount=1, UserData=WEB_USER_DATA)[
        "Instances"
    ][0]["InstanceId"]
    described = booted_host(lab, instance_id)
    socket_path = described["web"]["socket"]
    assert web_get(socket_path)[0] == 200
    root = lab.state_dir / "hosts" / instance_id
    assert (root / "root").is_dir()

    ec2.terminate_instances(InstanceIds=[instance_id])

    assert not root.exists()
    with pytest.raises(OSError):
        web_get(socket_path)
    assert instance_id not in [h["instance_id"] for h in lab.get("/_lab/hosts")["hosts"]]


@requires_sandbox
def test_auto_scaling_instances_become_hosts(lab, unique_name) -> None:  # type: ignore[no-untyped-def]
    ec2, autoscaling = lab.client("ec2"), lab.client("autoscaling")
    name = unique_name("asg")
    ec2.create_launch_template(
        LaunchTemplateName=name,
        LaunchTemplateData={
            "ImageId": "ami-12345678",
            "InstanceType": "t3.micro",
            "UserData": base64.b64encode(WEB_USER_DATA.encode()).decode(),
        },
    )
    autoscaling.create_auto_scaling_group(
        AutoScalingGroupName=name,
        MinSize=2,
        MaxSize=2,
        DesiredCapacity=2,
        LaunchTemplate={"LaunchTemplateName": name},
        AvailabilityZones=["us-east-1a"],
    )
    try:
        group = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"][0]
        instance_ids = [instance["InstanceId"] for instance in group["Instances"]]
        assert len(instance_ids) == 2
        for instance_id in instance_ids:
            described = booted_host(lab, instance_id)
            assert web_get(described["web"]["socket"])[2] == f"hello from {instance_id}\n".encode()
    finally:
        autoscaling.delete_auto_scaling_group(AutoScalingGroupName=name, ForceDelete=True)
    for instance_id in instance_ids:
        root = lab.state_dir / "hosts" / instance_id
        assert wait_for(lambda root=root: not root.exists(), timeout=30)


# -- hosts driven directly (a fleet in the test process, AWS calls to the session lab) ------------------------------


def test_writes_anywhere_land_in_the_host_root_and_never_on_the_machine(launch) -> None:  # type: ignore[no-untyped-def]
    host = launch()
    token = uuid.uuid4().hex[:12]
    paths = [
        f"/var/lib/probe-{token}",
        f"/etc/probe-{token}.conf",
        f"/opt/probe-{token}/app",
        f"/usr/local/bin/probe-{token}",
        f"/etc/systemd/system/probe-{token}.service",
        f"/home/probe-{token}",
        f"/srv/probe-{token}",
        f"/tmp/probe-{token}",
        f"/root/probe-{token}",
    ]
    before = {path: os.path.lexists(path) for path in paths}
    assert not any(before.values())
    passwd_before = Path("/etc/passwd").read_bytes()

    code, output = sh(
        host,
        " && ".join(f"mkdir -p $(dirname {p}) && echo {token} > {p}" for p in paths)
        + " && useradd_probe=$(grep -c ec2-user /etc/passwd) && echo users=$useradd_probe",
    )
    assert code == 0, output
    assert "users=1" in output  # the host's own /etc/passwd knows ec2-user

    for path in paths:
        assert not os.path.lexists(path), f"{path} leaked onto the machine"
        assert host.read_file(path) == f"{token}\n".encode()
        in_host_dir = list(host.sandbox.host_dir.rglob(Path(path).name))  # /usr/local is usr-local: look it up
        assert in_host_dir and in_host_dir[0].read_text() == f"{token}\n"
    assert Path("/etc/passwd").read_bytes() == passwd_before

    # The machine's /usr is there to run, not to change.
    code, output = sh(host, f"touch /usr/bin/probe-{token} /lib/probe-{token}")
    assert code != 0 and "Read-only file system" in output
    assert not os.path.lexists(f"/usr/bin/probe-{token}")


def test_host_knows_the_usual_users_and_groups(launch) -> None:  # type: ignore[no-untyped-def]
    host = launch()
    code, output = sh(
        host,
        "for u in root ec2-user ubuntu apache nginx tomcat; do "
        "id -u $u >/dev/null && getent group $u >/dev/null && echo ok-$u; done; "
        "ls -d /home/ec2-user /home/ubuntu",
    )
    assert code == 0, output
    for user in ("root", "ec2-user", "ubuntu", "apache", "nginx", "tomcat"):
        assert f"ok-{user}" in output


def test_processes_are_the_hosts_own_and_die_with_it(fleet, launch) -> None:  # type: ignore[no-untyped-def]
    host = launch()
    marker = f"{900 + int(time.time()) % 97}.{uuid.uuid4().int % 10**6}"
    code, output = sh(host, f"nohup sleep {marker} >/dev/null 2>&1 & ps -e -o pid=,comm=")
    assert code == 0, output
    pids_inside = [int(line.split()[0]) for line in output.splitlines() if line.strip()]
    assert 1 in pids_inside and len(pids_inside) < 10, output  # a PID namespace of its own
    assert wait_for(lambda: processes_with(f"sleep {marker}"), timeout=10)

    fleet.terminate(host.instance_id)

    assert wait_for(lambda: not processes_with(f"sleep {marker}"), timeout=10)
    assert not host.root_dir.exists()


def test_sandbox_hides_the_lab_state_directory(fleet, launch) -> None:  # type: ignore[no-untyped-def]
    host = launch()
    _, output = sh(
        host,
        f"test -e {fleet.state_dir} || echo absent; mkdir -p {fleet.state_dir}/hosts && "
        f"ls -A {fleet.state_dir}/hosts | wc -l",
    )
    assert output.split() == ["absent", "0"], output  # what it makes at that path is its own
    assert not (fleet.state_dir / "hosts" / "x").exists()


def test_shims_record_packages_and_control_services(launch) -> None:  # type: ignore[no-untyped-def]
    host = launch()
    code, output = sh(
        host,
        """
        set -e
        apt-get update
        apt-get install -y nginx
        systemctl is-active nginx || echo "inactive:$?"
        service nginx start
        systemctl is-active nginx.service
        chkconfig nginx on
        chkconfig nginx && echo enabled
        systemctl status nginx | head -2
        systemctl start myapp
        systemctl stop myapp
        systemctl is-active myapp || echo "myapp:$?"
        cat /var/log/codedeploy-lab/packages.log
    """,
    )
    assert code == 0, output
    assert "inactive:3" in output and "enabled" in output and "active (running)" in output and "myapp:3" in output
    assert host.packages == [
        {"manager": "apt-get", "args": ["update"]},
        {"manager": "apt-get", "args": ["install", "-y", "nginx"]},
    ]
    assert host.services["nginx"].running and host.services["nginx"].enabled
    assert not host.services["myapp"].running
    assert host.web.running
    assert web_get(host.web.socket_path)[0] in (403, 404)  # nginx up, nothing to serve yet

    code, output = sh(host, "echo page > /var/www/html/index.html && nginx -s stop")
    assert code == 0, output
    assert not host.web.running
    sh(host, "systemctl restart nginx")
    assert web_get(host.web.socket_path)[2] == b"page\n"


def test_web_server_serves_the_hosts_view_only(launch) -> None:  # type: ignore[no-untyped-def]
    host = launch()
    code, output = sh(
        host,
        """
        set -e
        mkdir -p /var/www/html/docs /var/www/html/empty
        echo "host hostname file" > /etc/lab-served
        ln -s /etc/lab-served /var/www/html/abs-link
        ln -s ../../../../etc/lab-served /var/www/html/docs/rel-link
        echo '<h1>index</h1>' > /var/www/html/docs/index.html
        service httpd start
    """,
    )
    assert code == 0, output
    assert not Path("/etc/lab-served").exists()
    status, headers, body = web_get(host.web.socket_path, "/abs-link")
    assert (status, body) == (200, b"host hostname file\n")
    assert web_get(host.web.socket_path, "/docs/rel-link")[2] == b"host hostname file\n"
    status, headers, body = web_get(host.web.socket_path, "/docs/")
    assert (status, body, headers["Content-Type"]) == (200, b"<h1>index</h1>\n", "text/html")
    assert web_get(host.web.socket_path, "/empty/")[0] == 403
    assert web_get(host.web.socket_path, "/missing.html")[0] == 404
    assert web_get(host.web.socket_path, "/../../etc/passwd")[0] in (400, 404)

    # Port 80 of localhost is the host's web server for curl and wget on the host.
    code, output = sh(host, "curl -sf http://localhost/docs/ && wget -q -O - http://127.0.0.1:80/docs/index.html")
    assert (code, output) == (0, "<h1>index</h1>\n" * 2)

    host.web.mark_unhealthy(500)
    assert web_get(host.web.socket_path, "/docs/")[0] == 500
    host.web.mark_healthy()
    assert web_get(host.web.socket_path, "/docs/")[0] == 200


def test_instance_metadata_v1_v2_at_169_254_169_254(launch) -> None:  # type: ignore[no-untyped-def]
    host = launch()
    code, output = sh(
        host,
        """
        set -e
        echo "v1=$(curl -sf "$AWS_EC2_METADATA_SERVICE_ENDPOINT/latest/meta-data/instance-id")"
        TOKEN=$(curl -sf -X PUT -H "X-aws-ec2-metadata-token-ttl-seconds: 60" http://169.254.169.254/latest/api/token)
        echo "v2=$(curl -sf -H "X-aws-ec2-metadata-token: $TOKEN" http://169.254.169.254/latest/meta-data/placement/region)"
        echo "bad=$(curl -s -o /dev/null -w '%{http_code}' -H 'X-aws-ec2-metadata-token: nope' http://169.254.169.254/latest/meta-data/)"
        wget -q -O - http://169.254.169.254/latest/dynamic/instance-identity/document
    """,
    )
    assert code == 0, output
    assert f"v1={host.instance_id}" in output and "v2=us-east-1" in output and "bad=401" in output
    document = json.loads(output[output.index("{") :])
    assert document["instanceId"] == host.instance_id and document["region"] == "us-east-1"
    assert document["availabilityZone"] == "us-east-1a"

    # botocore (what the AWS CLI uses inside a hook) finds credentials at the same address.
    assert host.environment()["AWS_EC2_METADATA_SERVICE_ENDPOINT"] == "http://169.254.169.254/"
    code, output = sh(
        host, "curl -sf http://169.254.169.254/latest/meta-data/iam/security-credentials/codedeploy-lab-host"
    )
    assert code == 0 and json.loads(output)["AccessKeyId"], output


def test_aws_cli_inside_a_host_talks_to_the_lab(lab, launch) -> None:  # type: ignore[no-untyped-def]
    if sandbox_module.aws_cli_packages() is None:
        pytest.skip("the AWS CLI is not installed in the lab's environment")
    bucket = f"probe-{uuid.uuid4().hex[:10]}"
    lab.client("s3").create_bucket(Bucket=bucket)
    host = launch()
    code, output = sh(host, "env -u AWS_ACCESS_KEY_ID aws s3api list-buckets --query 'Buckets[].Name' --output text")
    assert code == 0, output
    assert bucket in output.split()


def test_user_data_formats(launch) -> None:  # type: ignore[no-untyped-def]
    host = launch(gzip.compress(b"#!/bin/sh\necho gz-ran > /root/marker\n"))
    assert host.read_file("/root/marker") == b"gz-ran\n"
    assert host.user_data_exit_codes == [0]

    host = launch(b"#cloud-config\npackages: [httpd]\n")
    log = host.read_file("/var/log/cloud-init-output.log") or b""
    assert b"not a shell script" in log and host.user_data_exit_codes == []

    host = launch(b"#!/bin/sh\necho failing\nexit 3\n")
    assert host.user_data_exit_codes == [3]
    assert b"Failed to run module scripts-user" in (host.read_file("/var/log/cloud-init-output.log") or b"")


def test_stop_and_start_keep_the_root_and_do_not_rerun_user_data(fleet, launch) -> None:  # type: ignore[no-untyped-def]
    host = launch(b"#!/bin/sh\necho run >> /root/boots\nservice httpd start\nchkconfig httpd on\nservice myjob start\n")
    assert host.web.running
    fleet.stop(host.instance_id)
    assert not host.web.running and host.state == "stopped" and host.sandbox.root.is_dir()
    assert not host.services["httpd"].running
    fleet.start(host.instance_id)
    assert host.wait_booted(60) and host.state == "running"
    assert host.read_file("/root/boots") == b"run\n"
    assert host.web.running  # enabled at boot
    assert host.services["httpd"].running and not host.services["myjob"].running


def test_without_a_sandbox_the_lab_refuses_to_run_anything_and_says_why(fleet, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(sandbox_module, "_support_problem", "the lab is not running as root (test)")
    host = fleet.launch(new_identity(b"#!/bin/sh\ntouch /root/should-not-run\n"))
    try:
        assert host.wait_booted(30)
        assert host.sandbox_error == "the lab is not running as root (test)"
        outcome = fleet.agent.run_event(host, AgentCommand("BeforeInstall", "d-AAAAAAAAA", "app", "group", "g-1", None))
        assert (outcome.status, outcome.error_code) == ("Failed", "UnknownError")
        assert outcome.message == (
            f"The CodeDeploy lab cannot run lifecycle events on {host.instance_id}: "
            f"the lab is not running as root (test)"
        )
        assert not (host.sandbox.root / "root/should-not-run").exists()
    finally:
        fleet.terminate(host.instance_id)


def test_hosts_started_together_never_write_on_the_machine(fleet) -> None:  # type: ignore[no-untyped-def]
    # Many sandboxes at once, each written to the moment it is up: a host's first command must already be confined.
    token = uuid.uuid4().hex[:10]
    hosts = [fleet.launch(new_identity()) for _ in range(6)]
    try:
        for index, host in enumerate(hosts):
            assert host.wait_booted(120) and host.sandbox_error is None
            assert sh(host, f"echo {index} > /etc/race-{token}-{index}")[0] == 0
        for index, host in enumerate(hosts):
            assert not os.path.exists(f"/etc/race-{token}-{index}")
            assert host.read_file(f"/etc/race-{token}-{index}") == f"{index}\n".encode()
        assert not os.path.exists("/etc/codedeploy-lab") and not os.path.exists("/usr/bin/yum")
    finally:
        for host in hosts:
            fleet.terminate(host.instance_id)


def test_the_sandbox_refuses_a_target_whose_root_is_the_machines(launch) -> None:  # type: ignore[no-untyped-def]
    host = launch()
    real_init = host.sandbox.init_pid
    host.sandbox.init_pid = os.getpid()  # as if PID 1 were gone and its number reused by a machine process
    try:
        with pytest.raises(sandbox_module.SandboxUnavailable, match="not a host's sandbox"):
            host.sandbox.run(["/bin/true"], env={})
    finally:
        host.sandbox.init_pid = real_init


def test_stopping_the_web_server_closes_keep_alive_connections(launch) -> None:  # type: ignore[no-untyped-def]
    host = launch(b"#!/bin/sh\nmkdir -p /var/www/html && echo up > /var/www/html/index.html\nservice httpd start\n")
    connection = host.web.connection(timeout=5)
    connection.request("GET", "/")
    assert connection.getresponse().read() == b"up\n"
    sh(host, "service httpd stop")
    assert not host.web.running
    with pytest.raises((ConnectionError, http.client.HTTPException, OSError)):
        connection.request("GET", "/")
        connection.getresponse().read()
    connection.close()


def test_reset_removes_every_host_and_what_no_host_owns(fleet, launch) -> None:  # type: ignore[no-untyped-def]
    host = launch(b"#!/bin/sh\nservice httpd start\n")
    cgroups = [
        Path(f"/sys/fs/cgroup/{controller}/{sandbox_module.CGROUP_PREFIX}{host.instance_id}")
        for controller in ("memory", "pids")
    ]
    assert host.web.socket_path.exists() and all(path.is_dir() for path in cgroups) == bool(host.sandbox.cgroups)
    # What a lab that did not stop cleanly left: a host folder (with a folder a hook locked) and a socket folder.
    leftover = fleet.hosts_dir / "i-0leftover000000"
    (leftover / "root/locked").mkdir(parents=True)
    (leftover / "root/locked/file").write_text("x")
    (leftover / "root/locked").chmod(0)
    (fleet.sockets_dir / "i-0leftover000000").mkdir(parents=True)

    fleet.reset()

    assert fleet.hosts() == [] and host.state == "terminated"
    assert not leftover.exists() and not (fleet.sockets_dir / "i-0leftover000000").exists()
    assert not host.root_dir.exists() and not host.web.socket_dir.exists()
    assert not any(path.exists() for path in cgroups)
