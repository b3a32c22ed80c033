"""The host agent as the deployment engine drives it: one lifecycle event on one host per call.

The agent decides here (which appspec, which scripts, which archive, what precedence) and acts inside the host
through ``inhost.py``, so every file it writes and every script it runs stays in the host's sandbox.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import logging
import os
import selectors
import signal
import subprocess
import sys
import threading
import time
import typing as t
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from ..iam import internal_credentials
from .appspec import APPSPEC_MAX_BYTES
from .appspec import AppSpec
from .appspec import AppSpecValidationError
from .appspec import parse_appspec
from .appspec import too_complex


class HostSandbox(t.Protocol):
    @property
    def running(self) -> bool: ...


class Host(t.Protocol):
    """A lab host as the agent drives it (``fleet.Host``); the agent sits below the fleet and names no fleet class."""

    instance_id: str
    state: str
    sandbox_error: str | None
    lock: threading.RLock

    @property
    def sandbox(self) -> HostSandbox: ...

    def wait_booted(self, timeout: float | None = None) -> bool: ...

    def environment(self, extra: t.Mapping[str, str] | None = None) -> dict[str, str]: ...

    def run(
        self, argv: t.Sequence[str], *, env: dict[str, str] | None = None, cwd: str = "/", **popen: t.Any
    ) -> subprocess.Popen[bytes]: ...

    def inhost(
        self, source: str, operation: str, request: dict[str, t.Any], timeout: float = 120.0
    ) -> dict[str, t.Any]: ...

    def write_files(self, files: list[dict[str, t.Any]], dirs: t.Sequence[str] = ()) -> None: ...


LOG = logging.getLogger("codedeploy_lab.agent")

INHOST_SOURCE = (Path(__file__).parent / "inhost.py").read_text()

DEPLOYMENT_ROOT = "/opt/codedeploy-agent/deployment-root"
AGENT_HOME = "/opt/codedeploy-agent"  # hooks run with this working directory (lab choice, see README)
DEPLOYMENTS_LOG = f"{DEPLOYMENT_ROOT}/deployment-logs/codedeploy-agent-deployments.log"
AGENT_LOG = "/var/log/aws/codedeploy-agent/codedeploy-agent.log"
BOOT_TIMEOUT = 900.0

# Hooks the agent runs from the last successful install of the group (the current archive does not exist yet).
PREVIOUS_REVISION_EVENTS = frozenset({"ApplicationStop", "BeforeBlockTraffic", "AfterBlockTraffic"})
SCRIPT_EVENTS = frozenset(
    {
        "ApplicationStop",
        "BeforeInstall",
        "AfterInstall",
        "ApplicationStart",
        "ValidateService",
        "BeforeBlockTraffic",
        "AfterBlockTraffic",
        "BeforeAllowTraffic",
        "AfterAllowTraffic",
    }
)
AGENT_EVENTS = SCRIPT_EVENTS | {"DownloadBundle", "Install"}
ERROR_CODES = ("Success", "ScriptMissing", "ScriptNotExecutable", "ScriptTimedOut", "ScriptFailed", "UnknownError")

# Bounds on what one bundle may unpack to, counted while unpacking (headers are never trusted). Each can be raised
# with an environment variable of the lab process (``codedeploy-lab up`` passes its own environment on).
MAX_UNPACKED_BYTES = 2 << 30
MAX_RATIO = 100  # unpacked bytes per bundle byte, checked once past RATIO_FLOOR_BYTES (small bundles may compress well)
RATIO_FLOOR_BYTES = 8 << 20
MAX_ENTRIES = 500_000
LIMIT_VARIABLES = {
    "max_unpacked_bytes": ("CODEDEPLOY_LAB_MAX_UNPACKED_BYTES", MAX_UNPACKED_BYTES),
    "max_ratio": ("CODEDEPLOY_LAB_MAX_RATIO", MAX_RATIO),
    "max_entries": ("CODEDEPLOY_LAB_MAX_ENTRIES", MAX_ENTRIES),
}

CHUNK_BYTES = 1 << 20  # how much of a bundle the lab holds at once, per host
AWS_EVENT_LIMIT_SECONDS = 3600  # the service fails a lifecycle event that has not completed within an hour
STOP_GRACE_SECONDS = 3.0  # SIGTERM to a stopped hook, then SIGKILL after this long
HOUR_LIMIT_MESSAGE = (
    "The lifecycle event did not complete within 3600 seconds, the most CodeDeploy allows a "
    "deployment lifecycle event, and CodeDeploy failed it"
)


def bundle_limits() -> dict[str, int]:
    """The unpacking limits in force: the defaults above, or the lab's CODEDEPLOY_LAB_MAX_* environment variables."""
    limits = {"ratio_floor_bytes": RATIO_FLOOR_BYTES}
    for name, (variable, default) in LIMIT_VARIABLES.items():
        raw = os.environ.get(variable)
        try:
            limits[name] = int(raw) if raw else default
        except ValueError:
            raise BundleError(
                f"{variable}={raw!r} is not a whole number: set it to a positive integer "
                f"(default {default}) or unset it"
            ) from None
        if limits[name] <= 0:
            raise BundleError(
                f"{variable}={raw!r} must be positive: set it to a positive integer (default {default}) or unset it"
            )
    return limits


