"""On-premises lab hosts: sandboxed hosts that are not EC2 instances, found by the IAM identity their agent uses.

A server outside EC2 has no instance metadata and no instance id. Its CodeDeploy agent reads
``/etc/codedeploy-agent/conf/codedeploy.onpremises.yml`` (``region`` and one of ``iam_session_arn`` /
``iam_user_arn``, besides the credentials it signs with) and asks the region's CodeDeploy for commands as that IAM
identity; CodeDeploy knows the instance by the ARN it was registered with
(https://docs.aws.amazon.com/codedeploy/latest/userguide/register-on-premises-instance-iam-session-arn.html).
The lab does the same: ``agent_identity(host)`` reads that file inside the host, and ``host_for(fleet, ...)`` finds
the host whose agent names a registered instance's ARN in the deployment's region.

Endpoints (behind the lab's control token, like every ``/_lab/`` path; hosts get 403 for them):

| method and path | what |
|---|---|
| POST ``/_lab/hosts`` ``{"name": ...}`` | start an on-premises host; answers once it booted |
| DELETE ``/_lab/hosts/<name>`` | stop an on-premises host and remove its root |
| POST ``/_lab/hosts/<id>/exec`` ``{"argv", "stdin" (base64), "timeout"}`` | run a command in any host, as its root |
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import subprocess
import threading
import typing as t
from dataclasses import dataclass

import yaml
from werkzeug.wrappers import Request

from ..rooms import FleetRoom
from ..rooms import Router
from .host import Host
from .host import HostError
from .sandbox import SandboxUnavailable
from .sandbox import kill_group

if t.TYPE_CHECKING:
    from . import Fleet

AGENT_CONFIG = "/etc/codedeploy-agent/conf/codedeploy.onpremises.yml"
AGENT_CONFIG_LIMIT = 64 * 1024  # bytes; the host writes this file, so the lab reads no more of it
# A lab host name is a directory and cgroup name: no slash, no leading dot; "i-" is left to EC2 instance ids.
HOST_NAME = re.compile(r"^(?!i-)[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")
BOOT_TIMEOUT = 120.0
EXEC_TIMEOUT = 600.0
EXEC_TIMEOUT_MAX = 3600.0
EXEC_OUTPUT_LIMIT = 64 << 20  # bytes of stdout and of stderr; a command printing more is killed


class OnPremisesError(ValueError):
    """A request about on-premises hosts the lab refuses; the message names the field and the fix."""


@dataclass(frozen=True)
class AgentIdentity:
    """What an on-premises agent's configuration says it is."""

    region: str
    iam_arn: str


def check_host_name(name: t.Any) -> str:
    if not isinstance(name, str) or not HOST_NAME.match(name):
        raise OnPremisesError(
            f"name: {name!r} is not a lab host name; use 1 to 63 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit and not with 'i-' (EC2 instance ids start so)"
        )
    return name


def parse_agent_config(text: bytes) -> AgentIdentity | None:
    """The region and IAM ARN of an agent configuration, or None when it names no usable identity."""
    try:
        config = yaml.safe_load(text)
    except yaml.YAMLError:
        return None
    if not isinstance(config, dict):
        return None
    region = config.get("region")
    arns = [config.get(key) for key in ("iam_session_arn", "iam_user_arn") if config.get(key)]
    # The agent refuses a configuration with both ARNs or neither, as RegisterOnPremisesInstance does.
    if not isinstance(region, str) or len(arns) != 1 or not isinstance(arns[0], str):
        return None
    return AgentIdentity(region=region.strip(), iam_arn=arns[0].strip())


def agent_identity(host: Host) -> AgentIdentity | None:
    """Read inside the host (never through its root from outside: a hook may have made the path a symlink)."""
    if not host.on_premises or host.state != "running" or not host.sandbox.running:
        return None
    try:
        text = host.read_file(AGENT_CONFIG, limit=AGENT_CONFIG_LIMIT)
    except (HostError, SandboxUnavailable):
        return None
    return parse_agent_config(text) if text is not None else None


def host_for(fleet: FleetRoom | None, region: str, iam_arn: str) -> Host | None:
    """The running on-premises host whose agent is configured as ``iam_arn`` in ``region``."""
    for host in fleet.hosts() if fleet is not None else ():
        if not isinstance(host, Host):  # a simulated host is never on premises
            continue
        identity = agent_identity(host)
        if identity is not None and identity == AgentIdentity(region, iam_arn):
            return host
    return None


# -- running a command in a host ------------------------------------------------------------------------------------


