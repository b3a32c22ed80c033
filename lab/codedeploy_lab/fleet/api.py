"""The fleet's HTTP endpoints under ``/_lab/hosts``, for the user's tests and tools (hosts cannot reach them).

| method and path | what |
|---|---|
| GET ``/_lab/hosts`` | every host, described |
| GET ``/_lab/hosts/<id>`` | one host: state, web server socket and health, limits, services, packages |
| GET ``/_lab/hosts/<id>/services`` | ``{name: {running, enabled, starts}}`` |
| POST ``/_lab/hosts/<id>/services/<name>`` ``{"action": ...}`` | start, stop, restart, reload, try-restart, enable, disable |

A host's shims and instance metadata go through the host's own gateway (``gateway.py``), which answers for that
host only.
"""

from __future__ import annotations

import typing as t

from werkzeug.wrappers import Request

from ..rooms import Router
from .registry import HostRegistry


def _host_or_404(fleet: HostRegistry, instance_id: str) -> t.Any:
    host = fleet.get(instance_id)
    if host is None:
        return None, (404, {"error": "NoSuchHost", "message": f"no lab host {instance_id}"})
    return host, None


def register(fleet: HostRegistry, router: Router) -> None:
    """Add the endpoints of a fleet (sandboxed or simulated) to a ``LabRouter``."""

    def list_hosts(request: Request) -> t.Any:
        return {"hosts": [host.describe() for host in fleet.hosts()]}

    def describe_host(request: Request, instance_id: str) -> t.Any:
        host, missing = _host_or_404(fleet, instance_id)
        return missing or host.describe()

    def list_services(request: Request, instance_id: str) -> t.Any:
        host, missing = _host_or_404(fleet, instance_id)
        return missing or {name: state.as_dict() for name, state in sorted(host.services.items())}

    def control_service(request: Request, instance_id: str, name: str) -> t.Any:
        host, missing = _host_or_404(fleet, instance_id)
        return missing or host.shim_request("POST", f"services/{name}", request.get_data())

    router.add("/_lab/hosts", list_hosts)
    router.add("/_lab/hosts/<instance_id>", describe_host)
    router.add("/_lab/hosts/<instance_id>/services", list_services)
    router.add("/_lab/hosts/<instance_id>/services/<name>", control_service, methods=("POST",))
