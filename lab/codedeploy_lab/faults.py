"""Faults for tests: what goes wrong on AWS, on demand (``/_lab/faults`` and ``codedeploy-lab fault``).

| method and path | body (JSON) | what |
|---|---|---|
| GET ``/_lab/faults`` | | the faults in force and how many calls each one failed |
| DELETE ``/_lab/faults`` | | every fault off (API faults removed, stopped agents started, web servers healthy) |
| PUT ``/_lab/faults/api/<service>`` | ``{fraction, error, seed, count, operations}`` | ``codedeploy`` or ``s3`` calls fail |
| DELETE ``/_lab/faults/api/<service>`` | | that service answers normally again |
| POST ``/_lab/faults/hosts/<id>/agent`` | ``{"action": "stop" \\| "start", "timeout_minutes": 5}`` | the host's CodeDeploy agent stops / starts |
| POST ``/_lab/faults/hosts/<id>/web`` | ``{"action": "unhealthy" \\| "healthy", "status": 503}`` | the host's web server |
| POST ``/_lab/faults/hosts/<id>/terminate`` | ``{"at_event": "AfterInstall", "region": ...}`` | EC2 terminates it |

API faults. A call of the service (optionally only the listed ``operations``) fails with probability ``fraction``
(0..1), drawn from ``random.Random(seed)`` (seed 0 unless given), so the same calls in the same order fail in every
run; ``count`` ends the fault after that many failures (``fraction: 1, count: 3`` = "the next three calls").
CodeDeploy answers ``ThrottlingException`` ("Rate exceeded", HTTP 400, in the JSON or CBOR shape the client
spoke); S3 answers HTTP 503 with its XML ``SlowDown`` (default) or ``ServiceUnavailable`` error. Failed calls are
still counted in ``GET /_lab/calls`` (they reached the lab); ``GET /_lab/faults`` counts the failures per operation.
S3 faults also hit the host agents' bundle downloads, as on AWS.

A stopped agent picks up no lifecycle event: an event that should start on its host waits, and fails after
``AGENT_TIMEOUT_MINUTES`` AWS minutes (scaled by the lab clock; ``timeout_minutes`` of the stop overrides it until the
agent starts again) with AWS's diagnostics for an agent that never received the event (errorCode UnknownError);
started again within the wait, the event runs. An event already running
when the agent stops finishes. ``systemctl stop codedeploy-agent`` inside the host does the same.

A terminated host (through moto's EC2, so the fleet tears it down): the event running on it, or the next one, fails
at once with a message naming the termination (AWS may take up to an hour to notice); the rest are Skipped.
``at_event`` terminates the host when that lifecycle event is about to start on it, so a test can terminate it
mid-deployment without racing the engine.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import threading
import time
import typing as t
import uuid
from dataclasses import dataclass, field

from .lab import LAB_PREFIX

if t.TYPE_CHECKING:
    from werkzeug.wrappers import Request, Response

LOG = logging.getLogger("codedeploy_lab.faults")

AGENT_TIMEOUT_MINUTES = 5.0  # AWS minutes: an event no agent picks up fails after ~5 minutes (semantics doc §3)
AGENT_MESSAGE = ("CodeDeploy agent was not able to receive the lifecycle event. Check the CodeDeploy agent logs on "
                 "your host and make sure the agent is running and can connect to the CodeDeploy server.")
SERVICE_EVENTS = frozenset({"BlockTraffic", "AllowTraffic"})  # the service runs these itself: no agent needed

API_ERRORS = {"codedeploy": ("ThrottlingException",), "s3": ("SlowDown", "ServiceUnavailable")}
S3_MESSAGES = {"SlowDown": "Please reduce your request rate.",
               "ServiceUnavailable": "Service is unable to handle request."}
WEB_ACTIONS = ("unhealthy", "healthy")
AGENT_ACTIONS = ("stop", "start")


class FaultError(ValueError):
    """Bad fault settings: the message names the field and what it accepts."""


def diagnostics(message: str) -> dict[str, str]:
    return {"errorCode": "UnknownError", "scriptName": "", "message": message, "logTail": ""}


def terminated_message(instance_id: str, event: str) -> str:
    return (f"The instance {instance_id} was terminated during the deployment, so its CodeDeploy agent could not "
            f"run the lifecycle event {event}.")


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
            raise FaultError(f"count must be a positive integer (failures before the fault ends) or null, got {count!r}")
        operations = body.get("operations") or []
        if isinstance(operations, str):
            operations = [op for op in operations.split(",") if op]
        if not isinstance(operations, list) or not all(isinstance(op, str) and op for op in operations):
            raise FaultError(f"operations must be a list of API operation names (e.g. GetDeployment), got {operations!r}")
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
        return {"fraction": self.fraction, "error": self.error, "seed": self.seed, "count": self.count,
                "operations": list(self.operations), "matched": self.matched, "injected": self.injected,
                "spent": self.spent}


class Faults:
    """The lab's fault injection (``lab.faults``); see the module docstring."""

    def __init__(self, lab: t.Any) -> None:
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

    def _host(self, instance_id: str) -> t.Any:
        fleet = self.lab.fleet
        host = fleet.get(instance_id) if fleet is not None else None
        if host is None:
            raise LookupError(f"no lab host {instance_id} (is it running, and is the fleet room attached?)")
        return host

    def agent(self, instance_id: str, action: str, timeout_minutes: t.Any = None) -> dict[str, t.Any]:
        if action not in AGENT_ACTIONS:
            raise FaultError(f"action must be one of {', '.join(AGENT_ACTIONS)}, got {action!r}")
        if timeout_minutes is not None and (isinstance(timeout_minutes, bool) or
                                            not isinstance(timeout_minutes, (int, float)) or timeout_minutes <= 0):
            raise FaultError(f"timeout_minutes must be a positive number of AWS minutes, got {timeout_minutes!r}")
        host = self._host(instance_id)
        if not hasattr(host, "stop_agent"):
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
        web = getattr(self._host(instance_id), "web", None)
        if web is None:
            raise FaultError(f"the host {instance_id} has no web server (simulated fleet?)")
        if action == "unhealthy":
            web.mark_unhealthy(status)
        else:
            web.mark_healthy()
        LOG.info("fault: the web server of %s is %s", instance_id, action)
        return {"instance_id": instance_id, "web_healthy": web.healthy}

    def terminate(self, instance_id: str, at_event: str | None = None, region: str = "us-east-1",
                  account_id: str | None = None) -> dict[str, t.Any]:
        """Terminate through moto's EC2 (the fleet tears the host down), now or when ``at_event`` starts on it."""
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.ec2.models import ec2_backends

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

    def before_event(self, run: t.Any, name: str, host: t.Any, instance_id: str) -> dict[str, str] | None:
        """Diagnostics of a failure the lab's faults cause before ``name`` runs on the instance, or None."""
        with self._lock:
            armed = self._armed.get(instance_id) == name and self._armed.pop(instance_id)
        if armed:
            self.terminate(instance_id, region=run.backend.region, account_id=run.backend.account_id)
        if self._terminated(run, host, instance_id, ask_ec2=host is None):
            return diagnostics(terminated_message(instance_id, name))
        gate = getattr(host, "agent_running", None)
        if name in SERVICE_EVENTS or gate is None or gate.is_set():
            return None
        with self._lock:
            timeout = self.lab.clock.minutes(self._agent_timeouts.get(instance_id, AGENT_TIMEOUT_MINUTES))
        LOG.info("deployment %s: the agent on %s is stopped; %s waits up to %.1f s", run.deployment.deployment_id,
                 instance_id, name, timeout)
        deadline = time.monotonic() + timeout
        while not gate.wait(min(0.2, max(0.0, deadline - time.monotonic()))):
            if self._terminated(run, host, instance_id, ask_ec2=False):
                return diagnostics(terminated_message(instance_id, name))
            if time.monotonic() >= deadline or run.stop_requested.is_set():
                return diagnostics(AGENT_MESSAGE)
        return None

    def after_failed_event(self, run: t.Any, name: str, host: t.Any, instance_id: str,
                           found: dict[str, str] | None) -> dict[str, str] | None:
        """A host terminated while the event ran: say so instead of the broken pipe the agent saw."""
        if self._terminated(run, host, instance_id, ask_ec2=True):
            return diagnostics(terminated_message(instance_id, name))
        return found

    @staticmethod
    def _terminated(run: t.Any, host: t.Any, instance_id: str, ask_ec2: bool) -> bool:
        """The host is gone, or (``ask_ec2``) EC2 already terminated the instance: moto marks it first, then the
        fleet tears the host down. Asking EC2 walks every instance, so only a failed event or a missing host asks."""
        if host is not None and getattr(host, "state", None) == "terminated":
            return True
        if not ask_ec2:
            return False
        from moto.ec2.models import ec2_backends

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
                "agents_stopped": sorted(h.instance_id for h in hosts
                                         if getattr(h, "agent_running", None) is not None
                                         and not h.agent_running.is_set()),
                "web_unhealthy": sorted(h.instance_id for h in hosts
                                        if getattr(h, "web", None) is not None and not h.web.healthy),
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
            if hasattr(host, "start_agent"):
                host.start_agent()
            if getattr(host, "web", None) is not None:
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
    from werkzeug.wrappers import Response

    from .service import protocol

    wire = "cbor" if environ.get("PATH_INFO", "").startswith(protocol.CBOR_PATH_PREFIX) else "json"
    body, headers = protocol.encode(wire, {"__type": code, "message": "Rate exceeded"})
    headers["x-amzn-RequestId"] = str(uuid.uuid4())
    return Response(body, status=400, headers=headers)


