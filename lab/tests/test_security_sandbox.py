"""Red-team tests of the host sandbox: hostile scripts run as root in real lab hosts, in a lab started as root and in
a lab started as an unprivileged user. After each attack the machine is as it was (``redteam.MachineWatch``) and the
lab still boots a host and runs its user data.

The hostile script is user data: it runs as root on the host exactly as a hook does (same sandbox, same entry).
"""

from __future__ import annotations

import http.client
import io
import os
import shutil
import socket
import subprocess
import sys
import sysconfig
import tempfile
import time
import typing as t
import uuid
import zipfile
from pathlib import Path

import pytest
from redteam import MachineWatch
from redteam import listening_on

from codedeploy_lab.agent.bundles import make_bundle
from codedeploy_lab.deployments.testing import run_web_instances
from codedeploy_lab.deployments.testing import upload_revision
from codedeploy_lab.deployments.testing import wait_deployment
from codedeploy_lab.deployments.testing import web_load_balancer
from codedeploy_lab.fleet import sandbox as sandbox_module
from codedeploy_lab.testing import RunningLab
from codedeploy_lab.testing import run_cli

pytestmark = pytest.mark.skipif(
    sandbox_module.sandbox_support_problem() is not None,
    reason=f"lab hosts need a sandbox: {sandbox_module.sandbox_support_problem()}",
)

NOBODY = 65534
HOST_CAPABILITY_MASK = sum(1 << number for number in sandbox_module.HOST_CAPABILITIES.values())


def start_unprivileged_lab() -> RunningLab:
    """``codedeploy-lab up`` as nobody, with the machine's Python 3 and this environment's packages.

    The state directory sits in a folder nobody may enter (/tmp/pytest-of-root is root's only), and the venv's own
    Python lives under /root, so the lab runs with /usr/bin/python3 and PYTHONPATH.
    """
    folder = Path(tempfile.mkdtemp(prefix="codedeploy-lab-unprivileged-", dir="/tmp"))
    folder.chmod(0o755)
    os.chown(folder, NOBODY, NOBODY)
    lab_dir = Path(__file__).resolve().parent.parent
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": str(folder),
        "LANG": "C.UTF-8",
        "PYTHONPATH": f"{sysconfig.get_paths()['purelib']}:{lab_dir}",
    }
    command = [
        "setpriv",
        f"--reuid={NOBODY}",
        f"--regid={NOBODY}",
        "--clear-groups",
        "/usr/bin/python3",
        "-m",
        "codedeploy_lab.cli",
        "up",
        "--state-dir",
        str(folder / "state"),
        "--port",
        "0",
    ]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)
    if result.returncode != 0:
        shutil.rmtree(folder, ignore_errors=True)
        raise AssertionError(f"the unprivileged lab did not start: {result.stdout}{result.stderr}")
    return RunningLab.from_state_dir(folder / "state")


@pytest.fixture(scope="module", params=["root lab", "unprivileged lab"])
def target(request: pytest.FixtureRequest, lab: RunningLab) -> t.Iterator[RunningLab]:
    """The lab whose hosts are attacked: the session lab (run as root), then one run as nobody."""
    if os.geteuid() != 0:
        pytest.skip("these tests start a lab as root and one as nobody: run them as root (e.g. in a container)")
    if request.param == "root lab":
        assert os.stat(f"/proc/{lab.pid}").st_uid == 0
        yield lab
        return
    if not os.access("/usr/bin/python3", os.X_OK) or shutil.which("setpriv") is None:
        pytest.skip("an unprivileged lab needs /usr/bin/python3 and setpriv")
    hidden = [
        path
        for path in (sysconfig.get_paths()["purelib"], str(Path(__file__).resolve().parent.parent))
        if not reachable_by_others(Path(path))
    ]
    if hidden:
        pytest.skip(
            f"nobody cannot read {', '.join(hidden)} (a folder on the way is closed to other users): "
            "run the tests from a checkout other users can read, e.g. under /work or /srv"
        )
    unprivileged = start_unprivileged_lab()
    try:
        assert os.stat(f"/proc/{unprivileged.pid}").st_uid == NOBODY
        yield unprivileged
    finally:
        run_cli("down", "--state-dir", str(unprivileged.state_dir), check=False)
        shutil.rmtree(unprivileged.state_dir.parent, ignore_errors=True)