@dataclass(frozen=True)
class S3Revision:
    bucket: str
    key: str
    bundle_type: str = "zip"
    version: str | None = None
    etag: str | None = None

    @classmethod
    def from_api(cls, location: t.Mapping[str, t.Any]) -> S3Revision:
        """From a CodeDeploy ``revision.s3Location`` (``bucket, key, bundleType, version, eTag``)."""
        return cls(
            bucket=location["bucket"],
            key=location["key"],
            bundle_type=location.get("bundleType", "zip"),
            version=location.get("version"),
            etag=location.get("eTag"),
        )


@dataclass(frozen=True)
class AgentCommand:
    """One lifecycle event for one host, as the service hands it to the agent (the deployment specification)."""

    event: str
    deployment_id: str
    application_name: str
    deployment_group_name: str
    deployment_group_id: str
    revision: S3Revision | None
    file_exists_behavior: str | None = None  # CreateDeployment's fileExistsBehavior; the appspec's value wins
    appspec_filename: str = "appspec.yml"
    deployment_creator: str = "user"
    deployment_type: str = "IN_PLACE"
    # The service's side of the event: set when the deployment is stopped (running hooks are ended), and the lab
    # seconds that stand for the hour after which the service fails an event (None: no limit).
    stop_requested: threading.Event | None = field(default=None, compare=False)
    hour_limit_seconds: float | None = None


@dataclass
class EventOutcome:
    """What the agent reports for one event (``diagnostics()`` gives the API's shape)."""

    event: str
    status: str  # "Succeeded" | "Failed"
    error_code: str  # one of ERROR_CODES
    message: str
    script_name: str = ""
    log_tail: str = ""
    started_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    ended_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    output_tail: str = ""  # the scripts' log tail even on success (AWS reports logTail "" then)
    noop: bool = False  # nothing to run (no scripts, or no previous install for the *Stop/*Block events)

    @property
    def succeeded(self) -> bool:
        return self.status == "Succeeded"

    def diagnostics(self) -> dict[str, str]:
        return {
            "errorCode": self.error_code,
            "scriptName": self.script_name,
            "message": self.message,
            "logTail": self.log_tail,
        }