def run_in_host(host: Host, argv: t.Sequence[str], stdin: bytes, timeout: float) -> dict[str, t.Any]:
    """Run ``argv`` in the host's sandbox (as any process of the host: its namespaces, capabilities, limits)."""
    process = host.run(list(argv), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    outputs: dict[str, bytes] = {}
    overflow = threading.Event()

    def drain(name: str, stream: t.IO[bytes]) -> None:
        chunks, size = [], 0
        while chunk := stream.read(1 << 16):
            size += len(chunk)
            if size > EXEC_OUTPUT_LIMIT:
                overflow.set()
                kill_group(process, grace=1)
                break
            chunks.append(chunk)
        outputs[name] = b"".join(chunks)

    readers = [
        threading.Thread(target=drain, args=(name, stream), daemon=True)
        for name, stream in (("stdout", process.stdout), ("stderr", process.stderr))
    ]
    for reader in readers:
        reader.start()
    try:
        process.stdin.write(stdin)  # type: ignore[union-attr]
    except BrokenPipeError:
        pass
    finally:
        process.stdin.close()  # type: ignore[union-attr]
    timed_out = False
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        kill_group(process, grace=1)
    for reader in readers:
        reader.join(timeout=10)
    stderr = outputs.get("stderr", b"")
    if timed_out:
        stderr += f"\ncodedeploy-lab: the command did not end within {timeout:.0f} s and was killed\n".encode()
    if overflow.is_set():
        stderr += f"\ncodedeploy-lab: the command wrote more than {EXEC_OUTPUT_LIMIT} bytes and was killed\n".encode()
    return {
        "rc": process.returncode,
        "stdout": base64.b64encode(outputs.get("stdout", b"")).decode(),
        "stderr": base64.b64encode(stderr).decode(),
    }


def _exec_request(payload: t.Any) -> tuple[list[str], bytes, float]:
    if not isinstance(payload, dict):
        raise OnPremisesError("the request body must be a JSON object with argv, and optionally stdin and timeout")
    argv = payload.get("argv")
    if not isinstance(argv, list) or not argv or not all(isinstance(word, str) and "\0" not in word for word in argv):
        raise OnPremisesError('argv: give the command as a non-empty list of strings, e.g. ["/bin/sh", "-c", "id"]')
    try:
        stdin = base64.b64decode(payload.get("stdin") or "", validate=True)
    except (binascii.Error, ValueError, TypeError):
        raise OnPremisesError("stdin: give the command's input base64-encoded") from None
    timeout = payload.get("timeout", EXEC_TIMEOUT)
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout <= EXEC_TIMEOUT_MAX:
        raise OnPremisesError(f"timeout: give seconds from 1 to {EXEC_TIMEOUT_MAX:.0f}, got {timeout!r}")
    return argv, stdin, float(timeout)


# -- endpoints ------------------------------------------------------------------------------------------------------


def _json(request: Request) -> t.Any:
    try:
        return json.loads(request.get_data() or b"{}")
    except ValueError:
        return None


def _refused(error: Exception, status: int = 400) -> tuple[int, dict[str, str]]:
    return status, {"error": type(error).__name__, "message": str(error)}


def register(fleet: Fleet, router: Router) -> None:
    def start_host(request: Request) -> t.Any:
        try:
            payload = _json(request)
            name = check_host_name(payload.get("name") if isinstance(payload, dict) else None)
        except OnPremisesError as error:
            return _refused(error)
        if fleet.get(name) is not None:
            return 409, {
                "error": "HostExists",
                "message": f"name: a lab host {name!r} already runs; stop it with "
                f"`codedeploy-lab host stop --name {name}` or pick another",
            }
        host = fleet.launch_on_premises(name)
        if not host.wait_booted(BOOT_TIMEOUT):
            return 504, {"error": "BootTimeout", "message": f"host {name} did not boot in {BOOT_TIMEOUT:.0f} s"}
        if host.sandbox_error:
            fleet.terminate(name)
            return 503, {"error": "SandboxUnavailable", "message": host.sandbox_error}
        return 201, host.describe()

    def stop_host(request: Request, name: str) -> t.Any:
        host = fleet.get(name)
        if host is None or not getattr(host, "on_premises", False):
            return 404, {
                "error": "NoSuchHost",
                "message": f"no on-premises lab host {name} (EC2 instances are stopped and terminated through EC2)",
            }
        fleet.terminate(name)
        return {"name": name, "state": "terminated"}

    def exec_in_host(request: Request, instance_id: str) -> t.Any:
        host = fleet.get(instance_id)
        if host is None or not hasattr(host, "sandbox"):
            return 404, {"error": "NoSuchHost", "message": f"no sandboxed lab host {instance_id}"}
        try:
            argv, stdin, timeout = _exec_request(_json(request))
            return run_in_host(host, argv, stdin, timeout)
        except OnPremisesError as error:
            return _refused(error)
        except (SandboxUnavailable, HostError) as error:
            return _refused(error, 409)

    router.add("/_lab/hosts", start_host, methods=("POST",))
    router.add("/_lab/hosts/<name>", stop_host, methods=("DELETE",))
    router.add("/_lab/hosts/<instance_id>/exec", exec_in_host, methods=("POST",))
