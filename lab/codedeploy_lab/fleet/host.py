"""A lab host: one EC2 instance of the lab, with its own root, sandbox, services, web server and metadata."""

from __future__ import annotations

import base64
import binascii
import email
import gzip
import hashlib
import json
import logging
import os
import select
import signal
import subprocess
import threading
import time
import typing as t
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from .gateway import Gateway
from .metadata import METADATA_URL
from .metadata import InstanceIdentity
from .metadata import MetadataService
from .sandbox import HOST_PATH
from .sandbox import Sandbox
from .sandbox import SandboxUnavailable
from .sandbox import host_python
from .sandbox import kill_group
from .shims import shim_files
from .webserver import HostWebServer

LOG = logging.getLogger("codedeploy_lab.fleet")

INHOST_SOURCE = (Path(__file__).parent / "inhost.py").read_text()
USER_DATA_TIMEOUT = 900.0
CLOUD_INIT_LOG = "/var/log/cloud-init-output.log"
WEB_SERVICES = frozenset({"httpd", "apache2", "nginx"})
AGENT_SERVICE = "codedeploy-agent"
SERVICE_ACTIONS = frozenset({"start", "stop", "restart", "reload", "try-restart", "enable", "disable", "status"})

# The per-host helper: JSON lines in ({"module", "op", "request"[, "source"]}), JSON lines out.
HELPER_SERVER = r"""
import json, sys
modules = {}
for line in sys.stdin:
    message = json.loads(line)
    try:
        if "source" in message:
            namespace = {"__name__": "inhost_" + message["module"]}
            exec(compile(message["source"], "inhost_" + message["module"], "exec"), namespace)
            modules[message["module"]] = namespace
        answer = {"result": modules[message["module"]]["handle"](message["op"], message["request"])}
    except Exception as error:
        answer = {"exception": type(error).__name__, "message": str(error)}
    sys.stdout.write(json.dumps(answer) + "\n")
    sys.stdout.flush()
"""

# The agent is built into lab hosts; its init script (as the agent's installer leaves it on a host without systemd)
# lets `service codedeploy-agent start` and Ansible's service module find it. The shims do the rest.
AGENT_INIT_SCRIPT = """#!/bin/sh
### BEGIN INIT INFO
# Provides:          codedeploy-agent
# Required-Start:    $all
# Required-Stop:     $remote_fs
# Default-Start:     2 3 4 5
# Default-Stop:      0 1 6
# Short-Description: AWS CodeDeploy Host Agent (built into this lab host)
### END INIT INFO
exec service codedeploy-agent "$@"
"""

# The users a host knows besides root (uid/gid as on Amazon Linux 2 where it has them; the next free id otherwise).
HOST_USERS = (
    {
        "name": "ec2-user",
        "uid": 1000,
        "home": "/home/ec2-user",
        "shell": "/bin/bash",
        "create_home": True,
        "gecos": "EC2 Default User",
    },
    {
        "name": "ubuntu",
        "uid": 1001,
        "home": "/home/ubuntu",
        "shell": "/bin/bash",
        "create_home": True,
        "gecos": "Ubuntu",
    },
    {"name": "apache", "uid": 48, "home": "/usr/share/httpd", "shell": "/sbin/nologin", "gecos": "Apache"},
    {"name": "nginx", "uid": 994, "home": "/var/lib/nginx", "shell": "/sbin/nologin", "gecos": "Nginx web server"},
    {"name": "tomcat", "uid": 91, "home": "/usr/share/tomcat", "shell": "/sbin/nologin", "gecos": "Apache Tomcat"},
)


class HostError(RuntimeError):
    """Something the lab tried to do on a host failed."""


@dataclass
class ServiceState:
    running: bool = False
    enabled: bool = False
    starts: int = 0

    def as_dict(self) -> dict[str, t.Any]:
        return {"running": self.running, "enabled": self.enabled, "starts": self.starts}