def reachable_by_others(path: Path) -> bool:
    """Every folder from / down to ``path`` lets other users through (and ``path`` lets them read)."""
    folders = [path, *path.parents]
    return all(folder.stat().st_mode & 0o001 for folder in folders) and bool(path.stat().st_mode & 0o004)


def privileged(target: RunningLab) -> bool:
    return os.stat(f"/proc/{target.pid}").st_uid == 0


def wait_for(predicate: t.Callable[[], t.Any], what: str, timeout: float = 120) -> t.Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def run_hostile(target: RunningLab, script: str, count: int = 1) -> list[tuple[str, str, dict[str, t.Any]]]:
    """Boot ``count`` hosts whose user data is ``script``; (instance id, its output, its description) each."""
    reservation = target.client("ec2").run_instances(
        ImageId="ami-12345678", MinCount=count, MaxCount=count, UserData="#!/bin/bash\n" + script
    )
    results = []
    for instance in reservation["Instances"]:
        instance_id = instance["InstanceId"]
        described = wait_for(
            lambda i=instance_id: (d := target.get(f"/_lab/hosts/{i}"))["booted"] and d,
            f"host {instance_id} to run its user data",
        )
        assert described["sandbox_error"] is None, described
        log = Path(described["root"], "var/log/cloud-init-output.log").read_text()
        results.append((instance_id, log, described))
    return results


def terminate(target: RunningLab, *instance_ids: str) -> None:
    target.client("ec2").terminate_instances(InstanceIds=list(instance_ids))


def assert_lab_still_works(target: RunningLab) -> None:
    """The next host boots and runs its user data as before."""
    [(instance_id, log, described)] = run_hostile(target, "echo still-alive\n")
    try:
        assert described["user_data_exit_codes"] == [0] and "still-alive" in log, (described, log)
    finally:
        terminate(target, instance_id)


