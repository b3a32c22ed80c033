"""The rooms of a lab as the other rooms see them: one ``Protocol`` per room, and the ``Lab`` attributes they fill.

``Lab`` (``lab.py``) declares every room with these types, so a room reaches another through ``lab.<room>`` without
importing it, and mypy checks each call. A room's own module keeps its concrete class; the protocols below name only
what the other rooms call today. This module imports nothing of the lab's implementation (the clock is a value), so it
sits below every room.

| ``Lab`` attribute | protocol | made by |
|---|---|---|
| ``lab.router`` | ``Router`` | ``lab.LabRouter`` |
| ``lab.clock`` | ``clock.LabClock`` (a value) | ``lab.Lab`` |
| ``lab.codedeploy`` | ``CodeDeployRoom`` | ``service.models.CodeDeployService`` |
| ``lab.engine`` | ``EngineRoom`` | ``deployments.Engine`` |
| ``lab.fleet`` | ``FleetRoom`` (hosts: ``LabHost``; agent: ``HostAgent``) | ``fleet.Fleet`` / ``fleet.simulated.SimulatedFleet`` |
| ``lab.load_balancers`` | ``LoadBalancerRoom`` | ``loadbalancer.LoadBalancers`` |
| ``lab.faults`` | ``FaultsRoom`` | ``faults.Faults`` |
| ``lab.simulation`` | ``SimulationSettings`` | ``fleet.simulated.Simulation`` (``--fleet simulated``) |
| ``lab.iam`` | ``IamRoom`` | ``iam.IamGuard`` (``--enforce-iam``) |
| ``lab.console`` | ``WsgiApp`` | ``console.ConsoleApp`` |

Objects that one room makes and only passes back to the same or a third room (a CodeDeploy backend and deployment,
a host agent's command, a load balancer's target pool) are ``t.Any`` here, with the concrete class named: a protocol
that took them as parameters would have to describe another room's internals.
"""

from __future__ import annotations

import datetime as dt
import threading
import typing as t
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Mapping
from collections.abc import Sequence

from .clock import LabClock

__all__ = [
    "DRAINING",
    "HEALTHY",
    "INITIAL",
    "UNHEALTHY",
    "AgentControl",
    "CodeDeployBackendView",
    "CodeDeployRoom",
    "DeploymentRunView",
    "DeploymentView",
    "EngineRoom",
    "EventOutcomeView",
    "FaultsRoom",
    "FleetRoom",
    "Handler",
    "HostAgent",
    "HostWeb",
    "HostListener",
    "IamRoom",
    "LabClock",
    "LabHost",
    "ListenerView",
    "LoadBalancerRoom",
    "Router",
    "SimulationSettings",
    "StartResponse",
    "TargetPoolView",
    "WsgiApp",
]

StartResponse = Callable[..., t.Any]
WsgiApp = Callable[[dict[str, t.Any], StartResponse], Iterable[bytes]]
Handler = Callable[..., t.Any]
"""A ``/_lab/`` endpoint: ``(request, **url_variables)`` -> a werkzeug ``Response``, a JSON-able object, or
``(status, JSON-able)``."""


class Router(t.Protocol):
    """The lab's own endpoints under ``/_lab/`` (``lab.LabRouter``)."""

    def add(self, rule: str, handler: Handler, methods: Iterable[str] = ("GET",)) -> None: ...

    def __call__(self, environ: dict[str, t.Any], start_response: StartResponse) -> Iterable[bytes]: ...


# -- the CodeDeploy service (service/) ----------------------------------------------------------------------------------


class DeploymentView(t.Protocol):
    """What other rooms read of a stored deployment (``service.models.Deployment``)."""

    @property
    def deployment_id(self) -> str: ...

    @property
    def application_name(self) -> str: ...

    @property
    def deployment_group_name(self) -> str: ...


class CodeDeployBackendView(t.Protocol):
    """One account and region of the CodeDeploy service (``service.models.CodeDeployBackend``)."""

    @property
    def account_id(self) -> str: ...

    @property
    def region(self) -> str: ...

    @property
    def deployments(self) -> Mapping[str, DeploymentView]: ...


