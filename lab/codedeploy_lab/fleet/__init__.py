"""Lab hosts: every EC2 instance of the lab is a sandboxed host with its own copy-on-write root.

Interface for the other rooms (the deployment engine, the load balancers, the lab process)::

    fleet = Fleet(state_dir, endpoint_url=lab.endpoint, router=lab.router)  # router: a LabRouter, or None
    fleet.attach_to_moto()            # RunInstances / Auto Scaling launches become hosts, terminate removes them
    host = fleet.get("i-0123...")     # Host or None; fleet.hosts() lists them all
    fleet.launch_on_premises("web-1") # a host that is no EC2 instance (on_premises.py), keyed by its name
    host.wait_booted(timeout=60)      # user data finished (the agent waits for it by itself too)
    host.web.connection()             # an HTTP connection to the host's web server (its unix socket)
    host.web.running, host.web.healthy, host.web.mark_unhealthy(503), host.web.mark_healthy()
    fleet.agent.run_event(host, command)   # codedeploy_lab.agent: one lifecycle event on one host
    fleet.add_listener(on_launch=..., on_terminate=...)   # e.g. deploy the last good revision to ASG launches
    fleet.shutdown()                  # stop every host and remove every root

Roots live in ``<state>/hosts/<instance-id>/root`` and web server sockets in ``<state>/sockets/<instance-id>/``. See
``sandbox.py`` for how a host is isolated, ``gateway.py`` for what it reaches on the network, ``shims.py`` for the
programs it finds on its PATH and ``metadata.py`` for instance metadata.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from werkzeug.serving import make_server

from ..agent import Agent
from ..lab import Lab
from ..lab import LabRouter
from ..rooms import Router
from . import api
from . import moto_hooks
from . import on_premises
from .host import Host
from .host import HostError
from .host import ServiceState
from .host import user_data_scripts
from .metadata import InstanceIdentity
from .registry import HostRegistry
from .sandbox import SandboxUnavailable
from .sandbox import remove_cgroups
from .sandbox import remove_host_dir
from .sandbox import remove_stale_cgroups
from .sandbox import sandbox_support_problem
from .sandbox import sanitised_etc
from .webserver import HostWebServer

__all__ = [
    "Fleet",
    "attach",
    "Host",
    "HostError",
    "HostWebServer",
    "InstanceIdentity",
    "SandboxUnavailable",
    "ServiceState",
    "sandbox_support_problem",
    "user_data_scripts",
]

LOG = logging.getLogger("codedeploy_lab.fleet")
LOOPBACK = "127.0.0.1"


class Fleet(HostRegistry):
    """The lab's hosts, keyed by instance id."""

    def __init__(
        self, state_dir: Path | str, *, endpoint_url: str, router: Router | None = None, region: str = "us-east-1"
    ) -> None:
        super().__init__()
        self.state_dir = Path(state_dir).resolve()
        self.hosts_dir = self.state_dir / "hosts"
        self.sockets_dir = self.state_dir / "sockets"
        remove_stale_cgroups()
        self.endpoint_url = endpoint_url.rstrip("/")
        self.region = region
        self._server = None
        self._server_thread: threading.Thread | None = None
        if router is None:
            # Standalone (tests, tools): serve the fleet's /_lab/hosts endpoints on a port of our own.
            own_router = LabRouter()
            api.register(self, own_router)
            on_premises.register(self, own_router)
            self._server = make_server(LOOPBACK, 0, own_router, threaded=True)
            self._server_thread = threading.Thread(target=self._server.serve_forever, name="fleet-api", daemon=True)
            self._server_thread.start()
            self.api_url = f"http://{LOOPBACK}:{self._server.server_port}"
        else:
            api.register(self, router)
            on_premises.register(self, router)
            self.api_url = self.endpoint_url
        self.agent = Agent(endpoint_url=self.endpoint_url, region=region)

    @property
    def sandbox_problem(self) -> str | None:
        """Why hooks cannot run on this machine (None when they can)."""
        return sandbox_support_problem()

    @staticmethod
    def sandbox_problem_here() -> str | None:
        return sandbox_support_problem()

    def launch(self, identity: InstanceIdentity) -> Host:
        host = Host(
            identity,
            self.hosts_dir / identity.instance_id,
            endpoint_url=self.endpoint_url,
            socket_dir=self.sockets_dir / identity.instance_id,
            etc_template=lambda: sanitised_etc(self.state_dir),
        )
        self._register(host)
        LOG.info("host %s: launching", identity.instance_id)
        host.boot()
        self._launched(host)
        return host

    def launch_on_premises(self, name: str) -> Host:
        """A host that is no EC2 instance (``on_premises.py``): no metadata, its agent starts when told to."""
        identity = InstanceIdentity(
            instance_id=on_premises.check_host_name(name),
            region=self.region,
            availability_zone="",
            hostname=name,
            private_ip="10.1.0.10",
        )
        host = Host(
            identity,
            self.hosts_dir / name,
            endpoint_url=self.endpoint_url,
            socket_dir=self.sockets_dir / name,
            etc_template=lambda: sanitised_etc(self.state_dir),
            on_premises=True,
        )
        self._register(host)
        LOG.info("host %s: starting an on-premises host", name)
        host.boot(run_user_data=True)
        return host

    def reset(self) -> None:
        """Terminate every host, then remove what no current host owns (left by a lab that did not stop cleanly)."""
        super().reset()
        owned = {host.instance_id for host in self.hosts()}
        for folder in (self.hosts_dir, self.sockets_dir):
            for leftover in folder.iterdir() if folder.is_dir() else ():
                if leftover.name not in owned:
                    remove_cgroups(leftover.name)
                    remove_host_dir(leftover)
        remove_stale_cgroups()

    def shutdown(self) -> None:
        moto_hooks.detach(self)
        self.reset()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


def attach(lab: Lab) -> Fleet:
    """Wire the fleet into a running lab (called by ``server._attach_rooms``): ``lab.fleet``, ``/_lab/hosts``
    endpoints on the lab's port, moto's EC2 launches become hosts, reset/shutdown remove every host."""
    fleet = Fleet(lab.state_dir, endpoint_url=lab.endpoint, router=lab.router)
    fleet.attach_to_moto()
    lab.fleet = fleet
    lab.on_reset(fleet.reset)
    lab.on_shutdown(fleet.shutdown)
    problem = fleet.sandbox_problem
    if problem:
        LOG.warning("lab hosts cannot run user data or hooks: %s", problem)
    return fleet