def processes_with(marker: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker.encode() in (entry / "cmdline").read_bytes().replace(b"\0", b" "):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def status_fields(pid: int) -> dict[str, str]:
    lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    return {name: value.strip() for name, _, value in (line.partition(":") for line in lines)}


# -- escaping the root --------------------------------------------------------------------------------------------------


def test_double_chroot_escape_fails_and_the_machine_root_is_out_of_sight(target, tmp_path) -> None:  # type: ignore[no-untyped-def]
    with MachineWatch(tmp_path) as watch:
        machine_only = Path(f"/tmp/{watch.token}-machine-only")
        machine_only.mkdir()
        try:
            [(instance_id, log, _)] = run_hostile(
                target,
                f"""
python3 - <<'EOF'
import os
os.makedirs("/tmp/jail", exist_ok=True)
try:
    os.chroot("/tmp/jail")
    print("first chroot worked")
except OSError as error:
    print("first chroot refused", error.errno)
for _ in range(64):
    os.chdir("..")
try:
    os.chroot(".")
    print("second chroot worked")
except OSError as error:
    print("second chroot refused", error.errno)
open("/tmp/{watch.token}-escaped", "w").write("escaped")
print("tmp now:", sorted(os.listdir("/tmp")))
EOF
""",
            )
        finally:
            machine_only.rmdir()
        terminate(target, instance_id)
        assert "first chroot refused 1" in log and "second chroot refused 1" in log, log
        assert f"{watch.token}-escaped" in log  # it wrote into its own /tmp ...
        assert f"{watch.token}-machine-only" not in log  # ... which is not the machine's
    assert_lab_still_works(target)


def test_the_machines_processes_hostname_and_devices_are_out_of_reach(target, tmp_path) -> None:  # type: ignore[no-untyped-def]
    machine_hostname = socket.gethostname()
    with MachineWatch(tmp_path) as watch:
        [(instance_id, log, described)] = run_hostile(
            target,
            f"""
echo "processes: $(ls /proc | grep -c '^[0-9]*$')"
cat /proc/[0-9]*/cmdline 2>/dev/null | tr '\\0' ' '; echo
hostname {watch.token}; echo "sethostname=$?"; echo "hostname now: $(hostname)"
mknod /tmp/disk b 8 0; echo "mknod=$?"
mknod /dev/shm/mem c 1 1; echo "mknod-shm=$?"
python3 -c 'import socket; socket.socket(socket.AF_INET, socket.SOCK_RAW, 1)' 2>/dev/null; echo "raw=$?"
mount -t tmpfs tmpfs /mnt 2>/dev/null; echo "mount=$?"
""",
        )
        terminate(target, instance_id)
    assert socket.gethostname() == machine_hostname
    assert int(log.split("processes: ")[1].split()[0]) < 15, log  # PID 1, the script and what it runs
    assert "pytest" not in log and "codedeploy_lab.cli" not in log, log  # no machine process shows
    # Changing the hostname needs CAP_SYS_ADMIN, which a host does not get: the host keeps its own name.
    assert "sethostname=1" in log and f"hostname now: {described['instance_id']}" not in log, log
    assert "hostname now: ip-" in log, log
    for refused in ("mknod=1", "mknod-shm=1", "raw=1", "mount=32"):
        assert refused in log, log
    assert_lab_still_works(target)


def test_host_processes_have_few_capabilities_no_new_privileges_and_are_not_root_outside(target) -> None:  # type: ignore[no-untyped-def]
    marker = f"{700 + uuid.uuid4().int % 97}.{uuid.uuid4().int % 10**6}"
    [(instance_id, log, _)] = run_hostile(
        target, f"nohup sleep {marker} >/dev/null 2>&1 &\ngrep -E '^(CapEff|CapBnd|NoNewPrivs)' /proc/self/status\n"
    )
    try:
        [pid] = wait_for(lambda: processes_with(f"sleep {marker}"), "the host's sleep")
        fields = status_fields(pid)
        assert int(fields["CapEff"], 16) == HOST_CAPABILITY_MASK, fields
        assert int(fields["CapBnd"], 16) == HOST_CAPABILITY_MASK, fields
        assert fields["NoNewPrivs"] == "1", fields
        outer_uid = int(fields["Uid"].split()[0])
        if privileged(target):
            assert outer_uid >= sandbox_module.ID_RANGE_BASE, fields  # root inside, an unused id outside
        else:
            assert outer_uid == NOBODY, fields  # the lab's own id
        assert f"{HOST_CAPABILITY_MASK:016x}" in log and "NoNewPrivs:\t1" in log, log
    finally:
        terminate(target, instance_id)
    assert wait_for(lambda: not processes_with(f"sleep {marker}"), "the host's processes to end", 30)


# -- reading the machine ------------------------------------------------------------------------------------------------


def test_files_outside_the_host_cannot_be_read(target, lab, tmp_path) -> None:  # type: ignore[no-untyped-def]
    home_marker = Path.home() / f".codedeploy-lab-redteam-{uuid.uuid4().hex[:8]}"
    home_marker.write_text("home secret\n")
    other_lab = tmp_path / "other-lab" / "state"
    other_lab.mkdir(parents=True)
    (other_lab / "lab.json").write_text('{"other": "lab state"}\n')
    try:
        with MachineWatch(tmp_path) as watch:
            [(instance_id, log, _)] = run_hostile(
                target,
                f"""
for path in {watch.secret} {home_marker} {other_lab}/lab.json {lab.state_dir}/lab.json {target.state_dir}/lab.json \\
            /root/.aws/credentials /root/.ssh /etc/shadow; do
  cat "$path" 2>/dev/null && echo "READ $path"
done
echo "root has: $(ls -A /root | tr '\\n' ' ')"
echo "home has: $(ls -A /home | tr '\\n' ' ')"
find / -xdev -name 'lab.json' 2>/dev/null | sed 's/^/found /'
""",
            )
            terminate(target, instance_id)
        assert watch.secret_text not in log and "home secret" not in log and "lab state" not in log, log
        assert "READ" not in log.replace("READ /etc/shadow", ""), log
        assert "found " not in log, log
        host_root = set(log.split("root has: ")[1].splitlines()[0].split())
        assert not host_root & set(os.listdir(Path.home())), log  # the host's /root is its own
    finally:
        home_marker.unlink()
    assert_lab_still_works(target)


# -- the network --------------------------------------------------------------------------------------------------------

LISTEN_47111 = """
python3 - <<'EOF' &
import socket, time
server = socket.socket()
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("0.0.0.0", 47111))
server.listen()
open("/tmp/listening", "w").write("yes")
time.sleep(60)
EOF
for _ in $(seq 50); do [ -e /tmp/listening ] && break; sleep 0.1; done
echo "listening=$(cat /tmp/listening)"
"""


def test_listeners_of_two_hosts_on_one_port_never_reach_the_machine(target, tmp_path) -> None:  # type: ignore[no-untyped-def]
    with MachineWatch(tmp_path):
        results = run_hostile(target, LISTEN_47111, count=2)
        try:
            for _, log, _ in results:
                assert "listening=yes" in log, log  # both hosts hold 0.0.0.0:47111, each in its own network
            assert not listening_on(47111)
        finally:
            terminate(target, *(instance_id for instance_id, _, _ in results))
    assert_lab_still_works(target)


def test_a_host_reaches_aws_and_its_metadata_but_no_machine_service_and_no_lab_control(target, tmp_path) -> None:  # type: ignore[no-untyped-def]
    s3 = target.client("s3")
    bucket = f"redteam-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="reachable.txt", Body=b"through the gateway\n")
    presigned = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "reachable.txt"})
    other = run_hostile(target, LISTEN_47111)[0][0]  # another host, listening on its own 127.0.0.1:47111
    abstract_name = f"codedeploy-lab-redteam-{uuid.uuid4().hex[:8]}"
    abstract = socket.socket(socket.AF_UNIX)  # abstract unix sockets belong to a network namespace
    abstract.bind("\0" + abstract_name)
    abstract.listen()
    connect_abstract = f"import socket; socket.socket(socket.AF_UNIX).connect(chr(0) + '{abstract_name}')"
    subprocess.run(["/usr/bin/python3", "-c", connect_abstract], check=True)  # reachable from the machine
    machine_service = socket.socket()
    machine_service.bind(("127.0.0.1", 0))
    machine_service.listen()
    machine_service.setblocking(False)
    port = machine_service.getsockname()[1]
    code = "curl -s -o /dev/null -w '%{http_code}' -m 5"
    try:
        with MachineWatch(tmp_path):
            [(instance_id, log, _)] = run_hostile(
                target,
                f"""
curl -s -m 3 http://127.0.0.1:{port}/; echo "machine-service=$?"
curl -s -m 3 http://127.0.0.1:47111/; echo "other-host=$?"
python3 -c "{connect_abstract}" 2>/dev/null; echo "abstract=$?"
echo "reset=$({code} -X POST "$AWS_ENDPOINT_URL/_lab/reset")"
echo "encoded=$({code} -X POST "$AWS_ENDPOINT_URL/%5Flab/reset")"
echo "dotted=$({code} "$AWS_ENDPOINT_URL/x/../_lab/hosts/{other}")"
echo "describe-other=$({code} "$AWS_ENDPOINT_URL/_lab/hosts/{other}")"
echo "moto=$({code} -X POST "$AWS_ENDPOINT_URL/moto-api/reset")"
echo "s3=$(curl -s -m 10 '{presigned}')"
echo "imds=$(curl -s -m 5 http://169.254.169.254/latest/meta-data/instance-id)"
echo "imds-port=$(curl -s -m 5 "$AWS_ENDPOINT_URL/latest/meta-data/instance-id")"
""",
            )
            terminate(target, instance_id)
        with pytest.raises(BlockingIOError):
            machine_service.accept()  # nothing ever connected to the machine's service
        assert "machine-service=7" in log and "other-host=7" in log, log  # refused: its 127.0.0.1 is its own
        assert "abstract=1" in log, log
        for refused in ("reset=403", "encoded=403", "dotted=403", "describe-other=403", "moto=403"):
            assert refused in log, log
        assert "s3=through the gateway" in log, log
        assert f"imds={instance_id}" in log and f"imds-port={instance_id}" in log, log
        assert target.get(f"/_lab/hosts/{other}")["state"] == "running"  # no reset went through
        assert s3.get_object(Bucket=bucket, Key="reachable.txt")["Body"].read() == b"through the gateway\n"
    finally:
        machine_service.close()
        abstract.close()
        terminate(target, other)
    assert_lab_still_works(target)