def user_data_scripts(raw: bytes | None) -> tuple[list[tuple[str, bytes]], list[str]]:
    """Shell scripts cloud-init would run from this user data, plus notes on parts it skips.

    Accepts what EC2 accepts: a script (``#!``), gzip-compressed data and MIME multi-part with
    ``text/x-shellscript`` parts. ``#cloud-config`` and other part types are skipped with a note.
    """
    if not raw:
        return [], []
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    if raw.startswith(b"#!"):
        return [("part-001", raw)], []
    if raw.lstrip().lower().startswith(b"content-type: multipart/") or raw.lstrip().lower().startswith(b"mime-version"):
        message = email.message_from_bytes(raw)
        scripts, notes = [], []
        for index, part in enumerate((p for p in message.walk() if not p.is_multipart()), start=1):
            payload = part.get_payload(decode=True)  # bytes (None when empty): the part is no multipart
            payload = payload if isinstance(payload, bytes) else b""
            if part.get_content_type() == "text/x-shellscript" or payload.startswith(b"#!"):
                scripts.append((f"part-{index:03d}", payload))
            else:
                notes.append(f"skipped part {index} ({part.get_content_type()}): the lab runs shell scripts only")
        return scripts, notes
    first_line = raw.split(b"\n", 1)[0].decode("utf-8", "replace").strip()
    return [], [f"user data starting with {first_line[:40]!r} is not a shell script; the lab runs shell scripts only"]


def decode_user_data(value: t.Any) -> bytes | None:
    """moto keeps user data base64-encoded (as the API carries it); decode it to what cloud-init sees."""
    if value is None:
        return None
    text = str(value)
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return text.encode()