def _s3_error(environ: dict[str, t.Any], code: str) -> Response:
    from werkzeug.wrappers import Response

    request_id = uuid.uuid4().hex[:16].upper()
    body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>{S3_MESSAGES[code]}'
            f"</Message><RequestId>{request_id}</RequestId><HostId>codedeploy-lab</HostId></Error>")
    head = environ.get("REQUEST_METHOD") == "HEAD"
    return Response(b"" if head else body.encode(), status=503, content_type="application/xml",
                    headers={"x-amz-request-id": request_id})


# -- the lab endpoints ------------------------------------------------------------------------------------------------

def _body(request: Request) -> dict[str, t.Any]:
    body = request.get_json(force=True, silent=True) if request.get_data() else {}
    if not isinstance(body, dict):
        raise FaultError("the request body must be a JSON object")
    return body


def _answer(action: t.Callable[[], t.Any]) -> t.Any:
    try:
        return action()
    except FaultError as error:
        return 400, {"error": "InvalidFault", "message": str(error)}
    except LookupError as error:
        return 404, {"error": "NotFound", "message": str(error).strip("'\"")}


def register(faults: Faults, router: t.Any) -> None:
    def status(request: Request) -> t.Any:
        return faults.describe()

    def clear(request: Request) -> t.Any:
        faults.clear()
        return faults.describe()

    def put_api(request: Request, service: str) -> t.Any:
        return _answer(lambda: {service: faults.set_api_fault(service, _body(request)).describe()})

    def delete_api(request: Request, service: str) -> t.Any:
        return {"service": service, "removed": faults.clear_api_fault(service)}

    def agent(request: Request, instance_id: str) -> t.Any:
        def act() -> t.Any:
            body = _body(request)
            return faults.agent(instance_id, body.get("action", ""), body.get("timeout_minutes"))
        return _answer(act)

    def web(request: Request, instance_id: str) -> t.Any:
        def act() -> t.Any:
            body = _body(request)
            return faults.web(instance_id, body.get("action", ""), body.get("status", 503))
        return _answer(act)

    def terminate(request: Request, instance_id: str) -> t.Any:
        def act() -> t.Any:
            body = _body(request)
            return faults.terminate(instance_id, body.get("at_event"), body.get("region") or "us-east-1")
        return _answer(act)

    router.add(f"{LAB_PREFIX}/faults", status)
    router.add(f"{LAB_PREFIX}/faults", clear, methods=("DELETE",))
    router.add(f"{LAB_PREFIX}/faults/api/<service>", put_api, methods=("PUT", "POST"))
    router.add(f"{LAB_PREFIX}/faults/api/<service>", delete_api, methods=("DELETE",))
    router.add(f"{LAB_PREFIX}/faults/hosts/<instance_id>/agent", agent, methods=("POST",))
    router.add(f"{LAB_PREFIX}/faults/hosts/<instance_id>/web", web, methods=("POST",))
    router.add(f"{LAB_PREFIX}/faults/hosts/<instance_id>/terminate", terminate, methods=("POST",))