# -- the web server -----------------------------------------------------------------------------------------------------


def test_swapping_files_and_symlinks_under_the_document_root_serves_nothing_of_the_machine(target, tmp_path) -> None:  # type: ignore[no-untyped-def]
    lab_state_file = target.state_dir / "lab.json"
    with MachineWatch(tmp_path) as watch:
        [(instance_id, _, _)] = run_hostile(
            target,
            f"""
yum install -y httpd >/dev/null
mkdir -p /var/www/html
echo page > /var/www/html/index.html
systemctl start httpd
nohup python3 - >/dev/null 2>&1 <<'EOF' &
import os, time
targets = ["{lab_state_file}", "{watch.secret}", "/proc/1/environ", "/etc/hostname"]
deadline = time.time() + 60
while time.time() < deadline:
    for target in targets:
        path = "/var/www/html/swap.html"
        try:
            os.unlink(path)
        except OSError:
            pass
        open(path, "w").write("swapped page\\n")
        os.unlink(path)
        os.symlink(target, path)
EOF
""",
        )
        try:
            name = web_load_balancer(target.client, [instance_id], interval=5)
            url = target.get("/_lab/status")["load_balancers"][name]
            host, port = url.split("//")[1].rstrip("/").split(":")
            bodies: dict[bytes, int] = {}
            deadline = time.monotonic() + 4
            while time.monotonic() < deadline:
                connection = http.client.HTTPConnection(host, int(port), timeout=10)
                connection.request("GET", "/swap.html")
                body = connection.getresponse().read()
                bodies[body] = bodies.get(body, 0) + 1
                connection.close()
        finally:
            terminate(target, instance_id)
    served = b"".join(bodies)
    assert lab_state_file.read_bytes() not in served and b"endpoint" not in served, bodies.keys()
    assert watch.secret_text.encode() not in served, bodies.keys()
    assert set(bodies) & {b"swapped page\n", b"Not Found\n"}, bodies.keys()  # the host's own files, or none
    assert_lab_still_works(target)


