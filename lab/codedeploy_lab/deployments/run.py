"""The run interface of deployments: what the engine's helpers may use of a deployment while it runs.

The engine (``engine.py``) walks each deployment in an ``EngineRun``, which is a ``DeploymentRun``. The helpers it
calls take a ``DeploymentRun`` and import this module, never the engine, so every arrow points one way::

    engine -> alarms, blue_green, on_premises, rollback, triggers -> run -> planning, traffic
    blue_green -> green_fleet, rollback, triggers   (a helper may use another helper, never the engine)

Beside the protocol: why a run stops (``StopCause``), how one lifecycle event ended (``EventResult``), the wait a
blue/green run parks in (``ContinueWait``), and the small rules on lifecycle events every walk shares.
"""

from __future__ import annotations

import threading
import typing as t
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime

from ..clock import LabClock
from ..rooms import FleetRoom
from ..rooms import HostAgent
from ..rooms import LabHost
from ..service.models import CodeDeployBackend
from ..service.records import Deployment
from ..service.records import DeploymentGroup
from ..service.records import LifecycleEvent
from .planning import Plan
from .traffic import Traffic

Diagnostics = dict[str, str]
"""A lifecycle event's ``diagnostics``: ``errorCode``, ``scriptName``, ``message``, ``logTail``."""


def now() -> datetime:
    return datetime.now(UTC)


def failure(message: str) -> Diagnostics:
    """The diagnostics of an event the lab fails itself (no script ran)."""
    return {"errorCode": "UnknownError", "scriptName": "", "message": message, "logTail": ""}


def skip(event: LifecycleEvent) -> None:
    """After a failure (or a stop) the remaining events are Skipped: an end time, no start time."""
    event.status, event.end_time, event.start_time = "Skipped", now(), None


@dataclass(frozen=True)
class StopCause:
    """Why a run was asked to stop: the errorInformation it ends with and the rollback event it may trigger.

    ``rollback`` is StopDeployment's ``autoRollbackEnabled`` (``None``: the deployment's autoRollbackConfiguration
    decides through ``rollback_event``).
    """

    code: str = "MANUAL_STOP"
    message: str = "The deployment was stopped by a user."
    rollback_event: str = "DEPLOYMENT_STOP_ON_REQUEST"
    rollback: bool | None = None


class EventResult(t.NamedTuple):
    """How one lifecycle event of one target ended."""

    ok: bool
    diagnostics: Diagnostics | None
    started: datetime
    ended: datetime


EventRunner = t.Callable[[str, LabHost | None, str], EventResult]
"""Runs lifecycle event ``name`` of ``instance_id`` on its ``host`` (None: the lab has no host for it)."""


class ContinueWait:
    """A blue/green run parked in its ready wait or termination wait (``DeploymentRun.parked``); ContinueDeployment
    sets ``continued``."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.continued = threading.Event()


class DeploymentRun(t.Protocol):
    """One deployment while the engine runs it, as its helpers see it.

    Mutate ``deployment`` (and its targets and events) only while holding ``lock``, the CodeDeploy service's lock.
    """

    @property
    def deployment(self) -> Deployment: ...

    @property
    def backend(self) -> CodeDeployBackend: ...

    @property
    def lock(self) -> t.ContextManager[t.Any]: ...

    @property
    def clock(self) -> LabClock: ...

    @property
    def fleet(self) -> FleetRoom | None:
        """The lab's hosts; None when the lab runs without them."""
        ...

    @property
    def agent(self) -> HostAgent | None:
        """The fleet's host agent."""
        ...

    @property
    def traffic(self) -> Traffic:
        """BlockTraffic and AllowTraffic, through the load balancers."""
        ...

    @property
    def stop_requested(self) -> threading.Event: ...

    stop_cause: StopCause
    parked: ContinueWait | None  # the wait a blue/green run sits in, for ContinueDeployment
    event_runner: EventRunner  # how this run's lifecycle events run (a blue/green rollback replaces it)

    def request_stop(self, cause: StopCause | None = None) -> tuple[str, str]:
        """Stop scheduling events; ``(status, message)`` as StopDeployment answers them."""
        ...

    def group(self) -> DeploymentGroup | None:
        """The deployment's group, or None once it was deleted (call with the lock held)."""
        ...

    def group_instances(self, group: DeploymentGroup) -> list[str]:
        """The group's EC2 instances: tag filters, tag set and InService Auto Scaling instances."""
        ...

    def dispatch(self, order: list[str], plan: Plan, only: t.Collection[str] | None = None) -> tuple[int, bool]:
        """Run these targets' events (``only``: just these events), batched by ``plan``: (succeeded, halted)."""
        ...

    def run_event(self, name: str, host: LabHost | None, instance_id: str) -> EventResult:
        """The engine's own way to run one lifecycle event (faults, traffic events, the host agent)."""
        ...

    def finish(self, status: str, code: str | None = None, message: str | None = None) -> None:
        """End the deployment with this status (and errorInformation), then roll back and notify as configured."""
        ...

    def finish_stopped(self) -> None:
        """End the deployment Stopped, with the errorInformation of its ``stop_cause``."""
        ...

    def submit(self, deployment: Deployment, instance_ids: t.Sequence[str] | None) -> DeploymentRun:
        """Start running another deployment of the same backend (a rollback) on the same engine."""
        ...