def attach(lab: t.Any) -> Faults:
    """``lab.faults``, its endpoints, and a reset that turns every fault off."""
    faults = Faults(lab)
    lab.faults = faults
    register(faults, lab.router)
    lab.on_reset(faults.clear)
    return faults


# -- the command line: codedeploy-lab fault ... -------------------------------------------------------------------------

def add_fault_command(commands: t.Any, default_state_dir: str) -> None:
    """``codedeploy-lab fault status|clear|api|agent|web|terminate`` (see ``--help``)."""
    fault = commands.add_parser("fault", help="inject faults into the running lab (throttling, agents, hosts)",
                                description="Inject faults into the running lab; see lab/README.md, Faults.")
    actions = fault.add_subparsers(dest="fault_command", required=True, metavar="FAULT")

    def sub(name: str, help_text: str) -> argparse.ArgumentParser:
        parser = actions.add_parser(name, help=help_text, description=help_text)
        parser.add_argument("--state-dir", default=default_state_dir,
                            help=f"the lab's state directory (default: ./{default_state_dir})")
        parser.set_defaults(handler=_cli)
        return parser

    sub("status", "show the faults in force and the calls they failed")
    sub("clear", "turn every fault off")
    api = sub("api", "make a fraction of a service's calls fail (codedeploy: ThrottlingException; s3: 503)")
    api.add_argument("service", choices=sorted(API_ERRORS))
    api.add_argument("--fraction", type=float, help="share of calls that fail, 0 to 1")
    api.add_argument("--error", help="codedeploy: ThrottlingException; s3: SlowDown (default) or ServiceUnavailable")
    api.add_argument("--seed", type=int, default=0, help="seed of the draws (same seed, same calls fail)")
    api.add_argument("--count", type=int, help="stop after this many failures (--fraction 1 --count 3: next three)")
    api.add_argument("--operations", help="comma-separated operations to fail (default: every operation)")
    api.add_argument("--off", action="store_true", help="remove the fault of this service")
    agent = sub("agent", "stop or start a host's CodeDeploy agent")
    agent.add_argument("instance_id")
    agent.add_argument("action", choices=AGENT_ACTIONS)
    agent.add_argument("--timeout-minutes", type=float,
                       help=f"AWS minutes before events waiting for this agent fail (default {AGENT_TIMEOUT_MINUTES:g})")
    web = sub("web", "make a host's web server answer errors (unhealthy) or pages again (healthy)")
    web.add_argument("instance_id")
    web.add_argument("action", choices=WEB_ACTIONS)
    web.add_argument("--status", type=int, default=503, help="HTTP status while unhealthy (default 503)")
    terminate = sub("terminate", "terminate an instance through EC2, now or when a lifecycle event starts on it")
    terminate.add_argument("instance_id")
    terminate.add_argument("--at-event", help="wait until this lifecycle event is about to start on the host")
    terminate.add_argument("--region", default="us-east-1")