class Agent:
    """``run_event(host, command) -> EventOutcome``; thread-safe, one event at a time per host."""

    def __init__(self, endpoint_url: str, region: str = "us-east-1") -> None:
        self.endpoint_url = endpoint_url
        self.region = region
        self._s3: t.Any = None
        self._s3_lock = threading.Lock()

    # -- public ----------------------------------------------------------------------------------------------------

    def run_event(self, host: Host, command: AgentCommand) -> EventOutcome:
        started = dt.datetime.now(dt.UTC)
        if command.event not in AGENT_EVENTS:
            return event_outcome(
                command, started, "UnknownError", f"Unsupported lifecycle event for the host agent: {command.event}"
            )
        with host.lock:
            if not host.wait_booted(BOOT_TIMEOUT):
                return event_outcome(
                    command, started, "UnknownError", f"The lab host {host.instance_id} did not finish booting"
                )
            if host.sandbox_error or not host.sandbox.running:
                reason = host.sandbox_error or f"the host is {host.state}"
                return event_outcome(
                    command,
                    started,
                    "UnknownError",
                    f"The CodeDeploy lab cannot run lifecycle events on {host.instance_id}: {reason}",
                )
            try:
                if command.event == "DownloadBundle":
                    outcome = self._download_bundle(host, command, started)
                elif command.event == "Install":
                    outcome = self._install(host, command, started)
                else:
                    outcome = self._run_hooks(host, command, started)
            except (AppSpecValidationError, BundleError) as error:
                outcome = event_outcome(command, started, "UnknownError", str(error))
            except Exception as error:  # the agent reports its own failures as UnknownError
                LOG.exception("host %s: %s failed", host.instance_id, command.event)
                outcome = event_outcome(command, started, "UnknownError", f"{type(error).__name__}: {error}")
            self._log_to_host(host, command, outcome)
            return outcome

    @staticmethod
    def deployment_dir(command: AgentCommand) -> str:
        return f"{DEPLOYMENT_ROOT}/{command.deployment_group_id}/{command.deployment_id}"

    # -- events ----------------------------------------------------------------------------------------------------

    def _download_bundle(self, host: Host, command: AgentCommand, started: dt.datetime) -> EventOutcome:
        revision = command.revision
        if revision is None:
            return event_outcome(
                command,
                started,
                "UnknownError",
                "The CodeDeploy lab downloads revisions from S3 only (no S3 revision given)",
            )
        return self._stream_bundle(host, command, started, revision)

    def _install(self, host: Host, command: AgentCommand, started: dt.datetime) -> EventOutcome:
        archive = f"{self.deployment_dir(command)}/deployment-archive"
        # Install falls back to appspec.yaml, then appspec.yml, when the spec's file name is absent.
        names = [command.appspec_filename] + [
            n for n in ("appspec.yaml", "appspec.yml") if n != command.appspec_filename
        ]
        spec = None
        for name in names:
            text = self.read_file(host, f"{archive}/{name}")
            if text is not None:
                spec = parse_appspec(text)
                break
        if spec is None:
            return event_outcome(command, started, "UnknownError", missing_appspec_message(archive, "appspec.yml"))
        behavior = (spec.file_exists_behavior or command.file_exists_behavior or "DISALLOW").upper()
        answer = host.inhost(
            INHOST_SOURCE,
            "install",
            {
                "root": DEPLOYMENT_ROOT,
                "deployment_group_id": command.deployment_group_id,
                "deployment_dir": self.deployment_dir(command),
                "archive_dir": archive,
                "file_exists_behavior": behavior,
                "files": [{"source": f.source, "destination": f.destination} for f in spec.files],
                "permissions": [p.as_dict() for p in spec.permissions],
            },
            timeout=600,
        )
        return self._from_answer(command, started, answer)

    def _run_hooks(self, host: Host, command: AgentCommand, started: dt.datetime) -> EventOutcome:
        if command.event in PREVIOUS_REVISION_EVENTS:
            pointer = self.read_file(
                host, f"{DEPLOYMENT_ROOT}/deployment-instructions/{command.deployment_group_id}_last_successful_install"
            )
            if pointer is None:
                return event_outcome(command, started, "Success", "Succeeded", noop=True)
            deployment_dir = pointer.decode().strip()
        else:
            deployment_dir = self.deployment_dir(command)
        archive = f"{deployment_dir}/deployment-archive"
        text = self.read_file(host, f"{archive}/{command.appspec_filename}")
        if text is None:
            return event_outcome(
                command, started, "UnknownError", missing_appspec_message(archive, command.appspec_filename)
            )
        spec: AppSpec = parse_appspec(text)
        scripts = spec.hooks.get(command.event, ())
        if not scripts:
            return event_outcome(command, started, "Success", "Succeeded", noop=True)
        request = {
            "event": command.event,
            "deployment_id": command.deployment_id,
            "archive_dir": archive,
            "scripts": [script.as_dict() for script in scripts],
            "env": host.environment(self.hook_environment(command)),
            "scripts_log": f"{deployment_dir}/logs/scripts.log",
            "deployments_log": DEPLOYMENTS_LOG,
            "cwd": AGENT_HOME,
        }
        # The agent accepts any timeout; the service fails the event after an hour. Timeouts are real seconds (the
        # scripts really run), the hour is lab time: only scripts allowed more than the hour meet the service's limit.
        allowed = sum(script.timeout for script in scripts)
        limit = command.hour_limit_seconds if allowed > AWS_EVENT_LIMIT_SECONDS else None
        process = self._start_inhost(host, "hooks", request)
        answer, ended_by = self._wait_inhost(process, timeout=allowed + 60, limit=limit, stop=command.stop_requested)
        if ended_by == "hour":
            answer = {**answer, "ok": False, "error_code": "UnknownError", "message": HOUR_LIMIT_MESSAGE}
        return self._from_answer(command, started, answer)

    # -- in-host processes ------------------------------------------------------------------------------------------

    @staticmethod
    def _start_inhost(host: Host, operation: str, request: dict[str, t.Any]) -> subprocess.Popen[bytes]:
        """``inhost.py <operation>`` in a process of its own inside the host, its request already written."""
        process = host.run(
            [host_python(), "-I", "-c", INHOST_SOURCE, operation],
            env=host.environment(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        try:
            process.stdin.write(json.dumps(request).encode() + b"\n")  # type: ignore[union-attr]
        except BrokenPipeError:
            pass  # it ended already: its answer (or its stderr) says why
        return process

    @staticmethod
    def _wait_inhost(
        process: subprocess.Popen[bytes],
        *,
        timeout: float,
        limit: float | None = None,
        stop: threading.Event | None = None,
    ) -> tuple[dict[str, t.Any], str | None]:
        """(its answer, None), or (what it answered when ended, "stop" | "hour" | "timeout") - ended by SIGTERM to
        its process group (the in-host side ends the running script's group), then SIGKILL after a grace."""
        if process.stdin and not process.stdin.closed:
            try:
                process.stdin.close()
            except BrokenPipeError:
                pass
        began = time.monotonic()
        ends = [(began + timeout, "timeout")] + ([(began + limit, "hour")] if limit is not None else [])
        output = bytearray()
        ended_by: str | None = None
        with selectors.DefaultSelector() as selector:
            selector.register(process.stdout, selectors.EVENT_READ)  # type: ignore[arg-type]
            kill_at: float | None = None
            while True:
                if ended_by is None:
                    reason = (
                        "stop"
                        if stop is not None and stop.is_set()
                        else next((why for moment, why in ends if time.monotonic() >= moment), None)
                    )
                    if reason is not None:
                        ended_by, kill_at = reason, time.monotonic() + STOP_GRACE_SECONDS + 2
                        _signal_group(process, signal.SIGTERM)
                elif kill_at is not None and time.monotonic() >= kill_at:
                    _signal_group(process, signal.SIGKILL)
                    kill_at = None
                if not selector.select(0.2):
                    continue
                chunk = os.read(process.stdout.fileno(), 65536)  # type: ignore[union-attr]
                if not chunk:
                    break
                output += chunk
        _signal_group(process, signal.SIGKILL)  # anything it left behind in its group
        process.wait()
        errors = process.stderr.read().decode("utf-8", "replace")[-2000:] if process.stderr else ""
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()
        try:
            answer = json.loads(bytes(output))
        except ValueError:
            message = {
                "stop": "The lifecycle event was ended because the deployment was stopped (StopDeployment)",
                "hour": HOUR_LIMIT_MESSAGE,
                "timeout": "The CodeDeploy lab's agent did not answer in time",
            }.get(ended_by or "", "")
            answer = {
                "ok": False,
                "error_code": "UnknownError",
                "message": message or f"The CodeDeploy lab's agent failed on the host: {errors.strip()}",
            }
        return answer, ended_by

    def _stream_bundle(
        self, host: Host, command: AgentCommand, started: dt.datetime, revision: S3Revision
    ) -> EventOutcome:
        """S3 body -> a process in the host that writes bundle.tar and unpacks it; CHUNK_BYTES at a time."""
        limits = bundle_limits()
        response = self._get_object(revision)
        size = int(response["ContentLength"])
        body = response["Body"]
        if size > limits["max_unpacked_bytes"]:
            body.close()
            raise BundleError(
                f"The deployment failed because the revision bundle ({size} bytes) is larger than the "
                f"CodeDeploy lab unpacks ({limits['max_unpacked_bytes']} bytes). Raise the limit with "
                f"`codedeploy-lab up --max-unpacked-bytes N` (or CODEDEPLOY_LAB_MAX_UNPACKED_BYTES) "
                f"if the bundle is genuine."
            )
        process = self._start_inhost(
            host,
            "unpack",
            {
                "root": DEPLOYMENT_ROOT,
                "deployment_group_id": command.deployment_group_id,
                "deployment_id": command.deployment_id,
                "bundle_type": revision.bundle_type,
                "size": size,
                "limits": limits,
            },
        )
        digest, received, problem = hashlib.md5(usedforsecurity=False), 0, ""
        etag = response.get("ETag", "").strip('"')
        try:
            for chunk in body.iter_chunks(CHUNK_BYTES):
                received += len(chunk)
                digest.update(chunk)
                process.stdin.write(chunk)  # type: ignore[union-attr]
            if received != size:
                problem = f"the download ended after {received} of {size} bytes"
            elif "-" not in etag and etag and digest.hexdigest() != etag:
                problem = f"Expected deployment artifact bundle etag {etag} but was actually {digest.hexdigest()}"
            process.stdin.write(b"ok\n" if not problem else problem.encode() + b"\n")  # type: ignore[union-attr]
        except BrokenPipeError:
            pass  # the host side gave up (its answer says why)
        except Exception as error:  # the download broke: tell the host side, which cleans up
            problem = f"the download failed: {error}"
            try:
                process.stdin.write(problem.encode() + b"\n")  # type: ignore[union-attr]
            except BrokenPipeError:
                pass
        finally:
            body.close()
        answer, _ = self._wait_inhost(process, timeout=600)
        if problem:
            raise BundleError(f"The revision bundle could not be downloaded: {problem}")
        return self._from_answer(command, started, answer)

    # -- helpers ---------------------------------------------------------------------------------------------------

    @staticmethod
    def _log_to_host(host: Host, command: AgentCommand, outcome: EventOutcome) -> None:
        """One line per command in the host's agent log, where users look first on a real instance."""
        stamp = outcome.ended_at.astimezone().strftime("%Y-%m-%d %H:%M:%S")
        level = "INFO " if outcome.succeeded else "ERROR"
        detail = "Succeeded" if outcome.succeeded else f"Failed ({outcome.error_code}) {outcome.message}"
        line = (
            f"{stamp} {level} [codedeploy-agent(1)]: [codedeploy-lab] {command.event} for deployment "
            f"{command.deployment_id} (group {command.deployment_group_id}): {detail}\n"
        )
        try:
            host.write_files([{"path": AGENT_LOG, "text": line, "append": True}])
        except Exception:  # the log is a courtesy: never fail an event because of it
            LOG.warning("host %s: cannot write the agent log", host.instance_id)

    @staticmethod
    def hook_environment(command: AgentCommand) -> dict[str, str]:
        env = {
            "LIFECYCLE_EVENT": command.event,
            "DEPLOYMENT_ID": command.deployment_id,
            "APPLICATION_NAME": command.application_name,
            "DEPLOYMENT_GROUP_NAME": command.deployment_group_name,
            "DEPLOYMENT_GROUP_ID": command.deployment_group_id,
        }
        if command.revision is not None:
            env["BUNDLE_BUCKET"] = command.revision.bucket
            env["BUNDLE_KEY"] = command.revision.key
            if command.revision.version:
                env["BUNDLE_VERSION"] = command.revision.version
            if command.revision.etag:
                env["BUNDLE_ETAG"] = command.revision.etag
        return env

    def read_file(self, host: Host, path: str) -> bytes | None:
        """A small file of the host (an appspec, a pointer): never more than the appspec limit crosses the pipe."""
        answer = host.inhost(INHOST_SOURCE, "read", {"path": path, "limit": APPSPEC_MAX_BYTES})
        if answer.get("too_large"):
            raise AppSpecValidationError(too_complex(f"{path} is larger than {APPSPEC_MAX_BYTES >> 10} KiB"))
        return base64.b64decode(answer["b64"]) if answer.get("exists") else None

    def _client(self) -> t.Any:
        with self._s3_lock:
            if self._s3 is None:
                # The lab's internal principal: on AWS the agent signs with the instance profile's credentials;
                # in the lab it runs in the lab process, and an enforcing lab lets this in-memory key through.
                self._s3 = boto3.client(
                    "s3",
                    endpoint_url=self.endpoint_url,
                    region_name=self.region,
                    **internal_credentials().as_boto3(),
                    config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 2}),
                )
            return self._s3

    def _get_object(self, revision: S3Revision) -> dict[str, t.Any]:
        arguments = {"Bucket": revision.bucket, "Key": revision.key}
        if revision.version:
            arguments["VersionId"] = revision.version
        try:
            response = t.cast(dict, self._client().get_object(**arguments))
        except ClientError as error:
            raise BundleError(error.response.get("Error", {}).get("Message") or str(error)) from None
        if revision.etag:
            expected, actual = revision.etag.strip('"'), response.get("ETag", "").strip('"')
            if expected != actual:
                response["Body"].close()
                raise BundleError(f"Expected deployment artifact bundle etag {expected} but was actually {actual}")
        return response

    def _from_answer(self, command: AgentCommand, started: dt.datetime, answer: dict[str, t.Any]) -> EventOutcome:
        if answer.get("ok"):
            return event_outcome(command, started, "Success", "Succeeded", output_tail=answer.get("log_tail", ""))
        return event_outcome(
            command,
            started,
            answer.get("error_code", "UnknownError"),
            answer.get("message", ""),
            script_name=answer.get("script_name", ""),
            log_tail=answer.get("log_tail", ""),
        )


