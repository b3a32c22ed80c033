"""The lab process: one WSGI application on one loopback port.

Every request first passes the guard (``RequestGuard``), whatever its path:

* ``Host`` must be the lab's own address (``127.0.0.1:<port>``, ``localhost:<port>`` or ``<name>.localhost:<port>``),
  so a web page cannot reach the lab through DNS rebinding;
* an ``Origin`` header, when present, must be the lab's own (``http://127.0.0.1:<port>``, ``http://localhost:<port>``),
  so no other web page can drive the lab; no response carries CORS (``Access-Control-*``) headers;
* ``/_lab/...`` and ``/moto-api/...`` need the control token (header ``X-Lab-Token``, ``<state>/control-token``),
  except ``GET /_lab/health`` and ``GET /_lab/status``;
* every other request is an AWS call and must be signed (SigV4 ``Authorization``, a presigned URL, or S3's legacy
  ``AWS`` header): requiring one is what keeps a form or an ``<img>`` out. Without ``--enforce-iam`` any
  signature will do; with it, ``codedeploy_lab.iam`` verifies the signature against the caller's access key and
  authorizes the call with the caller's IAM policies, for every service (moto's own gate,
  ``INITIAL_NO_AUTH_ACTION_COUNT``, stays off: it knows no resource ARNs and does not reach our CodeDeploy).

Then routing, in order:

1. ``/_lab/...``: the lab's own endpoints (``Lab.router``);
2. ``POST /moto-api/reset``: resets moto *and* our service, so the two never disagree; other ``/moto-api`` paths
   reach moto;
3. CodeDeploy (``X-Amz-Target: CodeDeploy_20141006.*`` for JSON 1.1, or
   ``/service/CodeDeploy_20141006/operation/<Op>`` for smithy-rpc-v2-cbor): our own service
   (``codedeploy_lab.service``). moto's partial CodeDeploy is never reached;
4. everything else: moto's own WSGI dispatcher (S3, EC2, Auto Scaling, ELB, ELBv2, IAM, CloudWatch, SNS, SQS, ...).

Every AWS call that passes is counted per service and operation on its way in (``GET /_lab/calls``).

We serve moto's dispatcher ourselves (werkzeug's threaded server, bound to 127.0.0.1) instead of starting
``ThreadedMotoServer``, so the lab listens on exactly one socket.
"""

from __future__ import annotations

import fcntl
import hmac
import io
import json
import logging
import os
import signal
import sys
import tempfile
import threading
import typing as t
from pathlib import Path
from urllib.parse import parse_qs

from moto.backends import get_backend
from moto.core import DEFAULT_ACCOUNT_ID
from moto.moto_api._internal.models import moto_api_backend
from moto.moto_server.werkzeug_app import DomainDispatcherApplication
from moto.moto_server.werkzeug_app import MotoRequestHandler
from moto.moto_server.werkzeug_app import create_backend_app
from werkzeug.serving import ThreadedWSGIServer
from werkzeug.serving import make_server
from werkzeug.wrappers import Response

from . import console
from . import deployments
from . import faults
from . import fleet
from . import iam
from . import loadbalancer
from . import moto_patches
from .clock import LabClock
from .console import PREFIX as CONSOLE_PREFIX
from .console import USER_AGENT as CONSOLE_USER_AGENT
from .fleet import simulated
from .iam.actions import s3_call
from .lab import LAB_PREFIX
from .lab import TOKEN_FILE
from .lab import TOKEN_HEADER
from .lab import Lab
from .lab import json_response
from .lab import write_control_token
from .rooms import SimulationSettings
from .rooms import StartResponse
from .service.models import CodeDeployService
from .service.responses import CodeDeployResponder

LOG = logging.getLogger("codedeploy_lab")

LOOPBACK = "127.0.0.1"
CODEDEPLOY_TARGET_PREFIX = "CodeDeploy_20141006."
CODEDEPLOY_CBOR_PREFIX = "/service/CodeDeploy_20141006/operation/"

# SigV4 signing names that differ from the botocore client names tests use.
SIGNING_NAME_TO_SERVICE = {"monitoring": "cloudwatch", "email": "ses"}
ELBV2_API_VERSION = "2015-12-01"


def _signing_service(environ: dict[str, t.Any]) -> str | None:
    auth = environ.get("HTTP_AUTHORIZATION", "")
    try:
        scope = auth.split("Credential=", 1)[1].split(",", 1)[0]
        return scope.split("/")[3]
    except IndexError:
        return None


