"""The host agent as the deployment engine drives it: one lifecycle event on one host per call.

The agent decides here (which appspec, which scripts, which archive, what precedence) and acts inside the host
through ``inhost.py``, so every file it writes and every script it runs stays in the host's sandbox.
"""

from __future__ import annotations

import base64
import datetime as dt
import logging
import threading
import typing as t
from dataclasses import dataclass, field
from pathlib import Path

from .appspec import AppSpec, AppSpecValidationError, parse_appspec

if t.TYPE_CHECKING:
    from ..fleet.host import Host

LOG = logging.getLogger("codedeploy_lab.agent")

INHOST_SOURCE = (Path(__file__).parent / "inhost.py").read_text()

DEPLOYMENT_ROOT = "/opt/codedeploy-agent/deployment-root"
AGENT_HOME = "/opt/codedeploy-agent"  # hooks run with this working directory (lab choice, see README)
DEPLOYMENTS_LOG = f"{DEPLOYMENT_ROOT}/deployment-logs/codedeploy-agent-deployments.log"
AGENT_LOG = "/var/log/aws/codedeploy-agent/codedeploy-agent.log"
BOOT_TIMEOUT = 900.0

# Hooks the agent runs from the last successful install of the group (the current archive does not exist yet).
PREVIOUS_REVISION_EVENTS = frozenset({"ApplicationStop", "BeforeBlockTraffic", "AfterBlockTraffic"})
SCRIPT_EVENTS = frozenset({"ApplicationStop", "BeforeInstall", "AfterInstall", "ApplicationStart", "ValidateService",
                           "BeforeBlockTraffic", "AfterBlockTraffic", "BeforeAllowTraffic", "AfterAllowTraffic"})
AGENT_EVENTS = SCRIPT_EVENTS | {"DownloadBundle", "Install"}
ERROR_CODES = ("Success", "ScriptMissing", "ScriptNotExecutable", "ScriptTimedOut", "ScriptFailed", "UnknownError")


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
        return cls(bucket=location["bucket"], key=location["key"], bundle_type=location.get("bundleType", "zip"),
                   version=location.get("version"), etag=location.get("eTag"))


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


@dataclass
class EventOutcome:
    """What the agent reports for one event (``diagnostics()`` gives the API's shape)."""

    event: str
    status: str  # "Succeeded" | "Failed"
    error_code: str  # one of ERROR_CODES
    message: str
    script_name: str = ""
    log_tail: str = ""
    started_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc))
    ended_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc))
    output_tail: str = ""  # the scripts' log tail even on success (AWS reports logTail "" then)
    noop: bool = False  # nothing to run (no scripts, or no previous install for the *Stop/*Block events)

    @property
    def succeeded(self) -> bool:
        return self.status == "Succeeded"

    def diagnostics(self) -> dict[str, str]:
        return {"errorCode": self.error_code, "scriptName": self.script_name, "message": self.message,
                "logTail": self.log_tail}