class Host:
    """One lab host. Created by the fleet when EC2 launches an instance; boots in a thread of its own.

    Useful to the other rooms:

    * ``instance_id``, ``identity`` (region, AZ, private IP ...), ``state`` (booting, running, stopped,
      terminated), ``wait_booted(timeout)`` (user data finished), ``sandbox_error`` (why hooks cannot run);
    * ``web`` (``HostWebServer``): ``web.socket_path`` and ``web.connection()`` (its unix socket), ``web.running``,
      ``web.mark_unhealthy(status)`` / ``web.mark_healthy()``;
    * ``services`` (name -> ``ServiceState``), ``packages`` (package-manager calls recorded by the shims);
    * ``run(argv, ...)`` and ``inhost(op, request)`` to act inside the host's sandbox; ``environment()``.
    """

    def __init__(
        self,
        identity: InstanceIdentity,
        root_dir: Path,
        *,
        endpoint_url: str,
        socket_dir: Path,
        etc_template: t.Callable[[], Path],
        on_premises: bool = False,
    ) -> None:
        self.identity = identity
        # An on-premises server is no EC2 instance: no instance metadata, and its agent runs once it is started.
        self.on_premises = on_premises
        self.instance_id = identity.instance_id
        self.root_dir = Path(root_dir)
        self.endpoint_url = endpoint_url.rstrip("/")
        upstream = urlsplit(self.endpoint_url)
        self._upstream = (upstream.hostname or "127.0.0.1", upstream.port or 80)
        # The host reaches the lab's endpoint at the same address and port, through its gateway.
        self.sandbox = Sandbox(
            self.root_dir,
            hostname=identity.local_hostname,
            endpoint_port=self._upstream[1],
            etc_template=etc_template,
            cgroup_name=self.instance_id,
        )
        self.metadata = None if on_premises else MetadataService(identity)
        self.web = HostWebServer(self.instance_id, socket_dir, self.run)
        self.gateway: Gateway | None = None
        self.services: dict[str, ServiceState] = {}
        self.packages: list[dict[str, t.Any]] = []
        self.state = "pending"
        self.sandbox_error: str | None = None
        self.user_data_exit_codes: list[int] = []
        self.lock = threading.RLock()  # the agent runs one lifecycle event at a time per host
        self.agent_running = threading.Event()  # the CodeDeploy agent polls for commands (faults.py can stop it)
        if not on_premises:  # EC2 images of the tutorial start the agent at boot; on premises it is installed later
            self.agent_running.set()
        self._service_lock = threading.Lock()  # separate: a hook holding ``lock`` calls the shims
        self._booted = threading.Event()
        self._helper: subprocess.Popen[bytes] | None = None
        self._helper_modules: set[str] = set()
        self._helper_lock = threading.Lock()
        self._boot_thread: threading.Thread | None = None

    def __repr__(self) -> str:
        return f"<Host {self.instance_id} {self.state}>"

    # -- lifecycle -------------------------------------------------------------------------------------------------

    @property
    def imds_url(self) -> str | None:
        """Instance metadata as the host reaches it (the lab answers there for this host only); None on premises."""
        return None if self.on_premises else METADATA_URL

    def boot(self, run_user_data: bool = True) -> None:
        """Start the sandbox and (at first launch) run user data, in a background thread."""
        self._booted.clear()
        self.state = "pending"
        self._boot_thread = threading.Thread(
            target=self._boot, args=(run_user_data,), name=f"boot-{self.instance_id}", daemon=True
        )
        self._boot_thread.start()

    def wait_booted(self, timeout: float | None = None) -> bool:
        """True once the host finished booting (user data done, or the sandbox could not be made)."""
        return self._booted.wait(timeout)

    @property
    def booted(self) -> bool:
        return self._booted.is_set()

    def _boot(self, run_user_data: bool) -> None:
        try:
            self.sandbox.start()
            endpoint_listener, metadata_listener = self.sandbox.listeners
            self.gateway = Gateway(self, endpoint_listener, metadata_listener, upstream=self._upstream)
            self.gateway.start()
            if run_user_data:
                self._initialise_root()
            self.state = "running"
            if run_user_data:
                self._run_user_data()
            else:
                self._start_enabled_services()
        except (SandboxUnavailable, HostError, OSError) as error:
            self.sandbox_error = str(error)
            self.state = "running" if self.state != "terminated" else self.state
            LOG.error("host %s: %s", self.instance_id, error)
        finally:
            self._booted.set()

    def stop(self) -> None:
        """EC2 StopInstances: every process and the web server stop, the root stays."""
        self.web.stop()
        self._stop_helper()
        for state in self.services.values():
            state.running = False
        self._stop_sandbox()
        self.state = "stopped"

    def _stop_sandbox(self) -> None:
        if self.gateway is not None:
            self.gateway.stop()
            self.gateway = None
        self.sandbox.stop()

    def start(self) -> None:
        """EC2 StartInstances: a fresh sandbox over the same root; user data does not run again."""
        if not self.sandbox.running:
            self.boot(run_user_data=False)

    def terminate(self) -> None:
        self.web.remove()
        self._stop_helper()
        if self._boot_thread is not None and self._boot_thread.is_alive():
            self._stop_sandbox()  # ends a user data script still running
            self._boot_thread.join(timeout=10)
        self._stop_sandbox()
        self.sandbox.remove()
        self.state = "terminated"
        self._booted.set()

    # -- running things inside -------------------------------------------------------------------------------------

    def environment(self, extra: t.Mapping[str, str] | None = None) -> dict[str, str]:
        """The environment of processes on the host (user data, agent helpers, hooks)."""
        env = {
            "PATH": HOST_PATH,
            "LANG": "C.UTF-8",
            "HOME": "/root",
            "USER": "root",
            "LOGNAME": "root",
            "SHELL": "/bin/bash",
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_DEFAULT_REGION": self.identity.region,
            "AWS_REGION": self.identity.region,
        }
        if self.imds_url is not None:
            env["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = self.imds_url + "/"
        if extra:
            env.update(extra)
        return env

    def _check_runnable(self) -> None:
        if self.sandbox_error:
            raise SandboxUnavailable(f"the lab does not run anything on host {self.instance_id}: {self.sandbox_error}")
        if not self.sandbox.running:
            raise SandboxUnavailable(f"host {self.instance_id} is {self.state}")

    def run(
        self, argv: t.Sequence[str], *, env: dict[str, str] | None = None, cwd: str = "/", **popen: t.Any
    ) -> subprocess.Popen[bytes]:
        """Start ``argv`` inside the host (own process group); the caller waits for it."""
        self._check_runnable()
        return self.sandbox.run(argv, env=env or self.environment(), cwd=cwd, **popen)

    def inhost(
        self, source: str, operation: str, request: dict[str, t.Any], timeout: float = 120.0
    ) -> dict[str, t.Any]:
        """Run ``handle(operation, request)`` of a stdlib-only helper module (``source``) inside the host.

        One helper process per host (started on first use, inside the sandbox) serves every call, so a call costs a
        pipe round trip instead of a Python start-up. Calls on one host are serialised.
        """
        key = hashlib.sha1(source.encode()).hexdigest()[:12]
        with self._helper_lock:
            helper = self._ensure_helper()
            message: dict[str, t.Any] = {"module": key, "op": operation, "request": request}
            if key not in self._helper_modules:
                message["source"] = source
            try:
                helper.stdin.write(json.dumps(message).encode() + b"\n")  # type: ignore[union-attr]
                helper.stdin.flush()  # type: ignore[union-attr]
                line = _read_line(helper.stdout, timeout)  # type: ignore[arg-type]
            except (OSError, TimeoutError) as error:
                self._stop_helper()
                raise HostError(f"host {self.instance_id}: {operation} failed: {error}") from None
            self._helper_modules.add(key)
        answer = json.loads(line)
        if "exception" in answer:
            raise HostError(f"host {self.instance_id}: {operation} failed: {answer['exception']}: {answer['message']}")
        return t.cast(dict, answer["result"])

    def _ensure_helper(self) -> subprocess.Popen[bytes]:
        if self._helper is not None and self._helper.poll() is None:
            return self._helper
        self._helper_modules = set()
        self._helper = self.run(
            [host_python(), "-I", "-c", HELPER_SERVER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        return self._helper

    def _stop_helper(self) -> None:
        helper, self._helper = self._helper, None
        if helper is not None:
            kill_group(helper, signal.SIGKILL, grace=5)
            for stream in (helper.stdin, helper.stdout):
                if stream is not None:
                    stream.close()

    def write_files(self, files: list[dict[str, t.Any]], dirs: t.Sequence[str] = ()) -> None:
        self.inhost(INHOST_SOURCE, "write", {"files": files, "dirs": list(dirs)})

    def read_file(self, path: str, limit: int | None = None) -> bytes | None:
        """A regular file of the host, or None; with ``limit``, a larger file raises HostError."""
        answer = self.inhost(INHOST_SOURCE, "read", {"path": path, "limit": limit})
        if answer.get("too_large"):
            raise HostError(f"host {self.instance_id}: {path} is larger than {limit} bytes")
        return base64.b64decode(answer["b64"]) if answer.get("exists") else None

    # -- boot steps ------------------------------------------------------------------------------------------------

    def _initialise_root(self) -> None:
        config = {
            "instance_id": self.instance_id,
            "gateway": self.endpoint_url,
            "region": self.identity.region,
            "imds": self.imds_url,
            "endpoint": self.endpoint_url,
        }
        profile = "".join(
            f"export {key}={value}\n" for key, value in self.environment().items() if key.startswith("AWS_")
        )
        files = [
            {"path": "/etc/codedeploy-lab/host.json", "text": json.dumps(config, indent=2) + "\n", "mode": "0644"},
            {"path": "/etc/profile.d/codedeploy-lab.sh", "text": profile, "mode": "0644"},
            {"path": "/etc/hostname", "text": self.identity.local_hostname + "\n", "mode": "0644"},
            {
                "path": "/etc/hosts",
                "append": True,
                "mode": "0644",
                "text": f"{self.identity.private_ip} {self.identity.local_hostname} "
                f"{self.identity.local_hostname.split('.')[0]}\n",
            },
            {"path": "/etc/init.d/codedeploy-agent", "text": AGENT_INIT_SCRIPT, "mode": "0755"},
            *shim_files(),
        ]
        dirs = [
            "/opt/codedeploy-agent/deployment-root",
            "/etc/codedeploy-agent/conf",
            "/var/log/aws/codedeploy-agent",
            "/var/www",
            "/var/lib/cloud/instance/scripts",
            "/var/log/codedeploy-lab",
            "/srv",
            "/home",
            "/root",
            "/tmp",
        ]
        self.inhost(INHOST_SOURCE, "write", {"files": files, "dirs": dirs, "users": list(HOST_USERS)})

    def _run_user_data(self) -> None:
        scripts, notes = user_data_scripts(self.identity.user_data)
        stamp = time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime())
        header = f"Cloud-init v. codedeploy-lab running 'modules:final' at {stamp}.\n"
        header += "".join(f"codedeploy-lab: {note}\n" for note in notes)
        files = [{"path": CLOUD_INIT_LOG, "text": header, "append": True, "mode": "0644"}]
        if self.identity.user_data:
            files.append(
                {
                    "path": "/var/lib/cloud/instance/user-data.txt",
                    "b64": base64.b64encode(self.identity.user_data).decode(),
                    "mode": "0600",
                }
            )
        files += [
            {"path": f"/var/lib/cloud/instance/scripts/{name}", "b64": base64.b64encode(body).decode(), "mode": "0700"}
            for name, body in scripts
        ]
        self.write_files(files)
        started = time.monotonic()
        for name, _ in scripts:
            path = f"/var/lib/cloud/instance/scripts/{name}"
            process = self.run(
                ["/bin/sh", "-c", f'exec "$0" >>{CLOUD_INIT_LOG} 2>&1', path],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            try:
                code = process.wait(timeout=USER_DATA_TIMEOUT)
            except subprocess.TimeoutExpired:
                kill_group(process)
                code = -signal.SIGTERM
            self.user_data_exit_codes.append(code)
            if code != 0:
                LOG.warning("host %s: user data %s exited with %s", self.instance_id, name, code)
                self.write_files(
                    [
                        {
                            "path": CLOUD_INIT_LOG,
                            "append": True,
                            "text": f"{time.strftime('%Y-%m-%d %H:%M:%S')} - cc_scripts_user.py[WARNING]: "
                            f"Failed to run module scripts-user (scripts in "
                            f"/var/lib/cloud/instance/scripts)\n",
                        }
                    ]
                )
                break
        elapsed = time.monotonic() - started
        self.write_files(
            [
                {
                    "path": CLOUD_INIT_LOG,
                    "append": True,
                    "text": f"Cloud-init v. codedeploy-lab finished at "
                    f"{time.strftime('%a, %d %b %Y %H:%M:%S +0000', time.gmtime())}. "
                    f"Up {elapsed:.2f} seconds\n",
                }
            ]
        )

    # -- the CodeDeploy agent (a fault of the lab, or `systemctl stop codedeploy-agent` inside the host) ---------------

    def stop_agent(self) -> None:
        """The agent stops polling: lifecycle events wait for it (see faults.py)."""
        self.agent_running.clear()

    def start_agent(self) -> None:
        self.agent_running.set()

    # -- services (called by the shims through the fleet API) --------------------------------------------------------

    def _start_enabled_services(self) -> None:
        """After a stop/start or reboot, enabled services come back as at boot (web servers really start)."""
        for name, state in list(self.services.items()):
            if state.enabled:
                self.control_service(name, "start")

    def control_service(self, name: str, action: str) -> dict[str, t.Any]:
        with self._service_lock:
            state = self.services.setdefault(name, ServiceState())
            if action in ("start", "restart") or (action in ("try-restart", "reload") and state.running):
                state.running = True
                state.starts += 1
            elif action == "stop":
                state.running = False
            elif action == "enable":
                state.enabled = True
            elif action == "disable":
                state.enabled = False
            if name == AGENT_SERVICE and action in ("start", "restart", "stop"):
                (self.start_agent if state.running else self.stop_agent)()
            if name in WEB_SERVICES:
                web_wanted = any(self.services.get(s, ServiceState()).running for s in WEB_SERVICES)
                if action == "restart" and state.running:
                    self.web.restart()
                elif web_wanted:
                    self.web.start()
                else:
                    self.web.stop()
        return {"name": name, **state.as_dict()}

    def describe(self) -> dict[str, t.Any]:
        return {
            "instance_id": self.instance_id,
            "on_premises": self.on_premises,
            "state": self.state,
            "booted": self.booted,
            "sandbox_error": self.sandbox_error,
            "root": str(self.sandbox.root),
            "web": self.web.describe(),
            "limits": self.sandbox.describe_limits(),
            "agent": {"running": self.agent_running.is_set()},
            "imds": self.imds_url,
            "services": {name: state.as_dict() for name, state in sorted(self.services.items())},
            "packages": self.packages,
            "user_data_exit_codes": self.user_data_exit_codes,
        }

    def shim_request(self, method: str, path: str, body: bytes) -> tuple[int, t.Any]:
        """What the host's shims ask the lab through its gateway (``/_lab/host/<path>``): this host only."""
        try:
            payload = json.loads(body or b"{}")
        except ValueError:
            return 400, {"error": "InvalidJSON", "message": "the request body must be a JSON object"}
        if not isinstance(payload, dict):
            return 400, {"error": "InvalidJSON", "message": "the request body must be a JSON object"}
        if path == "services" and method == "GET":
            return 200, {name: state.as_dict() for name, state in sorted(self.services.items())}
        if path.startswith("services/") and method == "POST" and "/" not in path[len("services/") :]:
            action = payload.get("action", "")
            if action not in SERVICE_ACTIONS:
                return 400, {
                    "error": "InvalidAction",
                    "message": f"action must be one of {', '.join(sorted(SERVICE_ACTIONS))}, got {action!r}",
                }
            return 200, self.control_service(path[len("services/") :], action)
        if path == "packages" and method == "POST":
            self.packages.append(
                {"manager": str(payload.get("manager", "")), "args": [str(a) for a in payload.get("args", [])]}
            )
            return 200, {"recorded": len(self.packages)}
        return 404, {"error": "NotFound", "message": f"no shim endpoint {method} /_lab/host/{path}"}


def _read_line(stream: t.IO[bytes], timeout: float) -> bytes:
    """One line from a pipe within ``timeout`` seconds (TimeoutError otherwise, OSError at end of file)."""
    fd = stream.fileno()
    deadline = time.monotonic() + timeout
    chunks: list[bytes] = []
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(f"no answer in {timeout:.0f} s")
        readable, _, _ = select.select([fd], [], [], remaining)
        if not readable:
            continue
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            raise OSError("the host's helper process ended")
        chunks.append(chunk)
        if chunk.endswith(b"\n"):
            return b"".join(chunks)