def _form_body(environ: dict[str, t.Any]) -> dict[str, list[str]]:
    """Parse a query-protocol body, leaving ``wsgi.input`` readable for the application behind us."""
    if not environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
        return {}
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return {}
    body = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(body)
    return parse_qs(body.decode("utf-8", "replace"))


def identify_call(environ: dict[str, t.Any]) -> tuple[str, str] | None:
    """``(service, operation)`` of an AWS API request, or None for requests that are not AWS calls."""
    path = environ.get("PATH_INFO", "")
    if path.startswith((LAB_PREFIX, "/moto-api")) or path == "/favicon.ico":
        return None
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    signing = _signing_service(environ)
    if target.startswith(CODEDEPLOY_TARGET_PREFIX):
        return "codedeploy", target[len(CODEDEPLOY_TARGET_PREFIX) :]
    if path.startswith(CODEDEPLOY_CBOR_PREFIX):
        return "codedeploy", path.rsplit("/", 1)[-1]
    service = SIGNING_NAME_TO_SERVICE.get(signing or "", signing or "unknown")
    if "/operation/" in path and path.startswith("/service/"):  # smithy-rpc-v2-cbor (e.g. CloudWatch)
        return service, path.rsplit("/", 1)[-1]
    if target:
        return service, target.rsplit(".", 1)[-1]
    query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    form = _form_body(environ)
    action = (form.get("Action") or query.get("Action") or [None])[0]
    if action:
        if service == "elasticloadbalancing":
            version = (form.get("Version") or query.get("Version") or [""])[0]
            service = "elbv2" if version == ELBV2_API_VERSION else "elb"
        return service, action
    if service == "s3" or signing is None:
        return "s3", s3_call(
            environ.get("REQUEST_METHOD", "GET"),
            environ.get("HTTP_HOST", ""),
            path,
            query,
            "HTTP_X_AMZ_COPY_SOURCE" in environ,
        ).operation
    return service, f"{environ.get('REQUEST_METHOD', 'GET')} {path}"


MOTO_API_PREFIX = "/moto-api"
# Read-only lab endpoints that reveal no secret: health checks, and the playbooks finding a load balancer's address.
OPEN_LAB_ENDPOINTS = (f"{LAB_PREFIX}/health", f"{LAB_PREFIX}/status")
SIGNATURE_QUERY_PARAMETERS = ("X-Amz-Signature", "Signature")  # presigned URLs (SigV4, and SigV2 for S3)
UNSIGNED_MESSAGE = (
    "Request is missing Authentication Token: the lab serves signed AWS requests only (a SigV4 "
    "Authorization header or a presigned URL); sign it with any credentials, e.g. "
    "AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing"
)


def is_lab_path(path: str) -> bool:
    return path == LAB_PREFIX or path.startswith(f"{LAB_PREFIX}/")


def is_moto_api_path(path: str) -> bool:
    return path.startswith(MOTO_API_PREFIX)  # exactly what moto's dispatcher sends to its own API


def is_signed(environ: dict[str, t.Any]) -> bool:
    """True if the request carries an AWS signature (present, not verified: the lab has no IAM yet)."""
    if environ.get("HTTP_AUTHORIZATION", "").startswith(("AWS4-", "AWS ")):
        return True
    query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    return any(name in query for name in SIGNATURE_QUERY_PARAMETERS)


def _unsigned_call_response(environ: dict[str, t.Any]) -> Response:
    """403 in the shape the service would answer: JSON for JSON/CBOR protocols, XML for query and S3."""
    path = environ.get("PATH_INFO", "")
    if environ.get("HTTP_X_AMZ_TARGET") or path.startswith("/service/") or "json" in environ.get("CONTENT_TYPE", ""):
        code = "MissingAuthenticationTokenException"
        body = json.dumps({"__type": code, "message": UNSIGNED_MESSAGE})
        return Response(body, status=403, content_type="application/x-amz-json-1.1", headers={"x-amzn-ErrorType": code})
    query = parse_qs(environ.get("QUERY_STRING", ""))
    if "Action" in query or "Action" in _form_body(environ):
        body = (
            "<ErrorResponse><Error><Type>Sender</Type><Code>MissingAuthenticationToken</Code>"
            f"<Message>{UNSIGNED_MESSAGE}</Message></Error><RequestId>lab-unsigned</RequestId></ErrorResponse>"
        )
    else:  # S3 answers an anonymous request to a private resource with AccessDenied
        body = f"<Error><Code>AccessDenied</Code><Message>{UNSIGNED_MESSAGE}</Message></Error>"
    return Response(body, status=403, content_type="application/xml")