def event_outcome(
    command: AgentCommand,
    started: dt.datetime,
    error_code: str,
    message: str,
    *,
    script_name: str = "",
    log_tail: str = "",
    output_tail: str = "",
    noop: bool = False,
) -> EventOutcome:
    """The outcome of one lifecycle event: Succeeded for "Success", else Failed with its diagnostics."""
    succeeded = error_code == "Success"
    return EventOutcome(
        event=command.event,
        status="Succeeded" if succeeded else "Failed",
        error_code=error_code,
        message=message,
        script_name=script_name,
        log_tail="" if succeeded else log_tail,
        started_at=started,
        ended_at=dt.datetime.now(dt.UTC),
        output_tail=output_tail or log_tail,
        noop=noop,
    )


def host_python() -> str:
    """The interpreter of the in-host helpers (the machine's, seen through the host's root)."""
    return "/usr/bin/python3" if os.access("/usr/bin/python3", os.X_OK) else sys.executable


def _signal_group(process: subprocess.Popen[bytes], sig: int) -> None:
    """Signal the process group ``host.run`` started ``process`` in (its own session)."""
    try:
        os.killpg(process.pid, sig)
    except ProcessLookupError:
        pass


class BundleError(RuntimeError):
    """The revision could not be downloaded (reported as UnknownError with this message)."""


def missing_appspec_message(archive: str, filename: str) -> str:
    return (
        f"The CodeDeploy agent did not find an AppSpec file within the unpacked revision directory at "
        f'revision-relative path "{filename}". The revision was unpacked to directory "{archive}", and the '
        f'AppSpec file was expected but not found at path "{archive}/{filename}". Consult the AWS CodeDeploy '
        f"Appspec documentation for more information at "
        f"http://docs.aws.amazon.com/codedeploy/latest/userguide/reference-appspec-file.html"
    )
