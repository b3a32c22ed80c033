"""The lab's API is driven by its user only: one test per attack that worked before (issue #16, items 5 and 8).

Each test attacks a real lab over HTTP, then checks the lab's state through boto3 or the state directory: web
pages of other origins, unsigned AWS calls, DNS rebinding, the control endpoints without the token, the caller's
environment leaking into the lab, and the debris a killed lab leaves on disk.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import stat
import subprocess
import time
import typing as t
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from codedeploy_lab.cli import INHERITED_ENVIRONMENT
from codedeploy_lab.deployments.testing import wait_for
from codedeploy_lab.testing import CREDENTIALS
from codedeploy_lab.testing import RunningLab
from codedeploy_lab.testing import lab_command
from codedeploy_lab.testing import run_cli
from codedeploy_lab.testing import start_lab
from codedeploy_lab.testing import stop_lab

FOREIGN_ORIGIN = "http://attacker.example"
JSON_11 = "application/x-amz-json-1.1"

Answer = tuple[int, dict[str, str], bytes]


def send(
    lab: RunningLab, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
) -> Answer:
    """One raw HTTP request to the lab: (status, headers with lower-case names, body)."""
    request = urllib.request.Request(f"{lab.endpoint}{path}", data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


def signed_headers(
    lab: RunningLab, service: str, method: str, path: str, body: bytes, headers: dict[str, str]
) -> dict[str, str]:
    """The headers of a SigV4-signed request (credentials "testing"), as boto3 would send them."""
    request = AWSRequest(method=method, url=f"{lab.endpoint}{path}", data=body, headers=headers)
    SigV4Auth(
        Credentials(CREDENTIALS["aws_access_key_id"], CREDENTIALS["aws_secret_access_key"]),
        service,
        CREDENTIALS["region_name"],
    ).add_auth(request)
    return dict(request.headers.items())


def create_application_request(name: str) -> tuple[bytes, dict[str, str]]:
    return json.dumps({"applicationName": name}).encode(), {
        "Content-Type": JSON_11,
        "X-Amz-Target": "CodeDeploy_20141006.CreateApplication",
    }


def application_exists(lab: RunningLab, name: str) -> bool:
    return name in lab.client("codedeploy").list_applications()["applications"]


def cors_headers(headers: dict[str, str]) -> list[str]:
    return [name for name in headers if name.startswith("access-control-")]


# -- other origins, DNS rebinding --------------------------------------------------------------------------------------


def test_preflight_from_another_origin_gets_no_cors_allowance(control_plane_lab):
    status, headers, body = send(
        control_plane_lab,
        "OPTIONS",
        "/",
        headers={
            "Origin": FOREIGN_ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "x-amz-target,content-type,authorization",
        },
    )
    assert status == 403 and cors_headers(headers) == []
    assert json.loads(body)["error"] == "ForeignOrigin" and FOREIGN_ORIGIN in json.loads(body)["message"]

    # No CORS from the lab at all, not even for its own pages or a plain answer from moto.
    own = f"http://127.0.0.1:{control_plane_lab.port}"
    status, headers, _ = send(
        control_plane_lab, "OPTIONS", "/", headers={"Origin": own, "Access-Control-Request-Method": "POST"}
    )
    assert cors_headers(headers) == [], headers
    answer = control_plane_lab.client("s3").list_buckets()
    assert cors_headers(answer["ResponseMetadata"]["HTTPHeaders"]) == []


def test_signed_call_from_another_origin_is_refused(control_plane_lab, unique_name):
    name = unique_name("from-a-web-page")
    body, headers = create_application_request(name)
    headers = signed_headers(control_plane_lab, "codedeploy", "POST", "/", body, headers)
    for origin in (FOREIGN_ORIGIN, "null", f"http://127.0.0.1:{control_plane_lab.port + 1}"):
        status, answer_headers, answer = send(control_plane_lab, "POST", "/", body, {**headers, "Origin": origin})
        assert status == 403, answer
        assert json.loads(answer)["error"] == "ForeignOrigin" and cors_headers(answer_headers) == []
    assert not application_exists(control_plane_lab, name)

    # The lab's own origin (its console) may call it.
    status, _, answer = send(
        control_plane_lab, "POST", "/", body, {**headers, "Origin": f"http://127.0.0.1:{control_plane_lab.port}"}
    )
    assert status == 200, answer
    assert application_exists(control_plane_lab, name)


def test_foreign_host_header_is_refused(control_plane_lab, unique_name):
    port = control_plane_lab.port
    for host in (
        f"attacker.example:{port}",
        f"127.0.0.1:{port + 1}",
        "localhost",
        f"localhost.example:{port}",
        f"evil.localhost.example:{port}",
    ):
        status, _, body = send(control_plane_lab, "GET", "/_lab/health", headers={"Host": host})
        assert status == 403 and json.loads(body)["error"] == "ForeignHost", (host, body)
    # A rebound name cannot drive the AWS APIs either, signed or not.
    name = unique_name("rebound")
    body, headers = create_application_request(name)
    headers = signed_headers(control_plane_lab, "codedeploy", "POST", "/", body, headers)
    status, _, _ = send(control_plane_lab, "POST", "/", body, {**headers, "Host": f"attacker.example:{port}"})
    assert status == 403 and not application_exists(control_plane_lab, name)

    for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"LOCALHOST:{port}", f"my-bucket.localhost:{port}"):
        status, _, body = send(control_plane_lab, "GET", "/_lab/health", headers={"Host": host})
        assert status == 200 and json.loads(body)["status"] == "ok", (host, body)


# -- unsigned AWS calls ------------------------------------------------------------------------------------------------


def test_unsigned_create_application_is_refused(control_plane_lab, unique_name):
    name = unique_name("unsigned")
    body, headers = create_application_request(name)
    status, answer_headers, answer = send(control_plane_lab, "POST", "/", body, headers)
    assert status == 403
    error = json.loads(answer)
    assert error["__type"] == answer_headers["x-amzn-errortype"] == "MissingAuthenticationTokenException"
    assert "missing Authentication Token" in error["message"] and "sign it" in error["message"]
    assert not application_exists(control_plane_lab, name)


def test_unsigned_query_call_in_a_url_is_refused(control_plane_lab):
    """An ``<img src>`` or a form GET cannot terminate instances."""
    ec2 = control_plane_lab.client("ec2")
    image = ec2.describe_images()["Images"][0]["ImageId"]
    instance = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    try:
        status, _, answer = send(
            control_plane_lab, "GET", f"/?Action=TerminateInstances&InstanceId.1={instance}&Version=2016-11-15"
        )
        assert status == 403
        assert b"<Code>MissingAuthenticationToken</Code>" in answer
        form = f"Action=TerminateInstances&InstanceId.1={instance}&Version=2016-11-15".encode()
        status, _, answer = send(
            control_plane_lab, "POST", "/", form, {"Content-Type": "application/x-www-form-urlencoded"}
        )
        assert status == 403 and b"MissingAuthenticationToken" in answer
        (reservation,) = ec2.describe_instances(InstanceIds=[instance])["Reservations"]
        assert reservation["Instances"][0]["State"]["Name"] in ("pending", "running")
    finally:
        ec2.terminate_instances(InstanceIds=[instance])


def test_unsigned_s3_request_is_refused_and_presigned_urls_work(control_plane_lab, unique_name):
    s3 = control_plane_lab.client("s3")
    bucket = unique_name("unsigned")
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="page.html", Body=b"private")
    status, _, answer = send(control_plane_lab, "GET", f"/{bucket}/page.html")
    assert status == 403 and b"<Code>AccessDenied</Code>" in answer and b"private" not in answer
    status, _, _ = send(control_plane_lab, "DELETE", f"/{bucket}/page.html")
    assert status == 403
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "page.html"})
    with urllib.request.urlopen(url, timeout=30) as response:
        assert response.read() == b"private"


# -- the control token -------------------------------------------------------------------------------------------------

CONTROL_ENDPOINTS = [
    ("POST", "/_lab/reset"),
    ("GET", "/_lab/calls"),
    ("DELETE", "/_lab/calls"),
    ("GET", "/_lab/faults"),
    ("PUT", "/_lab/faults/api/codedeploy"),
    ("DELETE", "/_lab/faults"),
    ("POST", "/_lab/faults/hosts/i-0123456789abcdef0/terminate"),
    ("GET", "/_lab/hosts"),
    ("POST", "/_lab/hosts/i-0123456789abcdef0/services/httpd"),
    ("GET", "/_lab/hosts/i-0123456789abcdef0/imds/latest/meta-data/"),
    ("GET", "/_lab/load-balancers"),
    ("POST", "/moto-api/reset"),
    ("GET", "/moto-api/data.json"),
    ("GET", "/moto-api/"),
    ("POST", "/moto-api/seed?a=42"),
    ("GET", "/moto-apis"),
]


@pytest.mark.parametrize(("method", "path"), CONTROL_ENDPOINTS)
def test_control_endpoints_need_the_token(lab, unique_name, method, path):
    name = unique_name("survives")
    lab.client("codedeploy").create_application(applicationName=name)
    data = b'{"fraction": 1}' if method in ("PUT", "POST") else None
    json_type = {"Content-Type": "application/json"}
    for headers, expected, error in (
        ({}, 401, "MissingLabToken"),
        ({"X-Lab-Token": "guess"}, 403, "WrongLabToken"),
        ({"X-Lab-Token": lab.token[:-1]}, 403, "WrongLabToken"),
    ):
        status, _, body = send(lab, method, path, data, {**json_type, **headers})
        answer = json.loads(body)
        assert (status, answer["error"]) == (expected, error), body
        assert "X-Lab-Token" in answer["message"] and '"control_token"' in answer["message"]
        assert str(lab.state_dir / "control-token") in answer["message"]
    assert application_exists(lab, name)
    assert lab.get("/_lab/calls")["codedeploy"]["CreateApplication"] >= 1  # the counts were not cleared either


def test_health_and_status_stay_open_and_reveal_no_token(lab):
    for path in ("/_lab/health", "/_lab/status"):
        status, _, body = send(lab, "GET", path)
        assert status == 200 and lab.token.encode() not in body
    assert json.loads(send(lab, "GET", "/_lab/status")[2])["endpoint"] == lab.endpoint


# -- a lab of our own: its files, its port, its environment, its control endpoints with the token ----------------------

CALLER_SECRETS = {
    "AWS_SECRET_ACCESS_KEY": "caller-secret-key",
    "AWS_ACCESS_KEY_ID": "AKIACALLER",
    "AWS_SESSION_TOKEN": "caller-session",
    "GITHUB_TOKEN": "ghp_caller",
    "VAULT_TOKEN": "vault-caller",
}


@pytest.fixture(scope="module")
def own_lab(tmp_path_factory: pytest.TempPathFactory) -> t.Iterator[RunningLab]:
    """``codedeploy-lab up`` without --port, started by a caller whose environment holds AWS credentials."""
    state = tmp_path_factory.mktemp("own") / "state"
    package = str(Path(__file__).resolve().parents[1])
    environment = {
        **os.environ,
        **CALLER_SECRETS,
        "CODEDEPLOY_LAB_EXAMPLE": "kept",
        "PYTHONPATH": os.pathsep.join(filter(None, [package, os.environ.get("PYTHONPATH")])),
    }
    up = subprocess.run(
        lab_command("up", "--state-dir", str(state), "--rooms", "none"),
        check=False,
        capture_output=True,
        text=True,
        env=environment,
        timeout=180,
    )
    assert up.returncode == 0, up.stderr
    lab = RunningLab.from_state_dir(state)
    try:
        yield lab
    finally:
        stop_lab(lab)


def test_token_file_and_state_dir_are_private(own_lab):
    token_file = own_lab.state_dir / "control-token"
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(own_lab.state_dir.stat().st_mode) == 0o700
    assert len(own_lab.token) >= 40  # token_urlsafe(32): 43 characters
    status = json.loads(run_cli("status", "--json", "--state-dir", str(own_lab.state_dir)).stdout)
    assert status["control_token"] == own_lab.token


def test_without_port_the_lab_picks_a_free_port_and_status_says_which(own_lab):
    status = json.loads(run_cli("status", "--json", "--state-dir", str(own_lab.state_dir)).stdout)
    assert status["port"] == own_lab.port != 4577
    assert status["endpoint"] == f"http://127.0.0.1:{own_lab.port}"
    assert f"lab running: {status['endpoint']}" in run_cli("status", "--state-dir", str(own_lab.state_dir)).stdout


def test_the_lab_process_gets_a_scrubbed_environment(own_lab):
    environ = Path(f"/proc/{own_lab.pid}/environ").read_bytes().decode()
    variables = dict(entry.split("=", 1) for entry in environ.split("\0") if "=" in entry)
    assert not [name for name in variables if name.startswith("AWS_")], variables
    for value in CALLER_SECRETS.values():
        assert value not in environ
    allowed = {*INHERITED_ENVIRONMENT, "PYTHONPATH", "CODEDEPLOY_LAB_EXAMPLE"}
    # The serve process itself sets TMPDIR (its state's tmp/) and moto_fixes one MOTO_ setting after it starts.
    assert set(variables) - allowed <= {"MOTO_IAM_LOAD_MANAGED_POLICIES"}, variables
    assert variables["CODEDEPLOY_LAB_EXAMPLE"] == "kept" and variables["PATH"] == os.environ["PATH"]


def test_control_endpoints_work_with_the_token(own_lab):
    codedeploy = own_lab.client("codedeploy")
    codedeploy.create_application(applicationName="before-reset")
    assert own_lab.get("/_lab/calls")["codedeploy"]["CreateApplication"] == 1
    assert own_lab.get("/_lab/faults")["api"] == {}
    status, _, body = send(own_lab, "POST", "/moto-api/reset", headers={"X-Lab-Token": own_lab.token})
    assert status == 200 and json.loads(body) == {"status": "ok"}
    assert codedeploy.list_applications()["applications"] == []
    codedeploy.create_application(applicationName="before-cli-reset")
    assert "lab reset" in run_cli("reset", "--state-dir", str(own_lab.state_dir)).stdout  # the CLI sends it
    assert codedeploy.list_applications()["applications"] == []
    assert json.loads(run_cli("fault", "status", "--state-dir", str(own_lab.state_dir)).stdout)["api"] == {}


# -- debris after a crash ----------------------------------------------------------------------------------------------


def kill_lab(lab: RunningLab) -> None:
    """``kill -9`` of the lab this test started, and wait until it is gone."""
    os.kill(lab.pid, signal.SIGKILL)
    for _ in range(300):
        if not Path(f"/proc/{lab.pid}").exists() or b"State:\tZ" in Path(f"/proc/{lab.pid}/status").read_bytes():
            return
        time.sleep(0.1)
    raise AssertionError(f"lab {lab.pid} still alive after SIGKILL")


def plant_hostile_debris(state: Path, outside: Path) -> None:
    """What an overlay and a hostile hook leave: mode 000 directories, another uid's files, links out of the lab."""
    outside.mkdir()
    (outside / "keep.txt").write_text("outside the lab")
    root = state / "hosts" / "i-0debris0000000001"
    work = root / "work" / "work"
    work.mkdir(parents=True)
    (work / "inode").write_text("x")
    nested = root / "upper" / "var" / "locked"
    nested.mkdir(parents=True)
    (nested / "file").write_text("x")
    (root / "upper" / "escape").symlink_to(outside)  # a directory link: must be unlinked, never walked
    (root / "upper" / "escape-file").symlink_to(outside / "keep.txt")
    owned = root / "upper" / "home" / "ec2-user"
    owned.mkdir(parents=True)
    (owned / "notes").write_text("x")
    if os.geteuid() == 0:  # as the user-namespace mapping leaves them
        os.chown(owned / "notes", 2_000_001_000, 2_000_001_000)
        os.chown(owned, 2_000_001_000, 2_000_001_000)
    nested.chmod(0)
    work.chmod(0)
    (state / "sockets" / "i-0debris0000000001").mkdir(parents=True)


