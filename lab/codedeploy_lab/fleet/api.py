"""The fleet's HTTP endpoints under ``/_lab/hosts`` (shims and instance metadata call them from inside hosts).

| method and path | what |
|---|---|
| GET ``/_lab/hosts`` | every host, described |
| GET ``/_lab/hosts/<id>`` | one host: state, web server URL and health, services, packages |
| GET ``/_lab/hosts/<id>/services`` | ``{name: {running, enabled, starts}}`` |
| POST ``/_lab/hosts/<id>/services/<name>`` ``{"action": ...}`` | start, stop, restart, reload, try-restart, enable, disable, status |
| POST ``/_lab/hosts/<id>/packages`` ``{"manager", "args"}`` | records a package-manager call |
| GET/PUT ``/_lab/hosts/<id>/imds/latest/...`` | instance metadata, IMDSv1 and v2 |
"""

from __future__ import annotations

import typing as t

from werkzeug.wrappers import Request, Response

if t.TYPE_CHECKING:
    from . import Fleet

SERVICE_ACTIONS = frozenset({"start", "stop", "restart", "reload", "try-restart", "enable", "disable", "status"})


def _host_or_404(fleet: Fleet, instance_id: str) -> t.Any:
    host = fleet.get(instance_id)
    if host is None:
        return None, (404, {"error": "NoSuchHost", "message": f"no lab host {instance_id}"})
    return host, None


def register(fleet: Fleet, router: t.Any) -> None:
    """Add the fleet's endpoints to a ``LabRouter``."""

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
        if missing:
            return missing
        try:
            action = (request.get_json(force=True, silent=True) or {}).get("action", "")
        except AttributeError:
            action = ""
        if action not in SERVICE_ACTIONS:
            return 400, {"error": "InvalidAction",
                         "message": f"action must be one of {', '.join(sorted(SERVICE_ACTIONS))}, got {action!r}"}
        return host.control_service(name, action)

    def record_packages(request: Request, instance_id: str) -> t.Any:
        host, missing = _host_or_404(fleet, instance_id)
        if missing:
            return missing
        call = request.get_json(force=True, silent=True) or {}
        host.packages.append({"manager": str(call.get("manager", "")), "args": [str(a) for a in call.get("args", [])]})
        return {"recorded": len(host.packages)}

    def metadata(request: Request, instance_id: str, path: str = "") -> t.Any:
        host = fleet.get(instance_id)
        if host is None:
            return Response(b"", status=404)
        status, headers, body = host.metadata.handle(request.method, path, dict(request.headers))
        return Response(body if request.method != "HEAD" else b"", status=status, headers=headers)

    router.add("/_lab/hosts", list_hosts)
    router.add("/_lab/hosts/<instance_id>", describe_host)
    router.add("/_lab/hosts/<instance_id>/services", list_services)
    router.add("/_lab/hosts/<instance_id>/services/<name>", control_service, methods=("POST",))
    router.add("/_lab/hosts/<instance_id>/packages", record_packages, methods=("POST",))
    router.add("/_lab/hosts/<instance_id>/imds/<path:path>", metadata, methods=("GET", "PUT", "HEAD"))
    router.add("/_lab/hosts/<instance_id>/imds", metadata, methods=("GET", "PUT", "HEAD"))