def _without_cors(start_response: StartResponse) -> StartResponse:
    """``start_response`` minus every ``Access-Control-*`` header: no other origin may read or drive the lab.

    moto's Flask app wraps every backend in flask_cors (allow any origin, any method), and S3 answers preflights
    from bucket CORS rules; both would hand a web page the lab.
    """

    def start(status: str, headers: list[tuple[str, str]], exc_info: t.Any = None) -> t.Any:
        kept = [(name, value) for name, value in headers if not name.lower().startswith("access-control-")]
        return start_response(status, kept, exc_info) if exc_info is not None else start_response(status, kept)

    return start


class RequestGuard:
    """The checks every request passes before routing (see the module docstring): Host, Origin, token, signature."""

    def __init__(self, lab: Lab, token: str) -> None:
        self.lab = lab
        self.token = token

    def own_origins(self) -> tuple[str, ...]:
        return (f"http://127.0.0.1:{self.lab.port}", f"http://localhost:{self.lab.port}")

    def host_is_ours(self, host_header: str) -> bool:
        name, _, port = host_header.strip().lower().rpartition(":")
        if port != str(self.lab.port):
            return False
        # Names under .localhost are loopback by RFC 6761 (S3 virtual-hosted style: <bucket>.localhost:<port>).
        return name in ("127.0.0.1", "localhost") or (name.endswith(".localhost") and len(name) > len(".localhost"))

    def refusal(self, environ: dict[str, t.Any]) -> tuple[int, dict[str, str]] | None:
        """``(status, JSON error)`` when the request must not reach the lab, else None."""
        host = environ.get("HTTP_HOST", "")
        if not self.host_is_ours(host):
            return 403, {
                "error": "ForeignHost",
                "message": f"Host {host!r} is not this lab: the lab answers requests addressed to "
                f"127.0.0.1:{self.lab.port} or localhost:{self.lab.port} only",
            }
        origin = environ.get("HTTP_ORIGIN")
        if origin is not None and origin.rstrip("/").lower() not in self.own_origins():
            return 403, {
                "error": "ForeignOrigin",
                "message": f"Origin {origin!r} may not use this lab: only pages served by the lab itself "
                f"({' or '.join(self.own_origins())}) may; other web pages are refused",
            }
        path = environ.get("PATH_INFO", "")
        if is_lab_path(path) or is_moto_api_path(path):
            if environ.get("REQUEST_METHOD") in ("GET", "HEAD") and path.rstrip("/") in OPEN_LAB_ENDPOINTS:
                return None
            return self._token_refusal(environ.get(f"HTTP_{TOKEN_HEADER.upper().replace('-', '_')}"))
        return None

    def _token_refusal(self, sent: str | None) -> tuple[int, dict[str, str]] | None:
        where = (
            f"send the header {TOKEN_HEADER} with the lab's control token; read it from "
            f'{self.lab.state_dir / TOKEN_FILE} or `codedeploy-lab status --json` ("control_token")'
        )
        if not sent:
            return 401, {"error": "MissingLabToken", "message": f"this endpoint needs the control token: {where}"}
        if not hmac.compare_digest(sent.encode(), self.token.encode()):
            return 403, {"error": "WrongLabToken", "message": f"the control token is not this lab's: {where}"}
        return None


class LabApplication:
    """The WSGI application of a lab process (see the module docstring for the guard and the routing)."""

    def __init__(self, lab: Lab, token: str) -> None:
        if not isinstance(lab.codedeploy, CodeDeployService):
            raise TypeError("a LabApplication serves a lab that build_lab made (with its CodeDeploy service)")
        self.lab = lab
        self.guard = RequestGuard(lab, token)
        self.moto = DomainDispatcherApplication(create_backend_app)
        self.codedeploy = CodeDeployResponder(lab.codedeploy)

    def __call__(self, environ: dict[str, t.Any], start_response: StartResponse) -> t.Iterable[bytes]:
        start_response = _without_cors(start_response)
        refused = self.guard.refusal(environ)
        if refused is not None:
            return json_response(refused[1], status=refused[0])(environ, start_response)
        path = environ.get("PATH_INFO", "")
        if self.lab.console is not None and (path == CONSOLE_PREFIX or path.startswith(f"{CONSOLE_PREFIX}/")):
            return self.lab.console(environ, start_response)
        if is_lab_path(path):
            return self.lab.router(environ, start_response)
        if is_moto_api_path(path):
            if path.rstrip("/") == f"{MOTO_API_PREFIX}/reset" and environ.get("REQUEST_METHOD") == "POST":
                self.lab.reset()
                return json_response({"status": "ok"})(environ, start_response)
            return self.moto(environ, start_response)
        if not is_signed(environ):
            return _unsigned_call_response(environ)(environ, start_response)
        call = identify_call(environ)
        if call is not None and self.lab.iam is not None:
            denied = self.lab.iam.refusal(environ, *call)
            if denied is not None:
                return denied(environ, start_response)
        if call is not None:
            # The console's reads are neither the user's calls nor theirs to fail.
            from_console = CONSOLE_USER_AGENT in environ.get("HTTP_USER_AGENT", "")
            if not from_console:
                self.lab.calls.record(*call)
            faults = None if from_console else self.lab.faults
            failed = faults.api_response(call, environ) if faults is not None else None
            if failed is not None:  # an injected ThrottlingException / 503 (faults.py)
                return failed(environ, start_response)
            if call[0] == "codedeploy":
                return self.codedeploy(environ, start_response)
        return self.moto(environ, start_response)