class Agent:
    """``run_event(host, command) -> EventOutcome``; thread-safe, one event at a time per host."""

    def __init__(self, endpoint_url: str, region: str = "us-east-1") -> None:
        self.endpoint_url = endpoint_url
        self.region = region
        self._s3: t.Any = None
        self._s3_lock = threading.Lock()

    # -- public ----------------------------------------------------------------------------------------------------

    def run_event(self, host: Host, command: AgentCommand) -> EventOutcome:
        started = dt.datetime.now(dt.timezone.utc)
        if command.event not in AGENT_EVENTS:
            return self._outcome(command, started, "UnknownError",
                                 f"Unsupported lifecycle event for the host agent: {command.event}")
        with host.lock:
            if not host.wait_booted(BOOT_TIMEOUT):
                return self._outcome(command, started, "UnknownError",
                                     f"The lab host {host.instance_id} did not finish booting")
            if host.sandbox_error or not host.sandbox.running:
                reason = host.sandbox_error or f"the host is {host.state}"
                return self._outcome(command, started, "UnknownError",
                                     f"The CodeDeploy lab cannot run lifecycle events on {host.instance_id}: {reason}")
            try:
                if command.event == "DownloadBundle":
                    outcome = self._download_bundle(host, command, started)
                elif command.event == "Install":
                    outcome = self._install(host, command, started)
                else:
                    outcome = self._run_hooks(host, command, started)
            except (AppSpecValidationError, BundleError) as error:
                outcome = self._outcome(command, started, "UnknownError", str(error))
            except Exception as error:  # the agent reports its own failures as UnknownError
                LOG.exception("host %s: %s failed", host.instance_id, command.event)
                outcome = self._outcome(command, started, "UnknownError", f"{type(error).__name__}: {error}")
            self._log_to_host(host, command, outcome)
            return outcome

    @staticmethod
    def deployment_dir(command: AgentCommand) -> str:
        return f"{DEPLOYMENT_ROOT}/{command.deployment_group_id}/{command.deployment_id}"

    # -- events ----------------------------------------------------------------------------------------------------

    def _download_bundle(self, host: Host, command: AgentCommand, started: dt.datetime) -> EventOutcome:
        revision = command.revision
        if revision is None:
            return self._outcome(command, started, "UnknownError",
                                 "The CodeDeploy lab downloads revisions from S3 only (no S3 revision given)")
        data = self._fetch(revision)
        answer = host.inhost(INHOST_SOURCE, "unpack", {
            "root": DEPLOYMENT_ROOT, "deployment_group_id": command.deployment_group_id,
            "deployment_id": command.deployment_id, "bundle_type": revision.bundle_type,
            "bundle_b64": base64.b64encode(data).decode()}, timeout=600)
        return self._from_answer(command, started, answer)

    def _install(self, host: Host, command: AgentCommand, started: dt.datetime) -> EventOutcome:
        archive = f"{self.deployment_dir(command)}/deployment-archive"
        # Install falls back to appspec.yaml, then appspec.yml, when the spec's file name is absent.
        names = [command.appspec_filename] + [n for n in ("appspec.yaml", "appspec.yml")
                                              if n != command.appspec_filename]
        spec = None
        for name in names:
            text = self._read(host, f"{archive}/{name}")
            if text is not None:
                spec = parse_appspec(text)
                break
        if spec is None:
            return self._outcome(command, started, "UnknownError", missing_appspec_message(archive, "appspec.yml"))
        behavior = (spec.file_exists_behavior or command.file_exists_behavior or "DISALLOW").upper()
        answer = host.inhost(INHOST_SOURCE, "install", {
            "root": DEPLOYMENT_ROOT, "deployment_group_id": command.deployment_group_id,
            "deployment_dir": self.deployment_dir(command), "archive_dir": archive,
            "file_exists_behavior": behavior,
            "files": [{"source": f.source, "destination": f.destination} for f in spec.files],
            "permissions": [p.as_dict() for p in spec.permissions]}, timeout=600)
        return self._from_answer(command, started, answer)

    def _run_hooks(self, host: Host, command: AgentCommand, started: dt.datetime) -> EventOutcome:
        if command.event in PREVIOUS_REVISION_EVENTS:
            pointer = self._read(host, f"{DEPLOYMENT_ROOT}/deployment-instructions/"
                                       f"{command.deployment_group_id}_last_successful_install")
            if pointer is None:
                return self._outcome(command, started, "Success", "Succeeded", noop=True)
            deployment_dir = pointer.decode().strip()
        else:
            deployment_dir = self.deployment_dir(command)
        archive = f"{deployment_dir}/deployment-archive"
        text = self._read(host, f"{archive}/{command.appspec_filename}")
        if text is None:
            return self._outcome(command, started, "UnknownError",
                                 missing_appspec_message(archive, command.appspec_filename))
        spec: AppSpec = parse_appspec(text)
        scripts = spec.hooks.get(command.event, ())
        if not scripts:
            return self._outcome(command, started, "Success", "Succeeded", noop=True)
        timeout = sum(script.timeout for script in scripts) + 60
        answer = host.inhost(INHOST_SOURCE, "hooks", {
            "event": command.event, "deployment_id": command.deployment_id, "archive_dir": archive,
            "scripts": [script.as_dict() for script in scripts], "env": host.environment(self.hook_environment(command)),
            "scripts_log": f"{deployment_dir}/logs/scripts.log", "deployments_log": DEPLOYMENTS_LOG,
            "cwd": AGENT_HOME}, timeout=timeout)
        return self._from_answer(command, started, answer)

    # -- helpers ---------------------------------------------------------------------------------------------------

    @staticmethod
    def _log_to_host(host: Host, command: AgentCommand, outcome: EventOutcome) -> None:
        """One line per command in the host's agent log, where users look first on a real instance."""
        stamp = outcome.ended_at.astimezone().strftime("%Y-%m-%d %H:%M:%S")
        level = "INFO " if outcome.succeeded else "ERROR"
        detail = "Succeeded" if outcome.succeeded else f"Failed ({outcome.error_code}) {outcome.message}"
        line = (f"{stamp} {level} [codedeploy-agent(1)]: [codedeploy-lab] {command.event} for deployment "
                f"{command.deployment_id} (group {command.deployment_group_id}): {detail}\n")
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

    def _read(self, host: Host, path: str) -> bytes | None:
        answer = host.inhost(INHOST_SOURCE, "read", {"path": path})
        return base64.b64decode(answer["b64"]) if answer.get("exists") else None

    def _client(self) -> t.Any:
        with self._s3_lock:
            if self._s3 is None:
                import boto3
                from botocore.config import Config

                self._s3 = boto3.client("s3", endpoint_url=self.endpoint_url, region_name=self.region,
                                        aws_access_key_id="codedeploy-lab-agent",
                                        aws_secret_access_key="codedeploy-lab-agent",
                                        config=Config(s3={"addressing_style": "path"},
                                                      retries={"max_attempts": 2}))
            return self._s3

    def _fetch(self, revision: S3Revision) -> bytes:
        from botocore.exceptions import ClientError

        arguments = {"Bucket": revision.bucket, "Key": revision.key}
        if revision.version:
            arguments["VersionId"] = revision.version
        try:
            response = self._client().get_object(**arguments)
        except ClientError as error:
            raise BundleError(error.response.get("Error", {}).get("Message") or str(error)) from None
        data = response["Body"].read()
        if revision.etag:
            expected, actual = revision.etag.strip('"'), response.get("ETag", "").strip('"')
            if expected != actual:
                raise BundleError(f"Expected deployment artifact bundle etag {expected} but was actually {actual}")
        return data

    def _from_answer(self, command: AgentCommand, started: dt.datetime, answer: dict[str, t.Any]) -> EventOutcome:
        if answer.get("ok"):
            return self._outcome(command, started, "Success", "Succeeded", output_tail=answer.get("log_tail", ""))
        return self._outcome(command, started, answer.get("error_code", "UnknownError"), answer.get("message", ""),
                             script_name=answer.get("script_name", ""), log_tail=answer.get("log_tail", ""))

    @staticmethod
    def _outcome(command: AgentCommand, started: dt.datetime, error_code: str, message: str, *,
                 script_name: str = "", log_tail: str = "", output_tail: str = "", noop: bool = False
                 ) -> EventOutcome:
        succeeded = error_code == "Success"
        return EventOutcome(event=command.event, status="Succeeded" if succeeded else "Failed",
                            error_code=error_code, message=message, script_name=script_name,
                            log_tail="" if succeeded else log_tail, started_at=started,
                            ended_at=dt.datetime.now(dt.timezone.utc),
                            output_tail=output_tail or log_tail, noop=noop)


class BundleError(RuntimeError):
    """The revision could not be downloaded (reported as UnknownError with this message)."""


def missing_appspec_message(archive: str, filename: str) -> str:
    return (f'The CodeDeploy agent did not find an AppSpec file within the unpacked revision directory at '
            f'revision-relative path "{filename}". The revision was unpacked to directory "{archive}", and the '
            f'AppSpec file was expected but not found at path "{archive}/{filename}". Consult the AWS CodeDeploy '
            f'Appspec documentation for more information at '
            f'http://docs.aws.amazon.com/codedeploy/latest/userguide/reference-appspec-file.html')