def _cli(args: argparse.Namespace) -> int:
    from .cli import LabError, request_lab, required_lab

    endpoint, token = required_lab(args.state_dir)
    base = f"{endpoint}{LAB_PREFIX}/faults"

    def _request(method: str, url: str, body: dict[str, t.Any] | None = None) -> t.Any:
        return request_lab(method, url, token, body)

    command = args.fault_command
    if command == "status":
        answer = _request("GET", base)
    elif command == "clear":
        answer = _request("DELETE", base)
    elif command == "api":
        if args.off:
            answer = _request("DELETE", f"{base}/api/{args.service}")
        else:
            if args.fraction is None:
                raise LabError("fault api needs --fraction (0 to 1), or --off to remove the fault")
            body: dict[str, t.Any] = {"fraction": args.fraction, "seed": args.seed}
            for name in ("error", "count", "operations"):
                if getattr(args, name) is not None:
                    body[name] = getattr(args, name)
            answer = _request("PUT", f"{base}/api/{args.service}", body)
    elif command == "agent":
        body = {"action": args.action, **({"timeout_minutes": args.timeout_minutes} if args.timeout_minutes else {})}
        answer = _request("POST", f"{base}/hosts/{args.instance_id}/agent", body)
    elif command == "web":
        answer = _request("POST", f"{base}/hosts/{args.instance_id}/web", {"action": args.action,
                                                                          "status": args.status})
    else:
        body = {"region": args.region, **({"at_event": args.at_event} if args.at_event else {})}
        answer = _request("POST", f"{base}/hosts/{args.instance_id}/terminate", body)
    print(json.dumps(answer, indent=2, sort_keys=True))
    return 0

