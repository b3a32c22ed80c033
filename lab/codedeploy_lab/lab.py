"""The ``Lab`` object: one per lab process, the place where the rooms meet.

The serve process (``server.py``) builds one ``Lab`` and hands it to every room. ``Lab`` declares every room with its
protocol from ``rooms.py`` (None until ``server.py`` wires it in, and None for good when the lab runs without it):

* ``lab.codedeploy``: the CodeDeploy service (``codedeploy_lab.service``);
* ``lab.engine``: the deployment engine (``codedeploy_lab.deployments``); the CodeDeploy service hands every new
  deployment to ``lab.engine.submit(backend, deployment)`` when one is attached (see ``service/models.py``);
* ``lab.fleet``: the lab hosts (``codedeploy_lab.fleet``, or its simulated hosts when ``lab.simulation`` is set);
* ``lab.load_balancers``: a proxy per load balancer listener (``codedeploy_lab.loadbalancer``); ``status`` reports
  their URLs;
* ``lab.faults``: fault injection (``codedeploy_lab.faults``); ``lab.iam``: the IAM guard with ``--enforce-iam``;
  ``lab.console``: the web console;
* ``lab.router``: the lab's own HTTP endpoints under ``/_lab/`` (add handlers with ``lab.router.add``);
* ``lab.on_reset`` / ``lab.on_shutdown``: callbacks run by ``codedeploy-lab reset`` / ``down``.

The lab's control token (``<state>/control-token``, header ``X-Lab-Token``) guards the ``/_lab/`` endpoints and
``/moto-api``; ``server.py`` checks it, the ``codedeploy-lab`` command and ``testing.RunningLab`` send it.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import threading
import typing as t
from collections import defaultdict
from pathlib import Path

from werkzeug.exceptions import HTTPException
from werkzeug.exceptions import MethodNotAllowed
from werkzeug.exceptions import NotFound
from werkzeug.routing import Map
from werkzeug.routing import Rule
from werkzeug.wrappers import Request
from werkzeug.wrappers import Response

from .clock import LabClock
from .rooms import CodeDeployRoom
from .rooms import EngineRoom
from .rooms import FaultsRoom
from .rooms import FleetRoom
from .rooms import Handler
from .rooms import IamRoom
from .rooms import LoadBalancerRoom
from .rooms import SimulationSettings
from .rooms import StartResponse
from .rooms import WsgiApp

LOG = logging.getLogger("codedeploy_lab")

Callable0 = t.Callable[[], t.Any]

LAB_PREFIX = "/_lab"
TOKEN_HEADER = "X-Lab-Token"
TOKEN_FILE = "control-token"


def write_control_token(state_dir: Path) -> str:
    """A new random control token in ``<state>/control-token``, readable by the lab's user only (mode 0600).

    The caller holds ``lab.lock``, so a token left by a lab that crashed is ours to replace.
    """
    path = state_dir / TOKEN_FILE
    path.unlink(missing_ok=True)
    token = secrets.token_urlsafe(32)
    descriptor = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY | os.O_NOFOLLOW, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(token + "\n")
    return token


def read_control_token(state_dir: Path) -> str | None:
    """The control token of the lab in ``state_dir``, or None when no lab has written one."""
    try:
        return (state_dir / TOKEN_FILE).read_text().strip() or None
    except FileNotFoundError:
        return None


def json_response(payload: t.Any, status: int = 200) -> Response:
    return Response(
        json.dumps(payload, indent=2, sort_keys=True, default=str) + "\n",
        status=status,
        content_type="application/json",
    )


class LabRouter:
    """Routes ``/_lab/...`` requests to handlers that rooms register.

    A handler receives the werkzeug ``Request`` plus the rule's URL variables and returns a werkzeug ``Response``,
    a JSON-able object (sent with status 200), or a ``(status, JSON-able)`` tuple.
    """

    def __init__(self) -> None:
        self._map = Map(strict_slashes=False)
        self._handlers: dict[str, Handler] = {}
        self._lock = threading.Lock()

    def add(self, rule: str, handler: Handler, methods: t.Iterable[str] = ("GET",)) -> None:
        if not rule.startswith(f"{LAB_PREFIX}/"):
            raise ValueError(f"lab endpoints live under {LAB_PREFIX}/, got {rule!r}")
        endpoint = f"{rule} {','.join(sorted(methods))}"
        with self._lock:
            if endpoint in self._handlers:
                raise ValueError(f"a handler for {endpoint} is already registered")
            self._map.add(Rule(rule, endpoint=endpoint, methods=list(methods)))
            self._handlers[endpoint] = handler

    def rules(self) -> list[str]:
        return sorted(self._handlers)

    def __call__(self, environ: dict[str, t.Any], start_response: StartResponse) -> t.Iterable[bytes]:
        request = Request(environ)
        try:
            endpoint, arguments = self._map.bind_to_environ(environ).match()
            result = self._handlers[endpoint](request, **arguments)
        except (NotFound, MethodNotAllowed) as error:
            result = json_response(
                {"error": error.name, "path": request.path, "endpoints": self.rules()}, status=error.code or 404
            )
        except HTTPException as error:
            result = error.get_response(environ)
        except Exception as error:  # a broken handler must not take the lab down
            LOG.exception("lab endpoint %s failed", request.path)
            result = json_response({"error": type(error).__name__, "message": str(error)}, status=500)
        if isinstance(result, tuple):
            status, payload = result
            result = json_response(payload, status=status)
        elif not isinstance(result, Response):
            result = json_response(result)
        return result(environ, start_response)


class CallCounter:
    """Counts API calls per service and operation, e.g. ``{"codedeploy": {"CreateApplication": 2}}``."""

    def __init__(self) -> None:
        self._counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self._lock = threading.Lock()

    def record(self, service: str, operation: str) -> None:
        with self._lock:
            self._counts[service][operation] += 1

    def snapshot(self) -> dict[str, dict[str, int]]:
        with self._lock:
            return {service: dict(operations) for service, operations in self._counts.items()}

    def clear(self) -> None:
        with self._lock:
            self._counts.clear()


class Lab:
    """State shared by the rooms of one running lab."""

    def __init__(
        self,
        state_dir: Path | str,
        host: str = "127.0.0.1",
        port: int = 0,
        clock: LabClock | None = None,
        simulation: SimulationSettings | None = None,
    ) -> None:
        self.state_dir = Path(state_dir).resolve()
        self.host = host
        self.port = port
        self.clock = clock or LabClock()
        self.simulation = simulation  # simulated hosts (the large-fleet mode); None: sandboxed hosts
        self.router = LabRouter()
        self.calls = CallCounter()
        # The rooms, set as server.py wires them in (see the module docstring).
        self.codedeploy: CodeDeployRoom | None = None
        self.engine: EngineRoom | None = None
        self.fleet: FleetRoom | None = None
        self.load_balancers: LoadBalancerRoom | None = None
        self.faults: FaultsRoom | None = None
        self.iam: IamRoom | None = None  # with --enforce-iam only
        self.console: WsgiApp | None = None
        self._reset_callbacks: list[Callable0] = []
        self._shutdown_callbacks: list[Callable0] = []

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}"

    def on_reset(self, callback: Callable0) -> None:
        """Run ``callback()`` when the lab is reset (after earlier callbacks: moto's and CodeDeploy's state are
        emptied first)."""
        self._reset_callbacks.append(callback)

    def on_shutdown(self, callback: Callable0) -> None:
        """Run ``callback()`` when the lab stops; callbacks run in reverse order of registration."""
        self._shutdown_callbacks.append(callback)

    def reset(self) -> None:
        """Empty the lab's state: the callbacks in the order they were registered (``server.build_lab`` registers
        moto's and CodeDeploy's reset first)."""
        self.calls.clear()
        for callback in self._reset_callbacks:
            callback()

    def shutdown(self) -> None:
        for callback in reversed(self._shutdown_callbacks):
            try:
                callback()
            except Exception:
                LOG.exception("shutdown callback %r failed", callback)

    def load_balancer_urls(self) -> dict[str, str]:
        if self.load_balancers is None:
            return {}
        return {name: listener.url for name, listener in sorted(self.load_balancers.items())}

    def status(self) -> dict[str, t.Any]:
        return {
            "endpoint": self.endpoint,
            "console": f"{self.endpoint}/console/",
            "port": self.port,
            "pid": os.getpid(),
            "state_dir": str(self.state_dir),
            "seconds_per_aws_minute": self.clock.seconds_per_aws_minute,
            "load_balancers": self.load_balancer_urls(),
            "engine": type(self.engine).__name__ if self.engine is not None else None,
            "fleet": type(self.fleet).__name__ if self.fleet is not None else None,
            "enforce_iam": self.iam is not None,
        }
