"""What a fault is and does: API calls that fail, a stopped agent, a terminated host (see the package docstring).

``Faults`` is ``lab.faults``: the server asks it about every AWS call (``api_response``), the deployment engine before
and after every lifecycle event (``before_event``, ``after_failed_event``); ``endpoints.py`` serves it under
``/_lab/faults``.
"""

from __future__ import annotations

import logging
import random
import threading
import time
import typing as t
import uuid
from dataclasses import dataclass
from dataclasses import field

from moto.core import DEFAULT_ACCOUNT_ID
from moto.ec2.models import ec2_backends
from werkzeug.wrappers import Response

from ..lab import Lab
from ..rooms import AgentControl
from ..rooms import DeploymentRunView
from ..rooms import LabHost
from ..service import protocol

LOG = logging.getLogger("codedeploy_lab.faults")

# AWS minutes: an event no agent picks up fails after about 5 minutes (docs/codedeploy-behavior.md#the-host-agent)
AGENT_TIMEOUT_MINUTES = 5.0
AGENT_MESSAGE = (
    "CodeDeploy agent was not able to receive the lifecycle event. Check the CodeDeploy agent logs on "
    "your host and make sure the agent is running and can connect to the CodeDeploy server."
)
SERVICE_EVENTS = frozenset({"BlockTraffic", "AllowTraffic"})  # the service runs these itself: no agent needed

API_ERRORS = {"codedeploy": ("ThrottlingException",), "s3": ("SlowDown", "ServiceUnavailable")}
S3_MESSAGES = {
    "SlowDown": "Please reduce your request rate.",
    "ServiceUnavailable": "Service is unable to handle request.",
}
WEB_ACTIONS = ("unhealthy", "healthy")
AGENT_ACTIONS = ("stop", "start")


class FaultError(ValueError):
    """Bad fault settings: the message names the field and what it accepts."""


def diagnostics(message: str) -> dict[str, str]:
    return {"errorCode": "UnknownError", "scriptName": "", "message": message, "logTail": ""}


def terminated_message(instance_id: str, event: str) -> str:
    return (
        f"The instance {instance_id} was terminated during the deployment, so its CodeDeploy agent could not "
        f"run the lifecycle event {event}."
    )


@dataclass
class ApiFault:
    """Calls of one service fail: a seeded fraction of them, optionally only some operations, at most ``count``."""

    service: str
    fraction: float
    error: str
    seed: int = 0
    count: int | None = None
    operations: tuple[str, ...] = ()
    matched: int = 0
    injected: int = 0
    _random: random.Random = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)

    @classmethod
    def parse(cls, service: str, body: t.Mapping[str, t.Any]) -> ApiFault:
        if service not in API_ERRORS:
            raise FaultError(f"service must be one of {', '.join(API_ERRORS)}, got {service!r}")
        unknown = sorted(set(body) - {"fraction", "error", "seed", "count", "operations"})
        if unknown:
            raise FaultError(f"unknown field(s) {', '.join(unknown)}: use fraction, error, seed, count, operations")
        fraction = body.get("fraction")
        if isinstance(fraction, bool) or not isinstance(fraction, (int, float)) or not 0 <= fraction <= 1:
            raise FaultError(f"fraction must be a number from 0 to 1 (the share of calls that fail), got {fraction!r}")
        error = body.get("error") or API_ERRORS[service][0]
        if error not in API_ERRORS[service]:
            raise FaultError(f"error for {service} must be one of {', '.join(API_ERRORS[service])}, got {error!r}")
        seed = body.get("seed", 0)
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise FaultError(f"seed must be an integer, got {seed!r}")
        count = body.get("count")
        if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 1):
            raise FaultError(
                f"count must be a positive integer (failures before the fault ends) or null, got {count!r}"
            )
        operations = body.get("operations") or []
        if isinstance(operations, str):
            operations = [op for op in operations.split(",") if op]
        if not isinstance(operations, list) or not all(isinstance(op, str) and op for op in operations):
            raise FaultError(
                f"operations must be a list of API operation names (e.g. GetDeployment), got {operations!r}"
            )
        return cls(service, float(fraction), error, seed, count, tuple(operations))

    @property
    def spent(self) -> bool:
        return self.count is not None and self.injected >= self.count

    def decide(self, operation: str) -> bool:
        """True when this call fails (call with the faults lock held)."""
        if self.spent or (self.operations and operation not in self.operations):
            return False
        self.matched += 1
        if self._random.random() < self.fraction:
            self.injected += 1
            return True
        return False

    def describe(self) -> dict[str, t.Any]:
        return {
            "fraction": self.fraction,
            "error": self.error,
            "seed": self.seed,
            "count": self.count,
            "operations": list(self.operations),
            "matched": self.matched,
            "injected": self.injected,
            "spent": self.spent,
        }