def _register_lab_endpoints(lab: Lab) -> None:
    lab.router.add(f"{LAB_PREFIX}/health", lambda request: {"status": "ok", "endpoint": lab.endpoint})
    lab.router.add(f"{LAB_PREFIX}/status", lambda request: lab.status())
    lab.router.add(f"{LAB_PREFIX}/calls", lambda request: lab.calls.snapshot())

    def clear_calls(request: t.Any) -> t.Any:
        lab.calls.clear()
        return {"status": "ok"}

    def reset(request: t.Any) -> t.Any:
        lab.reset()
        return {"status": "ok"}

    lab.router.add(f"{LAB_PREFIX}/calls", clear_calls, methods=("DELETE",))
    lab.router.add(f"{LAB_PREFIX}/reset", reset, methods=("POST",))


PrewarmedService = t.Literal["iam", "ec2", "autoscaling", "elb", "elbv2", "cloudwatch", "sns", "s3"]
PREWARM_SERVICES: tuple[PrewarmedService, ...] = t.get_args(PrewarmedService)


def prewarm(region: str = "us-east-1") -> threading.Thread:
    """Build moto's backends for the default account and region in the background.

    moto builds a backend on its first request (EC2's takes seconds: AMIs, instance types, default VPC); doing it
    while the lab sits idle makes the first calls of a test run or a playbook fast. moto's backend lock makes a
    request that arrives meanwhile wait for the same backend rather than build a second one.
    """

    def build() -> None:
        for service in PREWARM_SERVICES:
            try:
                backends = get_backend(service)[DEFAULT_ACCOUNT_ID]
                backends["aws" if service == "iam" else region]
            except Exception:  # warming up is an optimisation only
                LOG.debug("prewarming %s failed", service, exc_info=True)

    thread = threading.Thread(target=build, name="moto-prewarm", daemon=True)
    thread.start()
    return thread


def build_lab(
    state_dir: Path | str,
    port: int = 0,
    seconds_per_aws_minute: float = 1.0,
    enforce_iam: bool = False,
    simulation: SimulationSettings | None = None,
) -> Lab:
    """A Lab with moto patched, our CodeDeploy service and the lab endpoints; rooms attach to it afterwards."""
    moto_patches.install()
    lab = Lab(state_dir, host=LOOPBACK, port=port, clock=LabClock(seconds_per_aws_minute), simulation=simulation)
    service = CodeDeployService(lab)
    lab.codedeploy = service
    lab.on_reset(moto_api_backend.reset)  # first: every room resets against empty moto and CodeDeploy states
    lab.on_reset(service.reset)
    _register_lab_endpoints(lab)
    faults.attach(lab)  # lab.faults and /_lab/faults
    console.attach(lab)  # lab.console, served under /console/
    lab.on_reset(prewarm)
    if enforce_iam:
        iam.attach(lab)  # lab.iam, the administrator, /_lab/iam/actions
    return lab


ROOMS = ("fleet", "loadbalancer", "deployments")  # attach order: load balancers resolve hosts of the fleet


def parse_rooms(text: str) -> tuple[str, ...]:
    """``--rooms``: "all", "none" or a comma-separated subset of ROOMS."""
    if text == "all":
        return ROOMS
    if text == "none":
        return ()
    rooms = tuple(room.strip() for room in text.split(",") if room.strip())
    unknown = [room for room in rooms if room not in ROOMS]
    if unknown:
        raise ValueError(f"unknown room(s) {', '.join(unknown)}: use all, none or some of {', '.join(ROOMS)}")
    return tuple(room for room in ROOMS if room in rooms)


