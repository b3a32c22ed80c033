"""The lab's load balancers: a real HTTP proxy on 127.0.0.1 per Classic and ALB listener in moto.

``attach(lab)`` starts them for a lab: ``lab.load_balancers`` becomes the running ``LoadBalancers`` (a mapping
``{name: listener with .url}``), ``/_lab/load-balancers`` shows listeners, targets and their health, and moto's
DescribeInstanceHealth/DescribeTargetHealth answer from the lab's health checks.
"""

from __future__ import annotations

from .. import moto_patches
from ..lab import Lab
from .health import Address
from .health import HealthCheck
from .manager import LoadBalancers
from .pool import DRAINING
from .pool import HEALTHY
from .pool import INITIAL
from .pool import UNHEALTHY
from .pool import Resolver
from .pool import TargetPool
from .proxy import Listener

__all__ = [
    "DRAINING",
    "HEALTHY",
    "INITIAL",
    "UNHEALTHY",
    "Address",
    "HealthCheck",
    "Listener",
    "LoadBalancers",
    "Resolver",
    "TargetPool",
    "attach",
]


def fleet_resolver(lab: Lab) -> Resolver:
    """Instance id and traffic port -> the unix socket of that lab host's web server, from ``lab.fleet``.

    A lab host runs one web server, reached on a socket the lab made for it, whatever port the load balancer names
    (80, 8080, ...), so every traffic port of an instance leads to it. A simulated host has no web server (None).
    """

    def resolve(instance_id: str, port: int) -> Address | None:
        host = lab.fleet.get(instance_id) if lab.fleet is not None else None
        path = host.web.socket_path if host is not None else None
        return str(path) if path is not None else None

    return resolve


def attach(lab: Lab, resolve: Resolver | None = None) -> LoadBalancers:
    load_balancers = LoadBalancers(resolve or fleet_resolver(lab), lab.clock, host=lab.host).start()
    lab.load_balancers = load_balancers
    moto_patches.report_target_health_from(load_balancers)
    lab.router.add("/_lab/load-balancers", lambda request: load_balancers.describe())
    lab.on_reset(load_balancers.sync)
    lab.on_shutdown(load_balancers.stop)
    lab.on_shutdown(lambda: moto_patches.report_target_health_from(None))
    return load_balancers