def test_reset_and_up_remove_what_a_killed_lab_left(tmp_path):
    state = tmp_path / "state"
    lab = start_lab(state, rooms="none")
    kill_lab(lab)
    outside = tmp_path / "outside"
    plant_hostile_debris(state, outside)
    reset = run_cli("reset", "--state-dir", str(state), check=False)
    assert reset.returncode == 1 and "no lab running" in reset.stderr and "removed 2 leftover" in reset.stderr
    assert list((state / "hosts").iterdir()) == [] and list((state / "sockets").iterdir()) == []
    assert (outside / "keep.txt").read_text() == "outside the lab"

    shutil.rmtree(outside)
    plant_hostile_debris(state, outside)
    again = start_lab(state, rooms="none")
    try:
        assert list((state / "hosts").iterdir()) == [] and list((state / "sockets").iterdir()) == []
        assert (outside / "keep.txt").read_text() == "outside the lab"
        assert again.get("/_lab/calls") == {}
    finally:
        stop_lab(again)


def test_down_removes_host_roots_after_kill_9(tmp_path):
    state = tmp_path / "state"
    lab = start_lab(state, rooms="fleet")
    try:
        ec2 = lab.client("ec2")
        image = ec2.describe_images()["Images"][0]["ImageId"]
        instance = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
        wait_for(lambda: lab.get(f"/_lab/hosts/{instance}")["booted"], "the host to boot", timeout=120)
        root = state / "hosts" / instance
        assert root.is_dir() and any(root.iterdir())
    finally:
        kill_lab(lab)
    assert root.is_dir()  # what the crash left
    down = run_cli("down", "--state-dir", str(state))
    assert "no lab running" in down.stdout and "removed" in down.stderr
    assert not root.exists() and list((state / "hosts").iterdir()) == []
    assert not (state / "lab.json").exists()