def _attach_rooms(lab: Lab, rooms: t.Sequence[str] = ROOMS) -> None:
    """Wire in the data-plane rooms (``--rooms``), in the order of ROOMS."""
    for room in rooms:
        if room == "fleet" and lab.simulation is not None:
            simulated.attach(lab)  # the large-fleet mode: simulated hosts instead of sandboxed ones
        elif room == "fleet":
            fleet.attach(lab)
        elif room == "loadbalancer":
            loadbalancer.attach(lab)
        elif room == "deployments":
            deployments.attach(lab)
        LOG.info("room %s attached", room)


def serve(
    state_dir: Path | str,
    port: int,
    seconds_per_aws_minute: float = 1.0,
    rooms: t.Sequence[str] = ROOMS,
    simulation: SimulationSettings | None = None,
    enforce_iam: bool = False,
) -> int:
    """Run a lab in the foreground until SIGTERM/SIGINT. Writes ``<state>/lab.json`` once it listens.

    ``simulation``: simulated hosts (the large-fleet mode) with these settings; None: sandboxed hosts.
    """
    state = Path(state_dir).resolve()
    state.mkdir(mode=0o700, parents=True, exist_ok=True)
    state.chmod(0o700)  # the control token, the hosts' roots and the log are the lab user's alone
    # Held for the life of the process: a second lab in the same state directory cannot start, even in a race.
    lock = open(state / "lab.lock", "w")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        LOG.error("a lab is already running in %s; stop it with: codedeploy-lab down --state-dir %s", state, state)
        return 2
    # Anything that spools to a temporary file (large S3 bodies) stays inside the state directory.
    tmp = state / "tmp"
    tmp.mkdir(exist_ok=True)
    os.environ["TMPDIR"] = str(tmp)
    tempfile.tempdir = str(tmp)

    token = write_control_token(state)
    lab = build_lab(
        state, port=port, seconds_per_aws_minute=seconds_per_aws_minute, enforce_iam=enforce_iam, simulation=simulation
    )
    try:
        server = t.cast(
            ThreadedWSGIServer,
            make_server(LOOPBACK, port, LabApplication(lab, token), threaded=True, request_handler=MotoRequestHandler),
        )
    except (OSError, SystemExit) as error:  # werkzeug exits itself when the port is taken
        reason = getattr(error, "strerror", None) or "the port is in use"
        LOG.error(
            "cannot listen on %s:%s (%s); choose another port with --port, or leave --port out for a free one",
            LOOPBACK,
            port,
            reason,
        )
        (state / TOKEN_FILE).unlink(missing_ok=True)
        return 2
    server.daemon_threads = True
    lab.port = server.server_port
    _attach_rooms(lab, rooms)

    stopping = threading.Event()

    def stop(signum: int, frame: t.Any) -> None:
        if not stopping.is_set():
            stopping.set()
            threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    info = {
        "endpoint": lab.endpoint,
        "port": lab.port,
        "pid": os.getpid(),
        "state_dir": str(state),
        "seconds_per_aws_minute": seconds_per_aws_minute,
        "rooms": list(rooms),
        "fleet": "simulated" if simulation is not None else "sandboxed",
        "enforce_iam": enforce_iam,
    }
    lab_json = state / "lab.json"
    tmp_json = state / "lab.json.tmp"
    tmp_json.write_text(json.dumps(info, indent=2) + "\n")
    tmp_json.replace(lab_json)
    LOG.info("lab listening on %s (pid %s, state %s)", lab.endpoint, os.getpid(), state)
    prewarm()
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        LOG.info("lab stopping")
        lab.shutdown()
        server.server_close()
        try:
            if json.loads(lab_json.read_text()).get("pid") == os.getpid():
                lab_json.unlink()
        except (OSError, ValueError):
            pass
        (state / TOKEN_FILE).unlink(missing_ok=True)  # we still hold lab.lock, so the token is ours
        LOG.info("lab stopped")
    return 0


def serve_and_exit(
    state_dir: Path | str,
    port: int,
    seconds_per_aws_minute: float = 1.0,
    rooms: t.Sequence[str] = ROOMS,
    simulation: SimulationSettings | None = None,
    enforce_iam: bool = False,
) -> t.NoReturn:
    """``serve``, then leave without interpreter finalisation.

    Every room has stopped by then (``Lab.shutdown``); tearing down moto's large in-memory state object by object
    only delays ``codedeploy-lab down`` by seconds.
    """
    status = serve(state_dir, port, seconds_per_aws_minute, rooms, simulation, enforce_iam)
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)