class CodeDeployRoom(t.Protocol):
    """``lab.codedeploy``: every CodeDeploy backend of the lab under one lock (``service.models.CodeDeployService``)."""

    @property
    def lock(self) -> t.ContextManager[t.Any]: ...

    def backend(self, account_id: str, region: str) -> t.Any:
        """The ``service.models.CodeDeployBackend`` of that account and region (made on first use)."""
        ...

    def backends(self) -> Sequence[CodeDeployBackendView]: ...

    def reset(self) -> None: ...


# -- the deployment engine (deployments/) -------------------------------------------------------------------------------


class EngineRoom(t.Protocol):
    """``lab.engine``: runs the deployments the service hands over (``deployments.Engine``).

    ``backend`` is a ``service.models.CodeDeployBackend``, ``deployment`` a ``service.models.Deployment``.
    """

    def submit(
        self,
        backend: t.Any,
        deployment: t.Any,
        instance_ids: Sequence[str] | None = None,
        on_finished: Callable[[t.Any], t.Any] | None = None,
    ) -> t.Any:
        """Start running ``deployment`` in a thread of its own; ``on_finished(deployment)`` once it ended."""
        ...

    def stop(self, backend: t.Any, deployment: t.Any, auto_rollback_enabled: t.Any) -> tuple[str, str]:
        """StopDeployment: ``(status, message)`` as the API answers them."""
        ...

    def continue_deployment(self, backend: t.Any, deployment: t.Any, wait_type: str) -> None: ...

    def reset(self) -> None: ...


class DeploymentRunView(t.Protocol):
    """What the faults read of a running deployment (``deployments.DeploymentRun``) before and after an event."""

    @property
    def backend(self) -> CodeDeployBackendView: ...

    @property
    def deployment(self) -> DeploymentView: ...

    @property
    def stop_requested(self) -> threading.Event: ...


# -- the fleet and its host agent (fleet/, agent/) ----------------------------------------------------------------------


class HostWeb(t.Protocol):
    """A host's web server (``fleet.HostWebServer``; a simulated host's serves nothing)."""

    @property
    def socket_path(self) -> t.Any:
        """The unix socket load balancers reach the server on (a ``Path``), or None when there is none."""
        ...

    @property
    def running(self) -> bool: ...

    @property
    def healthy(self) -> bool: ...

    def mark_unhealthy(self, status: int = 503) -> None: ...

    def mark_healthy(self) -> None: ...


class LabHost(t.Protocol):
    """One lab host (``fleet.Host``, ``fleet.simulated.SimulatedHost``), keyed by its instance id."""

    @property
    def instance_id(self) -> str: ...

    @property
    def state(self) -> str:
        """EC2's instance state as the host lives it: pending, running, stopped, terminated."""
        ...

    @property
    def web(self) -> HostWeb: ...

    def wait_booted(self, timeout: float | None = None) -> bool: ...

    def describe(self) -> dict[str, t.Any]: ...


@t.runtime_checkable
class AgentControl(t.Protocol):
    """A host whose CodeDeploy agent the lab can stop and start (``fleet.Host``; simulated hosts cannot)."""

    agent_running: threading.Event

    def stop_agent(self) -> None: ...

    def start_agent(self) -> None: ...


class EventOutcomeView(t.Protocol):
    """How one lifecycle event ended on a host (``agent.EventOutcome``)."""

    @property
    def succeeded(self) -> bool: ...

    @property
    def started_at(self) -> dt.datetime: ...

    @property
    def ended_at(self) -> dt.datetime: ...

    def diagnostics(self) -> dict[str, str]: ...


class HostAgent(t.Protocol):
    """The CodeDeploy agent of a fleet's hosts (``agent.Agent``, ``fleet.simulated.SimulatedAgent``)."""

    def run_event(self, host: t.Any, command: t.Any) -> EventOutcomeView:
        """Run one lifecycle event (``command``: an ``agent.AgentCommand``) on ``host``, a host of the same fleet."""
        ...

    def read_file(self, host: t.Any, path: str) -> bytes | None:
        """One small file of ``host`` (an install pointer, an appspec), or None when it is missing."""
        ...