class Faults:
    """The lab's fault injection (``lab.faults``); see the module docstring."""

    def __init__(self, lab: Lab) -> None:
        self.lab = lab
        self._lock = threading.Lock()
        self._api: dict[str, ApiFault] = {}
        self._injected: dict[str, dict[str, int]] = {}
        self._armed: dict[str, str] = {}  # instance id -> lifecycle event at which it is terminated
        self._agent_timeouts: dict[str, float] = {}  # instance id -> AWS minutes (a stop's timeout_minutes)

    # -- API faults (server.LabApplication asks for every AWS call) ---------------------------------------------------

    def set_api_fault(self, service: str, body: t.Mapping[str, t.Any]) -> ApiFault:
        fault = ApiFault.parse(service, body)
        with self._lock:
            self._api[service] = fault
        LOG.info("fault: %s calls fail (%s)", service, fault.describe())
        return fault

    def clear_api_fault(self, service: str) -> bool:
        with self._lock:
            return self._api.pop(service, None) is not None

    def api_response(self, call: tuple[str, str], environ: dict[str, t.Any]) -> Response | None:
        """The error response for this call when a fault makes it fail, else None (the call goes on)."""
        service, operation = call
        with self._lock:
            fault = self._api.get(service)
            if fault is None or not fault.decide(operation):
                return None
            per_service = self._injected.setdefault(service, {})
            per_service[operation] = per_service.get(operation, 0) + 1
        _drain(environ)
        if service == "codedeploy":
            return _codedeploy_error(environ, fault.error)
        return _s3_error(environ, fault.error)

    # -- host faults ------------------------------------------------------------------------------------------------

    def _host(self, instance_id: str) -> LabHost:
        fleet = self.lab.fleet
        host = fleet.get(instance_id) if fleet is not None else None
        if host is None:
            raise LookupError(f"no lab host {instance_id} (is it running, and is the fleet room attached?)")
        return host

    def agent(self, instance_id: str, action: str, timeout_minutes: t.Any = None) -> dict[str, t.Any]:
        if action not in AGENT_ACTIONS:
            raise FaultError(f"action must be one of {', '.join(AGENT_ACTIONS)}, got {action!r}")
        if timeout_minutes is not None and (
            isinstance(timeout_minutes, bool) or not isinstance(timeout_minutes, (int, float)) or timeout_minutes <= 0
        ):
            raise FaultError(f"timeout_minutes must be a positive number of AWS minutes, got {timeout_minutes!r}")
        host = self._host(instance_id)
        if not isinstance(host, AgentControl):
            raise FaultError(f"the host {instance_id} has no CodeDeploy agent the lab can stop (simulated fleet?)")
        with self._lock:
            if action == "stop" and timeout_minutes is not None:
                self._agent_timeouts[instance_id] = float(timeout_minutes)
            else:
                self._agent_timeouts.pop(instance_id, None)
        if action == "stop":
            host.stop_agent()
        else:
            host.start_agent()
        LOG.info("fault: the CodeDeploy agent on %s %s", instance_id, "stopped" if action == "stop" else "started")
        return {"instance_id": instance_id, "agent_running": host.agent_running.is_set()}

    def web(self, instance_id: str, action: str, status: t.Any = 503) -> dict[str, t.Any]:
        if action not in WEB_ACTIONS:
            raise FaultError(f"action must be one of {', '.join(WEB_ACTIONS)}, got {action!r}")
        if isinstance(status, bool) or not isinstance(status, int) or not 400 <= status <= 599:
            raise FaultError(f"status must be an HTTP error status from 400 to 599, got {status!r}")
        web = self._host(instance_id).web
        if action == "unhealthy":
            web.mark_unhealthy(status)
        else:
            web.mark_healthy()
        LOG.info("fault: the web server of %s is %s", instance_id, action)
        return {"instance_id": instance_id, "web_healthy": web.healthy}

    def terminate(
        self, instance_id: str, at_event: str | None = None, region: str = "us-east-1", account_id: str | None = None
    ) -> dict[str, t.Any]:
        """Terminate through moto's EC2 (the fleet tears the host down), now or when ``at_event`` starts on it."""
        ec2 = ec2_backends[account_id or DEFAULT_ACCOUNT_ID][region]
        try:
            ec2.get_instance(instance_id)
        except Exception:
            raise LookupError(f"no EC2 instance {instance_id} in {region}") from None
        if at_event:
            if not isinstance(at_event, str):
                raise FaultError(f"at_event must be a lifecycle event name (e.g. AfterInstall), got {at_event!r}")
            with self._lock:
                self._armed[instance_id] = at_event
            LOG.info("fault: %s will be terminated when %s starts on it", instance_id, at_event)
            return {"instance_id": instance_id, "terminate_at_event": at_event}
        ec2.terminate_instances([instance_id])
        LOG.info("fault: %s terminated", instance_id)
        return {"instance_id": instance_id, "state": ec2.get_instance(instance_id).state}

    # -- the engine's hooks (DeploymentRun._run_event) -----------------------------------------------------------

    def before_event(
        self, run: DeploymentRunView, name: str, host: LabHost | None, instance_id: str
    ) -> dict[str, str] | None:
        """Diagnostics of a failure the lab's faults cause before ``name`` runs on the instance, or None."""
        with self._lock:
            armed = self._armed.get(instance_id) == name and self._armed.pop(instance_id)
        if armed:
            self.terminate(instance_id, region=run.backend.region, account_id=run.backend.account_id)
        if self._terminated(run, host, instance_id, ask_ec2=host is None):
            return diagnostics(terminated_message(instance_id, name))
        gate = host.agent_running if isinstance(host, AgentControl) else None
        if name in SERVICE_EVENTS or gate is None or gate.is_set():
            return None
        with self._lock:
            timeout = self.lab.clock.minutes(self._agent_timeouts.get(instance_id, AGENT_TIMEOUT_MINUTES))
        LOG.info(
            "deployment %s: the agent on %s is stopped; %s waits up to %.1f s",
            run.deployment.deployment_id,
            instance_id,
            name,
            timeout,
        )
        deadline = time.monotonic() + timeout
        while not gate.wait(min(0.2, max(0.0, deadline - time.monotonic()))):
            if self._terminated(run, host, instance_id, ask_ec2=False):
                return diagnostics(terminated_message(instance_id, name))
            if time.monotonic() >= deadline or run.stop_requested.is_set():
                return diagnostics(AGENT_MESSAGE)
        return None

    def after_failed_event(
        self, run: DeploymentRunView, name: str, host: LabHost | None, instance_id: str, found: dict[str, str] | None
    ) -> dict[str, str] | None:
        """A host terminated while the event ran: say so instead of the broken pipe the agent saw."""
        if self._terminated(run, host, instance_id, ask_ec2=True):
            return diagnostics(terminated_message(instance_id, name))
        return found

    @staticmethod
    def _terminated(run: DeploymentRunView, host: LabHost | None, instance_id: str, ask_ec2: bool) -> bool:
        """The host is gone, or (``ask_ec2``) EC2 already terminated the instance: moto marks it first, then the
        fleet tears the host down. Asking EC2 walks every instance, so only a failed event or a missing host asks."""
        if host is not None and host.state == "terminated":
            return True
        if not ask_ec2:
            return False
        try:
            state = ec2_backends[run.backend.account_id][run.backend.region].get_instance(instance_id).state
        except Exception:  # not an EC2 instance the lab knows: the engine reports it
            return False
        return state in ("shutting-down", "terminated")

    # -- state ----------------------------------------------------------------------------------------------------

    def describe(self) -> dict[str, t.Any]:
        hosts = self.lab.fleet.hosts() if self.lab.fleet is not None else []
        with self._lock:
            return {
                "api": {service: fault.describe() for service, fault in sorted(self._api.items())},
                "injected": {service: dict(ops) for service, ops in sorted(self._injected.items())},
                "agents_stopped": sorted(
                    h.instance_id for h in hosts if isinstance(h, AgentControl) and not h.agent_running.is_set()
                ),
                "web_unhealthy": sorted(h.instance_id for h in hosts if not h.web.healthy),
                "terminate_at_event": dict(sorted(self._armed.items())),
                "agent_timeout_seconds": self.lab.clock.minutes(AGENT_TIMEOUT_MINUTES),
            }

    def clear(self) -> None:
        with self._lock:
            self._api.clear()
            self._injected.clear()
            self._armed.clear()
            self._agent_timeouts.clear()
        for host in self.lab.fleet.hosts() if self.lab.fleet is not None else []:
            if isinstance(host, AgentControl):
                host.start_agent()
            host.web.mark_healthy()


# -- error responses --------------------------------------------------------------------------------------------------


def _drain(environ: dict[str, t.Any]) -> None:
    """Read the request body we answer without using, so the next request on a kept-alive connection is intact."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length:
        environ["wsgi.input"].read(length)


def _codedeploy_error(environ: dict[str, t.Any], code: str) -> Response:
    wire = "cbor" if environ.get("PATH_INFO", "").startswith(protocol.CBOR_PATH_PREFIX) else "json"
    body, headers = protocol.encode(wire, {"__type": code, "message": "Rate exceeded"})
    headers["x-amzn-RequestId"] = str(uuid.uuid4())
    return Response(body, status=400, headers=headers)


def _s3_error(environ: dict[str, t.Any], code: str) -> Response:
    request_id = uuid.uuid4().hex[:16].upper()
    body = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>{S3_MESSAGES[code]}'
        f"</Message><RequestId>{request_id}</RequestId><HostId>codedeploy-lab</HostId></Error>"
    )
    head = environ.get("REQUEST_METHOD") == "HEAD"
    return Response(
        b"" if head else body.encode(),
        status=503,
        content_type="application/xml",
        headers={"x-amz-request-id": request_id},
    )
