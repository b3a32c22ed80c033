"""Simulated hosts: the large-fleet mode of the lab (``codedeploy-lab up --fleet simulated``).

Every EC2 instance moto launches still becomes a lab host (``moto_hooks`` as for the sandboxed fleet), but a simulated
host has no sandbox, no root, no web server and runs no user data: it is booted the moment it launches, and its agent
answers each lifecycle event after ``hook_seconds`` without running anything. The deployment engine, the API and the
clients see the same targets, lifecycle events (with start and end times), statuses and diagnostics as with real
hosts, so a deployment group of 500 or more instances deploys on a 2-core machine.

Interface (the same as ``Fleet`` where the other rooms use it)::

    fleet = SimulatedFleet(lab.endpoint, router=lab.router, settings=Simulation(hook_seconds=0.05))
    fleet.get(instance_id).state                   # pending is skipped: "running" at once
    fleet.agent.run_event(host, command)           # EventOutcome after settings.hook_seconds
    fleet.settings.fail_fraction = 0.1             # also through POST /_lab/fleet/simulation

Failures: with ``fail_fraction`` F, a host fails ``fail_event`` (default ValidateService) with ScriptFailed in a
deployment when a hash of (deployment id, instance id) falls below F, so about F of the hosts fail, the same ones if
the same deployment is asked again, different ones in the next deployment. A simulated host has no web server: a
load balancer sees it as having no address (unhealthy), so use deployment groups without traffic control here.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import threading
import typing as t
from dataclasses import dataclass

from ..agent import AGENT_EVENTS
from ..agent import AgentCommand
from ..agent import EventOutcome
from ..agent import event_outcome
from ..lab import Lab
from ..rooms import Router
from ..rooms import SimulationSettings
from . import api
from . import moto_hooks
from .metadata import InstanceIdentity
from .metadata import MetadataService
from .registry import HostRegistry

LOG = logging.getLogger("codedeploy_lab.fleet")

DEFAULT_HOOK_SECONDS = 0.05
FAILED_SCRIPT = "scripts/simulated_check.sh"


@dataclass
class Simulation:
    """How simulated hosts behave: seconds per lifecycle event, and the fraction of hosts that fail an event."""

    hook_seconds: float = DEFAULT_HOOK_SECONDS
    fail_fraction: float = 0.0
    fail_event: str = "ValidateService"

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        if not 0 <= self.hook_seconds <= 3600:
            raise ValueError(f"hook_seconds must be between 0 and 3600, got {self.hook_seconds}")
        if not 0 <= self.fail_fraction <= 1:
            raise ValueError(f"fail_fraction must be between 0 and 1, got {self.fail_fraction}")
        if self.fail_event not in AGENT_EVENTS:
            raise ValueError(
                f"fail_event must be a host agent event ({', '.join(sorted(AGENT_EVENTS))}), got {self.fail_event!r}"
            )

    def fails(self, deployment_id: str, instance_id: str, event: str) -> bool:
        if event != self.fail_event or self.fail_fraction <= 0:
            return False
        digest = hashlib.sha256(f"{deployment_id}/{instance_id}".encode()).digest()
        return int.from_bytes(digest[:8], "big") / 2**64 < self.fail_fraction


def settings_of(settings: SimulationSettings) -> dict[str, t.Any]:
    return {
        "hook_seconds": settings.hook_seconds,
        "fail_fraction": settings.fail_fraction,
        "fail_event": settings.fail_event,
    }


class SimulatedWeb:
    """A simulated host serves nothing: no address, never running (load balancers see no target to reach)."""

    socket_path = None
    running = False
    healthy = False

    def mark_unhealthy(self, status: int = 503) -> None:
        pass

    def mark_healthy(self) -> None:
        pass

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass


class SimulatedHost:
    """One simulated instance: its identity and state, nothing behind them."""

    sandbox_error = None

    def __init__(self, identity: InstanceIdentity) -> None:
        self.identity = identity
        self.instance_id = identity.instance_id
        self.metadata = MetadataService(identity)
        self.web = SimulatedWeb()
        self.services: dict[str, t.Any] = {}
        self.packages: list[dict[str, t.Any]] = []
        self.user_data_exit_codes: list[int] = []
        self.state = "running"
        self.lock = threading.Lock()  # one lifecycle event at a time per host, as the real agent

    def __repr__(self) -> str:
        return f"<SimulatedHost {self.instance_id} {self.state}>"

    def terminate(self) -> None:
        self.state = "terminated"

    def stop(self) -> None:
        self.state = "stopped"

    def start(self) -> None:
        self.state = "running"

    @property
    def booted(self) -> bool:
        return True

    def wait_booted(self, timeout: float | None = None) -> bool:
        return True

    def describe(self) -> dict[str, t.Any]:
        return {
            "instance_id": self.instance_id,
            "state": self.state,
            "booted": True,
            "simulated": True,
            "sandbox_error": None,
            "root": None,
            "web": {"socket": None, "running": False, "healthy": False},
            "services": {},
            "packages": [],
            "user_data_exit_codes": [],
        }


class SimulatedAgent:
    """``run_event(host, command) -> EventOutcome``: waits ``hook_seconds``, then succeeds (or fails as configured)."""

    def __init__(self, settings: SimulationSettings, stopping: threading.Event) -> None:
        self.settings = settings
        self._stopping = stopping

    def run_event(self, host: SimulatedHost, command: AgentCommand) -> EventOutcome:
        started = dt.datetime.now(dt.UTC)
        if command.event not in AGENT_EVENTS:
            return event_outcome(
                command, started, "UnknownError", f"Unsupported lifecycle event for the host agent: {command.event}"
            )
        with host.lock:
            if host.state != "running":
                return event_outcome(
                    command,
                    started,
                    "UnknownError",
                    f"The CodeDeploy lab cannot run lifecycle events on {host.instance_id}: the host is {host.state}",
                )
            self._stopping.wait(self.settings.hook_seconds)
            if self.settings.fails(command.deployment_id, host.instance_id, command.event):
                return event_outcome(
                    command,
                    started,
                    "ScriptFailed",
                    "Script at specified location: scripts/simulated_check.sh run as user root failed with exit code 1",
                    script_name=FAILED_SCRIPT,
                    log_tail="[stderr]simulated failure (codedeploy-lab --fail-fraction)",
                )
            return event_outcome(command, started, "Success", "")

    def read_file(self, host: SimulatedHost, path: str) -> bytes | None:
        """A simulated host keeps no files, so a blue/green rollback finds no earlier install and runs no hooks."""
        return None


class SimulatedFleet(HostRegistry):
    """The lab's hosts in the large-fleet mode, keyed by instance id (the ``Fleet`` interface, simulated)."""

    simulated = True
    sandbox_problem = None

    def __init__(self, endpoint_url: str, *, router: Router, settings: SimulationSettings | None = None) -> None:
        super().__init__()
        self.endpoint_url = endpoint_url.rstrip("/")
        self.api_url = self.endpoint_url
        self.settings: SimulationSettings = settings or Simulation()
        self._stopping = threading.Event()
        self.agent = SimulatedAgent(self.settings, self._stopping)
        api.register(self, router)
        router.add("/_lab/fleet/simulation", self._show_settings)
        router.add("/_lab/fleet/simulation", self._change_settings, methods=("POST",))

    # -- moto's hooks and the other rooms ----------------------------------------------------------------------------

    def launch(self, identity: InstanceIdentity) -> SimulatedHost:
        host = SimulatedHost(identity)
        self._register(host)
        self._launched(host)
        return host

    def shutdown(self) -> None:
        self._stopping.set()  # events still waiting end at once
        moto_hooks.detach(self)
        self.reset()

    # -- /_lab/fleet/simulation ----------------------------------------------------------------------------------------

    def _show_settings(self, request: t.Any) -> dict[str, t.Any]:
        return {"hosts": len(self.hosts()), **settings_of(self.settings)}

    def _change_settings(self, request: t.Any) -> t.Any:
        body = request.get_json(force=True, silent=True)
        if not isinstance(body, dict):
            return 400, {"error": "InvalidRequest", "message": 'send a JSON object, e.g. {"fail_fraction": 0.1}'}
        unknown = sorted(set(body) - {"hook_seconds", "fail_fraction", "fail_event"})
        if unknown:
            return 400, {
                "error": "InvalidRequest",
                "message": f"unknown field(s) {', '.join(unknown)}: use hook_seconds, fail_fraction, fail_event",
            }
        try:
            candidate = Simulation(**{**settings_of(self.settings), **body})
        except (TypeError, ValueError) as error:
            return 400, {"error": "InvalidRequest", "message": str(error)}
        self.settings.hook_seconds = float(candidate.hook_seconds)
        self.settings.fail_fraction = float(candidate.fail_fraction)
        self.settings.fail_event = candidate.fail_event
        return self._show_settings(request)


def attach(lab: Lab, settings: SimulationSettings | None = None) -> SimulatedFleet:
    """Wire simulated hosts into a running lab instead of the sandboxed fleet (``server._attach_rooms``), with
    ``settings``, else the lab's (``lab.simulation``), else the defaults."""
    fleet = SimulatedFleet(lab.endpoint, router=lab.router, settings=settings or lab.simulation)
    fleet.attach_to_moto()
    lab.fleet = fleet
    lab.on_reset(fleet.reset)
    lab.on_shutdown(fleet.shutdown)
    LOG.info(
        "simulated fleet: each lifecycle event takes %.3f s, %.0f%% of hosts fail %s",
        fleet.settings.hook_seconds,
        fleet.settings.fail_fraction * 100,
        fleet.settings.fail_event,
    )
    return fleet