HostListener = Callable[[t.Any], t.Any]


class FleetRoom(t.Protocol):
    """``lab.fleet``: the lab's hosts by instance id (``fleet.Fleet``, or ``fleet.simulated.SimulatedFleet``)."""

    @property
    def agent(self) -> HostAgent: ...

    def get(self, instance_id: str) -> LabHost | None: ...

    def hosts(self) -> Sequence[LabHost]: ...

    def add_listener(self, on_launch: HostListener | None = None, on_terminate: HostListener | None = None) -> None:
        """``on_launch(host)`` right after a host starts booting, ``on_terminate(host)`` before it goes."""
        ...

    def reset(self) -> None: ...

    def shutdown(self) -> None: ...


class SimulationSettings(t.Protocol):
    """``lab.simulation``: how simulated hosts behave (``fleet.simulated.Simulation``); None for sandboxed hosts."""

    hook_seconds: float
    fail_fraction: float
    fail_event: str

    def fails(self, deployment_id: str, instance_id: str, event: str) -> bool: ...


# -- the load balancers (loadbalancer/) ---------------------------------------------------------------------------------


# The states of a load balancer target as the lab's health checks see them (``loadbalancer.pool``).
INITIAL, HEALTHY, UNHEALTHY, DRAINING = "initial", "healthy", "unhealthy", "draining"


class TargetPoolView(t.Protocol):
    """The targets of one Classic Load Balancer or target group (``loadbalancer.TargetPool``)."""

    def state_of(self, instance_id: str) -> tuple[str, str] | None:
        """``(state, reason)`` of a target (a state above), None when the pool does not know it."""
        ...


class ListenerView(t.Protocol):
    @property
    def url(self) -> str: ...


class LoadBalancerRoom(t.Protocol):
    """``lab.load_balancers``: a proxy per listener in moto, by name (``loadbalancer.LoadBalancers``)."""

    def items(self) -> Iterable[tuple[str, ListenerView]]: ...

    def sync(self) -> None:
        """Catch up with moto's load balancers and registrations now."""
        ...

    def classic_pool(self, account_id: str, region: str, name: str) -> TargetPoolView | None: ...

    def target_group_pool(self, arn: str) -> TargetPoolView | None: ...

    def wait_until_healthy(self, pools: Iterable[t.Any], instance_id: str, timeout: float) -> bool:
        """Wait until ``instance_id`` is healthy in every pool (pools of this room: ``loadbalancer.TargetPool``)."""
        ...

    def wait_until_gone(self, pools: Iterable[t.Any], instance_id: str, timeout: float) -> bool:
        """Wait until ``instance_id`` has left every pool (drained)."""
        ...

    def describe(self) -> dict[str, t.Any]: ...


# -- faults and IAM ---------------------------------------------------------------------------------------------------


class FaultsRoom(t.Protocol):
    """``lab.faults``: what goes wrong on demand (``faults.Faults``), asked by the server and the engine."""

    def api_response(self, call: tuple[str, str], environ: dict[str, t.Any]) -> WsgiApp | None:
        """The error response when a fault makes this AWS call fail, else None."""
        ...

    def before_event(
        self, run: DeploymentRunView, name: str, host: LabHost | None, instance_id: str
    ) -> dict[str, str] | None:
        """Diagnostics of a failure the faults cause before lifecycle event ``name`` runs, or None."""
        ...

    def after_failed_event(
        self, run: DeploymentRunView, name: str, host: LabHost | None, instance_id: str, found: dict[str, str] | None
    ) -> dict[str, str] | None:
        """The diagnostics to report for a failed event (a terminated host says so), given the agent's."""
        ...

    def clear(self) -> None: ...


class IamRoom(t.Protocol):
    """``lab.iam`` with ``--enforce-iam`` (``iam.IamGuard``)."""

    def refusal(self, environ: dict[str, t.Any], service: str, operation: str) -> WsgiApp | None:
        """The service's error response if the call may not proceed, else None."""
        ...

    def clear(self) -> None: ...