# -- limits -------------------------------------------------------------------------------------------------------------


def test_a_fork_bomb_and_a_memory_hog_are_stopped_by_the_hosts_limits(target) -> None:  # type: ignore[no-untyped-def]
    if not privileged(target):
        # An unprivileged lab cannot create cgroups: it says so, and nothing is limited (no bomb is set off here).
        [(instance_id, _, described)] = run_hostile(target, "true\n")
        terminate(target, instance_id)
        limits = described["limits"]
        assert limits["enforced"] is False and "not run as root" in limits["reason"], limits
        return
    [(instance_id, log, described)] = run_hostile(
        target,
        """
python3 - <<'EOF'
import os, signal
children = []
try:
    while len(children) < 5000:
        pid = os.fork()
        if pid == 0:
            signal.pause()
            os._exit(0)
        children.append(pid)
    print("forked", len(children))
except OSError as error:
    print("fork refused after", len(children), error.errno)
for pid in children:
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
EOF
exec python3 -c 'chunks = [b"x" * (256 << 20) for _ in range(12)]; print("allocated 3 GiB")'
""",
    )
    try:
        assert described["limits"] == {
            "enforced": True,
            "memory_bytes": sandbox_module.MEMORY_LIMIT,
            "pids": sandbox_module.PIDS_LIMIT,
        }, described
        refused = log.split("fork refused after ")[1].split()[0]
        assert int(refused) < sandbox_module.PIDS_LIMIT, log
        assert "allocated 3 GiB" not in log, log
        assert described["user_data_exit_codes"] in ([137], [-9]), described  # killed by the OOM killer
    finally:
        terminate(target, instance_id)
    assert_lab_still_works(target)


def test_stopping_a_host_removes_its_cgroups(target) -> None:  # type: ignore[no-untyped-def]
    if not privileged(target):
        pytest.skip("an unprivileged lab makes no cgroups")
    [(instance_id, _, described)] = run_hostile(target, "true\n")
    cgroups = [
        Path(f"/sys/fs/cgroup/{controller}/{sandbox_module.CGROUP_PREFIX}{instance_id}")
        for controller in ("memory", "pids")
    ]
    assert described["limits"]["enforced"] and all(path.is_dir() for path in cgroups)
    terminate(target, instance_id)
    wait_for(lambda: not any(path.exists() for path in cgroups), "the host's cgroups to go", 30)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__, "-q"]))


# -- the API and the agent hold in this lab too (the rest of their attacks: test_security_api.py, _agent.py) ----------


