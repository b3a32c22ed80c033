"""The codedeploy-lab command: up/status/reset/down with side-by-side state dirs, loopback only, the AWS CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import boto3
import pytest

from codedeploy_lab.clock import LabClock
from codedeploy_lab.testing import CREDENTIALS
from codedeploy_lab.testing import lab_command
from codedeploy_lab.testing import run_cli


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
                    octets = [str(int(address[i : i + 2], 16)) for i in range(0, 8, 2)]
                    found.append((".".join(reversed(octets)), int(port, 16)))
                else:
                    found.append((address, int(port, 16)))
    return found


def test_two_labs_side_by_side(lab, tmp_path):
    """A second lab (default state directory .lab/ in its working directory) next to the session lab."""
    cwd = tmp_path / "project"
    cwd.mkdir()
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(Path(__file__).parents[1]), os.environ.get("PYTHONPATH")])),
    }
    up = subprocess.run(
        lab_command("up", "--port", "0", "--time-factor", "0.5", "--rooms", "none"),
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env,
        timeout=180,
    )
    assert up.returncode == 0, up.stderr
    state = cwd / ".lab"
    try:
        code, status = _status(state)
        assert code == 0 and status["running"] is True
        assert status["endpoint"] == up.stdout.strip() != lab.endpoint
        assert status["state_dir"] == str(state.resolve())
        assert status["load_balancers"] == {} and status["seconds_per_aws_minute"] == 0.5
        assert (state / "lab.log").exists()
        assert json.loads((state / "lab.json").read_text())["pid"] == status["pid"]

        # A second lab in the same state directory is refused, and the message names the fix.
        again = subprocess.run(lab_command("up", "--port", "0"), cwd=cwd, capture_output=True, text=True, env=env)
        assert again.returncode == 1
        assert f"a lab is already running in {state}" in again.stderr
        assert "codedeploy-lab down --state-dir .lab" in again.stderr

        # The labs are independent, and reset empties one of them (CodeDeploy and moto alike).

        ours = boto3.client("codedeploy", endpoint_url=status["endpoint"], **CREDENTIALS)
        s3 = boto3.client("s3", endpoint_url=status["endpoint"], **CREDENTIALS)
        session_app = f"session-{os.getpid()}"
        lab.client("codedeploy").create_application(applicationName=session_app)
        ours.create_application(applicationName="only-here")
        s3.create_bucket(Bucket="bucket-here")
        assert ours.list_applications()["applications"] == ["only-here"]
        assert "lab reset" in run_cli("reset", "--state-dir", str(state)).stdout
        assert ours.list_applications()["applications"] == []
        assert s3.list_buckets()["Buckets"] == []
        assert lab.client("codedeploy").get_application(applicationName=session_app)["application"]
    finally:
        down = subprocess.run(lab_command("down"), cwd=cwd, capture_output=True, text=True, env=env)
    assert f"lab stopped (pid {status['pid']})" in down.stdout
    assert not (state / "lab.json").exists()
    cmdline = Path(f"/proc/{status['pid']}/cmdline")
    assert not cmdline.exists() or cmdline.read_bytes() == b""  # gone (or a zombie awaiting its reaper)
    code, stopped = _status(state)
    assert code == 1 and stopped["running"] is False and stopped["endpoint"] is None
    assert "no lab running" in run_cli("down", "--state-dir", str(state)).stdout
    reset = run_cli("reset", "--state-dir", str(state), check=False)
    assert reset.returncode == 1 and "no lab running in" in reset.stderr


def test_port_in_use_is_reported(lab, tmp_path):
    result = run_cli("up", "--port", str(lab.port), "--state-dir", str(tmp_path / "clash"), check=False)
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{lab.port}" in result.stderr
    assert "leave --port out for a free one" in result.stderr


def test_bundle_limit_flags_reach_the_agent(tmp_path):
    """`up --max-ratio N` and friends become the CODEDEPLOY_LAB_MAX_* variables the agent reads in the lab process."""
    state = tmp_path / "limits"
    run_cli("up", "--state-dir", str(state), "--rooms", "none", "--max-ratio", "7", "--max-entries", "9")
    try:
        pid = json.loads((state / "lab.json").read_text())["pid"]
        environ = dict(
            entry.split("=", 1)
            for entry in Path(f"/proc/{pid}/environ").read_bytes().decode().split("\0")
            if "=" in entry
        )
    finally:
        run_cli("down", "--state-dir", str(state))
    assert environ["CODEDEPLOY_LAB_MAX_RATIO"] == "7"
    assert environ["CODEDEPLOY_LAB_MAX_ENTRIES"] == "9"
    assert "CODEDEPLOY_LAB_MAX_UNPACKED_BYTES" not in environ  # not given: the agent's default holds
    refused = run_cli("up", "--state-dir", str(state), "--max-ratio", "0", check=False)
    assert refused.returncode == 2 and "--max-ratio: must be a positive whole number, got 0" in refused.stderr


def test_lab_listens_on_loopback_only(lab):
    addresses = _listening_addresses(lab.pid)
    assert ("127.0.0.1", lab.port) in addresses
    assert all(address == "127.0.0.1" for address, _ in addresses), addresses


def test_lab_endpoints(lab):
    assert lab.get("/_lab/health")["status"] == "ok"
    status = lab.get("/_lab/status")
    assert status["endpoint"] == lab.endpoint and status["pid"] == lab.pid
    assert isinstance(status["load_balancers"], dict)

    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(lab.request("GET", "/_lab/nothing-here"), timeout=10)
    assert error.value.code == 404
    assert "/_lab/health GET" in json.loads(error.value.read())["endpoints"]


def _aws(lab, *args: str) -> subprocess.CompletedProcess[str]:
    aws = Path(sys.executable).parent / "aws"
    assert aws.exists(), f"the AWS CLI is expected next to {sys.executable}"
    return subprocess.run(
        [str(aws), *args], capture_output=True, text=True, timeout=120, env={**os.environ, **lab.env(), "AWS_PAGER": ""}
    )


def test_aws_deploy_push_uploads_and_registers(lab, tmp_path, unique_name):
    source = tmp_path / "site"
    source.mkdir()
    (source / "appspec.yml").write_text("version: 0.0\nos: linux\n")
    bucket, app = unique_name("push"), unique_name("push-app")
    lab.client("s3").create_bucket(Bucket=bucket)
    lab.client("codedeploy").create_application(applicationName=app)
    pushed = _aws(
        lab,
        "deploy",
        "push",
        "--application-name",
        app,
        "--s3-location",
        f"s3://{bucket}/site.zip",
        "--source",
        str(source),
    )
    assert pushed.returncode == 0, pushed.stderr
    (revision,) = lab.client("codedeploy").list_application_revisions(applicationName=app)["revisions"]
    assert revision["s3Location"]["bucket"] == bucket and revision["s3Location"]["bundleType"] == "zip"
    head = lab.client("s3").head_object(Bucket=bucket, Key="site.zip")
    assert head["ETag"].strip('"') == revision["s3Location"]["eTag"]


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
    assert {"CodeDeployDefault.OneAtATime", "CodeDeployDefault.HalfAtATime", "CodeDeployDefault.AllAtOnce"} <= set(
        names
    )
    lab.client("codedeploy").delete_application(applicationName="demo-app")


def test_lab_clock_scales_aws_time():

    clock = LabClock(seconds_per_aws_minute=0.5)
    assert clock.minutes(60) == 30.0  # a 60-minute termination wait lasts 30 lab seconds
    assert clock.seconds(600) == 5.0  # a 600 s hook timeout lasts 5 lab seconds
    assert clock.to_aws_seconds(5.0) == 600.0
    assert LabClock().minutes(1) == 1.0
    with pytest.raises(ValueError, match="seconds_per_aws_minute must be positive, got 0"):
        LabClock(0)