@pytest.mark.skipif(os.geteuid() != 0, reason="bind mounts need root")
def test_cleanup_never_crosses_a_mount_point(tmp_path):
    """A host root a crash left mounted (e.g. a bind of a machine folder) is kept, not emptied through the mount."""
    state = tmp_path / "state"
    outside = tmp_path / "machine-folder"
    outside.mkdir()
    (outside / "precious.txt").write_text("the machine's")
    mount_point = state / "hosts" / "i-0mounted00000001" / "merged" / "srv"
    mount_point.mkdir(parents=True)
    (state / "lab.lock").touch()  # a lab ran here once
    (state / "hosts" / "i-0mounted00000001" / "upper-file").write_text("debris")
    subprocess.run(["mount", "--bind", str(outside), str(mount_point)], check=True)
    try:
        down = run_cli("down", "--state-dir", str(state))
        assert f"kept {mount_point} (a mount point; unmount it)" in down.stderr
        assert (outside / "precious.txt").read_text() == "the machine's"
        assert not (state / "hosts" / "i-0mounted00000001" / "upper-file").exists()
    finally:
        subprocess.run(["umount", str(mount_point)], check=True)
    run_cli("down", "--state-dir", str(state))
    assert list((state / "hosts").iterdir()) == []


def test_cleanup_leaves_a_folder_where_no_lab_ever_ran(tmp_path):
    """``down --state-dir`` pointed at a folder of the user's by mistake empties nothing there."""
    (tmp_path / "hosts" / "project-notes").mkdir(parents=True)
    assert "no lab running" in run_cli("down", "--state-dir", str(tmp_path)).stdout
    assert (tmp_path / "hosts" / "project-notes").is_dir()