def test_the_api_answers_only_its_user(target) -> None:  # type: ignore[no-untyped-def]
    """Other origins, a foreign Host, unsigned calls and control calls without the token change nothing."""
    application = f"kept-{uuid.uuid4().hex[:8]}"
    target.client("codedeploy").create_application(applicationName=application)
    create = {"X-Amz-Target": "CodeDeploy_20141006.CreateApplication", "Content-Type": "application/x-amz-json-1.1"}

    def send(method: str, path: str, headers: dict[str, str], body: bytes = b"") -> tuple[int, dict[str, str]]:
        connection = http.client.HTTPConnection("127.0.0.1", target.port, timeout=30)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            return response.status, {name.lower(): value for name, value in response.getheaders()}
        finally:
            connection.close()

    preflight = send("OPTIONS", "/", {"Origin": "http://attacker.example", "Access-Control-Request-Method": "POST"})
    assert not [name for name in preflight[1] if name.startswith("access-control-")], preflight
    refused = [
        send("POST", "/", {**create, "Origin": "http://attacker.example"}, b'{"applicationName": "a1"}'),
        send("POST", "/", {**create, "Host": f"attacker.example:{target.port}"}, b'{"applicationName": "a2"}'),
        send("POST", "/", create, b'{"applicationName": "a3"}'),  # unsigned
        send("POST", "/_lab/reset", {}),
        send("POST", "/_lab/reset", {"X-Lab-Token": "guessed"}),
        send("POST", "/moto-api/reset", {}),
    ]
    assert [status for status, _ in refused] == [403, 403, 403, 401, 403, 401], refused
    names = target.client("codedeploy").list_applications()["applications"]
    assert application in names and not {"a1", "a2", "a3"} & set(names)


def link_chain_zip() -> bytes:
    """``a/b -> ..``, ``a/b/c -> ..``, then a file under ``a/b/c``: it would land two levels above the archive."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, link in (("a/b", ".."), ("a/b/c", "..")):
            info = zipfile.ZipInfo(name)
            info.external_attr = 0o120777 << 16
            archive.writestr(info, link)
        archive.writestr("appspec.yml", "version: 0.0\nos: linux\n")
        archive.writestr("a/b/c/escaped", "x")
    return buffer.getvalue()


def test_hostile_revisions_fail_and_the_next_deployment_succeeds(target, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A files.source escape, a hook outside the archive and a chain of links, deployed through the API."""
    tag = f"hostile-{uuid.uuid4().hex[:8]}"
    codedeploy, iam, s3 = target.client("codedeploy"), target.client("iam"), target.client("s3")
    role = iam.create_role(RoleName=f"{tag}-role", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    codedeploy.create_application(applicationName=tag)
    codedeploy.create_deployment_group(
        applicationName=tag,
        deploymentGroupName=tag,
        serviceRoleArn=role,
        ec2TagFilters=[{"Key": "Fleet", "Value": tag, "Type": "KEY_AND_VALUE"}],
    )
    [instance_id] = run_web_instances(target.client, 1, {"Fleet": tag})
    s3.create_bucket(Bucket=tag)
    hostile = {
        "source-escape": make_bundle(
            {
                "appspec.yml": "version: 0.0\nos: linux\nfiles:\n"
                "  - source: ../../../../../../etc/hostname\n"
                "    destination: /opt/leak\n"
            }
        ),
        "hook-outside": make_bundle(
            {
                "appspec.yml": "version: 0.0\nos: linux\nhooks:\n  BeforeInstall:\n"
                "    - location: ../../../../../../usr/bin/id\n"
            }
        ),
        "link-chain": link_chain_zip(),
    }
    try:
        with MachineWatch(tmp_path) as watch:
            for name, bundle in hostile.items():
                s3.put_object(Bucket=tag, Key=f"{name}.zip", Body=bundle)
                deployment_id = codedeploy.create_deployment(
                    applicationName=tag,
                    deploymentGroupName=tag,
                    revision={
                        "revisionType": "S3",
                        "s3Location": {"bucket": tag, "key": f"{name}.zip", "bundleType": "zip"},
                    },
                )["deploymentId"]
                assert wait_deployment(target.client, deployment_id)["status"] == "Failed", name
            good = upload_revision(target.client, tag, "good.zip", "good")
            deployment_id = codedeploy.create_deployment(applicationName=tag, deploymentGroupName=tag, revision=good)[
                "deploymentId"
            ]
            assert wait_deployment(target.client, deployment_id)["status"] == "Succeeded"
            watch.assert_clean()
        root = Path(target.get(f"/_lab/hosts/{instance_id}")["root"])
        assert not (root / "opt/leak").exists()
        assert not list(root.glob("opt/codedeploy-agent/**/escaped"))
    finally:
        terminate(target, instance_id)
