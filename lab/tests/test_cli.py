"""The codedeploy-lab command: up/status/reset/down with side-by-side state dirs, loopback only, the AWS CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from codedeploy_lab.testing import CREDENTIALS, lab_command, run_cli


def _status(state: Path) -> tuple[int, dict]:
    result = run_cli("status", "--json", "--state-dir", str(state), check=False)
    return result.returncode, json.loads(result.stdout)


def _listening_addresses(pid: int) -> list[tuple[str, int]]:
    """(address, port) of every TCP socket the process listens on, from /proc."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    found = []
    for table, width in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state == "0A" and inode in inodes:  # 0A = LISTEN
                address, port = local.split(":")
                if width == 8:
                    octets = [str(int(address[i:i + 2], 16)) for i in range(0, 8, 2)]
                    found.append((".".join(reversed(octets)), int(port, 16)))
                else:
                    found.append((address, int(port, 16)))
    return found


def test_two_labs_side_by_side(tmp_path):
    first_cwd, second = tmp_path / "project", tmp_path / "second"
    first_cwd.mkdir()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(Path(__file__).parents[1]),
                                                                       os.environ.get("PYTHONPATH")]))}
    # The first lab uses the default state directory, .lab/ in the current directory. Both start at once.
    starting = subprocess.Popen(lab_command("up", "--port", "0"), cwd=first_cwd, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=env)
    first = first_cwd / ".lab"
    try:
        second_up = run_cli("up", "--port", "0", "--state-dir", str(second), check=False)
        stdout, stderr = starting.communicate(timeout=120)
        assert starting.returncode == 0, stderr
        assert second_up.returncode == 0, second_up.stderr
        try:
            code_a, status_a = _status(first)
            code_b, status_b = _status(second)
            assert code_a == code_b == 0
            assert status_a["endpoint"] != status_b["endpoint"]
            assert status_a["endpoint"] == stdout.strip()
            assert isinstance(status_a["load_balancers"], dict) and isinstance(status_b["load_balancers"], dict)
            assert status_a["state_dir"] == str(first.resolve())
            assert (first / "lab.log").exists() and (second / "lab.json").exists()

            # A second lab in the same state directory is refused, and names the fix.
            again = run_cli("up", "--port", "0", "--state-dir", str(second), check=False)
            assert again.returncode == 1
            assert f"a lab is already running in {second}" in again.stderr
            assert "codedeploy-lab down --state-dir" in again.stderr

            # The labs are independent, and reset empties one of them (CodeDeploy and moto alike).
            import boto3

            a = boto3.client("codedeploy", endpoint_url=status_a["endpoint"], **CREDENTIALS)
            b = boto3.client("codedeploy", endpoint_url=status_b["endpoint"], **CREDENTIALS)
            s3_b = boto3.client("s3", endpoint_url=status_b["endpoint"], **CREDENTIALS)
            a.create_application(applicationName="only-in-a")
            b.create_application(applicationName="only-in-b")
            s3_b.create_bucket(Bucket="bucket-in-b")
            assert a.list_applications()["applications"] == ["only-in-a"]
            assert b.list_applications()["applications"] == ["only-in-b"]
            assert "lab reset" in run_cli("reset", "--state-dir", str(second)).stdout
            assert b.list_applications()["applications"] == []
            assert s3_b.list_buckets()["Buckets"] == []
            assert a.list_applications()["applications"] == ["only-in-a"]
        finally:
            result = run_cli("down", "--state-dir", str(second))
            assert f"lab stopped (pid {status_b['pid']})" in result.stdout
        assert not (second / "lab.json").exists()
        assert not Path(f"/proc/{status_b['pid']}/cmdline").exists() or \
            Path(f"/proc/{status_b['pid']}/cmdline").read_bytes() == b""
        code, stopped = _status(second)
        assert code == 1 and stopped["running"] is False and stopped["endpoint"] is None
        assert "no lab running" in run_cli("down", "--state-dir", str(second)).stdout
        reset = run_cli("reset", "--state-dir", str(second), check=False)
        assert reset.returncode == 1 and "no lab running in" in reset.stderr
    finally:
        subprocess.run(lab_command("down"), cwd=first_cwd, capture_output=True, env=env)
    assert not (first / "lab.json").exists()


def test_port_in_use_is_reported(lab, tmp_path):
    result = run_cli("up", "--port", str(lab.port), "--state-dir", str(tmp_path / "clash"), check=False)
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{lab.port}" in result.stderr
    assert "--port 0 for a free one" in result.stderr


def test_lab_listens_on_loopback_only(lab):
    addresses = _listening_addresses(lab.pid)
    assert ("127.0.0.1", lab.port) in addresses
    assert all(address == "127.0.0.1" for address, _ in addresses), addresses


def test_lab_endpoints(lab):
    assert lab.get("/_lab/health")["status"] == "ok"
    status = lab.get("/_lab/status")
    assert status["endpoint"] == lab.endpoint and status["pid"] == lab.pid
    assert isinstance(status["load_balancers"], dict)
    import urllib.error
    import urllib.request

    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(f"{lab.endpoint}/_lab/nothing-here", timeout=10)
    assert error.value.code == 404
    assert "/_lab/health GET" in json.loads(error.value.read())["endpoints"]


def _aws(lab, *args: str) -> subprocess.CompletedProcess[str]:
    aws = Path(sys.executable).parent / "aws"
    assert aws.exists(), f"the AWS CLI is expected next to {sys.executable}"
    return subprocess.run([str(aws), *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, **lab.env(), "AWS_PAGER": ""})


def test_aws_cli_drives_the_lab(lab):
    created = _aws(lab, "deploy", "create-application", "--application-name", "demo-app")
    assert created.returncode == 0, created.stderr
    assert json.loads(created.stdout)["applicationId"]
    again = _aws(lab, "deploy", "create-application", "--application-name", "demo-app")
    assert again.returncode != 0
    assert "ApplicationAlreadyExistsException" in again.stderr
    configs = _aws(lab, "deploy", "list-deployment-configs")
    assert configs.returncode == 0, configs.stderr
    names = json.loads(configs.stdout)["deploymentConfigsList"]
    assert {"CodeDeployDefault.OneAtATime", "CodeDeployDefault.HalfAtATime", "CodeDeployDefault.AllAtOnce"} <= \
        set(names)
    config = _aws(lab, "deploy", "get-deployment-config", "--deployment-config-name", "CodeDeployDefault.OneAtATime")
    assert json.loads(config.stdout)["deploymentConfigInfo"]["minimumHealthyHosts"] == {
        "type": "MOST_CONCURRENCY", "value": 1}
    assert _aws(lab, "deploy", "delete-application", "--application-name", "demo-app").returncode == 0
